import { AggregateView, IntelligenceEvent } from "@takitini/proto";
import { HEADERS, headerValue, isoWeekOf } from "@takitini/runtime";
import type { IHeaders } from "kafkajs";
import { isWeek } from "./periods.js";
import { regionByDistrict } from "./regions.js";

/**
 * What the briefing takes from a community tier's topic, and nothing more:
 * from an aggregate view, its codes and numbers; from a de-identified support
 * notice, its phase, the families and children affected and the support
 * needed. Every other field — including anything a future change to the
 * exchange might let through — is never read. Pure.
 */

/** The `event-type` header of an aggregate-only view (the exchange's AGGREGATE_VIEW_EVENT_TYPE). */
export const AGGREGATE_VIEW_EVENT_TYPE = "aggregate.view";
export const SUPPORT_NOTICE_EVENT_TYPE = "police.operation_update";

export interface Measure {
  measure: string;
  category: string;
  value: number;
}

export interface AggregateInput {
  kind: "aggregate";
  decisionId: string;
  eventType: string;
  /** Region code, e.g. "EASTERN". */
  region: string;
  week: string;
  measures: Measure[];
  /** A wastewater treatment site the exchange's site registry let through (its name), else absent. */
  site?: string;
}

export interface NoticeInput {
  kind: "notice";
  decisionId: string;
  region: string;
  week: string;
  phase: "resolution" | "concluded";
  stage: "clear" | "hold" | "build" | "unspecified";
  families: number;
  children: number;
  support: string[];
}

export type Input = AggregateInput | NoticeInput;

export type Decoded = { ok: true; input: Input } | { ok: false; reason: string };

const code = (value: string, prefix: string) => (value.startsWith(prefix) ? value.slice(prefix.length) : value).toLowerCase();
const CODE = /^[a-z][a-z0-9_]{0,39}$/;
/** A site name as the exchange's registry writes it: letters, digits, spaces and ( ) . ' ’ - only. */
const SITE = /^[\p{L}\p{M}\p{N} ().'’-]{1,100}$/u;
const count = (n: number) => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

export function decodeInput(value: Buffer | null, headers: IHeaders | undefined): Decoded {
  if (!value || value.length === 0) return { ok: false, reason: "EMPTY_VALUE" };
  const type = headerValue(headers, HEADERS.EVENT_TYPE);
  const view = headerValue(headers, HEADERS.VIEW);
  const decisionId = headerValue(headers, HEADERS.DECISION_ID) ?? "";
  if (type === AGGREGATE_VIEW_EVENT_TYPE) {
    if (view !== "aggregate_only") return { ok: false, reason: "UNEXPECTED_VIEW" };
    let v: AggregateView;
    try {
      v = AggregateView.decode(value);
    } catch {
      return { ok: false, reason: "DECODE_FAILED" };
    }
    const region = regionByDistrict(v.region);
    const id = v.decisionId || decisionId;
    if (!id || !region || !isWeek(v.week) || !CODE.test(v.eventType.replace(".", "_"))) return { ok: false, reason: "INVALID_AGGREGATE" };
    const measures = v.measures
      .filter((m) => CODE.test(m.measure) && (m.category === "" || CODE.test(m.category)) && Number.isFinite(m.value) && m.value >= 0)
      .map((m) => ({ measure: m.measure, category: m.category, value: m.value }));
    const site = v.site.normalize("NFC");
    return { ok: true, input: { kind: "aggregate", decisionId: id, eventType: v.eventType, region: region.code, week: v.week, measures, ...(SITE.test(site) && { site }) } };
  }
  if (type === SUPPORT_NOTICE_EVENT_TYPE) {
    // Only the de-identified notice: a community topic never carries anything else.
    if (view !== "redacted") return { ok: false, reason: "UNEXPECTED_VIEW" };
    let e: IntelligenceEvent;
    try {
      e = IntelligenceEvent.decode(value);
    } catch {
      return { ok: false, reason: "DECODE_FAILED" };
    }
    const region = regionByDistrict(e.region);
    const p = e.payload?.$case === "policeOperationUpdate" ? e.payload.value : undefined;
    const when = e.occurredAt ?? e.publishedAt;
    if (!decisionId || !region || !p || !when) return { ok: false, reason: "INVALID_NOTICE" };
    const phase = code(p.phase, "OPERATION_PHASE_");
    if (phase !== "resolution" && phase !== "concluded") return { ok: false, reason: "INVALID_NOTICE" };
    const stage = code(p.clearHoldBuild, "CLEAR_HOLD_BUILD_PHASE_");
    return {
      ok: true,
      input: {
        kind: "notice",
        decisionId,
        region: region.code,
        week: isoWeekOf(when),
        phase,
        stage: stage === "clear" || stage === "hold" || stage === "build" ? stage : "unspecified",
        families: count(p.familiesAffected),
        children: count(p.childrenAffected),
        support: [...new Set(p.supportNeeded.map((s) => code(s, "SUPPORT_SERVICE_")).filter((s) => CODE.test(s) && s !== "unspecified"))].sort(),
      },
    };
  }
  return { ok: false, reason: "UNKNOWN_EVENT_TYPE" };
}
