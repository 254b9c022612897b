import { LinkedRecordFacts, LinkRule, SubmissionTopic, type Agency, type Classification, type Handling, type IntelligenceEvent, type LinkedRecord, type PoliceDistrict, type Subject } from "@takitini/proto";
import type { DecisionInput, EventProjection, LinkedRecordProjection, SubjectShape } from "@takitini/policies";

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
    // A link alert: the rule that made the link ("" when unspecified, which the policy refuses).
    case "linkAlert":
      return payload.value.rule === LinkRule.LINK_RULE_UNSPECIFIED ? "" : enumCode(payload.value.rule, "LINK_RULE_");
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
 * What the policy decides an event on, before it is spelt as the policy's codes:
 * its markings and shape, never names, numbers or subject ids. An event gives it
 * (`markingsOf`), and so does a link alert's record, from the facts the linkage
 * service kept of it (`linkedMarkings`): both are projected by the one mapping,
 * `projectMarkings`, so a linked record is judged exactly as that record was.
 */
export interface Markings {
  id: string;
  sourceAgency: Agency;
  eventType: string;
  classification: Classification;
  handling: Handling | undefined;
  region: PoliceDistrict;
  activity: string;
  operationRef: string;
  operationPhase: string;
  subjects: SubjectShape[];
  hasPersonalInformation: boolean;
}

/** The policy's projection of markings: proto enum names as bare codes. Pure. */
export function projectMarkings(m: Markings): EventProjection {
  const subjectKinds = [...new Set(m.subjects.map((s) => s.kind).filter((k) => k !== ""))];
  return {
    id: m.id,
    source_agency: enumCode(m.sourceAgency, "AGENCY_") as EventProjection["source_agency"],
    event_type: m.eventType,
    classification: enumCode(m.classification, "CLASSIFICATION_") as EventProjection["classification"],
    caveats: (m.handling?.caveats ?? []).map((c) => enumCode(c, "HANDLING_CAVEAT_")),
    releasable_to: [...(m.handling?.releasableTo ?? [])],
    releasable_to_countries: [...(m.handling?.releasableToCountries ?? [])],
    region: enumCode(m.region, "POLICE_DISTRICT_"),
    activity: m.activity,
    operation_ref: m.operationRef,
    operation_phase: m.operationPhase,
    subject_kinds: subjectKinds,
    subjects: m.subjects.map((s) => ({ kind: s.kind, role: s.role, minor: s.minor })),
    has_personal_information: m.hasPersonalInformation,
  };
}

/** An event's markings and shape. Pure. */
export function markingsOf(event: IntelligenceEvent): Markings {
  const subjects = event.subjects.map(subjectShape);
  return {
    id: event.id,
    sourceAgency: event.sourceAgency,
    eventType: event.eventType,
    classification: event.classification,
    handling: event.handling,
    region: event.region,
    activity: activityOf(event),
    operationRef: event.operationRef,
    operationPhase: operationPhaseOf(event),
    subjects,
    hasPersonalInformation: subjects.some((s) => s.kind === "PERSON" || s.kind === "VEHICLE") || hasNarrative(event),
  };
}

/**
 * What a linked record's operation reference is to the policy: the facts say only
 * whether it has one, and the policy reads only whether it is "" (operational
 * embargo). Never the reference itself.
 */
export const LINKED_OPERATION_REF = "(the linked record's operation)";

/**
 * A link alert's record as the policy judges it: the markings its facts keep (as
 * `markingsOf` made them when the linkage service read the record), under the
 * record's event id. Undefined without facts (the planner dead-letters such an alert). Pure.
 */
export function linkedMarkings(record: LinkedRecord): Markings | undefined {
  const f = record.facts;
  if (!f) return undefined;
  return {
    id: record.eventId,
    sourceAgency: f.sourceAgency,
    eventType: f.eventType,
    classification: f.classification,
    handling: f.handling,
    region: f.region,
    activity: f.activity,
    operationRef: f.hasOperationRef ? LINKED_OPERATION_REF : "",
    operationPhase: f.operationPhase,
    subjects: f.subjects.map((s) => ({ kind: s.kind, role: s.role, minor: s.minor })),
    hasPersonalInformation: f.hasPersonalInformation,
  };
}

/** A link alert's records for the policy, each with the position of its linked subject; nothing for other events. */
function linkedOf(event: IntelligenceEvent): Pick<DecisionInput["event"], "linked"> {
  if (event.payload?.$case !== "linkAlert") return {};
  const linked: LinkedRecordProjection[] = [];
  for (const record of event.payload.value.records) {
    const m = linkedMarkings(record);
    // A record without facts cannot be judged: leave it out, so the policy refuses the alert (not two records).
    if (m) linked.push({ ...projectMarkings(m), subject_index: record.subjectIndex });
  }
  return { linked };
}

/**
 * The policy-relevant projection of an event: only what the policy decides on,
 * never names, numbers or subject ids. A link alert's carries its two records'. Pure.
 */
export function policyInput(event: IntelligenceEvent, subscriberId: string): DecisionInput {
  return {
    subscriber_id: subscriberId,
    event: {
      ...projectMarkings(markingsOf(event)),
      ...releaseApprovalOf(event),
      ...informationExchangeOf(event),
      ...linkedOf(event),
    },
  };
}

/**
 * A request for information's or its response's counterpart — the agency addressed, or
 * the agency that asked — and the legal basis the event states ("instrument, provision —
 * description"), for the policy, which releases it to that agency only on that basis;
 * nothing for other events. Pure.
 */
export function informationExchangeOf(event: IntelligenceEvent): Pick<DecisionInput["event"], "information_exchange"> {
  const p = event.payload;
  const counterpart = p?.$case === "informationRequest" ? p.value.addressedTo : p?.$case === "informationResponse" ? p.value.requestedBy : undefined;
  if (counterpart === undefined) return {};
  const b = event.legalBasis;
  const basis = b ? [[b.instrument, b.provision].filter((x) => x !== "").join(", "), b.description].filter((x) => x !== "").join(" — ") : "";
  return { information_exchange: { counterpart: enumCode(counterpart, "AGENCY_"), legal_basis: basis } };
}

/** An assessment's release approval, for the policy: `{ release_approval: null }` when it has none; nothing for other events. */
function releaseApprovalOf(event: IntelligenceEvent): Pick<DecisionInput["event"], "release_approval"> {
  if (event.payload?.$case !== "regionalAssessment") return {};
  const a = event.payload.value.approval;
  if (!a) return { release_approval: null };
  return { release_approval: { approver_role: a.approverRole, approval_ref: a.approvalRef, approved_at: a.approvedAt?.toISOString() ?? "" } };
}

/**
 * What the linkage service keeps of a record for the policy, and carries in each
 * side of a link alert: this projection's markings and subject shapes — no names,
 * numbers, subject content or free text, and only *whether* the record concerns
 * an operation, never its reference. Pure.
 */
export function linkedRecordFacts(event: IntelligenceEvent): LinkedRecordFacts {
  const p = policyInput(event, "").event;
  return LinkedRecordFacts.fromPartial({
    eventType: event.eventType,
    sourceAgency: event.sourceAgency,
    region: event.region,
    classification: event.classification,
    handling: { caveats: event.handling?.caveats ?? [], releasableTo: event.handling?.releasableTo ?? [] },
    activity: p.activity,
    operationPhase: p.operation_phase,
    hasOperationRef: p.operation_ref !== "",
    subjects: p.subjects.map((x) => ({ kind: x.kind, role: x.role, minor: x.minor })),
    hasPersonalInformation: p.has_personal_information,
  });
}
