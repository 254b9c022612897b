import { AggregateView, CommunityAssessment, CountBand, SupportNotice } from "@takitini/proto";
import { HEADERS, headerValue } from "@takitini/runtime";
import type { IHeaders } from "kafkajs";
import { registeredLocality } from "./localities.js";
import { isWeek } from "./periods.js";
import { regionByDistrict } from "./regions.js";

/**
 * What the briefing takes from a community tier's topic, and nothing more:
 * from an aggregate view, its codes and numbers (and a wastewater site or a
 * locality, each only as its registry names it); from a de-identified support
 * notice (a SupportNotice the exchange built by allow-list), its week, phase,
 * stage, the bands of families and children affected and the support needed;
 * from an agency assessment (a CommunityAssessment the exchange built by
 * allow-list once the policy had checked the agency's approval), its agency,
 * title, period, text, key points, recommended actions and approval reference.
 * Every other field — including anything a future change to the exchange
 * might let through — is never read. Pure.
 */

/** The `event-type` header of an aggregate-only view (the exchange's AGGREGATE_VIEW_EVENT_TYPE). */
export const AGGREGATE_VIEW_EVENT_TYPE = "aggregate.view";
/** The `event-type` header of a de-identified support notice (the exchange's SUPPORT_NOTICE_EVENT_TYPE). */
export const SUPPORT_NOTICE_EVENT_TYPE = "support.notice";

/** A notice's count bands (notice.proto CountBand), as codes; "fewer_than_6" is suppressed wherever shown. */
export const BANDS = ["fewer_than_6", "6_to_9", "10_to_19", "20_to_49", "50_to_99", "100_or_more"] as const;
export type Band = (typeof BANDS)[number];

export interface Measure {
  measure: string;
  category: string;
  value: number;
}

export interface AggregateInput {
  kind: "aggregate";
  /** The delivery's id: a community output's random delivery id (a partner's decision id on older records). Counts once. */
  deliveryId: string;
  eventType: string;
  /** Region code, e.g. "EASTERN". */
  region: string;
  week: string;
  measures: Measure[];
  /** A wastewater treatment site the exchange's site registry let through (its name), else absent. */
  site?: string;
  /** The town or suburb the record names, when it is a locality registered for the region (the locality table's spelling), else absent. */
  locality?: string;
  /**
   * Set when the view takes back an earlier contribution of a record that was
   * corrected or withdrawn (AggregateView.retraction): the same codes and
   * values, subtracted once from every cell they were added to (store.ts).
   */
  retraction?: true;
}

export interface NoticeInput {
  kind: "notice";
  /** The notice's random delivery id. */
  deliveryId: string;
  region: string;
  week: string;
  phase: "resolution" | "concluded";
  stage: "clear" | "hold" | "build" | "unspecified";
  families: Band;
  children: Band;
  support: string[];
}

/** The `event-type` header of an agency assessment (the exchange's COMMUNITY_ASSESSMENT_EVENT_TYPE). */
export const COMMUNITY_ASSESSMENT_EVENT_TYPE = "community.assessment";

export interface AssessmentInput {
  kind: "assessment";
  /** The assessment's random delivery id. */
  deliveryId: string;
  region: string;
  /** The agency that wrote and approved it, as a code: "police". */
  agency: string;
  title: string;
  /** ISO dates. */
  periodStart: string;
  periodEnd: string;
  body: string;
  keyPoints: string[];
  recommendedActions: string[];
  approverRole: string;
  approvalRef: string;
}

export type Input = AggregateInput | NoticeInput | AssessmentInput;

export type Decoded = { ok: true; input: Input } | { ok: false; reason: string };

