import { AggregateView, SupportNotice, OperationPhase, PoliceDistrict, ClearHoldBuildPhase, CountBand, SupportService, Agency } from "@takitini/proto";
import { parseRegistry } from "@takitini/policies";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { IHeaders } from "kafkajs";
import { audiencesFrom } from "./audiences.js";
import type { Band, Input } from "./inputs.js";

/** Helper constructors so a test reads as one sentence about what reached a community topic. */

export const SECRET = Buffer.from("test secret for the briefing rounding draws");
let n = 0;
const nextId = () => `00000000-0000-5000-8000-${String(++n).padStart(12, "0")}`;

export const REGISTRY = parseRegistry(readFileSync(fileURLToPath(new URL("../../../policies/data/subscribers.json", import.meta.url)), "utf8"));
export const AUDIENCES = audiencesFrom(REGISTRY, { publicSubscriber: "public" });
export const EASTERN_LEADERS = AUDIENCES.leaders.get("community-eastern")!;

export function aggregate(eventType: string, week: string, measures: [string, string, number][], region = "EASTERN"): Input {
  return { kind: "aggregate", deliveryId: nextId(), eventType, region, week, measures: measures.map(([measure, category, value]) => ({ measure, category, value })) };
}

/** n seizures of a commodity in a week, as Customs' aggregate views. */
export const seizures = (week: string, commodity: string, count: number, grams = 500): Input[] =>
  Array.from({ length: count }, () => aggregate("customs.border_seizure", week, [["seizures", commodity, 1], ["grams", commodity, grams]]));

export const complaints = (week: string, industry: string, count: number, workers = 2): Input[] =>
  Array.from({ length: count }, () => aggregate("mbie.exploitation_complaint", week, [["complaints", industry, 1], ["workers", industry, workers]]));

/** n scam reports of a category and contact channel in a week, each with the (exchange-rounded) loss, as Police's aggregate views. */
export const scams = (week: string, category: string, channel: string, count: number, loss: number): Input[] =>
  Array.from({ length: count }, () => aggregate("police.scam_report", week, [["reports", category, 1], ["reports_by_channel", channel, 1], ["loss_nzd", category, loss]]));

/** n FIU summaries from a sector in a week, each of `reports` reports showing the typologies. */
export const sars = (week: string, sector: string, typologies: string[], count: number, reports: number): Input[] =>
  Array.from({ length: count }, () => aggregate("police.fiu_suspicious_activity", week, [["reports", sector, reports], ...typologies.map((t): [string, string, number] => ["reports_by_typology", t, reports])]));

/** n asset-restraint orders at a stage in a week, each over [class, assets, value] — as the exchange sends them. */
export const restraints = (week: string, stage: "restrained" | "forfeited" | "released", assets: [string, number, number][], count: number): Input[] =>
  Array.from({ length: count }, () => aggregate("police.asset_restraint", week, assets.flatMap(([c, n, v]): [string, string, number][] => [[`assets_${stage}`, c, n], [`value_nzd_${stage}`, c, v]])));

export const wastewater = (week: string, drug: string, grams: number): Input => aggregate("police.wastewater_indicator", week, [["estimated_weekly_grams", drug, grams]]);

/** A wastewater sample from a site the exchange named (registered, catchment large enough). */
export const siteWastewater = (week: string, site: string, drug: string, grams: number, region = "EASTERN"): Input => ({
  ...aggregate("police.wastewater_indicator", week, [["estimated_weekly_grams", drug, grams]], region),
  site,
} as Input);

export function notice(week: string, families: Band, children: Band, region = "EASTERN"): Input {
  return { kind: "notice", deliveryId: nextId(), region, week, phase: "resolution", stage: "clear", families, children, support: ["whanau_navigation"] };
}

export function kafkaAggregate(view: Partial<AggregateView>): { value: Buffer; headers: IHeaders } {
  const v = AggregateView.fromPartial({ deliveryId: nextId(), eventType: "customs.border_seizure", sourceAgency: Agency.AGENCY_CUSTOMS, region: PoliceDistrict.POLICE_DISTRICT_EASTERN, week: "2026-W47", ...view });
  return { value: Buffer.from(AggregateView.encode(v).finish()), headers: { "event-type": "aggregate.view", view: "aggregate_only", "delivery-id": v.deliveryId } };
}

/** A de-identified support notice as the exchange writes it to a community topic. */
export function kafkaNotice(fields: Partial<SupportNotice> = {}): { value: Buffer; headers: IHeaders } {
  const n = SupportNotice.fromPartial({
    deliveryId: nextId(),
    eventType: "police.operation_update",
    sourceAgency: Agency.AGENCY_POLICE,
    region: PoliceDistrict.POLICE_DISTRICT_EASTERN,
    week: "2026-W47",
    phase: OperationPhase.OPERATION_PHASE_RESOLUTION,
    clearHoldBuild: ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_CLEAR,
    familiesAffected: CountBand.COUNT_BAND_10_TO_19,
    childrenAffected: CountBand.COUNT_BAND_20_TO_49,
    supportNeeded: [SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION],
    agreementId: "community-eastern-police-support-notice",
    ...fields,
  });
  return { value: Buffer.from(SupportNotice.encode(n).finish()), headers: { "event-type": "support.notice", view: "redacted", "delivery-id": n.deliveryId } };
}
