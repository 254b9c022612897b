import {
  Agency,
  AggregateView,
  DecisionRecord,
  CommunityAssessment,
  SupportNotice,
  IntelligenceEvent,
  INTEL_SCHEMA_VERSION,
  AUDIT_SCHEMA_VERSION,
  Outcome,
  View,
  SubmissionReceipt,
  LinkAlertView,
  NoticeCause,
  RecordRecipients,
  WithdrawalNotice,
  type RecordWithdrawal,
} from "@takitini/proto";
import type { Decision, DecisionInput, Subscriber } from "@takitini/policies";
import { decisionIdFor, HEADERS, headerValue, PROTOBUF_CONTENT_TYPE, continueTrace } from "@takitini/runtime";
import type { IHeaders } from "kafkajs";
import { policyInput } from "./projection.js";
import { aggregateView } from "./aggregate.js";
import { applyRedactions } from "./redaction.js";
import { communityAssessment, COMMUNITY_ASSESSMENT_EVENT_TYPE } from "./assessment.js";
import { advanceSupportNotice, agreementFor, isAdvanceNotice, isCommunityTier, isForeignTier, randomDeliveryId, supportNotice, SUPPORT_NOTICE_EVENT_TYPE } from "./notice.js";
import { agencyName, checkProvenance, type ProvenanceMismatch } from "./provenance.js";
import { DEFAULT_RECEIPTS_TOPIC, SUBMISSION_RECEIPT_EVENT_TYPE, submissionReceipt, type ReceiptOutcome } from "./receipt.js";
import {
  contributionHeldBy,
  contributionOf,
  holdingOf,
  isWithdrawal,
  recordKeyOf,
  retractionOf,
  REVISION_LEGAL_BASIS,
  REVISION_REASONS,
  revisionOf,
  revisionProblems,
  sameContribution,
  withdrawalNotice,
  WITHDRAWAL_NOTICE_EVENT_TYPE,
} from "./revision.js";
import { alertAgreementIds, LINK_ALERT_EVENT_TYPE, LINK_ALERT_VIEW_EVENT_TYPE, linkAlertOf, linkAlertProblems, linkAlertView, linkedSubjectIds } from "./link-alert.js";

/** A record as read from an agency topic. */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
}

