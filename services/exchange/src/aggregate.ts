import { loadRegions, type RegionsFile } from "@takitini/policies";
import { AggregateView, type AggregateMeasure, type IntelligenceEvent } from "@takitini/proto";
import { isoWeekOf } from "@takitini/runtime";
import { disclosableSite, loadSiteRegistry, type SiteRegistry } from "./sites.js";

/** Enum code without its type prefix, lower case: COMMODITY_METHAMPHETAMINE → methamphetamine. */
const code = (value: string, prefix: string) => (value.startsWith(prefix) ? value.slice(prefix.length) : value).toLowerCase();

const m = (measure: string, category: string, value: number): AggregateMeasure => ({ measure, category, value });

/** An asset's value in a view: whole thousands of dollars, a positive value never below one thousand. */
export const ASSET_VALUE_STEP_NZD = 1_000;
/** A scam's reported loss in a view: whole hundreds of dollars, a positive loss never below one hundred. */
export const SCAM_LOSS_STEP_NZD = 100;

/**
 * A dollar amount as a view carries it: rounded to the nearest multiple of
 * `step` (halves up), a positive amount at least one step, so an exact figure
 * (a house's price, a transfer's odd dollars) that could be matched to a case
 * never leaves the exchange. The same amount always gives the same value, so a
 * retraction takes back exactly what was added. Pure.
 */
export function roundedAmount(value: number | string, step: number): number {
  const n = Math.max(0, Number(value));
  if (!Number.isFinite(n) || n === 0) return 0;
  return Math.max(step, Math.round(n / step) * step);
}

/** An asset restraint's stage as a measure's prefix. */
const STAGE: Record<string, string> = {
  ASSET_RESTRAINT_STAGE_RESTRAINING_ORDER: "restrained",
  ASSET_RESTRAINT_STAGE_FORFEITURE_ORDER: "forfeited",
  ASSET_RESTRAINT_STAGE_RELEASED: "released",
};

/** Per asset class, in order of first appearance: how many assets and their rounded value. */
function byAssetClass(assets: readonly { assetClass: string; valueNzd: string }[]): Map<string, { n: number; value: number }> {
  const out = new Map<string, { n: number; value: number }>();
  for (const a of assets) {
    const c = code(a.assetClass, "ASSET_CLASS_");
    const held = out.get(c) ?? { n: 0, value: 0 };
    out.set(c, { n: held.n + 1, value: held.value + roundedAmount(a.valueNzd, ASSET_VALUE_STEP_NZD) });
  }
  return out;
}

/**
 * What each event type contributes to community tables. Only codes and
 * quantities: never a subject, name, reference, free text, provider or
 * programme name. A wastewater site and a record's locality are only
 * candidates: aggregateView names a site only as the site registry allows
 * (sites.ts) and a locality only as the locality table does (disclosableLocality).
 * An event type without an entry has no aggregate view, so the policy allowing
 * it only in aggregate delivers nothing.
 */
function measures(event: IntelligenceEvent): { week?: string; site?: string; locality?: string; measures: AggregateMeasure[] } | null {
  const p = event.payload;
  switch (p?.$case) {
    case "customsBorderSeizure": {
      const commodity = code(p.value.commodity, "COMMODITY_");
      return { measures: [m("seizures", commodity, 1), m("grams", commodity, Math.max(0, p.value.weightGrams))] };
    }
    case "policeFirearmsSeizure":
      return { locality: p.value.locality, measures: [m("seizures", "firearms", 1), m("firearms", "", Math.max(0, p.value.firearmsCount))] };
    case "policeWastewaterIndicator":
      return {
        week: p.value.sampleWeek,
        site: p.value.site,
        measures: [m("estimated_weekly_grams", code(p.value.drug, "COMMODITY_"), Math.max(0, p.value.estimatedWeeklyGrams))],
      };
    // The FIU's summary: the reports it covers, by the reporting sector and by each typology seen
    // (a report may show several, so the typology counts need not add up to the reports).
    case "policeFiuSuspiciousActivity": {
      const reports = Math.max(0, p.value.reportsSummarised);
      return {
        measures: [
          m("reports", code(p.value.reportingSector, "REPORTING_SECTOR_"), reports),
          ...[...new Set(p.value.typologies)].map((t) => m("reports_by_typology", code(t, "LAUNDERING_TYPOLOGY_"), reports)),
        ],
      };
    }
    // A Criminal Proceeds (Recovery) Act order: assets and their rounded value by class, under the stage
    // ("assets_restrained", "value_nzd_restrained", … "_forfeited", "_released").
    case "policeAssetRestraint": {
      const stage = STAGE[p.value.stage];
      if (stage === undefined) return null;
      return {
        measures: [...byAssetClass(p.value.assets)].flatMap(([c, a]) => [m(`assets_${stage}`, c, a.n), m(`value_nzd_${stage}`, c, a.value)]),
      };
    }
    // A scam reported by the public: by category and by contact channel, and the loss (rounded) by category.
    case "policeScamReport": {
      const category = code(p.value.category, "SCAM_CATEGORY_");
      return {
        locality: p.value.locality,
        measures: [
          m("reports", category, 1),
          m("reports_by_channel", code(p.value.channel, "SCAM_CONTACT_CHANNEL_"), 1),
          m("loss_nzd", category, roundedAmount(p.value.reportedLossNzd, SCAM_LOSS_STEP_NZD)),
        ],
      };
    }
    case "mbieExploitationComplaint": {
      const industry = code(p.value.industry, "INDUSTRY_");
      return { locality: p.value.locality, measures: [m("complaints", industry, 1), m("workers", industry, Math.max(0, p.value.workersAffected))] };
    }
    case "msdWhanauSupportReferral": {
      const service = code(p.value.service, "SUPPORT_SERVICE_");
      return {
        week: p.value.referralWeek,
        measures: [m("referrals", service, 1), m("whanau", service, Math.max(0, p.value.whanauCount)), m("children", service, Math.max(0, p.value.childrenCount))],
      };
    }
    case "msdCommunityResilienceReport":
      return {
        measures: [
          m("funding_cents", "", Math.max(0, Number(p.value.fundingCents))),
          ...p.value.services.flatMap((s) => {
            const service = code(s.service, "SUPPORT_SERVICE_");
            return [m("people_served", service, Math.max(0, s.peopleServed)), m("sessions", service, Math.max(0, s.sessions))];
          }),
        ],
      };
    default:
      return null;
  }
}

