/**
 * The ingest on the real components: a real Apache Kafka broker (infra's
 * launcher, plaintext) and the global setup's PostgreSQL, the ledger written as
 * the service's role (insert and select only; its owner migrated and granted),
 * as `npm start` runs it.
 * - Conflicts are kept: a decision id that arrives again with different bytes
 *   becomes a linked conflict record, counted and logged; the same bytes again
 *   are duplicates; the ledger verifies.
 * - Group commit: partitions handled at once share transactions and offsets
 *   commits; every record is appended once and every partition's offset
 *   committed to its end.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AUDIT_SCHEMA_VERSION, ConflictRecord, DecisionRecord, Outcome, View } from "@takitini/proto";
import { createKafka, createLogger, createMetricsRegistry, readKafkaSecurity } from "@takitini/runtime";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { LocalBroker } from "../../../infra/src/kafka/broker.ts";
import { startLocalBroker } from "../../../infra/src/kafka/cluster.ts";
import { freePorts } from "../../../infra/src/kafka/ports.ts";
import { warmUpCoordinators } from "../../../infra/src/kafka/warmup.ts";
import { auditRoles } from "../../../infra/src/postgres/provide.ts";
import { LedgerIngest } from "./ingest.js";
import { Ledger, migrateAndGrant, openDatabase, pgDatabase, privilegeProblems, roleFacts } from "./ledger/index.js";
import { createSigner, decodeEntry } from "./merkle/index.js";
import { decision } from "./oversight/decisions.fixture.js";
import { checkStore, trustKeys } from "./verify/index.js";

const url = inject("databaseUrl");
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const logged: Record<string, unknown>[] = [];
const logger = createLogger("audit-conflict-test", "warn", {
  write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>),
} as unknown as NodeJS.WritableStream);
const security = readKafkaSecurity({ TAKITINI_INSECURE_KAFKA: "true" });

let broker: LocalBroker;
let brokerDir: string;
let port: number;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const [p, controllerPort] = await freePorts(2);
  port = p!;
  brokerDir = mkdtempSync(join(tmpdir(), "takitini-audit-conflict-kafka-"));
  broker = await startLocalBroker({ dataDir: brokerDir, security: "insecure", port, controllerPort: controllerPort!, heap: "384m", readyTimeoutMs: 120_000 });
  await warmUpCoordinators(broker.operator);
}, 180_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await broker?.stop();
  rmSync(brokerDir, { recursive: true, force: true });
}, 120_000);

const kafka = (clientId: string) => createKafka({ clientId, brokers: [`127.0.0.1:${port}`], logger, security });

/** A schema migrated by its owner and a ledger on it as the service role. */
async function serviceLedger(schema: string) {
  const roles = auditRoles(url);
  const owner = await openDatabase({ databaseUrl: roles.ownerUrl, schema, poolMax: 1 });
  await migrateAndGrant(owner.db, "takitini_audit", schema);
  await owner.close();
  const service = await openDatabase({ databaseUrl: roles.serviceUrl, schema, createSchema: false });
  cleanups.push(() => service.close());
  expect(privilegeProblems(await roleFacts(service.db))).toEqual([]);
  return Ledger.open(service.db, { signer, migrate: false });
}

