import { CommunityAssessment, type IntelligenceEvent } from "@takitini/proto";

/** The event-type header of an agency assessment on a community tier's topic. */
export const COMMUNITY_ASSESSMENT_EVENT_TYPE = "community.assessment";

/**
 * The community form of an agency's assessment for one delivery, or null when
 * the event is not an assessment or carries no approval (the policy denies a
 * community tier an unapproved one; this is the second lock). Built field by
 * field from named fields — event type, agency, district, title, period, the
 * text written for leaders, key points, recommended actions, the approver's
 * role and the approval reference — never by copying the event, so no event id,
 * native record id, markings, legal-basis text, subject or approval time reaches
 * it, and nothing added to the event later passes by default. Pure.
 */
export function communityAssessment(event: IntelligenceEvent, opts: { deliveryId: string; agreementId: string }): CommunityAssessment | null {
  const p = event.payload?.$case === "regionalAssessment" ? event.payload.value : undefined;
  if (!p?.approval) return null;
  return CommunityAssessment.fromPartial({
    deliveryId: opts.deliveryId,
    eventType: event.eventType,
    sourceAgency: event.sourceAgency,
    region: event.region,
    title: p.title,
    periodStart: p.periodStart,
    periodEnd: p.periodEnd,
    body: p.body,
    keyPoints: [...p.keyPoints],
    recommendedActions: [...p.recommendedActions],
    approverRole: p.approval.approverRole,
    approvalRef: p.approval.approvalRef,
    agreementId: opts.agreementId,
  });
}