/** Whether an event type has an aggregate view at all. */
export function hasAggregateView(event: IntelligenceEvent): boolean {
  return measures(event) !== null;
}

/**
 * The localities a community view may name, per district: district code →
 * comparison key → the locality table's own spelling (policies/data/regions.json).
 */
export type LocalityTable = ReadonlyMap<string, ReadonlyMap<string, string>>;

const COMBINING_MACRON = /\u0304/gu;

/**
 * How a record's locality is compared with the table: NFC, trimmed, runs of
 * white space as one space, case-folded and macron-insensitive ("O\u0304po\u0304tiki",
 * " OPOTIKI " and "Ōpōtiki" are one key). Pure.
 */
export function localityKey(name: string): string {
  return name.normalize("NFD").replace(COMBINING_MACRON, "").normalize("NFC").trim().replace(/\s+/gu, " ").toLocaleLowerCase("en-NZ");
}

const macrons = (name: string) => (name.normalize("NFD").match(COMBINING_MACRON) ?? []).length;

/**
 * The locality table of a regions file. Where a district lists one place under
 * two spellings that differ only in macrons ("Kaitaia" and "Kaitāia"), their
 * one key gives the spelling with macrons, so one place is always one name (and
 * one row of a briefing). Pure.
 */
export function localityTable(file: Pick<RegionsFile, "regions">): LocalityTable {
  const table = new Map<string, Map<string, string>>();
  for (const r of file.regions) {
    const names = new Map<string, string>();
    for (const raw of r.localities) {
      const name = raw.normalize("NFC").trim();
      const key = localityKey(name);
      const held = names.get(key);
      if (held === undefined || macrons(name) > macrons(held)) names.set(key, name);
    }
    table.set(r.code, names);
  }
  return table;
}

/**
 * The locality a community view may carry for a record naming `locality` in
 * district `district` (POLICE_DISTRICT_… or its code): the table's spelling of a
 * locality registered for that district whose key is the record's, else "". No
 * text the agency typed passes: only a name the table holds. Pure.
 */
export function disclosableLocality(table: LocalityTable, locality: string, district: string): string {
  const code = district.startsWith("POLICE_DISTRICT_") ? district.slice("POLICE_DISTRICT_".length) : district;
  return table.get(code)?.get(localityKey(locality)) ?? "";
}

/** The shipped site registry, loaded on first use. */
let shippedSites: SiteRegistry | undefined;
/** The shipped locality table (policies/data/regions.json), loaded on first use. */
let shippedLocalities: LocalityTable | undefined;

/**
 * The aggregate-only view of an event for one delivery, or null when the event
 * type has none. Built field by field from codes and numbers, never by copying
 * and removing, so nothing new in the event can leak into it; a wastewater site
 * only by the registry's name and rule (sites.ts), a locality only by the
 * locality table's name for the event's district (disclosableLocality). A
 * partner's view names its decision; a community tier's names only a random
 * delivery id (the decision id derives from the event id). Pure, given the
 * registry and the table.
 */
export function aggregateView(
  event: IntelligenceEvent,
  ids: { decisionId: string; deliveryId: string },
  sites: SiteRegistry = (shippedSites ??= loadSiteRegistry()),
  localities: LocalityTable = (shippedLocalities ??= localityTable(loadRegions())),
): AggregateView | null {
  const found = measures(event);
  if (!found) return null;
  const site = found.site ? disclosableSite(sites, found.site, event.region) : "";
  const locality = found.locality ? disclosableLocality(localities, found.locality, event.region) : "";
  const when = event.occurredAt ?? event.publishedAt;
  const week = found.week ?? (when ? isoWeekOf(when) : "");
  return AggregateView.fromPartial({
    decisionId: ids.decisionId,
    deliveryId: ids.deliveryId,
    eventType: event.eventType,
    sourceAgency: event.sourceAgency,
    region: event.region,
    week,
    measures: found.measures,
    site,
    locality,
  });
}
