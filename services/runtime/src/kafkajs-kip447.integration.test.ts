/**
 * KIP-447 in the patched kafkajs on a real Apache Kafka broker (infra's launcher,
 * plaintext, through test/recovery's helpers): the consumer's group generation in its
 * GROUP_JOIN event; a transaction's offsets sent with that consumer's generation and
 * member id (TxnOffsetCommit v3), committed when they are current and refused when a
 * rebalance has made them stale (the transaction then aborted: neither its offsets nor
 * its records visible); and admin.fetchOffsets with requireStable (OffsetFetch v7)
 * waiting while a transaction holds offsets of the group, until it commits. The wire
 * format itself: kafkajs-kip447.test.ts.
 */
import { randomBytes } from "node:crypto";
import type { Admin, Consumer, Kafka, Producer } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readUntil, restartableBroker, until, type RestartableBroker } from "../../../test/recovery/broker.ts";
import { createLogger } from "./logger.js";

const logger = createLogger("kafkajs-kip447-test", (process.env.TEST_LOG_LEVEL ?? "silent") as "silent");

let broker: RestartableBroker;
let kafka: Kafka;
let admin: Admin;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  broker = await restartableBroker("kip447", logger);
  kafka = broker.kafka("kip447-test");
  admin = kafka.admin();
  await admin.connect();
}, 180_000);

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
}, 60_000);

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined);
  await broker?.close();
}, 120_000);

/** Fresh topics and a group of this test's own. */
async function scene(partitions = 1) {
  const id = randomBytes(4).toString("hex");
  const t = { in: `kip447.${id}.in`, out: `kip447.${id}.out`, group: `kip447-${id}` };
  await admin.createTopics({ waitForLeaders: true, topics: [t.in, t.out].map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
  return t;
}

type Join = { generationId: number; memberId: string };

/** A member of `groupId` consuming `topic` (nothing is produced to it; it commits nothing itself), and every group it joined. */
async function member(groupId: string, topic: string) {
  const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 300 });
  const joins: Join[] = [];
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => joins.push({ generationId: payload.generationId, memberId: payload.memberId }));
  cleanups.push(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
  await until(() => joins.length > 0, 30_000, `a member of ${groupId} joined`);
  return { joins, current: () => joins.at(-1)! };
}

/** A second member joins: a rebalance. Resolves when both are in the new generation. */
async function rebalance(groupId: string, topic: string, first: { joins: Join[] }) {
  const before = first.joins.length;
  const second = await member(groupId, topic);
  await until(() => first.joins.length > before && first.joins.at(-1)!.generationId === second.current().generationId, 30_000, "the first member rejoined in the second's generation");
  return second;
}

async function transactional(): Promise<Producer> {
  const producer = kafka.producer({ transactionalId: `kip447-${randomBytes(4).toString("hex")}`, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  cleanups.push(() => producer.disconnect());
  await producer.connect();
  return producer;
}

const committedOffset = async (groupId: string, topic: string, opts: { requireStable?: boolean } = {}) => {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic], ...opts });
  return entry!.partitions.find((p) => p.partition === 0)!.offset;
};

/** Values on `topic` a read_committed consumer sees, up to a sentinel written (non-transactionally) after everything else. */
async function committedValues(topic: string): Promise<string[]> {
  const sentinel = `sentinel-${randomBytes(4).toString("hex")}`;
  const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await plain.connect();
  try {
    await plain.send({ topic, acks: -1, messages: [{ value: sentinel }] });
  } finally {
    await plain.disconnect();
  }
  const seen = await readUntil(kafka, topic, (m) => m.value?.toString("utf8") ?? "", (all) => all.includes(sentinel), 30_000);
  return seen.filter((v) => !v.startsWith("sentinel-"));
}

const rejection = async (p: Promise<unknown>) => {
  const t0 = Date.now();
  try {
    await p;
  } catch (e) {
    return { error: e as Error & { type?: string }, ms: Date.now() - t0 };
  }
  throw new Error("it did not reject");
};

describe("the consumer's GROUP_JOIN event (patched kafkajs)", () => {
  it("carries the group generation the member joined, larger after a rebalance", async () => {
    const t = await scene(2);
    const a = await member(t.group, t.in);
    const first = a.current().generationId;
    expect(typeof first).toBe("number");
    expect(Number.isInteger(first) && first > 0).toBe(true);
    const b = await rebalance(t.group, t.in, a);
    expect(a.current().generationId).toBeGreaterThan(first);
    expect(b.current().generationId).toBe(a.current().generationId);
    expect(b.current().memberId).not.toBe(a.current().memberId);
  }, 90_000);
});

