/** A record's versions as an agency publishes them (proto/takitini/intel/v1/revision.proto), for the tests of the ledger's record history. */
import { Agency, Classification, IntelligenceEvent, PoliceDistrict, WithdrawalReason } from "@takitini/proto";

export const POLICE_TOPIC = "takitini.intel.police.v1";
export const CUSTOMS_TOPIC = "takitini.intel.customs.v1";

/** The record's first version, its two corrections and its withdrawal (ids as the agreed keyed UUIDv8s would be: any UUIDs). */
export const IDS = {
  first: "9a0c5e10-0000-4000-8000-000000000001",
  second: "9a0c5e10-0000-8000-8000-000000000002",
  third: "9a0c5e10-0000-8000-8000-000000000003",
  withdrawal: "9a0c5e10-0000-8000-8000-000000000004",
} as const;

const base = (id: string, at: string, subjectId = "police/person/P77") =>
  IntelligenceEvent.fromPartial({
    id,
    sourceAgency: Agency.AGENCY_POLICE,
    eventType: "police.organised_crime_noting",
    region: PoliceDistrict.POLICE_DISTRICT_EASTERN,
    classification: Classification.CLASSIFICATION_RESTRICTED,
    publishedAt: new Date(at),
    subjects: [{ entity: { $case: "person", value: { subjectId, fullName: "Hēmi Tāwhiri" } } }],
  });

export const firstVersion = () => base(IDS.first, "2026-12-06T01:00:00Z");

/** A correction of `supersedes` (the record's first version is IDS.first). */
export const correction = (id: string, supersedes: string, at = "2026-12-06T02:00:00Z", fields: Partial<IntelligenceEvent> = {}) =>
  IntelligenceEvent.fromPartial({ ...base(id, at), supersedes, originalEventId: IDS.first, ...fields });

/** The record's withdrawal (event type "record.withdrawal", region unspecified), of its latest version. */
export const withdrawal = (withdrawn: string, fields: Partial<IntelligenceEvent> = {}) =>
  IntelligenceEvent.fromPartial({
    id: IDS.withdrawal,
    sourceAgency: Agency.AGENCY_POLICE,
    eventType: "record.withdrawal",
    region: PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED,
    publishedAt: new Date("2026-12-06T04:00:00Z"),
    originalEventId: IDS.first,
    payload: { $case: "recordWithdrawal", value: { withdrawnEventId: withdrawn, reason: WithdrawalReason.WITHDRAWAL_REASON_NOT_SUBSTANTIATED, explanation: "Inquiries found the vehicle was not involved." } },
    ...fields,
  });
