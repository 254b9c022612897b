/**
 * The real three-node cluster (Apache Kafka from Maven Central, KRaft, mutual TLS and
 * ACLs) through provideKafka({ brokers: 3 }) — unless KAFKA_BROKERS names an existing
 * cluster, which has no nodes to kill; then beforeAll fails rather than skip — and the
 * fault primitives on it: the partition leader SIGKILLed mid-stream while acks=-1
 * writes continue, the node restarted and back in sync, the active controller killed.
 */
import { randomUUID } from "node:crypto";
import { logLevel, type Admin, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { infraKafka } from "./client.js";
import { type ClusterNode, type LocalCluster } from "./cluster.js";
import { isAlive } from "./process.js";
import { activeController, groupCoordinator, partitionLeader, transactionCoordinator, waitForClusterHealthy } from "./faults.js";
import { provideKafka, type ProvidedKafka } from "./provide.js";
import { ensureTopics, type TopicDeclaration } from "./topics.js";

let kafka: ProvidedKafka | undefined;
let admin: Admin | undefined;
let producer: Producer | undefined;
// One partition, so "the leader" is one node; replication 3 as the cluster's environment declares.
const topic: TopicDeclaration = { name: `takitini.cluster-test.${randomUUID().slice(0, 8)}`, role: "dead-letter", partitions: 1, replication_factor: 3, retention_ms: 3_600_000, cleanup_policy: "delete", description: "scratch topic of the cluster integration test" };
const sent: string[] = [];

function cluster(): LocalCluster {
  if (!kafka?.cluster) throw new Error("no local three-node cluster was provided (KAFKA_BROKERS set?)");
  return kafka.cluster;
}
const node = (id: number): ClusterNode => cluster().nodes.find((n) => n.id === id)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Produce `n` records with acks=-1 (all in-sync replicas, at least min.insync.replicas=2). */
async function produce(n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const value = `${tag}-${i}`;
    await producer!.send({ topic: topic.name, acks: -1, messages: [{ key: "k", value }] });
    sent.push(value);
  }
}

/** Poll `read` until it differs from `from`; the new value. */
async function changed(from: number, read: () => Promise<number>, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await read();
    if (now !== from) return now;
    if (Date.now() > deadline) throw new Error(`still ${from} after ${timeoutMs} ms`);
    await sleep(250);
  }
}

beforeAll(async () => {
  const t0 = Date.now();
  kafka = await provideKafka({ brokers: 3, log: (m) => process.stderr.write(`[provideKafka] ${m}\n`) });
  process.stderr.write(`[provideKafka] ${kafka.mode} ${kafka.brokers.length}-node cluster ready in ${Date.now() - t0} ms\n`);
  cluster();
  admin = infraKafka(kafka.operator, "cluster-test-admin", logLevel.NOTHING).admin();
  await admin.connect();
  await ensureTopics(kafka.operator, [topic]);
  producer = infraKafka(kafka.operator, "cluster-test-producer", logLevel.NOTHING).producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 12, initialRetryTime: 300, maxRetryTime: 3000 } });
  await producer.connect();
}, 180_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await kafka?.stop();
}, 90_000);

describe("a three-node KRaft cluster on loopback", () => {
  it("has three brokers, mutual TLS, and the declared topics replicated three times with two in sync required", async () => {
    const c = cluster();
    expect(c.nodes.map((n) => n.id)).toEqual([1, 2, 3]);
    expect(new Set(c.brokers).size).toBe(3);
    expect(kafka!.security).toBe("mtls");
    const described = await admin!.describeCluster();
    expect(described.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    const shipped = "takitini.intel.police.v1";
    const meta = await admin!.fetchTopicMetadata({ topics: [shipped, "__transaction_state", "__consumer_offsets"] });
    for (const t of meta.topics) for (const p of t.partitions) expect(p.replicas, `${t.name}[${p.partitionId}]`).toHaveLength(3);
    const configs = await admin!.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: shipped, configNames: ["min.insync.replicas"] }] });
    expect(configs.resources[0]!.configEntries.find((e) => e.configName === "min.insync.replicas")?.configValue).toBe("2");
    await waitForClusterHealthy(kafka!.operator, { brokers: 3, timeoutMs: 30_000 });
  });

  it("names the coordinators and the active controller, each a node of the cluster", async () => {
    const ids = [1, 2, 3];
    expect(ids).toContain(await activeController(kafka!.operator));
    expect(ids).toContain(await transactionCoordinator(kafka!.operator, "takitini-warmup"));
    expect(ids).toContain(await groupCoordinator(kafka!.operator, "any-group"));
  });

  it("keeps taking acks=-1 writes when the partition leader is SIGKILLed, under a new leader; the node rejoins", async () => {
    await produce(10, "before");
    const leader = await partitionLeader(kafka!.operator, topic.name, 0);
    const victim = node(leader);
    const pid = victim.pid();
    await victim.kill();
    expect(victim.running()).toBe(false);
    expect(pid).toBeDefined();
    expect(isAlive(pid!)).toBe(false);

    // Writes continue (the producer retries through the election) and land on the new leader.
    await produce(10, "during");
    const next = await changed(leader, () => partitionLeader(kafka!.operator, topic.name, 0), 30_000);
    expect(next).not.toBe(leader);
    const meta = await admin!.fetchTopicMetadata({ topics: [topic.name] });
    expect(meta.topics[0]!.partitions[0]!.isr).not.toContain(leader);

    await victim.start();
    expect(victim.running()).toBe(true);
    await waitForClusterHealthy(kafka!.operator, { brokers: 3, topics: [topic.name, "__consumer_offsets", "__transaction_state"], timeoutMs: 60_000 });
    const healed = await admin!.fetchTopicMetadata({ topics: [topic.name] });
    expect(healed.topics[0]!.partitions[0]!.isr.sort()).toEqual([1, 2, 3]);
    await produce(5, "after");
  }, 120_000);

  it("elects a new active controller when the active one is SIGKILLed", async () => {
    const controller = await activeController(kafka!.operator);
    const victim = node(controller);
    await victim.kill();
    const next = await changed(controller, () => activeController(kafka!.operator), 30_000);
    expect(next).not.toBe(controller);
    expect([1, 2, 3]).toContain(next);
    await produce(5, "no-controller");
    await victim.start();
    await waitForClusterHealthy(kafka!.operator, { brokers: 3, topics: [topic.name], timeoutMs: 60_000 });
  }, 120_000);

  it("lost no acknowledged write, in order", async () => {
    const consumer = infraKafka(kafka!.operator, "cluster-test-consumer", logLevel.NOTHING).consumer({ groupId: `cluster-test-${randomUUID()}` });
    const seen: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topic.name, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      const deadline = Date.now() + 60_000;
      while (seen.length < sent.length && Date.now() < deadline) await sleep(200);
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual(sent);
    expect(sent).toHaveLength(30);
  }, 90_000);
});
