/** A record's versions as an agency publishes them (proto/takitini/intel/v1/revision.proto), for the tests of the ledger's record history. */
import { randomUUID } from "node:crypto";
import { Agency, Classification, IntelligenceEvent, PoliceDistrict, View, WithdrawalReason } from "@takitini/proto";
import { appendRecords, ingestRecord } from "../ingest.js";
import type { Ledger } from "../ledger/index.js";
import { decision } from "./decisions.fixture.js";
import { fromDecision, type Appendable } from "./records.js";

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

const TOPICS = { auditTopic: "takitini.audit.decisions.v1", accessTopics: ["takitini.audit.briefing-access.v1"] };

/** An event read on `topic`, through the ingest the Kafka shell uses. */
function published(topic: string, event: IntelligenceEvent, offset: number, at: Date): Appendable[] {
  const r = ingestRecord(topic, 3, { value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: {}, offset: String(offset) }, TOPICS, at);
  if (!r.ok) throw new Error(r.reason);
  return r.records;
}

/** Ids of a Customs record claiming to correct the Police record, of a Police correction read on Customs' topic, and of the public tier's first delivery. */
export const FOREIGN = randomUUID();
export const MISPLACED = randomUUID();
export const DELIVERY = randomUUID();

/**
 * The Police record's history, appended in the order one partition holds it: the first version
 * (Customs and the public tier allowed, MBIE refused), a correction Customs still receives and the
 * public tier's new contribution, a second correction Customs may no longer see, and the withdrawal
 * (a notice to Customs); between them, a Customs record naming the Police record as the one it
 * corrects (on Customs' own topic) and a Police correction read on Customs' topic.
 */
export async function seedHistory(ledger: Ledger): Promise<void> {
  const at = new Date();
  const records: Appendable[] = [];
  const d = (eventId: string, subscriber: string, allow: boolean, opts: Parameters<typeof decision>[3] = {}) => records.push(fromDecision(decision(eventId, subscriber, allow, { subjectIds: ["police/person/P77"], ...opts }), at));
  records.push(...published(POLICE_TOPIC, firstVersion(), 10, at));
  d(IDS.first, "customs", true);
  d(IDS.first, "public", true, { view: View.VIEW_AGGREGATE_ONLY, deliveryId: DELIVERY, subjectIds: [] });
  d(IDS.first, "mbie", false);
  records.push(...published(POLICE_TOPIC, correction(IDS.second, IDS.first), 11, at));
  d(IDS.second, "customs", true);
  d(IDS.second, "public", true, { view: View.VIEW_AGGREGATE_ONLY, deliveryId: randomUUID(), subjectIds: [] });
  records.push(...published(CUSTOMS_TOPIC, correction(FOREIGN, IDS.second, "2026-12-06T02:30:00Z", { sourceAgency: Agency.AGENCY_CUSTOMS }), 4, at));
  records.push(...published(CUSTOMS_TOPIC, correction(MISPLACED, IDS.second, "2026-12-06T02:40:00Z"), 5, at));
  records.push(...published(POLICE_TOPIC, correction(IDS.third, IDS.second, "2026-12-06T03:00:00Z"), 12, at));
  d(IDS.third, "customs", false);
  records.push(...published(POLICE_TOPIC, withdrawal(IDS.third), 13, at));
  d(IDS.withdrawal, "customs", true, { eventType: "record.withdrawal" });
  await appendRecords(ledger, records);
}