const code = (value: string, prefix: string) => (value.startsWith(prefix) ? value.slice(prefix.length) : value).toLowerCase();
const CODE = /^[a-z][a-z0-9_]{0,39}$/;
/** A site name as the exchange's registry writes it: letters, digits, spaces and ( ) . ' ’ - only. */
const SITE = /^[\p{L}\p{M}\p{N} ().'’-]{1,100}$/u;
const band = (b: CountBand): Band | undefined => BANDS.find((x) => x === code(b, "COUNT_BAND_"));

export function decodeInput(value: Buffer | null, headers: IHeaders | undefined): Decoded {
  if (!value || value.length === 0) return { ok: false, reason: "EMPTY_VALUE" };
  const type = headerValue(headers, HEADERS.EVENT_TYPE);
  const view = headerValue(headers, HEADERS.VIEW);
  const headerId = headerValue(headers, HEADERS.DELIVERY_ID) ?? headerValue(headers, HEADERS.DECISION_ID) ?? "";
  if (type === AGGREGATE_VIEW_EVENT_TYPE) {
    if (view !== "aggregate_only") return { ok: false, reason: "UNEXPECTED_VIEW" };
    let v: AggregateView;
    try {
      v = AggregateView.decode(value);
    } catch {
      return { ok: false, reason: "DECODE_FAILED" };
    }
    const region = regionByDistrict(v.region);
    const id = v.deliveryId || v.decisionId || headerId;
    if (!id || !region || !isWeek(v.week) || !CODE.test(v.eventType.replace(".", "_"))) return { ok: false, reason: "INVALID_AGGREGATE" };
    const measures = v.measures
      .filter((m) => CODE.test(m.measure) && (m.category === "" || CODE.test(m.category)) && Number.isFinite(m.value) && m.value >= 0)
      .map((m) => ({ measure: m.measure, category: m.category, value: m.value }));
    const site = v.site.normalize("NFC");
    // A locality only as the locality table names it for this region (localities.ts): never any other text.
    const locality = registeredLocality(region.code, v.locality);
    return {
      ok: true,
      input: {
        kind: "aggregate",
        deliveryId: id,
        eventType: v.eventType,
        region: region.code,
        week: v.week,
        measures,
        ...(SITE.test(site) && { site }),
        ...(locality !== undefined && { locality }),
        // A retraction is validated as any view: its measures that fail are dropped, as they were when added.
        ...(v.retraction && { retraction: true as const }),
      },
    };
  }
  if (type === SUPPORT_NOTICE_EVENT_TYPE) {
    // Only the de-identified notice: a community topic never carries an event.
    if (view !== "redacted") return { ok: false, reason: "UNEXPECTED_VIEW" };
    let n: SupportNotice;
    try {
      n = SupportNotice.decode(value);
    } catch {
      return { ok: false, reason: "DECODE_FAILED" };
    }
    const region = regionByDistrict(n.region);
    const id = n.deliveryId || headerId;
    const families = band(n.familiesAffected);
    const children = band(n.childrenAffected);
    if (!id || !region || !isWeek(n.week) || !families || !children) return { ok: false, reason: "INVALID_NOTICE" };
    const phase = code(n.phase, "OPERATION_PHASE_");
    if (phase !== "resolution" && phase !== "concluded") return { ok: false, reason: "INVALID_NOTICE" };
    const stage = code(n.clearHoldBuild, "CLEAR_HOLD_BUILD_PHASE_");
    return {
      ok: true,
      input: {
        kind: "notice",
        deliveryId: id,
        region: region.code,
        week: n.week,
        phase,
        stage: stage === "clear" || stage === "hold" || stage === "build" ? stage : "unspecified",
        families,
        children,
        support: [...new Set(n.supportNeeded.map((s) => code(s, "SUPPORT_SERVICE_")).filter((s) => CODE.test(s) && s !== "unspecified"))].sort(),
      },
    };
  }
  if (type === COMMUNITY_ASSESSMENT_EVENT_TYPE) return decodeAssessment(value, view, headerId);
  return { ok: false, reason: "UNKNOWN_EVENT_TYPE" };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// C0 and C1 controls but line feed (the body keeps its paragraphs).
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/gu;
/** Text as the page may show it (escaped there): NFC, no control characters, trimmed, at most `max` characters. */
const clean = (s: string, max: number) => s.normalize("NFC").replace(CONTROL, "").trim().slice(0, max);
const cleanList = (xs: readonly string[], max: number) => xs.slice(0, 10).map((x) => clean(x, max)).filter((x) => x !== "");

function decodeAssessment(value: Buffer, view: string | undefined, headerId: string): Decoded {
  // The exchange sends an assessment only under a de-identified (redacted) agreement.
  if (view !== "redacted") return { ok: false, reason: "UNEXPECTED_VIEW" };
  let a: CommunityAssessment;
  try {
    a = CommunityAssessment.decode(value);
  } catch {
    return { ok: false, reason: "DECODE_FAILED" };
  }
  const region = regionByDistrict(a.region);
  const id = a.deliveryId || headerId;
  const agency = code(a.sourceAgency, "AGENCY_");
  const title = clean(a.title, 160);
  const body = clean(a.body, 8000);
  const approvalRef = clean(a.approvalRef, 64);
  if (!id || !region || !CODE.test(agency) || agency === "unspecified" || !title || !body || !approvalRef || !ISO_DATE.test(a.periodStart) || !ISO_DATE.test(a.periodEnd)) {
    return { ok: false, reason: "INVALID_ASSESSMENT" };
  }
  return {
    ok: true,
    input: {
      kind: "assessment",
      deliveryId: id,
      region: region.code,
      agency,
      title,
      periodStart: a.periodStart,
      periodEnd: a.periodEnd,
      body,
      keyPoints: cleanList(a.keyPoints, 400),
      recommendedActions: cleanList(a.recommendedActions, 400),
      approverRole: clean(a.approverRole, 100),
      approvalRef,
    },
  };
}
