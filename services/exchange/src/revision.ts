import { AggregateView, NoticeCause, RecordRecipients, WithdrawalNotice, WithdrawalReason, type IntelligenceEvent, type RecordWithdrawal } from "@takitini/proto";

/**
 * Corrections and withdrawals (proto/takitini/intel/v1/revision.proto): what the
 * exchange needs to tell everyone who received a record when the agency corrects
 * or withdraws it. Pure.
 *
 * The exchange remembers, per record, who holds which version
 * (`RecordRecipients`, on its compacted records topic, records.ts): each partner
 * that received a view, and each subscriber's aggregate contribution (codes and
 * numbers). A correction is decided afresh by the policy for every subscriber;
 * a partner that held an earlier version but is not released the correction gets
 * a `WithdrawalNotice`; an aggregate contribution that changed is taken back
 * (`AggregateView.retraction`) before the new one is added. A withdrawal sends a
 * notice to every partner holding the record and takes back every aggregate
 * contribution.
 */

/** Event type of a withdrawal (payload RecordWithdrawal). */
export const WITHDRAWAL_EVENT_TYPE = "record.withdrawal";
/** The event-type header of a withdrawal notice on a partner's topic. */
export const WITHDRAWAL_NOTICE_EVENT_TYPE = "record.withdrawal_notice";

/** Reasons the exchange itself gives in the decision records of corrections and withdrawals. Stable. */
export const REVISION_REASONS = {
  /** A withdrawal: this subscriber held the record and is told it is withdrawn. */
  WITHDRAWN_NOTICE: "exchange.withdrawal_notice_to_recipient",
  /** A withdrawal: this subscriber's aggregate contribution from the record is taken back. */
  WITHDRAWN_RETRACTION: "exchange.withdrawal_retracts_aggregate",
  /** A withdrawal: this subscriber never held the record; nothing is sent. */
  NOT_A_RECIPIENT: "exchange.withdrawal_not_a_recipient",
  /** A correction the policy does not release to a partner that held an earlier version: it is told to stop using it. */
  NO_LONGER_RELEASABLE: "exchange.correction_withdrawal_notice",
  /** A correction changed (or removed) this subscriber's aggregate contribution: the earlier one is taken back. */
  RETRACTED: "exchange.correction_retracts_aggregate",
  /** A correction left this subscriber's aggregate contribution as it was: nothing is sent. */
  UNCHANGED: "exchange.correction_aggregate_unchanged",
  /** A community tier's notice or assessment is sent once, for the first version only. */
  NOT_RESENT: "exchange.correction_community_notice_not_resent",
} as const;

/**
 * The legal basis of a withdrawal notice and of a retraction: telling those the
 * information was disclosed to that it was corrected or withdrawn.
 */
export const REVISION_LEGAL_BASIS = "Privacy Act 2020, s 22, information privacy principle 7 (correction of personal information): those it was disclosed to are told";

export type Revision =
  | { kind: "original" }
  | { kind: "correction"; original: string; supersedes: string }
  | { kind: "withdrawal"; original: string; withdrawal: RecordWithdrawal };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the event is to its record: a first version, a correction, or a withdrawal. */
export function revisionOf(event: IntelligenceEvent): Revision {
  if (event.payload?.$case === "recordWithdrawal") return { kind: "withdrawal", original: event.originalEventId, withdrawal: event.payload.value };
  if (event.supersedes !== "") return { kind: "correction", original: event.originalEventId, supersedes: event.supersedes };
  return { kind: "original" };
}

/** A withdrawal claims to be one by its type and its payload; either alone is malformed. */
export const isWithdrawal = (event: Pick<IntelligenceEvent, "eventType" | "payload">): boolean =>
  event.eventType === WITHDRAWAL_EVENT_TYPE || event.payload?.$case === "recordWithdrawal";

/**
 * What a correction or a withdrawal lacks for the exchange to decide it, as
 * field names; empty for a complete one and for every first version. A first
 * version names no original; a correction names the version it corrects and the
 * record's first version (well-formed ids, not itself); a withdrawal has its
 * type, its payload, the version withdrawn and a reason.
 */
