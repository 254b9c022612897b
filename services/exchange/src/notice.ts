import { randomUUID } from "node:crypto";
import { CountBand, OperationPhase, SupportService, SupportNotice, type IntelligenceEvent } from "@takitini/proto";
import type { Agreement, Decision, Subscriber } from "@takitini/policies";
import { isoWeekOf } from "@takitini/runtime";

/** The event-type header of a de-identified support notice on a community tier's topic. */
export const SUPPORT_NOTICE_EVENT_TYPE = "support.notice";

/**
 * Tiers whose outputs are community outputs: never an event, never an id derived
 * from one. Their redacted views are built as notices and their aggregate views
 * carry a per-delivery random id.
 */
export const isCommunityTier = (tier: Subscriber["tier"]): boolean => tier === "community_leader" || tier === "public";
/** An international partner's tier: its views leave New Zealand over TAXII. */
export const isForeignTier = (tier: string): boolean => tier === "foreign_partner";

/** A per-delivery id: 128 random bits (UUIDv4), never derived from the event. */
export const randomDeliveryId = (): string => randomUUID();

/**
 * The bands a notice reports a count in (documented in the exchange README and
 * notice.proto). Under 6 — zero included — is one band, as the briefings'
 * primary suppression hides those counts; above it, widening bands so that a
 * figure never narrows a small town down to a household. Pure.
 */
export const COUNT_BANDS: readonly { band: CountBand; from: number; to: number }[] = [
  { band: CountBand.COUNT_BAND_FEWER_THAN_6, from: 0, to: 5 },
  { band: CountBand.COUNT_BAND_6_TO_9, from: 6, to: 9 },
  { band: CountBand.COUNT_BAND_10_TO_19, from: 10, to: 19 },
  { band: CountBand.COUNT_BAND_20_TO_49, from: 20, to: 49 },
  { band: CountBand.COUNT_BAND_50_TO_99, from: 50, to: 99 },
  { band: CountBand.COUNT_BAND_100_OR_MORE, from: 100, to: Number.POSITIVE_INFINITY },
];

/** The band a count falls in; a negative or non-finite count is treated as 0. */
export function countBand(n: number): CountBand {
  const v = Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
  return COUNT_BANDS.find((b) => v >= b.from && v <= b.to)!.band;
}

const NOTICE_PHASES: ReadonlySet<OperationPhase> = new Set([OperationPhase.OPERATION_PHASE_RESOLUTION, OperationPhase.OPERATION_PHASE_CONCLUDED]);
const SUPPORT_ORDER = Object.values(SupportService);

/**
 * The agreement a decision relied on: the subscriber's agreement whose rule is
 * among the decision's reasons and that covers the event type. The notice names
 * it instead of carrying any legal-basis text from the event.
 */
export function agreementFor(subscriber: Subscriber, decision: Pick<Decision, "reasons">, eventType: string): Agreement | undefined {
  return subscriber.agreements.find((a) => decision.reasons.includes(a.rule) && a.event_types.includes(eventType));
}

/**
 * The de-identified support notice of an event for one delivery, or null when
 * the event has no notice form (only a Police operation update at resolution or
 * conclusion has one). Built field by field from named fields — event type,
 * agency, district, the ISO week it happened, phase, Clear/Hold/Build stage,
 * banded family and child counts, support needed — never by copying the event
 * and removing parts, so no free text, subject, reference, place below a
 * district, exact count, time of day or event-derived id can reach it, and
 * nothing added to the event later passes by default. Pure.
 */
export function supportNotice(event: IntelligenceEvent, opts: { deliveryId: string; agreementId: string }): SupportNotice | null {
  const p = event.payload?.$case === "policeOperationUpdate" ? event.payload.value : undefined;
  const when = event.occurredAt ?? event.publishedAt;
  if (!p || !when || !NOTICE_PHASES.has(p.phase)) return null;
  const support = new Set(p.supportNeeded.filter((s) => s !== SupportService.SUPPORT_SERVICE_UNSPECIFIED && SUPPORT_ORDER.includes(s)));
  return SupportNotice.fromPartial({
    deliveryId: opts.deliveryId,
    eventType: event.eventType,
    sourceAgency: event.sourceAgency,
    region: event.region,
    week: isoWeekOf(when),
    phase: p.phase,
    clearHoldBuild: p.clearHoldBuild,
    familiesAffected: countBand(p.familiesAffected),
    childrenAffected: countBand(p.childrenAffected),
    supportNeeded: SUPPORT_ORDER.filter((s) => support.has(s)),
    agreementId: opts.agreementId,
  });
}

/** The event type of Police's pre-operation support notice (police.proto PoliceSupportAdvanceNotice). */
export const ADVANCE_NOTICE_EVENT_TYPE = "police.support_advance_notice";

/** An ISO week as the notice carries it; anything else in the payload's week is not copied. */
const ISO_WEEK = /^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/u;

/** A Police support advance notice: never delivered as the event, to anyone (plan.ts). */
export const isAdvanceNotice = (event: IntelligenceEvent): boolean => event.eventType === ADVANCE_NOTICE_EVENT_TYPE || event.payload?.$case === "policeSupportAdvanceNotice";

/**
 * The SupportNotice a partner allowed a Police support advance notice receives
 * (MSD and Oranga Tamariki: the policy's de-identified agreements), or null when
 * the event is not a complete one. Built field by field like `supportNotice`: event
 * type, agency, district, the ISO week of the expected action as the payload states
 * it (checked to be one), banded child and family counts, support needed, the
 * agreement's id — no phase or Clear/Hold/Build stage (the operation has none
 * yet that it may tell), and nothing of the envelope's operation reference,
 * subjects, record id, times, markings or legal-basis text, whatever they hold. Pure.
 */
export function advanceSupportNotice(event: IntelligenceEvent, opts: { deliveryId: string; agreementId: string }): SupportNotice | null {
  const p = event.payload?.$case === "policeSupportAdvanceNotice" ? event.payload.value : undefined;
  if (!p || event.eventType !== ADVANCE_NOTICE_EVENT_TYPE || !ISO_WEEK.test(p.week)) return null;
  const support = new Set(p.supportNeeded.filter((s) => s !== SupportService.SUPPORT_SERVICE_UNSPECIFIED && SUPPORT_ORDER.includes(s)));
  return SupportNotice.fromPartial({
    deliveryId: opts.deliveryId,
    eventType: ADVANCE_NOTICE_EVENT_TYPE,
    sourceAgency: event.sourceAgency,
    region: event.region,
    week: p.week,
    familiesAffected: countBand(p.familiesLikelyAffected),
    childrenAffected: countBand(p.childrenLikelyAffected),
    supportNeeded: SUPPORT_ORDER.filter((s) => support.has(s)),
    agreementId: opts.agreementId,
  });
}