describe("a transaction's offsets sent with the consumer's group metadata (TxnOffsetCommit v3, KIP-447)", () => {
  it("commits offsets and records together when the generation and member are the group's current ones", async () => {
    const t = await scene();
    const a = await member(t.group, t.in);
    await rebalance(t.group, t.in, a); // the current generation is not the first one
    const producer = await transactional();
    const tx = await producer.transaction();
    await tx.send({ topic: t.out, messages: [{ value: "committed" }] });
    await tx.sendOffsets({ consumerGroupId: t.group, topics: [{ topic: t.in, partitions: [{ partition: 0, offset: "5" }] }], consumerGroupMetadata: a.current() });
    await tx.commit();
    // commit() resolves once the transaction coordinator has decided; the group coordinator learns
    // it from the markers after, so a fetch not requiring stable offsets may still answer the old one
    expect(await committedOffset(t.group, t.in, { requireStable: true })).toBe("5");
    expect(await committedValues(t.out)).toEqual(["committed"]);
  }, 120_000);

  it.each([
    ["a stale generation (taken before a rebalance)", "stale"],
    ["a member id the group does not know", "stranger"],
  ] as const)("refuses %s at once; after the abort neither the offsets nor the records are visible", async (_what, kind) => {
    const t = await scene();
    const a = await member(t.group, t.in);
    const before = a.current();
    await rebalance(t.group, t.in, a);
    expect(a.current().generationId).toBeGreaterThan(before.generationId);
    const metadata = kind === "stale" ? before : { generationId: a.current().generationId, memberId: `not-a-member-${randomBytes(4).toString("hex")}` };

    const producer = await transactional();
    const tx = await producer.transaction();
    await tx.send({ topic: t.out, messages: [{ value: "fenced" }] });
    const { error, ms } = await rejection(tx.sendOffsets({ consumerGroupId: t.group, topics: [{ topic: t.in, partitions: [{ partition: 0, offset: "5" }] }], consumerGroupMetadata: metadata }));
    expect(["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "FENCED_INSTANCE_ID"]).toContain(error.type);
    if (kind === "stale") expect(error.type).toBe("ILLEGAL_GENERATION");
    else expect(error.type).toBe("UNKNOWN_MEMBER_ID");
    expect(ms).toBeLessThan(5000); // bailed, not retried
    await tx.abort();

    expect(await committedOffset(t.group, t.in, { requireStable: true })).toBe("-1");
    expect(await committedValues(t.out)).toEqual([]);

    // The same producer, with the member's current metadata, commits (the refusal was the fencing, not the producer).
    const again = await producer.transaction();
    await again.send({ topic: t.out, messages: [{ value: "current" }] });
    await again.sendOffsets({ consumerGroupId: t.group, topics: [{ topic: t.in, partitions: [{ partition: 0, offset: "6" }] }], consumerGroupMetadata: a.current() });
    await again.commit();
    expect(await committedOffset(t.group, t.in, { requireStable: true })).toBe("6");
    expect(await committedValues(t.out)).toEqual(["current"]);
  }, 120_000);
});

describe("admin.fetchOffsets with requireStable (OffsetFetch v7, KIP-447)", () => {
  it("waits while a transaction holds offsets of the group's partition, then answers the committed ones; without it, the old offset at once", async () => {
    const t = await scene();
    await admin.setOffsets({ groupId: t.group, topic: t.in, partitions: [{ partition: 0, offset: "3" }] });
    expect(await committedOffset(t.group, t.in, { requireStable: true })).toBe("3"); // nothing pending: at once

    const producer = await transactional();
    const tx = await producer.transaction();
    await tx.send({ topic: t.out, messages: [{ value: "pending" }] });
    await tx.sendOffsets({ consumerGroupId: t.group, topics: [{ topic: t.in, partitions: [{ partition: 0, offset: "7" }] }] });

    const t0 = Date.now();
    expect(await committedOffset(t.group, t.in)).toBe("3");
    expect(await committedOffset(t.group, t.in, { requireStable: false })).toBe("3");
    expect(Date.now() - t0).toBeLessThan(2000);

    let settled: { offset?: string; error?: unknown; at: number } | undefined;
    const stable = committedOffset(t.group, t.in, { requireStable: true }).then(
      (offset) => (settled = { offset, at: Date.now() }),
      (error) => (settled = { error, at: Date.now() }),
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect(settled).toBeUndefined(); // still waiting on the open transaction

    const committedAt = Date.now();
    await tx.commit();
    await stable;
    expect(settled!.error).toBeUndefined();
    expect(settled!.offset).toBe("7");
    expect(settled!.at).toBeGreaterThanOrEqual(committedAt);
    expect(await committedOffset(t.group, t.in)).toBe("7");
  }, 120_000);
});
