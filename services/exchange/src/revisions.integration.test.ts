/**
 * Corrections and withdrawals on a real Apache Kafka broker (infra's launcher),
 * with the shipped compiled policy and registry: one exchange instance decides
 * a Customs seizure and its correction, then stops; a second instance of the
 * group — a fresh process, knowing nothing but what its records table reads
 * back from the compacted topic — decides the withdrawal. Every partner that
 * held the record must get its withdrawal notice, and every community figure
 * the record added must be taken back, each named by its decision record.
 */
import { randomBytes } from "node:crypto";
import { AggregateView, DecisionRecord, IntelligenceEvent, NoticeCause, Outcome, PoliceDistrict, WithdrawalNotice, WithdrawalReason } from "@takitini/proto";
import { createLogger, createMetricsRegistry, HEADERS, headerValue } from "@takitini/runtime";
import type { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readUntil, restartableBroker, until, type RestartableBroker } from "../../../test/recovery/broker.ts";
import { fullEvent } from "./events.fixture.js";
import { Exchange } from "./exchange.js";
import { ReloadingPolicy } from "./policy/reloading.js";
import { REVISION_REASONS, WITHDRAWAL_EVENT_TYPE, WITHDRAWAL_NOTICE_EVENT_TYPE } from "./revision.js";

const logger = createLogger("exchange-revisions-test", (process.env.TEST_LOG_LEVEL ?? "silent") as "silent");

let broker: RestartableBroker;
let policy: ReloadingPolicy;

beforeAll(async () => {
  broker = await restartableBroker("exchange-revisions", logger);
  policy = await ReloadingPolicy.start({ logger, watchFiles: false, pollMs: 0 });
}, 180_000);

afterAll(async () => {
  policy?.close();
  await broker?.close();
}, 120_000);

const ids = (n: string) => `6b0c1a2e-${n.padStart(4, "0")}-5000-8000-${randomBytes(6).toString("hex")}`;

async function publish(kafka: Kafka, topic: string, key: string, event: IntelligenceEvent): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key, value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: { [HEADERS.EVENT_TYPE]: event.eventType } }] });
  } finally {
    await producer.disconnect();
  }
}

