/**
 * The briefing's recovery and scale-out on a real Apache Kafka broker (infra's
 * launcher, plaintext, on ports kept so it can be restarted on the same data):
 * - the aggregates rebuilt from a community topic holding contributions and
 *   retractions of some of them (corrections and withdrawals): the same
 *   figures as the contributions not taken back, an unmatched retraction
 *   clamped and counted;
 * - the broker stopped for 15 s under a running feed and digest index: not
 *   ready while it is away, ready again by itself after, what is published
 *   after the restart counted, every acknowledged record counted once;
 * - two instances racing to publish the same digests: exactly one digest
 *   record per key, and one access record with it (read-committed).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Counter, createLogger, createMetricsRegistry } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { producing, readUntil, restartableBroker, until, type RestartableBroker } from "../../../test/recovery/broker.ts";
import { EASTERN_LEADERS, kafkaAggregate, SECRET } from "./briefing.fixture.js";
import { decodeInput } from "./inputs.js";
import { dueDigests } from "./digest.js";
import { CommunityFeed } from "./feed.js";
import { DigestPublisher } from "./publisher.js";
import { AggregateStore } from "./store.js";

const logger = createLogger("briefing-recovery-test", (process.env.TEST_LOG_LEVEL ?? "silent") as "silent");
const STALL_MS = 8000;
const recovery = { backoff: { baseMs: 300, maxMs: 3000 }, stallMs: STALL_MS, stopTimeoutMs: 5000 };

let broker: RestartableBroker;
beforeAll(async () => {
  broker = await restartableBroker("briefing", logger);
}, 180_000);
afterAll(async () => {
  await broker?.close();
}, 120_000);

async function topics(...names: string[]): Promise<void> {
  const admin = broker.kafka("admin").admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: names.map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })) });
  await admin.disconnect();
}

/** One briefing instance's digest publisher: its own Kafka client, metrics and index. */
function publisher(name: string, t: { digest: string; access: string }, group: string, now: () => Date) {
  const metrics = createMetricsRegistry(`briefing-${name}`);
  return new DigestPublisher(broker.kafka(`briefing-${name}`), {
    digestTopic: t.digest,
    accessTopic: t.access,
    groupId: group,
    instanceId: name,
    audiences: () => [EASTERN_LEADERS],
    store: () => new AggregateStore(),
    caughtUp: () => true,
    secret: SECRET,
    intervalMs: 3_600_000,
    graceMs: 0,
    lookback: 3,
    logger: logger.child({ instance: name }),
    metrics,
    restarts: new Counter({ name: "briefing_consumer_restarts_total", help: "restarts", labelNames: ["tail", "reason"], registers: [metrics] }),
    now,
    ...recovery,
  });
}

describe("the Kafka broker stopped for 15 s under a running briefing", () => {
  it("is not ready while it is away, ready again by itself after, and every acknowledged community record is counted once", async () => {
    const id = randomBytes(4).toString("hex");
    const t = { community: `recovery.${id}.community`, digest: `recovery.${id}.briefings`, access: `recovery.${id}.access` };
    await topics(t.community, t.digest, t.access);
    const metrics = createMetricsRegistry(`briefing-feed-${id}`);
    const restarts = new Counter({ name: "briefing_consumer_restarts_total", help: "restarts", labelNames: ["tail", "reason"], registers: [metrics] });
    const sent = producing(broker.kafka("exchange"), t.community, () => {
      const deliveryId = randomUUID();
      const { value, headers } = kafkaAggregate({ deliveryId });
      return { id: deliveryId, message: { key: deliveryId, value, headers } };
    });
    await sent.until(100);

    const feed = new CommunityFeed(broker.kafka("briefing-feed"), new Map([[EASTERN_LEADERS.subscriberId, t.community]]), { groupId: `takitini-briefing-recovery-${id}`, logger, metrics, restarts, ...recovery });
    const digests = publisher(`digests-${id}`, t, `takitini-briefing-recovery-${id}`, () => new Date());
    try {
      await feed.start();
      await digests.start();
      await until(() => feed.isReady() && digests.isReady(), 60_000, "rebuilt and consuming");
      expect(feed.store(EASTERN_LEADERS.subscriberId).size).toBeGreaterThanOrEqual(100);

      await broker.stop();
      await until(() => !feed.isReady() && !digests.isReady(), STALL_MS + 10_000, "not ready while the broker is away");
      expect(feed.caughtUp()).toBe(true); // pages keep being served from what was read
      await new Promise((r) => setTimeout(r, 15_000));
      await broker.start();
      const readyAgainMs = await until(() => feed.isReady() && digests.isReady(), 120_000, "ready again");
      await sent.until(sent.acked.size + 100, 90_000);
      await sent.stop();
      const n = (await restarts.get()).values.reduce((s, v) => s + v.value, 0);
      console.info(`briefing ready again ${readyAgainMs} ms after the broker was started; consumer restarts: ${n}`);

      const store = feed.store(EASTERN_LEADERS.subscriberId);
      await until(() => store.size >= sent.acked.size, 60_000, "every acknowledged record counted");
      // Counted once each: the store holds exactly the acknowledged records' decisions, no more.
      expect(store.size).toBe(sent.acked.size);
      expect(sent.attempted.size).toBe(sent.acked.size);
    } finally {
      await sent.stop();
      await digests.stop();
      await feed.stop();
    }
  }, 400_000);
});

