import { Agency, DecisionRecord, Outcome, PoliceDistrict, View } from "@takitini/proto";
import { decisionIdFor } from "@takitini/runtime";

/** A decision record as the exchange writes one, for the oversight API's tests. */
export function decision(eventId: string, subscriberId: string, allow: boolean, opts: Partial<DecisionRecord> = {}): DecisionRecord {
  return DecisionRecord.fromPartial({
    id: decisionIdFor(eventId, subscriberId),
    eventId,
    subscriberId,
    sourceAgency: Agency.AGENCY_POLICE,
    eventType: "police.organised_crime_noting",
    region: PoliceDistrict.POLICE_DISTRICT_EASTERN,
    outcome: allow ? Outcome.OUTCOME_ALLOW : Outcome.OUTCOME_DENY,
    view: allow ? View.VIEW_REDACTED : View.VIEW_NONE,
    reasons: [allow ? "sharing.customs_police_drug_supply" : "sharing.default_deny"],
    legalBasis: allow ? "Privacy Act 2020, IPP 11(e)(i): maintenance of the law" : "",
    policyRevision: "rev-1",
    decidedAt: new Date("2026-11-20T01:00:00Z"),
    deliveryTopic: allow ? `takitini.deliver.${subscriberId}.v1` : "",
    subjectIds: ["police/person/P1", "police/vehicle/V1"],
    ...opts,
  });
}
