import type { IntelligenceEvent } from "@takitini/proto";
import type { DecisionInput } from "@takitini/policies";

/** "AGENCY_POLICE" → "POLICE": the policy speaks bare codes, not proto enum names. */
export function enumCode(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

/** The activity an event concerns, where its payload has one. */
export function activityOf(event: IntelligenceEvent): string {
  switch (event.payload?.$case) {
    case "policeNoting":
      return enumCode(event.payload.value.activity, "ORGANISED_CRIME_ACTIVITY_");
    default:
      return "";
  }
}

/**
 * The policy-relevant projection of an event: only what the policy decides on,
 * never names or numbers. Pure.
 */
export function policyInput(event: IntelligenceEvent, subscriberId: string): DecisionInput {
  const subjectKinds = [...new Set(event.subjects.map((s) => s.entity?.$case?.toUpperCase()).filter((k): k is string => !!k))];
  const narrative = event.payload?.$case === "policeNoting" && event.payload.value.summary.length > 0;
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
      subject_kinds: subjectKinds,
      has_personal_information: subjectKinds.includes("PERSON") || subjectKinds.includes("VEHICLE") || narrative,
    },
  };
}