export function revisionProblems(event: IntelligenceEvent): string[] {
  const problems: string[] = [];
  const withdrawal = isWithdrawal(event);
  if (event.supersedes === "" && !withdrawal) {
    if (event.originalEventId !== "") problems.push("original_event_id");
    return problems;
  }
  if (!UUID.test(event.originalEventId) || event.originalEventId === event.id) problems.push("original_event_id");
  if (withdrawal) {
    if (event.eventType !== WITHDRAWAL_EVENT_TYPE) problems.push("event_type");
    if (event.supersedes !== "") problems.push("supersedes");
    if (event.payload?.$case !== "recordWithdrawal") problems.push("record_withdrawal");
    else {
      if (!UUID.test(event.payload.value.withdrawnEventId)) problems.push("record_withdrawal.withdrawn_event_id");
      if (event.payload.value.reason === WithdrawalReason.WITHDRAWAL_REASON_UNSPECIFIED) problems.push("record_withdrawal.reason");
    }
  } else if (!UUID.test(event.supersedes) || event.supersedes === event.id) problems.push("supersedes");
  return problems;
}

/**
 * The key of a record's entry in the exchange's records table: its source topic
 * and its first version's id. The topic is part of it, so an event on one
 * agency's topic can never reach the recipients of another agency's record
 * whatever ids it names (the topic is the evidence of who wrote it: provenance.ts).
 */
export const recordKeyOf = (topic: string, event: Pick<IntelligenceEvent, "id" | "originalEventId">): string => `${topic}/${event.originalEventId || event.id}`;

/** A contribution as remembered and compared: its codes and numbers, without ids or the retraction flag. */
export function contributionOf(view: AggregateView): AggregateView {
  return AggregateView.fromPartial({ ...view, decisionId: "", deliveryId: "", retraction: false });
}

/** Whether two contributions add the same figures (ids ignored). */
export function sameContribution(a: AggregateView, b: AggregateView): boolean {
  const bytes = (v: AggregateView) => Buffer.from(AggregateView.encode(contributionOf(v)).finish());
  return bytes(a).equals(bytes(b));
}

/** The retraction of a contribution: the same codes and values, flagged, under the given ids. */
export function retractionOf(contribution: AggregateView, ids: { decisionId: string; deliveryId: string }): AggregateView {
  return AggregateView.fromPartial({ ...contribution, decisionId: ids.decisionId, deliveryId: ids.deliveryId, retraction: true });
}

/**
 * The notice a partner holding `heldEventId` receives, built field by field:
 * which record and version, whose, why — never the record's content, and for a
 * correction it may not see nothing about the correction.
 */
export function withdrawalNotice(opts: {
  deliveryId: string;
  heldEventId: string;
  eventType: string;
  event: Pick<IntelligenceEvent, "sourceAgency">;
  cause: NoticeCause;
  withdrawal?: RecordWithdrawal;
  now: Date;
}): WithdrawalNotice {
  const withdrawn = opts.cause === NoticeCause.NOTICE_CAUSE_WITHDRAWN && opts.withdrawal;
  return WithdrawalNotice.fromPartial({
    deliveryId: opts.deliveryId,
    eventId: opts.heldEventId,
    eventType: opts.eventType,
    sourceAgency: opts.event.sourceAgency,
    cause: opts.cause,
    reason: withdrawn ? opts.withdrawal!.reason : WithdrawalReason.WITHDRAWAL_REASON_UNSPECIFIED,
    explanation: withdrawn ? opts.withdrawal!.explanation.slice(0, 1000) : "",
    noticedAt: opts.now,
  });
}

/** Which version a subscriber holds, if any. */
export const holdingOf = (prior: RecordRecipients | undefined, subscriberId: string): string | undefined => prior?.partners.find((p) => p.subscriberId === subscriberId)?.eventId;

/** A subscriber's remembered aggregate contribution, if any. */
export const contributionHeldBy = (prior: RecordRecipients | undefined, subscriberId: string): AggregateView | undefined =>
  prior?.community.find((c) => c.subscriberId === subscriberId)?.view;

/** Encode a table entry (sorted, so the same holdings give the same bytes). */
export function encodeRecipients(r: RecordRecipients): Buffer {
  const sorted = RecordRecipients.fromPartial({
    ...r,
    partners: [...r.partners].sort((a, b) => a.subscriberId.localeCompare(b.subscriberId)),
    community: [...r.community].sort((a, b) => a.subscriberId.localeCompare(b.subscriberId)),
  });
  return Buffer.from(RecordRecipients.encode(sorted).finish());
}
