/**
 * The head publisher on a real Kafka broker (infra's launcher, plaintext, ports
 * of its own) and the real PostgreSQL of the global setup: every signed head
 * reaches the heads topic; with the broker stopped, appends and signings go on,
 * `audit_heads_unpublished` counts the heads waiting, and when the broker is
 * back the latest head is published and the count returns to 0.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKafka, createLogger, createMetricsRegistry, readKafkaSecurity } from "@takitini/runtime";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { LocalBroker } from "../../../../infra/src/kafka/broker.ts";
import { startLocalBroker } from "../../../../infra/src/kafka/cluster.ts";
import { freePorts } from "../../../../infra/src/kafka/ports.ts";
import { warmUpCoordinators } from "../../../../infra/src/kafka/warmup.ts";
import { Ledger, pgDatabase } from "../ledger/index.js";
import { createSigner } from "../merkle/index.js";
import { trustKeys } from "../verify/head.js";
import { judgeHead, parseHeadLine, type WitnessedHead } from "../verify/witness.js";
import { HEAD_EVENT_TYPE, HeadPublisher } from "./publisher.js";

const logger = createLogger("audit-head-publisher-test", (process.env.TEST_LOG_LEVEL ?? "silent") as "silent");
const security = readKafkaSecurity({ TAKITINI_INSECURE_KAFKA: "true" });
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const trusted = trustKeys([signer.publicKey]);
const url = inject("databaseUrl");
const TOPIC = `heads.${randomBytes(4).toString("hex")}`;

let broker: LocalBroker;
let brokerPorts: { port: number; controllerPort: number };
let brokerDir: string;
const pool = new pg.Pool({ connectionString: url, max: 3 });

const startBroker = () => startLocalBroker({ dataDir: brokerDir, security: "insecure", ...brokerPorts, heap: "384m", readyTimeoutMs: 120_000 });
const kafka = (clientId: string) => createKafka({ clientId, brokers: [`127.0.0.1:${brokerPorts.port}`], logger, security, extra: { retry: { retries: 1 }, connectionTimeout: 2000 } });

beforeAll(async () => {
  const [port, controllerPort] = await freePorts(2);
  brokerPorts = { port: port!, controllerPort: controllerPort! };
  brokerDir = mkdtempSync(join(tmpdir(), "takitini-audit-heads-kafka-"));
  broker = await startBroker();
  const admin = kafka("admin").admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
}, 180_000);

afterAll(async () => {
  await broker?.stop();
  await pool.end();
  rmSync(brokerDir, { recursive: true, force: true });
}, 120_000);

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every message on the topic so far, as a fresh reader from the beginning sees it. */
async function readTopic(): Promise<{ key: string; head: WitnessedHead; type: string }[]> {
  const admin = kafka("reader-admin").admin();
  await admin.connect();
  const [end] = await admin.fetchTopicOffsets(TOPIC);
  await admin.disconnect();
  const want = Number(end!.high);
  const got: { key: string; head: WitnessedHead; type: string }[] = [];
  if (want === 0) return got;
  const consumer = kafka("reader").consumer({ groupId: `reader-${randomBytes(4).toString("hex")}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push({ key: message.key!.toString(), head: parseHeadLine(message.value!.toString()), type: message.headers?.["event-type"]?.toString() ?? "" }) });
  await until("the topic read to its end", () => (got.length >= want ? true : undefined), 120_000);
  await consumer.disconnect();
  return got;
}

const gauge = async (metrics: ReturnType<typeof createMetricsRegistry>) => (await metrics.getSingleMetric("audit_heads_unpublished")!.get()).values[0]!.value;

describe("publishing signed heads", () => {
  it("publishes each new head; with Kafka away appends go on and the heads wait, counted; when it is back the latest goes out", async () => {
    const schema = `heads_${randomBytes(4).toString("hex")}`;
    await pool.query(`create schema ${schema}`);
    const scoped = new pg.Pool({ connectionString: url, max: 3, options: `-c search_path=${schema}` });
    try {
      const db = pgDatabase(scoped);
      const ledger = await Ledger.open(db, { signer });
      const metrics = createMetricsRegistry("audit-test");
      let active = true;
      const publisher = new HeadPublisher({ kafka: kafka("audit-heads"), ledger, db, topic: TOPIC, ledgerName: schema, pollMs: 200, isActive: () => active, logger, metrics, sendTimeoutMs: 5000 }).start();
      let n = 0;
      const grow = async (k: number) => {
        await ledger.appendBatch(Array.from({ length: k }, () => ({ recordId: `rec-${n}`, kind: "decision", payload: Buffer.from(`decision ${n++}`) })));
        return ledger.signHead();
      };

      const h1 = await grow(3);
      await until("head 1 published", () => (publisher.lastPublished?.treeSize === 3 ? true : undefined));
      const h2 = await grow(2);
      await until("head 2 published", () => (publisher.lastPublished?.treeSize === 5 ? true : undefined));
      expect(await gauge(metrics)).toBe(0);

      // A standby publishes nothing.
      active = false;
      await grow(1);
      await new Promise((r) => setTimeout(r, 1000));
      expect(publisher.lastPublished?.treeSize).toBe(5);
      active = true;
      await until("the head signed while standing by published on becoming active", () => (publisher.lastPublished?.treeSize === 6 ? true : undefined));

      await broker.stop();
      // Appends and signings do not wait for Kafka.
      const t0 = Date.now();
      await grow(4);
      await grow(4);
      const h5 = await grow(4);
      expect(Date.now() - t0).toBeLessThan(10_000);
      await until("the three heads counted as unpublished", async () => ((await gauge(metrics)) === 3 ? true : undefined), 30_000);
      expect(publisher.lastPublished?.treeSize).toBe(6);
      await until("a failed publication counted", async () => ((await metrics.getSingleMetric("audit_head_publish_failures_total")!.get()).values[0]!.value > 0 ? true : undefined), 30_000);
      expect(await gauge(metrics)).toBe(3);

      broker = await startBroker();
      await until("the latest head published when the broker is back", () => (publisher.lastPublished?.treeSize === 18 ? true : undefined), 90_000);
      expect(await gauge(metrics)).toBe(0);
      await publisher.stop();
      await warmUpCoordinators(broker.operator);

      const onTopic = await readTopic();
      expect(onTopic.every((m) => m.key === schema && m.type === HEAD_EVENT_TYPE)).toBe(true);
      // A send that timed out while the broker went away may have landed too: a repeat, which a witness skips.
      expect([...new Set(onTopic.map((m) => m.head.treeSize))]).toEqual([3, 5, 6, 18]);
      const last = onTopic.at(-1)!.head;
      expect(Buffer.from(last.rootHash).equals(h5.rootHash) && Buffer.from(last.signature).equals(h5.signature)).toBe(true);
      // What a witness makes of them: each a valid head of a growing tree.
      let latest: WitnessedHead | undefined;
      for (const m of onTopic) {
        const verdict = judgeHead(latest, m.head, trusted);
        expect(verdict.action === "append" || (verdict.action === "duplicate" && m.head.treeSize === latest?.treeSize), JSON.stringify(verdict)).toBe(true);
        if (verdict.action === "append") latest = m.head;
      }
      expect([h1.treeSize, h2.treeSize]).toEqual([3, 5]);
    } finally {
      await scoped.end();
    }
  }, 300_000);
});
