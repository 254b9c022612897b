/**
 * The exchange's recovery on a real Apache Kafka broker (infra's launcher,
 * plaintext, on ports kept so it can be restarted on the same data), with the
 * shipped compiled policy: the broker is stopped for 15 s mid-stream and
 * started again. The exchange must find its way back by itself — not ready
 * while the broker is away, ready again after, disseminating what is published
 * after the restart — and then reconcile: every acknowledged event decided once
 * for every subscriber (one decision record per pair on the audit topic), every
 * allowed view delivered once, nothing for an event that was never sent.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { DecisionRecord, IntelligenceEvent, Outcome } from "@takitini/proto";
import { createLogger, createMetricsRegistry, HEADERS, headerValue } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { producing, readTopicsUntil, readUntil, restartableBroker, until, type RestartableBroker } from "../../../test/recovery/broker.ts";
import { fullEvent } from "./events.fixture.js";
import { Exchange } from "./exchange.js";
import { ReloadingPolicy } from "./policy/reloading.js";

const logger = createLogger("exchange-recovery-test", (process.env.TEST_LOG_LEVEL ?? "silent") as "silent");
const STALL_MS = 8000;

let broker: RestartableBroker;
let policy: ReloadingPolicy;

beforeAll(async () => {
  broker = await restartableBroker("exchange", logger);
  policy = await ReloadingPolicy.start({ logger, watchFiles: false, pollMs: 0 });
}, 180_000);

afterAll(async () => {
  policy?.close();
  await broker?.close();
}, 120_000);

describe("the Kafka broker stopped for 15 s under a running exchange", () => {
  it("is not ready while it is away, ready again by itself after, and every acknowledged event is decided once per subscriber and delivered once", async () => {
    const id = randomBytes(4).toString("hex");
    const t = { intel: `recovery.${id}.intel.police.v1`, audit: `recovery.${id}.decisions`, dlq: `recovery.${id}.dlq`, records: `recovery.${id}.exchange-records.v1` };
    const subscribers = policy.current().subscribers();
    const deliveryTopics = [...new Set(subscribers.map((s) => s.delivery_topic))];
    const admin = broker.kafka("admin").admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: t.intel, numPartitions: 3 }, { topic: t.audit, numPartitions: 2 }, { topic: t.dlq, numPartitions: 1 }, { topic: t.records, numPartitions: 2 }, ...deliveryTopics.map((topic) => ({ topic, numPartitions: 1 }))].map((x) => ({ ...x, replicationFactor: 1 })),
    });
    await admin.disconnect();

    const metrics = createMetricsRegistry(`exchange-recovery-${id}`);
    const exchange = new Exchange({
      kafka: broker.kafka("exchange-recovery"),
      policy,
      logger,
      metrics,
      intelTopics: [t.intel],
      auditTopic: t.audit,
      recordsTopic: t.records,
      deadLetterTopic: t.dlq,
      groupId: `takitini-exchange-recovery-${id}`,
      instanceId: "recovery-0",
      maxEventsPerTransaction: 50,
      sessionTimeoutMs: 6000,
      partitionsConcurrently: 2,
      backoff: { baseMs: 300, maxMs: 3000 },
      stallMs: STALL_MS,
      stopTimeoutMs: 5000,
    });
    try {
      await exchange.start();
      await until(() => exchange.isReady(), 60_000, "the exchange consuming");

      const sent = producing(broker.kafka("publisher"), t.intel, () => {
        const eventId = randomUUID();
        const event = fullEvent("police.organised_crime_noting", { id: eventId });
        return { id: eventId, message: { key: eventId, value: Buffer.from(IntelligenceEvent.encode(event).finish()) } };
      });
      await sent.until(100);

      await broker.stop();
      await until(() => !exchange.isReady(), STALL_MS + 10_000, "not ready while the broker is away");
      await new Promise((r) => setTimeout(r, 15_000));
      await broker.start();
      const readyAgainMs = await until(() => exchange.isReady(), 120_000, "ready again");
      const afterRestart = sent.acked.size;
      await sent.until(afterRestart + 100, 90_000);
      await sent.stop();
      const restarts = (await metrics.getSingleMetric("exchange_consumer_restarts_total")!.get()).values.reduce((n, v) => n + v.value, 0);
      console.info(`exchange ready again ${readyAgainMs} ms after the broker was started; consumer restarts: ${restarts}`);

      // Every acknowledged event decided once for every subscriber.
      const decisions = await readUntil(
        broker.kafka("reader"),
        t.audit,
        (m) => (headerValue(m.headers, HEADERS.EVENT_TYPE) === "audit.decision" && m.value ? DecisionRecord.decode(m.value) : undefined),
        (all) => {
          const seen = new Set(all.map((d) => d.eventId));
          return [...sent.acked].every((e) => seen.has(e));
        },
        120_000,
      );
      const pairs = decisions.map((d) => `${d.eventId}/${d.subscriberId}`);
      expect(new Set(pairs).size).toBe(pairs.length);
      for (const e of sent.acked) expect(decisions.filter((d) => d.eventId === e).map((d) => d.subscriberId).sort()).toEqual(subscribers.map((s) => s.id).sort());
      expect(decisions.filter((d) => !sent.attempted.has(d.eventId))).toEqual([]);

      // Every allowed view on its subscriber's topic once, and nothing else there.
      const allowedOn = new Map(deliveryTopics.map((topic) => [topic, new Set(decisions.filter((d) => d.outcome === Outcome.OUTCOME_ALLOW && d.deliveryTopic === topic).map((d) => d.id))]));
      const deliveredOn = await readTopicsUntil(broker.kafka("reader"), deliveryTopics, (m) => headerValue(m.headers, HEADERS.DECISION_ID), (on) => deliveryTopics.every((topic) => on.get(topic)!.length >= allowedOn.get(topic)!.size), 60_000);
      for (const topic of deliveryTopics) {
        const delivered = deliveredOn.get(topic)!;
        expect(delivered.length, topic).toBe(allowedOn.get(topic)!.size);
        expect(new Set(delivered), topic).toEqual(allowedOn.get(topic));
      }
      expect(decisions.some((d) => d.outcome === Outcome.OUTCOME_ALLOW)).toBe(true);
    } finally {
      await exchange.stop();
    }
  }, 400_000);
});