describe("two briefing instances racing to publish the same digests", () => {
  it("publish each digest exactly once, with one access record, however their runs interleave", async () => {
    const id = randomBytes(4).toString("hex");
    const t = { digest: `recovery.${id}.briefings`, access: `recovery.${id}.access` };
    await topics(t.digest, t.access);
    const group = `takitini-briefing-race-${id}`;
    // Three rounds, each a new week: the same digests fall due on both instances at once.
    let now = new Date("2026-11-25T00:00:00Z");
    const a = publisher(`a-${id}`, t, group, () => now);
    const b = publisher(`b-${id}`, t, group, () => now);
    const keys = new Set<string>();
    try {
      await Promise.all([a.start(), b.start()]);
      await until(() => a.isReady() && b.isReady(), 60_000, "both indexes loaded");
      for (let round = 0; round < 3; round++) {
        const due = dueDigests([EASTERN_LEADERS], new Set(keys), now, { lookback: 3, graceMs: 0 }).map((d) => d.key);
        expect(due.length).toBeGreaterThan(0);
        due.forEach((k) => keys.add(k));
        // Race: both publish at the same moment, again and again until both know every due digest is out.
        await until(async () => {
          await Promise.all([a.tick(), b.tick()]);
          return due.every((k) => a.has(k) && b.has(k));
        }, 90_000, `round ${round}'s digests published and seen by both`);
        now = new Date(now.getTime() + 7 * 86_400_000);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }

    const digests = await readUntil(broker.kafka("reader"), t.digest, (m) => m.key?.toString("utf8"), (all) => [...keys].every((k) => all.includes(k)), 60_000);
    expect(digests.sort()).toEqual([...keys].sort());
    const access = await readUntil(broker.kafka("reader"), t.access, () => true, (all) => all.length >= keys.size, 60_000);
    expect(access.length).toBe(keys.size);
  }, 300_000);
});

describe("the aggregates rebuilt from a community topic holding retractions", () => {
  it("take each retraction back once, as if its contribution had never come, and count one that finds nothing as unmatched", async () => {
    const id = randomBytes(4).toString("hex");
    const community = `recovery.${id}.community`;
    await topics(community);
    const week = "2026-W47";
    const views = Array.from({ length: 24 }, (_, i) => ({
      deliveryId: randomUUID(),
      week,
      measures: [
        { measure: "seizures", category: i % 3 === 0 ? "cocaine" : "methamphetamine", value: 1 },
        { measure: "grams", category: i % 3 === 0 ? "cocaine" : "methamphetamine", value: 100 + i },
      ],
    }));
    const retracted = new Set(views.filter((_, i) => i % 4 === 1).map((v) => v.deliveryId));
    const messages = views.flatMap((v) => {
      const out = [kafkaAggregate(v)];
      // The exchange's retraction: the same codes and values, a delivery id of its own; sent twice (a redelivery counts once).
      if (retracted.has(v.deliveryId)) {
        const back = kafkaAggregate({ ...v, deliveryId: randomUUID(), retraction: true });
        out.push(back, back);
      }
      return out;
    });
    // One retraction of a contribution this topic never held (its retention outlived): clamped at zero, counted.
    messages.push(kafkaAggregate({ deliveryId: randomUUID(), week, retraction: true, measures: [{ measure: "seizures", category: "mdma", value: 1 }] }));
    const producer = broker.kafka("exchange").producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // One partition: each retraction after its contribution, as one record's history is kept in order.
    await producer.send({ topic: community, messages: messages.map((m) => ({ key: "record", value: m.value, headers: m.headers, partition: 0 })) });
    await producer.disconnect();

    const metrics = createMetricsRegistry(`briefing-retractions-${id}`);
    const restarts = new Counter({ name: "briefing_consumer_restarts_total", help: "restarts", labelNames: ["tail", "reason"], registers: [metrics] });
    const feed = new CommunityFeed(broker.kafka("briefing-feed"), new Map([[EASTERN_LEADERS.subscriberId, community]]), { groupId: `takitini-briefing-retractions-${id}`, logger, metrics, restarts, ...recovery });
    try {
      await feed.start();
      await until(() => feed.caughtUp(), 60_000, "rebuilt from the community topic");
      const store = feed.store(EASTERN_LEADERS.subscriberId);
      const rest = new AggregateStore();
      for (const v of views.filter((x) => !retracted.has(x.deliveryId))) {
        const m = kafkaAggregate(v);
        const d = decodeInput(m.value, m.headers);
        if (d.ok) rest.apply(d.input);
      }
      for (const category of ["methamphetamine", "cocaine", "mdma"])
        for (const measure of ["seizures", "grams"]) expect(store.cell("EASTERN", week, "customs.border_seizure", measure, category), `${measure} ${category}`).toEqual(rest.cell("EASTERN", week, "customs.border_seizure", measure, category));
      expect(store.cell("EASTERN", week, "customs.border_seizure", "seizures", "methamphetamine")).toEqual({ sum: 12, records: 12 });
      expect(store.categories("EASTERN", "customs.border_seizure", "seizures")).toEqual(["cocaine", "methamphetamine"]);
      expect(store.unmatchedRetractions).toBe(1);
      const unmatched = (await metrics.getSingleMetric("briefing_retractions_unmatched_total")?.get())?.values ?? [];
      expect(unmatched).toEqual([expect.objectContaining({ value: 1, labels: expect.objectContaining({ subscriber: EASTERN_LEADERS.subscriberId }) })]);
      const duplicates = (await metrics.getSingleMetric("briefing_records_duplicate_total")?.get())?.values ?? [];
      expect(duplicates.reduce((n, v) => n + v.value, 0)).toBe(retracted.size);
    } finally {
      await feed.stop();
    }
  }, 300_000);
});