describe("the ingest, a decision id again with different bytes", () => {
  it("appends a linked conflict record (as the service role), counts and logs it; the same bytes again are duplicates", async () => {
    const id = randomBytes(4).toString("hex");
    const topic = `conflict.decisions.${id}`;
    const dlq = `conflict.dlq.${id}`;
    const schema = `conflict_${id}`;
    const admin = kafka("admin").admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }, { topic: dlq, numPartitions: 1, replicationFactor: 1 }] });

    // Least privilege, as npm start: the owner migrates and grants; the ledger is written as the service role.
    const ledger = await serviceLedger(schema);

    const metrics = createMetricsRegistry("audit-conflict");
    const ingest = new LedgerIngest(kafka("audit"), ledger, { auditTopic: topic, accessTopics: [], refusalTopics: [], intelTopics: [], deadLetterTopic: dlq, groupId: `conflict-audit-${id}`, logger, metrics, maxPerTransaction: 50 });
    await ingest.start();
    cleanups.push(() => ingest.stop());

    const first = decision(randomUUID(), "customs", false, { policyRevision: "rev-1", decidedAt: new Date("2026-11-20T01:00:00Z") });
    // Re-made under a new policy revision: the same decision id, other bytes.
    const remade = DecisionRecord.fromPartial({ ...first, outcome: Outcome.OUTCOME_ALLOW, view: View.VIEW_REDACTED, policyRevision: "rev-2", decidedAt: new Date("2026-11-21T01:00:00Z") });
    const producer = kafka("exchange").producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const headers = { "event-type": "audit.decision", "schema-version": AUDIT_SCHEMA_VERSION };
    const send = (d: DecisionRecord) => producer.send({ topic, messages: [{ key: d.id, value: Buffer.from(DecisionRecord.encode(d).finish()), headers }] });
    for (const d of [first, remade, remade, first]) await send(d);

    // The decision, its revision rev-1, the conflict and rev-2 (first seen with the re-made decision).
    const deadline = Date.now() + 60_000;
    while ((await ledger.state()).treeSize < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 1500)); // anything more would have landed by now
    const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${schema}` });
    cleanups.push(() => pool.end());
    const { rows } = await pool.query<{ idx: string; kind: string; record_id: string; entry: Buffer }>("select idx, kind, record_id, entry from ledger_leaves order by idx");
    expect(rows.map((r) => r.kind).sort()).toEqual(["conflict", "decision", "policy_revision", "policy_revision"]);
    const original = rows.find((r) => r.kind === "decision")!;
    expect(original.record_id).toBe(first.id);
    expect(DecisionRecord.decode(decodeEntry(original.entry).payload)).toMatchObject({ policyRevision: "rev-1" });
    const conflict = ConflictRecord.decode(decodeEntry(rows.find((r) => r.kind === "conflict")!.entry).payload);
    expect(conflict).toMatchObject({ originalRecordId: first.id, originalIndex: original.idx, originalKind: "decision", newKind: "decision" });
    expect(DecisionRecord.decode(conflict.newPayload)).toMatchObject({ id: first.id, policyRevision: "rev-2", outcome: Outcome.OUTCOME_ALLOW });

    const text = await metrics.metrics();
    expect(text).toMatch(/^audit_record_conflicts_total\{kind="decision",[^}]*\} 1$/m);
    expect(text).toMatch(/^audit_records_appended_total\{kind="conflict",[^}]*\} 1$/m);
    // the re-made decision delivered again, and the first again: duplicates (rev-2 again too, if it came in its own batch)
    expect(Number(/^audit_records_duplicate_total\{[^}]*\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
    const conflictLogs = logged.filter((l) => l["code"] === "RECORD_CONFLICT");
    expect(conflictLogs).toHaveLength(1);
    expect(JSON.stringify(conflictLogs[0])).not.toMatch(/police\/person|rev-2|customs_police/); // ids and indices, never the record's content

    await ledger.signHead();
    expect((await checkStore(pool, trustKeys([signer.publicKeyPem]))).ok).toBe(true);
  }, 150_000);
});

describe("the ingest, partitions handled at once (group commit)", () => {
  const PARTITIONS = 6;
  const PER_PARTITION = 40;

  /** Ingest a topic of PARTITIONS partitions, PER_PARTITION decisions each, all there before the ingest starts; the transactions it took. */
  async function ingestAll(partitionsConcurrently: number) {
    const id = randomBytes(4).toString("hex");
    const topic = `group.decisions.${id}`;
    const dlq = `group.dlq.${id}`;
    const groupId = `group-audit-${id}`;
    const admin = kafka("admin").admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }, { topic: dlq, numPartitions: 1, replicationFactor: 1 }] });
    const producer = kafka("exchange").producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const headers = { "event-type": "audit.decision", "schema-version": AUDIT_SCHEMA_VERSION };
    const sent: DecisionRecord[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const batch = Array.from({ length: PER_PARTITION }, () => decision(randomUUID(), "customs", true));
      sent.push(...batch);
      await producer.send({ topic, messages: batch.map((d) => ({ partition: p, key: d.id, value: Buffer.from(DecisionRecord.encode(d).finish()), headers })) });
    }

    const ledger = await serviceLedger(`group_${id}`);
    const metrics = createMetricsRegistry("audit-group");
    const ingest = new LedgerIngest(kafka("audit"), ledger, { auditTopic: topic, accessTopics: [], refusalTopics: [], intelTopics: [], deadLetterTopic: dlq, groupId, logger, metrics, maxPerTransaction: 100, partitionsConcurrently });
    await ingest.start();
    cleanups.push(() => ingest.stop());

    // Every decision and the one policy revision they name.
    const want = sent.length + 1;
    const deadline = Date.now() + 60_000;
    while ((await ledger.state()).treeSize < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    // Offsets are committed after the append: wait for every partition's to reach its end.
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions;
    while (Date.now() < deadline) {
      const c = await committed();
      if (ends.every((e) => c.find((x) => x.partition === e.partition)?.offset === e.high)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1000)); // anything more would have landed by now

    const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=group_${id}` });
    cleanups.push(() => pool.end());
    const leaves = (await pool.query<{ kind: string; record_id: string }>("select kind, record_id from ledger_leaves order by idx")).rows;
    // Every tree state after the empty tree is one transaction that appended.
    const transactions = Number((await pool.query<{ n: string }>("select count(*) as n from ledger_tree_states where tree_size > 0")).rows[0]!.n);
    await ledger.signHead();
    return { sent, leaves, transactions, ends, committed: await committed(), verified: (await checkStore(pool, trustKeys([signer.publicKeyPem]))).ok, metrics: await metrics.metrics() };
  }

  it("appends every record once, in fewer transactions than partitions, and commits every partition's offset to its end", async () => {
    const r = await ingestAll(PARTITIONS);
    const decisions = r.leaves.filter((l) => l.kind === "decision").map((l) => l.record_id);
    expect(decisions).toHaveLength(r.sent.length);
    expect(new Set(decisions)).toEqual(new Set(r.sent.map((d) => d.id)));
    expect(r.leaves.filter((l) => l.kind === "policy_revision")).toHaveLength(1);
    expect(r.leaves).toHaveLength(r.sent.length + 1);
    for (const e of r.ends) expect(r.committed.find((c) => c.partition === e.partition)?.offset).toBe(e.high);
    expect(r.metrics).toMatch(/^audit_records_appended_total\{kind="decision",[^}]*\} 240$/m);
    expect(r.verified).toBe(true);
    // Six partitions' batches of 40, up to 100 records a transaction: they share transactions.
    expect(r.transactions).toBeLessThan(PARTITIONS);
    expect(r.transactions).toBeGreaterThanOrEqual(Math.ceil((r.sent.length + 1) / 100));
  }, 150_000);

  it("one partition at a time, the same records take a transaction per partition's batch (the comparison above is not vacuous)", async () => {
    const r = await ingestAll(1);
    expect(r.leaves).toHaveLength(r.sent.length + 1);
    expect(r.verified).toBe(true);
    expect(r.transactions).toBeGreaterThanOrEqual(PARTITIONS);
  }, 150_000);
});
