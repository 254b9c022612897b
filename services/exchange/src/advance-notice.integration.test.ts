/**
 * Police's support advance notice through the exchange on a real Apache Kafka broker
 * (infra's launcher, plaintext, as the submissions test), with the shipped compiled
 * policy and registry: a notice published on a Police intel topic beside an update of
 * the operation it precedes (active, covert) is decided for every subscriber; MSD and
 * Oranga Tamariki each receive one SupportNotice built by allow-list, in the
 * transaction of its decisions — read back read_committed — and nothing of the
 * operation; no other subscriber's topic receives anything.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Classification, DecisionRecord, HandlingCaveat, INTEL_SCHEMA_VERSION, IntelligenceEvent, OperationPhase, Outcome, SupportNotice, View } from "@takitini/proto";
import { createLogger, createMetricsRegistry, HEADERS, headerValue, PROTOBUF_CONTENT_TYPE } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readUntil, restartableBroker, until, type RestartableBroker } from "../../../test/recovery/broker.ts";
import { fullEvent, operationUpdate, PERSONAL } from "./events.fixture.js";
import { Exchange } from "./exchange.js";
import { SUPPORT_NOTICE_EVENT_TYPE } from "./notice.js";
import { ReloadingPolicy } from "./policy/reloading.js";

const logger = createLogger("exchange-advance-notice-test", (process.env.TEST_LOG_LEVEL ?? "silent") as "silent");

let broker: RestartableBroker;
let policy: ReloadingPolicy;

beforeAll(async () => {
  broker = await restartableBroker("exchange-advance-notice", logger);
  policy = await ReloadingPolicy.start({ logger, watchFiles: false, pollMs: 0 });
}, 180_000);

afterAll(async () => {
  policy?.close();
  await broker?.close();
}, 120_000);

describe("a support advance notice on the real broker", () => {
  it("reaches MSD and Oranga Tamariki as one SupportNotice each, with its decisions; the operation's update reaches neither; no other topic receives anything", async () => {
    const id = randomBytes(4).toString("hex");
    const t = { intel: `advance.${id}.intel.police.v1`, audit: `advance.${id}.decisions`, dlq: `advance.${id}.dlq`, records: `advance.${id}.exchange-records.v1` };
    const subscribers = policy.current().subscribers();
    const admin = broker.kafka("admin").admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: t.intel, numPartitions: 2 },
        { topic: t.audit, numPartitions: 2 },
        { topic: t.dlq, numPartitions: 1 },
        { topic: t.records, numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] },
        ...subscribers.map((s) => ({ topic: s.delivery_topic, numPartitions: 1 })),
      ].map((x) => ({ ...x, replicationFactor: 1 })),
    });
    const exchange = new Exchange({
      kafka: broker.kafka("exchange-advance"),
      policy,
      logger,
      metrics: createMetricsRegistry(`exchange-advance-${id}`),
      intelTopics: [t.intel],
      auditTopic: t.audit,
      recordsTopic: t.records,
      deadLetterTopic: t.dlq,
      groupId: `takitini-exchange-advance-${id}`,
      instanceId: "advance-0",
      maxEventsPerTransaction: 50,
      sessionTimeoutMs: 6000,
      partitionsConcurrently: 2,
      backoff: { baseMs: 300, maxMs: 3000 },
      stopTimeoutMs: 5000,
    });
    try {
      await exchange.start();
      await until(() => exchange.isReady(), 60_000, "the exchange consuming");

      // As the Police adapter maps them: the notice (no operation, no subjects) and the covert operation's update.
      const notice = fullEvent("police.support_advance_notice", {
        id: randomUUID(),
        classification: Classification.CLASSIFICATION_RESTRICTED,
        handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_NO_COMMUNITY_RELEASE], releasableTo: [], releasableToCountries: [] },
        operationRef: "",
        subjects: [],
      });
      const update = operationUpdate(OperationPhase.OPERATION_PHASE_ACTIVE, { id: randomUUID() });
      const sent = [notice, update];
      const producer = broker.kafka("police-adapter").producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      await producer.send({
        topic: t.intel,
        acks: -1,
        messages: sent.map((e) => ({
          key: e.id,
          value: Buffer.from(IntelligenceEvent.encode(e).finish()),
          headers: { [HEADERS.EVENT_TYPE]: e.eventType, [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION, [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE },
        })),
      });
      await producer.disconnect();

      const decisions = await readUntil(
        broker.kafka("reader"),
        t.audit,
        (m) => (headerValue(m.headers, HEADERS.EVENT_TYPE) === "audit.decision" && m.value ? DecisionRecord.decode(m.value) : undefined),
        (all) => all.length >= sent.length * subscribers.length,
        60_000,
      );
      expect(decisions).toHaveLength(sent.length * subscribers.length);
      const allowed = decisions.filter((d) => d.outcome === Outcome.OUTCOME_ALLOW);
      expect(allowed.map((d) => [d.eventId, d.subscriberId, d.view]).sort()).toEqual(
        [
          [notice.id, "msd", View.VIEW_REDACTED],
          [notice.id, "oranga-tamariki", View.VIEW_REDACTED],
        ].sort(),
      );
      // The operation's update: held back from both by the operational embargo, as before.
      for (const who of ["msd", "oranga-tamariki"]) expect(decisions.find((d) => d.eventId === update.id && d.subscriberId === who)!.reasons).toContain("sharing.operational_embargo");

      for (const who of ["msd", "oranga-tamariki"]) {
        const d = allowed.find((x) => x.subscriberId === who)!;
        expect(d.legalBasis).toMatch(/^Oranga Tamariki Act 1989, s 66C/u);
        const got = await readUntil(broker.kafka("reader"), d.deliveryTopic, (m) => (m.value ? m : undefined), (all) => all.length >= 1, 30_000);
        expect(got).toHaveLength(1);
        expect([got[0]!.key?.toString(), headerValue(got[0]!.headers, HEADERS.EVENT_TYPE)]).toEqual([d.id, SUPPORT_NOTICE_EVENT_TYPE]);
        const n = SupportNotice.decode(got[0]!.value!);
        expect(n).toMatchObject({ deliveryId: d.deliveryId, eventType: "police.support_advance_notice", week: "2026-W48", agreementId: `${who}-police-support-advance-notice` });
        for (const s of [...PERSONAL, notice.id, notice.sourceRecordId, update.operationRef, "Mongrel Mob"]) expect(got[0]!.value!.includes(Buffer.from(s)), s).toBe(false);
      }
      for (const s of subscribers.filter((x) => x.id !== "msd" && x.id !== "oranga-tamariki")) {
        const offsets = await admin.fetchTopicOffsets(s.delivery_topic);
        expect(offsets.map((o) => o.high), s.id).toEqual(offsets.map(() => "0"));
      }
    } finally {
      await exchange.stop();
      await admin.disconnect();
    }
  }, 240_000);
});
