import { Agency, Outcome, SubmissionReceipt, type DecisionRecord, type IntelligenceEvent } from "@takitini/proto";
import type { Subscriber } from "@takitini/policies";

/** The event-type header of a submission's receipt on the receipts topic. */
export const SUBMISSION_RECEIPT_EVENT_TYPE = "community.submission_receipt";

/** Where receipts go unless RECEIPTS_TOPIC says otherwise (read by the briefing service alone; compacted, keyed by reference). */
export const DEFAULT_RECEIPTS_TOPIC = "takitini.community-receipts.v1";

/** Agencies a partner's registry code may name: the proto's, less the unspecified one, COMMUNITY and LINKAGE (never partners). */
const PARTNER_AGENCIES: ReadonlySet<string> = new Set(
  Object.values(Agency).filter((a) => a !== Agency.AGENCY_UNSPECIFIED && a !== Agency.AGENCY_COMMUNITY && a !== Agency.AGENCY_LINKAGE),
);

/**
 * A partner's agency as the receipt names it: its registry code (`"MBIE"`) as the
 * proto enum (`AGENCY_MBIE`). A partner whose code the contract has no value for yet
 * (say a new `IR`) is `AGENCY_UNSPECIFIED` — "another agency": the receipt must not
 * leave out that it was shared, and cannot name what the proto does not know. Pure.
 */
export function receiptAgency(code: string | undefined): Agency {
  const agency = `AGENCY_${code ?? ""}`;
  return PARTNER_AGENCIES.has(agency) ? (agency as Agency) : Agency.AGENCY_UNSPECIFIED;
}

/** One subscriber's decision on the submission, as the planner made it. */
export interface ReceiptOutcome {
  subscriber: Pick<Subscriber, "tier" | "agency">;
  decision: Pick<DecisionRecord, "outcome" | "deliveryTopic">;
}

/**
 * The receipt of a leader's submission: whom the sharing policy released it to, for
 * the leader's status page. Null for any event that is not a submission (not from
 * COMMUNITY, or without a CommunitySubmission payload). `shared_with` is the distinct
 * agencies of the partner agencies whose decision allowed a view that was delivered
 * (an allow that delivers nothing — an aggregate-only view of a type with none — is
 * not sharing), sorted by name; never a community tier, never a view, reason, rule,
 * decision or event id. `decided_at` is the decisions' time. Built field by field. Pure.
 */
export function submissionReceipt(event: IntelligenceEvent, outcomes: readonly ReceiptOutcome[], decidedAt: Date): SubmissionReceipt | null {
  const p = event.payload?.$case === "communitySubmission" ? event.payload.value : undefined;
  if (!p || event.sourceAgency !== Agency.AGENCY_COMMUNITY) return null;
  const shared = outcomes
    .filter((o) => o.subscriber.tier === "partner_agency" && o.decision.outcome === Outcome.OUTCOME_ALLOW && o.decision.deliveryTopic !== "")
    .map((o) => receiptAgency(o.subscriber.agency));
  return SubmissionReceipt.fromPartial({
    reference: p.reference,
    subscriberId: p.subscriberId,
    sharedWith: [...new Set(shared)].sort(),
    decidedAt,
  });
}
