/**
 * The linkage service's Kafka shell on a real Apache Kafka broker (infra's
 * launcher, plaintext; the same one the exchange's recovery test uses): records
 * of two agencies naming one person raise one alert, published with the index
 * entries and the consumed offsets in one transaction (read back read_committed);
 * one instance of the group is active and the other stands by; when the active
 * one stops, the standby rebuilds the index from the index topic and links a new
 * record to records it never consumed itself; a record sent again raises
 * nothing; and after the broker is stopped and started again the service is
 * linking again with no one's help. No identifier reaches the links topic or
 * the index topic.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Agency, Classification, IdentityDocumentKind, IntelligenceEvent, LinkageIndexEntry, LinkRule, PoliceDistrict, SubjectRole } from "@takitini/proto";
import { createLogger, createMetricsRegistry, HEADERS, PROTOBUF_CONTENT_TYPE } from "@takitini/runtime";
import type { Kafka, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readUntil, restartableBroker, until, type RestartableBroker } from "../../../../test/recovery/broker.ts";
import { CoreLinker } from "./core-linker.js";
import { Linker } from "./linker.js";

const logger = createLogger("linkage-test", (process.env.TEST_LOG_LEVEL ?? "silent") as "silent");
const KEY = randomBytes(32);
let broker: RestartableBroker;
let kafka: Kafka;
let producer: Producer;
const run = randomBytes(4).toString("hex");
const T = { police: `linkage.${run}.intel.police.v1`, customs: `linkage.${run}.intel.customs.v1`, msd: `linkage.${run}.intel.msd.v1`, links: `linkage.${run}.intel.linkage.v1`, index: `linkage.${run}.linkage-index.v1` };
const running: Linker[] = [];

const IDENTIFYING = ["Tāne", "Pōmare", "POMARE", "1988-07-02", "LA482913", "LA 482913", "021 555 0147"];

function person(subjectId: string, fullName: string, passport: string, dateOfBirth = "1988-07-02") {
  return {
    entity: {
      $case: "person" as const,
      value: { subjectId, fullName, aliases: [], dateOfBirth, address: "", phoneNumbers: ["021 555 0147"], documents: [{ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, number: passport, issuingCountry: "NZL" }], role: SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST, isMinor: false },
    },
  };
}

function event(agency: Agency, eventType: string, subjectId: string, fullName: string, passport: string): IntelligenceEvent {
  const payload =
    agency === Agency.AGENCY_POLICE
      ? { $case: "policeNoting" as const, value: { summary: "", groupName: "", reportingUnit: "", locality: "" } }
      : agency === Agency.AGENCY_CUSTOMS
        ? { $case: "customsBorderSeizure" as const, value: { caseRef: "" } }
        : { $case: "msdWhanauSupportReferral" as const, value: {} };
  return IntelligenceEvent.fromPartial({
    id: randomUUID(),
    sourceAgency: agency,
    eventType,
    occurredAt: new Date("2026-11-20T01:00:00Z"),
    publishedAt: new Date("2026-11-20T01:00:00Z"),
    region: PoliceDistrict.POLICE_DISTRICT_COUNTIES_MANUKAU,
    classification: Classification.CLASSIFICATION_RESTRICTED,
    subjects: [person(subjectId, fullName, passport)],
    payload: payload as IntelligenceEvent["payload"],
  });
}

async function send(topic: string, e: IntelligenceEvent): Promise<void> {
  await producer.send({ topic, acks: -1, messages: [{ key: e.id, value: Buffer.from(IntelligenceEvent.encode(e).finish()), headers: { [HEADERS.EVENT_TYPE]: e.eventType, [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE } }] });
}

function linker(name: string): Linker {
  const l = new Linker({
    kafka: broker.kafka(`linkage-test-${name}`),
    core: new CoreLinker(KEY),
    logger,
    metrics: createMetricsRegistry(`linkage_${name}`),
    intelTopics: [T.police, T.customs, T.msd],
    linksTopic: T.links,
    indexTopic: T.index,
    groupId: `takitini-linkage-test-${run}`,
    transactionalId: `takitini-linkage.test-${run}`,
    maxEventsPerTransaction: 100,
    sessionTimeoutMs: 6000,
    backoff: { baseMs: 200, maxMs: 2000 },
    stallMs: 10_000,
    stopTimeoutMs: 5000,
  });
  running.push(l);
  return l;
}

const alerts = (n: number, ms = 60_000) =>
  readUntil(kafka, T.links, (m) => (m.value ? IntelligenceEvent.decode(m.value) : undefined), (all) => all.length >= n, ms);

beforeAll(async () => {
  broker = await restartableBroker("linkage", logger);
  kafka = broker.kafka("linkage-test");
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: T.police, numPartitions: 3 },
      { topic: T.customs, numPartitions: 2 },
      { topic: T.msd, numPartitions: 1 },
      { topic: T.links, numPartitions: 3 },
      { topic: T.index, numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] },
    ],
  });
  await admin.disconnect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
}, 180_000);

afterAll(async () => {
  await Promise.all(running.map((l) => l.stop()));
  await producer?.disconnect().catch(() => undefined);
  await broker?.close();
}, 120_000);

describe("the linkage service on the real broker", { timeout: 180_000 }, () => {
  const policeRecord = event(Agency.AGENCY_POLICE, "police.organised_crime_noting", "police/person/P1", "Tāne Pōmare", "LA482913");
  let a: Linker;
  let b: Linker;

  it("links a Customs consignee to a Police person of interest: one alert, the index entries and the offsets in one transaction", async () => {
    a = linker("a");
    await a.start();
    await until(() => a.isReady() && a.isActive(), 60_000, "the first instance active");
    b = linker("b");
    await b.start();
    await until(() => b.isReady(), 60_000, "the second instance standing by");
    expect([a.isActive(), b.isActive()]).toEqual([true, false]);

    await send(T.police, policeRecord);
    await send(T.customs, event(Agency.AGENCY_CUSTOMS, "customs.border_seizure", "customs/person/C9", "POMARE, Tane", "LA 482913"));
    // Another person altogether: no link.
    await send(T.customs, event(Agency.AGENCY_CUSTOMS, "customs.border_seizure", "customs/person/C10", "Mele Tupou", "LB000111"));
    const got = await alerts(1);
    expect(got).toHaveLength(1);
    const alert = got[0]!;
    const value = alert.payload?.$case === "linkAlert" ? alert.payload.value : undefined;
    expect(value?.rule).toBe(LinkRule.LINK_RULE_IDENTITY_DOCUMENT);
    expect(value?.records.map((r) => r.subjectId).sort()).toEqual(["customs/person/C9", "police/person/P1"]);
    expect(value?.records.every((r) => r.facts?.classification === Classification.CLASSIFICATION_RESTRICTED)).toBe(true);

    const entries = await readUntil(kafka, T.index, (m) => (m.value ? LinkageIndexEntry.decode(m.value) : undefined), (all) => all.length >= 3, 30_000);
    expect(entries.map((e) => e.subjects.map((s) => s.subjectId)).flat().sort()).toEqual(["customs/person/C10", "customs/person/C9", "police/person/P1"]);
    for (const topic of [T.links, T.index]) {
      const raw = await readUntil(kafka, topic, (m) => m.value?.toString("latin1"), (all) => all.length >= 1, 30_000);
      for (const s of IDENTIFYING) expect(raw.join("\n")).not.toContain(s);
    }
  });

  it("a record sent again raises nothing", async () => {
    await send(T.police, policeRecord);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await alerts(1)).toHaveLength(1);
  });

  it("when the active instance stops, the standby rebuilds the index and links a new record to records it never consumed", async () => {
    await a.stop();
    await until(() => b.isReady() && b.isActive(), 90_000, "the standby active and rebuilt");
    await send(T.msd, event(Agency.AGENCY_MSD, "msd.whanau_support_referral", "msd/person/M4", "Tane Pomare", "LA482913"));
    const got = await alerts(3);
    expect(got).toHaveLength(3);
    const pairs = got.map((e) => (e.payload?.$case === "linkAlert" ? e.payload.value.records.map((r) => r.subjectId).sort().join("+") : "")).sort();
    expect(pairs).toEqual(["customs/person/C9+msd/person/M4", "customs/person/C9+police/person/P1", "msd/person/M4+police/person/P1"]);
  });

  it("comes back by itself after the broker is stopped and started again", async () => {
    await broker.outage(5000);
    await send(T.police, event(Agency.AGENCY_POLICE, "police.organised_crime_noting", "police/person/P7", "Mele Tupou", "LB000111"));
    const got = await alerts(4, 120_000);
    expect(got).toHaveLength(4);
    await until(() => b.isReady(), 60_000, "ready again");
  });
});