describe("a record corrected by one exchange instance and withdrawn under the next", () => {
  it("reaches every partner that held it with a notice, and takes back every community figure it added", async () => {
    const run = randomBytes(4).toString("hex");
    const t = { intel: `revisions.${run}.intel.customs.v1`, audit: `revisions.${run}.decisions`, dlq: `revisions.${run}.dlq`, records: `revisions.${run}.exchange-records.v1` };
    const subscribers = policy.current().subscribers();
    const deliveryTopics = [...new Set(subscribers.map((s) => s.delivery_topic))];
    const admin = broker.kafka("admin").admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: t.intel, numPartitions: 3 },
        { topic: t.audit, numPartitions: 2 },
        { topic: t.dlq, numPartitions: 1 },
        { topic: t.records, numPartitions: 3, configEntries: [{ name: "cleanup.policy", value: "compact" }] },
        ...deliveryTopics.filter((topic) => !existing.has(topic)).map((topic) => ({ topic, numPartitions: 1 })),
      ].map((x) => ({ ...x, replicationFactor: 1 })),
    });
    await admin.disconnect();
    const exchange = (instance: string) =>
      new Exchange({
        kafka: broker.kafka(`exchange-${instance}`),
        policy,
        logger,
        metrics: createMetricsRegistry(`exchange-revisions-${run}-${instance}`),
        intelTopics: [t.intel],
        auditTopic: t.audit,
        deadLetterTopic: t.dlq,
        recordsTopic: t.records,
        groupId: `takitini-exchange-revisions-${run}`,
        instanceId: instance,
        maxEventsPerTransaction: 50,
        sessionTimeoutMs: 6000,
        stopTimeoutMs: 5000,
      });
    const decisionsOf = (eventId: string) =>
      readUntil(
        broker.kafka("reader"),
        t.audit,
        (m) => (m.value ? DecisionRecord.decode(m.value) : undefined),
        (all) => all.filter((d) => d.eventId === eventId).length >= subscribers.length,
        90_000,
      ).then((all) => all.filter((d) => d.eventId === eventId));

    const originalId = ids("1");
    const correctionId = ids("2");
    const withdrawalId = ids("3");
    const original = fullEvent("customs.border_seizure", { id: originalId, region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY, operationRef: "" });
    const correction = fullEvent("customs.border_seizure", { id: correctionId, supersedes: originalId, originalEventId: originalId, region: PoliceDistrict.POLICE_DISTRICT_EASTERN, operationRef: "" });
    const withdrawal = IntelligenceEvent.fromPartial({
      id: withdrawalId,
      sourceAgency: original.sourceAgency,
      eventType: WITHDRAWAL_EVENT_TYPE,
      classification: original.classification,
      originalEventId: originalId,
      payload: { $case: "recordWithdrawal", value: { withdrawnEventId: correctionId, reason: WithdrawalReason.WITHDRAWAL_REASON_ENTERED_IN_ERROR, explanation: "Wrong consignment." } },
    });

    const first = exchange("a");
    let second: Exchange | undefined;
    try {
      await first.start();
      await until(() => first.isReady(), 60_000, "the first exchange consuming");
      // Every version keyed by the first version's id: one partition, in order.
      await publish(broker.kafka("publisher"), t.intel, originalId, original);
      const onOriginal = await decisionsOf(originalId);
      await publish(broker.kafka("publisher"), t.intel, originalId, correction);
      const onCorrection = await decisionsOf(correctionId);
      await first.stop();

      // The correction moved the record from Bay of Plenty to Eastern: Bay of Plenty's figure is taken back there.
      const bop = subscribers.find((s) => s.id === "community-bay-of-plenty")!;
      expect(onOriginal.find((d) => d.subscriberId === bop.id), JSON.stringify(onOriginal.map((d) => [d.subscriberId, d.reasons]))).toMatchObject({ outcome: Outcome.OUTCOME_ALLOW });
      expect(onCorrection.find((d) => d.subscriberId === bop.id)!.reasons).toContain(REVISION_REASONS.RETRACTED);

      second = exchange("b");
      await second.start();
      await until(() => second!.isReady(), 60_000, "the second exchange consuming");
      await publish(broker.kafka("publisher"), t.intel, originalId, withdrawal);
      const onWithdrawal = await decisionsOf(withdrawalId);

      // Who held the record after the correction: each partner delivered the correction, each subscriber with a figure from it.
      const holders = onCorrection.filter((d) => d.outcome === Outcome.OUTCOME_ALLOW && (d.view === "VIEW_FULL" || d.view === "VIEW_REDACTED")).map((d) => d.subscriberId);
      const contributors = onCorrection.filter((d) => d.outcome === Outcome.OUTCOME_ALLOW && d.view === "VIEW_AGGREGATE_ONLY").map((d) => d.subscriberId);
      expect(holders).toContain("police");
      expect(contributors.length).toBeGreaterThan(0);
      for (const d of onWithdrawal) {
        const reason = holders.includes(d.subscriberId) ? REVISION_REASONS.WITHDRAWN_NOTICE : contributors.includes(d.subscriberId) ? REVISION_REASONS.WITHDRAWN_RETRACTION : REVISION_REASONS.NOT_A_RECIPIENT;
        expect([d.subscriberId, d.reasons]).toEqual([d.subscriberId, [reason]]);
        expect(d.outcome).toBe(reason === REVISION_REASONS.NOT_A_RECIPIENT ? Outcome.OUTCOME_DENY : Outcome.OUTCOME_ALLOW);
      }
      // Each holder's notice is on its topic, naming the version it held, with the delivery id its decision names.
      for (const holder of holders) {
        const d = onWithdrawal.find((x) => x.subscriberId === holder)!;
        const topic = subscribers.find((s) => s.id === holder)!.delivery_topic;
        const notices = await readUntil(
          broker.kafka("reader"),
          topic,
          (m) => (headerValue(m.headers, HEADERS.EVENT_TYPE) === WITHDRAWAL_NOTICE_EVENT_TYPE && m.value ? WithdrawalNotice.decode(m.value) : undefined),
          (all) => all.some((n) => n.deliveryId === d.deliveryId),
          60_000,
        );
        expect(notices.filter((n) => n.deliveryId === d.deliveryId)).toEqual([
          expect.objectContaining({ eventId: correctionId, cause: NoticeCause.NOTICE_CAUSE_WITHDRAWN, reason: WithdrawalReason.WITHDRAWAL_REASON_ENTERED_IN_ERROR, explanation: "Wrong consignment." }),
        ]);
      }
      // Each contributor's retraction carries the figure it added (Eastern's, after the correction).
      for (const contributor of contributors) {
        const d = onWithdrawal.find((x) => x.subscriberId === contributor)!;
        const topic = subscribers.find((s) => s.id === contributor)!.delivery_topic;
        const views = await readUntil(
          broker.kafka("reader"),
          topic,
          (m) => (headerValue(m.headers, HEADERS.EVENT_TYPE) === "aggregate.view" && m.value ? AggregateView.decode(m.value) : undefined),
          (all) => all.some((v) => (v.deliveryId || v.decisionId) === (d.deliveryId || d.id)),
          60_000,
        );
        const retraction = views.find((v) => (v.deliveryId || v.decisionId) === (d.deliveryId || d.id))!;
        expect(retraction).toMatchObject({ retraction: true, eventType: "customs.border_seizure", region: PoliceDistrict.POLICE_DISTRICT_EASTERN });
      }
    } finally {
      await first.stop();
      await second?.stop();
    }
  }, 400_000);
});