/** A record to write, inside the transaction that consumes its source. */
export interface OutMessage {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** A record's entry in the exchange's records table (revision.ts, records.ts): key, and its new value. */
export interface RecordState {
  key: string;
  value: RecordRecipients;
}

export type Plan =
  /**
   * `receipt`: a leader's submission's receipt (in `messages` too); null for every other event.
   * `state`: the record's new entry in the records table (written in the same transaction), when it changed.
   */
  | {
      kind: "disseminate";
      eventId: string;
      messages: OutMessage[];
      decisions: DecisionRecord[];
      receipt: SubmissionReceipt | null;
      state?: RecordState;
      /** Set for a correction or a withdrawal. */
      revision?: "correction" | "withdrawal";
    }
  | { kind: "dead-letter"; reason: string; message: OutMessage; provenance?: ProvenanceMismatch };

export type Decide = (input: DecisionInput) => Decision;

/** The event-type header of an aggregate-only view on a subscriber's topic. */
export const AGGREGATE_VIEW_EVENT_TYPE = "aggregate.view";
export { SUPPORT_NOTICE_EVENT_TYPE, SUBMISSION_RECEIPT_EVENT_TYPE, LINK_ALERT_VIEW_EVENT_TYPE };

/** Reasons a record goes to the dead-letter topic. Stable prefixes; detail follows the colon. */
export const DLQ_REASONS = {
  EMPTY: "EMPTY_VALUE",
  SCHEMA: "UNSUPPORTED_SCHEMA_VERSION",
  DECODE: "DECODE_FAILED",
  INVALID: "INVALID_EVENT",
  PROVENANCE: "PROVENANCE_MISMATCH",
  /** A correction of a record its agency has withdrawn (the adapters refuse it; a race or a forgery). */
  WITHDRAWN: "RECORD_WITHDRAWN",
} as const;

const VIEW: Record<Decision["view"], View> = {
  full: View.VIEW_FULL,
  redacted: View.VIEW_REDACTED,
  aggregate_only: View.VIEW_AGGREGATE_ONLY,
  none: View.VIEW_NONE,
};

/** Decode and check an envelope; anything the exchange cannot safely decide on is an error. */
export function decodeEvent(record: SourceRecord): { ok: true; event: IntelligenceEvent } | { ok: false; reason: string } {
  if (!record.value || record.value.length === 0) return { ok: false, reason: DLQ_REASONS.EMPTY };
  const schema = headerValue(record.headers, HEADERS.SCHEMA_VERSION);
  if (schema !== undefined && schema !== INTEL_SCHEMA_VERSION) {
    return { ok: false, reason: `${DLQ_REASONS.SCHEMA}: ${schema.slice(0, 100)}` };
  }
  let event: IntelligenceEvent;
  try {
    event = IntelligenceEvent.decode(record.value);
  } catch (err) {
    return { ok: false, reason: `${DLQ_REASONS.DECODE}: ${(err as Error).message.slice(0, 200)}` };
  }
  const missing: string[] = [];
  if (!/^[0-9a-f-]{36}$/.test(event.id)) missing.push("id");
  if (event.sourceAgency === "AGENCY_UNSPECIFIED") missing.push("source_agency");
  if (event.eventType === "") missing.push("event_type");
  if (event.classification === "CLASSIFICATION_UNSPECIFIED") missing.push("classification");
  // A link alert whose records lie in two districts names none (the policy judges each record's own).
  const alertAcrossDistricts = event.sourceAgency === Agency.AGENCY_LINKAGE && event.eventType === LINK_ALERT_EVENT_TYPE;
  // A withdrawal names its record, not a district (the adapter does not hold the record's content).
  if (event.region === "POLICE_DISTRICT_UNSPECIFIED" && !alertAcrossDistricts && !isWithdrawal(event)) missing.push("region");
  if (event.payload === undefined) missing.push("payload");
  if (missing.length > 0) return { ok: false, reason: `${DLQ_REASONS.INVALID}: missing or invalid ${missing.join(", ")}` };
  return { ok: true, event };
}

/** The dead-letter reason of a provenance mismatch: agency names and the topic, never the event's content. */
export function provenanceReason(m: ProvenanceMismatch): string {
  return `${DLQ_REASONS.PROVENANCE}: event agency ${agencyName(m.eventAgency)} on topic ${m.topic}`;
}

/**
 * What a leader's submission lacks for the exchange to decide it: its
 * CommunitySubmission payload, and the reference the leader was given — the key of
 * its receipt (the receipts topic is compacted by it). Undefined for a complete one
 * and for every other event. Pure.
 */
export function submissionProblem(event: IntelligenceEvent): string | undefined {
  if (event.sourceAgency !== Agency.AGENCY_COMMUNITY) return undefined;
  if (event.payload?.$case !== "communitySubmission") return `${DLQ_REASONS.INVALID}: missing or invalid community_submission`;
  if (event.payload.value.reference.trim() === "") return `${DLQ_REASONS.INVALID}: missing or invalid community_submission.reference`;
  return undefined;
}

/**
 * What a link alert lacks for the exchange to decide it (link-alert.ts
 * linkAlertProblems: two records of different agencies with their ids and facts, a
 * known rule, a confidence from 0 to 1), as a dead-letter reason; undefined for a
 * complete one and for every other event. Pure.
 */
export function linkAlertProblem(event: IntelligenceEvent): string | undefined {
  const problems = linkAlertProblems(event);
  return problems.length === 0 ? undefined : `${DLQ_REASONS.INVALID}: missing or invalid ${problems.join(", ")}`;
}

/**
 * An event the exchange may decide: readable, published on its own agency's topic
 * and, for a leader's submission or a link alert, complete. Anything else is a dead
 * letter; a mismatch also says which agencies (checked first: a forgery is named as one).
 */
export function admitEvent(
  record: SourceRecord,
): { ok: true; event: IntelligenceEvent } | { ok: false; reason: string; provenance?: ProvenanceMismatch } {
  const decoded = decodeEvent(record);
  if (!decoded.ok) return decoded;
  const mismatch = checkProvenance(record.topic, decoded.event);
  if (mismatch) return { ok: false, reason: provenanceReason(mismatch), provenance: mismatch };
  const incomplete = submissionProblem(decoded.event) ?? linkAlertProblem(decoded.event) ?? revisionProblem(decoded.event);
  if (incomplete) return { ok: false, reason: incomplete };
  return decoded;
}

/** What a correction or withdrawal lacks (revision.ts revisionProblems), as a dead-letter reason; undefined for a complete one and every first version. Pure. */
export function revisionProblem(event: IntelligenceEvent): string | undefined {
  const problems = revisionProblems(event);
  return problems.length === 0 ? undefined : `${DLQ_REASONS.INVALID}: missing or invalid ${problems.join(", ")}`;
}

export function deadLetter(record: SourceRecord, reason: string, deadLetterTopic: string, consumer: string): OutMessage {
  const headers: Record<string, string> = {
    [HEADERS.DLQ_REASON]: reason,
    [HEADERS.DLQ_SOURCE_TOPIC]: record.topic,
    [HEADERS.DLQ_SOURCE_PARTITION]: String(record.partition),
    [HEADERS.DLQ_SOURCE_OFFSET]: record.offset,
    [HEADERS.DLQ_CONSUMER]: consumer,
  };
  const traceparent = headerValue(record.headers, HEADERS.TRACEPARENT);
  if (traceparent) headers[HEADERS.TRACEPARENT] = traceparent;
  return {
    topic: deadLetterTopic,
    key: `${record.topic}/${record.partition}/${record.offset}`,
    value: record.value ?? Buffer.alloc(0),
    headers,
  };
}

/** Evaluate the policy, failing closed if evaluation itself throws. */
export function safeDecide(decide: Decide, input: DecisionInput, revision: string): Decision {
  try {
    return decide(input);
  } catch {
    return { allow: false, view: "none", redact: [], reasons: ["exchange.policy_evaluation_failed"], legal_basis: "", policy_revision: revision };
  }
}

/**
 * The exchange's pure core: for one source record, the decision for every
 * subscriber, the view each allowed subscriber receives, and one decision
 * record per (event, subscriber) — and, for a leader's submission, one receipt
 * naming the agencies it was shared with — or, for a record it cannot read or
 * whose claimed agency is not its topic's, a dead letter (and no decision at all).
 * A link alert is decided like any event (the policy judges its two records) and
 * delivered to each allowed partner as a LinkAlertView (link-alert.ts), never as the
 * event. Everything planned for a record is written in one transaction.
 */
export function planRecord(
  record: SourceRecord,
  subscribers: readonly Subscriber[],
  decide: Decide,
  ctx: {
    auditTopic: string;
    deadLetterTopic: string;
    policyRevision: string;
    now: Date;
    consumer: string;
    receiptsTopic?: string;
    /** The records table (records.ts): who holds each record. Without it, nobody holds anything. */
    recipients?: (key: string) => RecordRecipients | undefined;
  },
): Plan {
  const admitted = admitEvent(record);
  if (!admitted.ok) {
    const { reason, provenance } = admitted;
    return { kind: "dead-letter", reason, message: deadLetter(record, reason, ctx.deadLetterTopic, ctx.consumer), ...(provenance && { provenance }) };
  }
  const event = admitted.event;
  const trace = continueTrace({
    traceparent: headerValue(record.headers, HEADERS.TRACEPARENT),
    tracestate: headerValue(record.headers, HEADERS.TRACESTATE),
  });
  // A correction or a withdrawal: who holds the record (revision.ts).
  const revision = revisionOf(event);
  const key = recordKeyOf(record.topic, event);
  const prior = revision.kind === "original" ? undefined : ctx.recipients?.(key);
  // Read again at another offset (a publish retried after its first attempt landed): decided already.
  if (revision.kind !== "original" && prior?.latestEventId === event.id) return { kind: "disseminate", eventId: event.id, messages: [], decisions: [], receipt: null };
  if (revision.kind === "withdrawal") return planWithdrawal(record, event, revision.withdrawal, key, prior, subscribers, trace, ctx);
  if (revision.kind === "correction" && prior?.withdrawn) {
    const reason = `${DLQ_REASONS.WITHDRAWN}: the record was withdrawn before this correction`;
    return { kind: "dead-letter", reason, message: deadLetter(record, reason, ctx.deadLetterTopic, ctx.consumer) };
  }
  const correction = revision.kind === "correction";
  const next = RecordRecipients.fromPartial({ latestEventId: event.id, eventType: event.eventType, withdrawn: false });
  // A link alert names no subject in its envelope: it concerns each record's linked subject.
  const alert = linkAlertOf(event);
  // A Police support advance notice is never delivered as the event: an allowed partner
  // (MSD, Oranga Tamariki) receives a SupportNotice built by allow-list (notice.ts).
  const advance = isAdvanceNotice(event);
  const subjectIds = alert ? linkedSubjectIds(event) : event.subjects.map((s) => s.entity?.value.subjectId ?? "").filter((id) => id !== "");
  const messages: OutMessage[] = [];
  const decisions: DecisionRecord[] = [];
  const outcomes: ReceiptOutcome[] = [];

  for (const subscriber of subscribers) {
    const decision = safeDecide(decide, policyInput(event, subscriber.id), ctx.policyRevision);
    const decisionId = decisionIdFor(event.id, subscriber.id);
    // A community tier never receives the event, nor an id derived from it: its
    // redacted view is a SupportNotice built by allow-list, and each of its outputs
    // carries a random delivery id that only the decision record links back.
    const community = isCommunityTier(subscriber.tier);
    // A partner allowed a link alert receives a LinkAlertView (allow-list, random delivery id), never the event;
    // a community tier never does (the policy denies it every alert; this is the second lock).
    const alertView =
      alert && !community && decision.allow && (decision.view === "full" || decision.view === "redacted")
        ? linkAlertView(event, { deliveryId: randomDeliveryId(), agreementIds: alertAgreementIds(subscriber, decision, alert) })
        : null;
    const advanceView =
      advance && !community && decision.allow && decision.view === "redacted"
        ? advanceSupportNotice(event, { deliveryId: randomDeliveryId(), agreementId: agreementFor(subscriber, decision, event.eventType)?.id ?? "" })
        : null;
    const deliveryId = alertView ? alertView.deliveryId : community && decision.allow && decision.view !== "none" ? randomDeliveryId() : "";
    const reasons = [...decision.reasons];
    // A community tier's notice or assessment goes out for a record's first version only.
    const firstOnly = <T>(built: T | null): T | null => {
      if (!correction || built === null) return built;
      reasons.push(REVISION_REASONS.NOT_RESENT);
      return null;
    };
    const notice = firstOnly(
      community && decision.allow && decision.view === "redacted"
        ? supportNotice(event, { deliveryId, agreementId: agreementFor(subscriber, decision, event.eventType)?.id ?? "" })
        : null,
    );
    // An agency's assessment: its approved text, as a CommunityAssessment built by allow-list.
    const assessment = firstOnly(
      community && decision.allow && decision.view === "redacted"
        ? communityAssessment(event, { deliveryId, agreementId: agreementFor(subscriber, decision, event.eventType)?.id ?? "" })
        : null,
    );
    // Partners' raw views go to their topic as the event (a link alert's as its
    // LinkAlertView, above); an aggregate-only view goes there as an AggregateView
    // (codes and numbers, never the event), or not at all for an event type that has
    // none; a community tier's redacted view goes as a SupportNotice, or not at all
    // for an event type that has none.
    const delivers = !community && !alert && !advance && decision.allow && (decision.view === "full" || decision.view === "redacted");
    // A partner's advance notice goes out for a record's first version only, like a community tier's notice.
    const partnerNotice = firstOnly(advanceView);
    let aggregate =
      decision.allow && decision.view === "aggregate_only"
        ? aggregateView(event, community ? { decisionId: "", deliveryId } : { decisionId, deliveryId: "" })
        : null;
    // A correction: the partner's earlier version, and the subscriber's earlier aggregate contribution.
    const held = correction ? holdingOf(prior, subscriber.id) : undefined;
    const contributed = correction ? contributionHeldBy(prior, subscriber.id) : undefined;
    const stopUsing = held !== undefined && !delivers ? randomDeliveryId() : "";
    if (stopUsing) reasons.push(REVISION_REASONS.NO_LONGER_RELEASABLE);
    let retraction: AggregateView | null = null;
    if (contributed && aggregate && sameContribution(contributed, aggregate)) {
      reasons.push(REVISION_REASONS.UNCHANGED);
      aggregate = null;
      next.community.push({ subscriberId: subscriber.id, view: contributed });
    } else {
      if (contributed) {
        reasons.push(REVISION_REASONS.RETRACTED);
        retraction = retractionOf(contributed, outputIds(community, decisionId));
      }
      if (aggregate) next.community.push({ subscriberId: subscriber.id, view: contributionOf(aggregate) });
    }
    if (delivers) next.partners.push({ subscriberId: subscriber.id, eventId: event.id });
    const communityDelivery = community && (notice !== null || assessment !== null || aggregate !== null || retraction !== null);
    const record_: DecisionRecord = {
      id: decisionId,
      eventId: event.id,
      subscriberId: subscriber.id,
      sourceAgency: event.sourceAgency,
      eventType: event.eventType,
      region: event.region,
      outcome: decision.allow ? Outcome.OUTCOME_ALLOW : Outcome.OUTCOME_DENY,
      view: VIEW[decision.view] ?? View.VIEW_NONE,
      redactedPaths: decision.redact,
      reasons,
      legalBasis: decision.allow ? decision.legal_basis : stopUsing ? REVISION_LEGAL_BASIS : "",
      policyRevision: decision.policy_revision,
      decidedAt: ctx.now,
      deliveryTopic: delivers || aggregate || notice || assessment || alertView || partnerNotice || retraction || stopUsing ? subscriber.delivery_topic : "",
      traceId: trace.traceId,
      subjectIds,
      // Set by the audit only (it seals each subject id before appending the decision to its ledger).
      sealedSubjects: [],
      sourceTopic: record.topic,
      sourcePartition: record.partition,
      sourceOffset: record.offset,
      // A community tier's new contribution's delivery id, else its retraction's; a partner's notice's.
      deliveryId: partnerNotice ? partnerNotice.deliveryId : communityDelivery || alertView ? (aggregate || notice || assessment || alertView ? deliveryId : retraction!.deliveryId) : stopUsing,
    };
    decisions.push(record_);
    outcomes.push({ subscriber, decision: record_ });

    if (delivers) {
      // Which agency system published the record is for the oversight body (the
      // ledger's publish record), never part of a partner's view. A correction names
      // the version this partner received last, and the record's first version only
      // to a partner that received one: nothing about versions it never saw.
      const view = {
        ...(decision.view === "redacted" ? applyRedactions(event, decision.redact) : event),
        publisher: "",
        supersedes: held ?? "",
        originalEventId: held !== undefined ? event.originalEventId : "",
      };
      const headers: Record<string, string> = {
        [HEADERS.EVENT_TYPE]: event.eventType,
        [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION,
        [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
        [HEADERS.TRACEPARENT]: trace.traceparent,
        [HEADERS.DECISION_ID]: decisionId,
        [HEADERS.POLICY_REVISION]: decision.policy_revision,
        [HEADERS.VIEW]: decision.view,
      };
      if (trace.tracestate) headers[HEADERS.TRACESTATE] = trace.tracestate;
      // A foreign partner's view leaves New Zealand over TAXII, whose access record names the agreement's legal basis.
      if (isForeignTier(subscriber.tier)) headers[HEADERS.LEGAL_BASIS] = decision.legal_basis;
      messages.push({ topic: subscriber.delivery_topic, key: event.id, value: Buffer.from(IntelligenceEvent.encode(view).finish()), headers });
    }
    if (alertView) {
      // Keyed by the decision id; the view and its header carry the random delivery id the decision record names.
      const headers = builtForPartner(LINK_ALERT_VIEW_EVENT_TYPE, { decisionId, deliveryId: alertView.deliveryId, policyRevision: decision.policy_revision, view: decision.view }, trace);
      messages.push({ topic: subscriber.delivery_topic, key: decisionId, value: Buffer.from(LinkAlertView.encode(alertView).finish()), headers });
    }
    if (partnerNotice) {
      // Keyed by the decision id; the notice and its header carry the random delivery id the decision record names.
      const headers = builtForPartner(SUPPORT_NOTICE_EVENT_TYPE, { decisionId, deliveryId: partnerNotice.deliveryId, policyRevision: decision.policy_revision, view: decision.view }, trace);
      messages.push({ topic: subscriber.delivery_topic, key: decisionId, value: Buffer.from(SupportNotice.encode(partnerNotice).finish()), headers });
    }
    if (stopUsing) {
      const notice_ = withdrawalNotice({ deliveryId: stopUsing, heldEventId: held!, eventType: event.eventType, event, cause: NoticeCause.NOTICE_CAUSE_NO_LONGER_RELEASABLE, now: ctx.now });
      messages.push(withdrawalNoticeMessage(subscriber.delivery_topic, notice_, decisionId, decision.policy_revision, trace));
    }
    if (retraction) messages.push(aggregateMessage(subscriber.delivery_topic, retraction, community, decisionId, decision.policy_revision, trace));
    if (aggregate || notice || assessment) {
      const headers: Record<string, string> = {
        [HEADERS.EVENT_TYPE]: notice ? SUPPORT_NOTICE_EVENT_TYPE : assessment ? COMMUNITY_ASSESSMENT_EVENT_TYPE : AGGREGATE_VIEW_EVENT_TYPE,
        [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION,
        [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
        // A community reader gets neither the publisher's trace (shared with the
        // event's other deliveries) nor the decision id (derived from the event id).
        ...(community ? { [HEADERS.DELIVERY_ID]: deliveryId } : { [HEADERS.TRACEPARENT]: trace.traceparent, [HEADERS.DECISION_ID]: decisionId }),
        [HEADERS.POLICY_REVISION]: decision.policy_revision,
        [HEADERS.VIEW]: decision.view,
      };
      // Keyed by the delivery id (community) or the decision id (a partner): the event
      // id would link the view back to the record.
      const value = notice
        ? SupportNotice.encode(notice).finish()
        : assessment
          ? CommunityAssessment.encode(assessment).finish()
          : AggregateView.encode(aggregate!).finish();
      messages.push({ topic: subscriber.delivery_topic, key: community ? deliveryId : decisionId, value: Buffer.from(value), headers });
    }
    messages.push(decisionMessage(ctx.auditTopic, record_, trace));
  }
  // A leader's submission: one receipt, with the decisions and deliveries it reports on
  // (the same transaction), keyed by the submission's reference.
  const receipt = submissionReceipt(event, outcomes, ctx.now);
  if (receipt) {
    messages.push({
      topic: ctx.receiptsTopic ?? DEFAULT_RECEIPTS_TOPIC,
      key: receipt.reference,
      value: Buffer.from(SubmissionReceipt.encode(receipt).finish()),
      headers: {
        [HEADERS.EVENT_TYPE]: SUBMISSION_RECEIPT_EVENT_TYPE,
        [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION,
        [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
        // The briefing published the submission: its own trace, continued.
        [HEADERS.TRACEPARENT]: trace.traceparent,
        [HEADERS.POLICY_REVISION]: ctx.policyRevision,
      },
    });
  }
  // A record somebody holds is remembered, and every correction is (it may have taken the record from everyone).
  const state = correction || next.partners.length > 0 || next.community.length > 0 ? { key, value: next } : undefined;
  return { kind: "disseminate", eventId: event.id, messages, decisions, receipt, ...(state && { state }), ...(correction && { revision: "correction" as const }) };
}

type Trace = ReturnType<typeof continueTrace>;

/** The ids an aggregate output carries: a community tier's a fresh random delivery id only, a partner's its decision id. */
const outputIds = (community: boolean, decisionId: string) => (community ? { decisionId: "", deliveryId: randomDeliveryId() } : { decisionId, deliveryId: "" });

/** The headers of an output the exchange builds for a partner by allow-list (a link alert's view, a withdrawal notice): its decision and its random delivery id. */
function builtForPartner(eventType: string, o: { decisionId: string; deliveryId: string; policyRevision: string; view: string }, trace: Trace): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.EVENT_TYPE]: eventType,
    [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION,
    [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
    [HEADERS.TRACEPARENT]: trace.traceparent,
    [HEADERS.DECISION_ID]: o.decisionId,
    [HEADERS.DELIVERY_ID]: o.deliveryId,
    [HEADERS.POLICY_REVISION]: o.policyRevision,
    [HEADERS.VIEW]: o.view,
  };
  if (trace.tracestate) headers[HEADERS.TRACESTATE] = trace.tracestate;
  return headers;
}

/** A withdrawal notice on a partner's topic, keyed by the decision id (view "none": it carries nothing of the record). */
function withdrawalNoticeMessage(topic: string, notice: WithdrawalNotice, decisionId: string, policyRevision: string, trace: Trace): OutMessage {
  const headers = builtForPartner(WITHDRAWAL_NOTICE_EVENT_TYPE, { decisionId, deliveryId: notice.deliveryId, policyRevision, view: "none" }, trace);
  return { topic, key: decisionId, value: Buffer.from(WithdrawalNotice.encode(notice).finish()), headers };
}

/** An aggregate view (a retraction here) as its subscriber's topic takes it: a community tier's by its random delivery id only. */
function aggregateMessage(topic: string, view: AggregateView, community: boolean, decisionId: string, policyRevision: string, trace: Trace): OutMessage {
  const headers: Record<string, string> = {
    [HEADERS.EVENT_TYPE]: AGGREGATE_VIEW_EVENT_TYPE,
    [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION,
    [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
    ...(community ? { [HEADERS.DELIVERY_ID]: view.deliveryId } : { [HEADERS.TRACEPARENT]: trace.traceparent, [HEADERS.DECISION_ID]: decisionId }),
    [HEADERS.POLICY_REVISION]: policyRevision,
    [HEADERS.VIEW]: "aggregate_only",
  };
  return { topic, key: community ? view.deliveryId : decisionId, value: Buffer.from(AggregateView.encode(view).finish()), headers };
}

/** The audit topic's copy of a decision record. */
function decisionMessage(auditTopic: string, d: DecisionRecord, trace: Trace): OutMessage {
  return {
    topic: auditTopic,
    key: d.eventId,
    value: Buffer.from(DecisionRecord.encode(d).finish()),
    headers: {
      [HEADERS.EVENT_TYPE]: "audit.decision",
      [HEADERS.SCHEMA_VERSION]: AUDIT_SCHEMA_VERSION,
      [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
      [HEADERS.TRACEPARENT]: trace.traceparent,
      [HEADERS.DECISION_ID]: d.id,
    },
  };
}

/**
 * A withdrawal: not a policy question (it discloses nothing new), but the
 * exchange's — every partner holding a version of the record gets a notice, every
 * aggregate contribution from it is taken back, and every subscriber gets a
 * decision record saying which (REVISION_REASONS), so the ledger shows who was told.
 */
function planWithdrawal(
  record: SourceRecord,
  event: IntelligenceEvent,
  withdrawal: RecordWithdrawal,
  key: string,
  prior: RecordRecipients | undefined,
  subscribers: readonly Subscriber[],
  trace: Trace,
  ctx: { auditTopic: string; policyRevision: string; now: Date },
): Plan {
  const messages: OutMessage[] = [];
  const decisions: DecisionRecord[] = [];
  const recordType = prior?.eventType ?? "";
  for (const subscriber of subscribers) {
    const decisionId = decisionIdFor(event.id, subscriber.id);
    const community = isCommunityTier(subscriber.tier);
    const held = holdingOf(prior, subscriber.id);
    const contributed = contributionHeldBy(prior, subscriber.id);
    const reasons: string[] = [];
    let deliveryId = "";
    if (held !== undefined) {
      reasons.push(REVISION_REASONS.WITHDRAWN_NOTICE);
      deliveryId = randomDeliveryId();
      const notice = withdrawalNotice({ deliveryId, heldEventId: held, eventType: recordType, event, cause: NoticeCause.NOTICE_CAUSE_WITHDRAWN, withdrawal, now: ctx.now });
      messages.push(withdrawalNoticeMessage(subscriber.delivery_topic, notice, decisionId, ctx.policyRevision, trace));
    }
    if (contributed) {
      reasons.push(REVISION_REASONS.WITHDRAWN_RETRACTION);
      const retraction = retractionOf(contributed, outputIds(community, decisionId));
      if (community) deliveryId = retraction.deliveryId;
      messages.push(aggregateMessage(subscriber.delivery_topic, retraction, community, decisionId, ctx.policyRevision, trace));
    }
    const told = held !== undefined || contributed !== undefined;
    if (!told) reasons.push(REVISION_REASONS.NOT_A_RECIPIENT);
    const d: DecisionRecord = {
      id: decisionId,
      eventId: event.id,
      subscriberId: subscriber.id,
      sourceAgency: event.sourceAgency,
      eventType: event.eventType,
      region: event.region,
      outcome: told ? Outcome.OUTCOME_ALLOW : Outcome.OUTCOME_DENY,
      view: held !== undefined ? View.VIEW_NONE : contributed ? View.VIEW_AGGREGATE_ONLY : View.VIEW_NONE,
      redactedPaths: [],
      reasons,
      legalBasis: told ? REVISION_LEGAL_BASIS : "",
      policyRevision: ctx.policyRevision,
      decidedAt: ctx.now,
      deliveryTopic: told ? subscriber.delivery_topic : "",
      traceId: trace.traceId,
      subjectIds: [],
      sealedSubjects: [],
      sourceTopic: record.topic,
      sourcePartition: record.partition,
      sourceOffset: record.offset,
      deliveryId,
    };
    decisions.push(d);
    messages.push(decisionMessage(ctx.auditTopic, d, trace));
  }
  const value = RecordRecipients.fromPartial({ latestEventId: event.id, eventType: recordType, withdrawn: true });
  return { kind: "disseminate", eventId: event.id, messages, decisions, receipt: null, state: { key, value }, revision: "withdrawal" };
}
