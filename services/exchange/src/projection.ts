import { SubmissionTopic, type IntelligenceEvent, type Subject } from "@takitini/proto";
import type { DecisionInput, SubjectShape } from "@takitini/policies";

/** "AGENCY_POLICE" → "POLICE": the policy speaks bare codes, not proto enum names. */
export function enumCode(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

/** A commodity code, "" when unspecified (a consignment may not know what it holds). */
const commodity = (value: string) => (value === "COMMODITY_UNSPECIFIED" ? "" : enumCode(value, "COMMODITY_"));

/**
 * What an event concerns, where its payload says: a noting's crime activity, the
 * commodity of a border seizure, suspicious consignment or wastewater reading, the
 * topic of a leader's submission ("" when it has none: a support need, feedback).
 */
export function activityOf(event: IntelligenceEvent): string {
  const payload = event.payload;
  switch (payload?.$case) {
    case "policeNoting":
      return enumCode(payload.value.activity, "ORGANISED_CRIME_ACTIVITY_");
    case "policeWastewaterIndicator":
      return commodity(payload.value.drug);
    case "customsBorderSeizure":
      return commodity(payload.value.commodity);
    case "customsSuspiciousConsignment":
      return commodity(payload.value.suspectedCommodity);
    case "communitySubmission":
      return payload.value.topic === SubmissionTopic.SUBMISSION_TOPIC_UNSPECIFIED ? "" : enumCode(payload.value.topic, "SUBMISSION_TOPIC_");
    default:
      return "";
  }
}

/** An operation update's phase ("UNSPECIFIED" if it has none, which the policy refuses); "" for other events. */
export function operationPhaseOf(event: IntelligenceEvent): string {
  return event.payload?.$case === "policeOperationUpdate" ? enumCode(event.payload.value.phase, "OPERATION_PHASE_") : "";
}

/**
 * A subject as the policy sees it: kind, a person's role and whether a minor.
 * Kept for every subject, in envelope order (an empty one as kind ""), so the
 * policy's `subjects[n]` paths point where they should.
 */
export function subjectShape(subject: Subject): SubjectShape {
  const entity = subject.entity;
  switch (entity?.$case) {
    case "person":
      return { kind: "PERSON", role: enumCode(entity.value.role, "SUBJECT_ROLE_"), minor: entity.value.isMinor };
    case "organisation":
      return { kind: "ORGANISATION", role: "", minor: false };
    case "vehicle":
      return { kind: "VEHICLE", role: "", minor: false };
    default:
      return { kind: "", role: "", minor: false };
  }
}

/** Free text in the payload that may name people. */
function hasNarrative(event: IntelligenceEvent): boolean {
  const payload = event.payload;
  switch (payload?.$case) {
    case "policeNoting":
    case "policeOperationUpdate":
      return payload.value.summary.length > 0;
    // A leader's words, and the place they name (which may be a street or a house):
    // personal information by default.
    case "communitySubmission":
      return payload.value.text.length > 0 || payload.value.locality.length > 0;
    default:
      return false;
  }
}

/**
 * The policy-relevant projection of an event: only what the policy decides on,
 * never names, numbers or subject ids. Pure.
 */
export function policyInput(event: IntelligenceEvent, subscriberId: string): DecisionInput {
  const subjects = event.subjects.map(subjectShape);
  const subjectKinds = [...new Set(subjects.map((s) => s.kind).filter((k) => k !== ""))];
  return {
    subscriber_id: subscriberId,
    event: {
      id: event.id,
      source_agency: enumCode(event.sourceAgency, "AGENCY_") as DecisionInput["event"]["source_agency"],
      event_type: event.eventType,
      classification: enumCode(event.classification, "CLASSIFICATION_") as DecisionInput["event"]["classification"],
      caveats: (event.handling?.caveats ?? []).map((c) => enumCode(c, "HANDLING_CAVEAT_")),
      releasable_to: event.handling?.releasableTo ?? [],
      region: enumCode(event.region, "POLICE_DISTRICT_"),
      activity: activityOf(event),
      operation_ref: event.operationRef,
      operation_phase: operationPhaseOf(event),
      subject_kinds: subjectKinds,
      subjects,
      has_personal_information: subjectKinds.includes("PERSON") || subjectKinds.includes("VEHICLE") || hasNarrative(event),
      ...releaseApprovalOf(event),
    },
  };
}

/** An assessment's release approval, for the policy: `{ release_approval: null }` when it has none; nothing for other events. */
function releaseApprovalOf(event: IntelligenceEvent): Pick<DecisionInput["event"], "release_approval"> {
  if (event.payload?.$case !== "regionalAssessment") return {};
  const a = event.payload.value.approval;
  if (!a) return { release_approval: null };
  return { release_approval: { approver_role: a.approverRole, approval_ref: a.approvalRef, approved_at: a.approvedAt?.toISOString() ?? "" } };
}
