/**
 * Recovery and the active/standby writer on the real components: a real Apache
 * Kafka broker (infra's launcher, plaintext, on ports this file keeps so it can
 * restart it) and real PostgreSQL (the global setup's server, and a cluster of
 * this file's own that it stops and starts). Several ledger writers run in this
 * process, each with its own pool, lock session, Kafka client and metrics, as
 * separate audit processes would.
 *
 * Each case produces agency events while the fault happens (retrying a send
 * until the broker acknowledges it), then reconciles: every acknowledged event
 * is in the ledger once (record ids are unique, and the count of publish rows
 * is the count of distinct events sent), and the ledger verifies with the
 * package's own verifier (every leaf, node and signed head).
 */
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agency, IntelligenceEvent } from "@takitini/proto";
import { createKafka, createLogger, createMetricsRegistry, readKafkaSecurity, type Registry } from "@takitini/runtime";
import type { Admin, Producer } from "kafkajs";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { LocalBroker } from "../../../infra/src/kafka/broker.ts";
import { startLocalBroker } from "../../../infra/src/kafka/cluster.ts";
import { freePorts } from "../../../infra/src/kafka/ports.ts";
import { warmUpCoordinators } from "../../../infra/src/kafka/warmup.ts";
import { POSTGRES_SCRIPT, postgresSettings, providePostgres, startArgs, type ProvidedPostgres } from "../../../infra/src/postgres/provide.ts";
import { HeadSchedule, Ledger, pgDatabase } from "./ledger/index.js";
import { createSigner } from "./merkle/index.js";
import { checkStore, trustKeys } from "./verify/index.js";
import { PgWriterLock } from "./writer/lock.js";
import { LedgerWriter } from "./writer/writer.js";

const POLL_MS = 250;
const LOCK_TIMEOUT_MS = 2000;
const SESSION_TIMEOUT_MS = 6000;
/**
 * The documented takeover bound (README: "Active and standby") for these
 * settings: the lock within a poll (and one statement) of the active's session
 * ending, ingesting once the consumer has joined — at most a session timeout
 * later, plus a fetch. Generous here: the machine is shared.
 */
const TAKEOVER_BOUND_MS = POLL_MS + LOCK_TIMEOUT_MS + SESSION_TIMEOUT_MS + 10_000;

const logger = createLogger("audit-recovery-test", (process.env.TEST_LOG_LEVEL ?? "silent") as "silent");
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const trusted = trustKeys([signer.publicKeyPem]);
const security = readKafkaSecurity({ TAKITINI_INSECURE_KAFKA: "true" });

let broker: LocalBroker;
let brokerPorts: { port: number; controllerPort: number };
let brokerDir: string;
let admin: Admin;
const cleanups: (() => Promise<unknown>)[] = [];

async function startBroker(): Promise<LocalBroker> {
  return startLocalBroker({ dataDir: brokerDir, security: "insecure", ...brokerPorts, heap: "384m", readyTimeoutMs: 120_000 });
}

beforeAll(async () => {
  const [port, controllerPort] = await freePorts(2);
  brokerPorts = { port: port!, controllerPort: controllerPort! };
  brokerDir = mkdtempSync(join(tmpdir(), "takitini-audit-recovery-kafka-"));
  broker = await startBroker();
  await warmUpCoordinators(broker.operator);
  admin = kafkaClient("admin").admin();
  await admin.connect();
}, 180_000);

/** Each case's producers and writers stop with it. */
async function cleanUp(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
}
afterEach(cleanUp, 60_000);

afterAll(async () => {
  await cleanUp();
  await admin?.disconnect().catch(() => undefined);
  await broker?.stop();
  rmSync(brokerDir, { recursive: true, force: true });
}, 120_000);

function kafkaClient(clientId: string) {
  return createKafka({ clientId, brokers: [`127.0.0.1:${brokerPorts.port}`], logger, security });
}

interface Case {
  topic: string;
  /** The decisions topic the ingest also reads (left empty here). */
  decisions: string;
  dlq: string;
  group: string;
  schema: string;
}

async function newCase(databaseUrl: string): Promise<Case> {
  const id = randomBytes(4).toString("hex");
  const c = { topic: `recovery.intel.${id}`, decisions: `recovery.decisions.${id}`, dlq: `recovery.dlq.${id}`, group: `recovery-audit-${id}`, schema: `recovery_${id}` };
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: c.topic, numPartitions: 3, replicationFactor: 1 }, { topic: c.decisions, numPartitions: 1, replicationFactor: 1 }, { topic: c.dlq, numPartitions: 1, replicationFactor: 1 }] });
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await pool.query(`create schema ${c.schema}`);
  await pool.end();
  return c;
}

/** One audit instance's ledger writer: its own pool, lock session, Kafka client and metrics. */
async function instance(name: string, databaseUrl: string, c: Case) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4, options: `-c search_path=${c.schema}`, connectionTimeoutMillis: 3000 });
  pool.on("error", () => undefined);
  const ledger = await Ledger.open(pgDatabase(pool), { signer });
  const heads = new HeadSchedule(ledger, 500, () => undefined);
  const metrics = createMetricsRegistry(`audit-${name}`);
  const lock = new PgWriterLock({ url: databaseUrl, schema: c.schema, timeoutMs: LOCK_TIMEOUT_MS });
  const writer = new LedgerWriter({
    kafka: kafkaClient(`audit-${name}`),
    ledger,
    heads,
    lock,
    pollMs: POLL_MS,
    lockTimeoutMs: LOCK_TIMEOUT_MS,
    logger: logger.child({ instance: name }),
    metrics,
    ingest: {
      auditTopic: c.decisions,
      accessTopics: [],
      intelTopics: [c.topic],
      deadLetterTopic: c.dlq,
      groupId: c.group,
      maxPerTransaction: 50,
      // As the service runs it (AUDIT_INGEST_PARTITIONS_CONCURRENTLY): the agency topic's three partitions and the decisions topic at once.
      partitionsConcurrently: 4,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      stallMs: 15_000,
      backoff: { baseMs: 300, maxMs: 3000 },
      stopTimeoutMs: 5000,
    },
  }).start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await writer.stop();
    await pool.end().catch(() => undefined);
  };
  cleanups.push(stop);
  return { name, writer, ledger, lock, metrics, pool, stop };
}
type Instance = Awaited<ReturnType<typeof instance>>;

/**
 * Produces one agency event every `everyMs`, each sent until the broker
 * acknowledges it (a send that failed may still have been written: it counts
 * as attempted, and is retried with the same id).
 */
function producing(c: Case, everyMs = 20) {
  const producer: Producer = kafkaClient(`producer-${c.topic}`).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const acked = new Set<string>();
  const attempted = new Set<string>();
  let running = true;
  const loop = (async () => {
    await producer.connect();
    while (running) {
      const id = randomUUID();
      const value = Buffer.from(IntelligenceEvent.encode(IntelligenceEvent.fromPartial({ id, sourceAgency: Agency.AGENCY_POLICE, eventType: "police.recovery_test" })).finish());
      for (;;) {
        attempted.add(id);
        try {
          await producer.send({ topic: c.topic, acks: -1, timeout: 5000, messages: [{ key: id, value }] });
          acked.add(id);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  const stop = async () => {
    running = false;
    await loop;
    await producer.disconnect().catch(() => undefined);
  };
  cleanups.push(stop);
  return { acked, attempted, stop, until: (n: number, ms = 60_000) => until(() => acked.size >= n, ms, `${n} events acknowledged`) };
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function publishIds(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ record_id: string }>("select record_id from ledger_leaves where kind = 'publish'");
  return rows.map((r) => r.record_id.slice("publish:".length));
}

/** Every acknowledged event in the ledger once, nothing that was not sent, and the ledger verifies. */
async function reconcile(pool: pg.Pool, ledger: Ledger, sent: { acked: Set<string>; attempted: Set<string> }) {
  await until(async () => {
    const ids = new Set(await publishIds(pool));
    return [...sent.acked].every((id) => ids.has(id));
  }, 90_000, "every acknowledged event in the ledger");
  const ids = await publishIds(pool);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.filter((id) => !sent.attempted.has(id))).toEqual([]);
  const { rows } = await pool.query<{ n: number; ids: number; hi: string | null }>("select count(*)::int as n, count(distinct record_id)::int as ids, max(idx) as hi from ledger_leaves");
  expect(rows[0]!.ids).toBe(rows[0]!.n);
  expect(Number(rows[0]!.hi)).toBe(rows[0]!.n - 1);
  await ledger.signHead();
  const report = await checkStore(pool, trusted);
  expect(report).toMatchObject({ ok: true, rows: rows[0]!.n, verifiedSize: rows[0]!.n });
}

const metric = async (m: Registry, name: string) => (await m.getSingleMetric(name)!.get()).values.reduce((n, v) => n + v.value, 0);
const ingesting = (i: Instance) => i.writer.role === "active" && i.writer.readiness().ready;

/** A new case's topics and schema, and its first writer once it is ingesting. */
async function firstWriter(name: string, url: string) {
  const c = await newCase(url);
  const a = await instance(name, url, c);
  await until(() => ingesting(a), 60_000, `${name} ingesting`);
  return { c, a };
}

describe("active and standby writers", () => {
  it("one writes, the other stands by and takes over when the active's connection is lost, and again when it stops; nothing lost or doubled", async () => {
    const url = inject("databaseUrl");
    const { c, a } = await firstWriter("a", url);
    const b = await instance("b", url, c);
    await until(() => b.writer.readiness().ready, 10_000, "b a ready standby");
    expect(b.writer.role).toBe("standby");
    expect(await metric(b.metrics, "audit_writer_active")).toBe(0);

    const sent = producing(c);
    await sent.until(100);
    // A standby's own appends (oversight queries, refusal summaries) go in under the same row lock while the active ingests.
    for (let i = 0; i < 5; i++) await b.ledger.appendBatch([{ recordId: `standby-query-${i}`, kind: "oversight_query", payload: Buffer.from(`query ${i}`) }]);

    // The active's database session is cut: it stops writing at once, and the standby takes the lock.
    const t0 = Date.now();
    await a.pool.query("select pg_terminate_backend($1)", [a.lock.backendPid]);
    await until(() => a.writer.role === "standby", 2000, "a stood down");
    // The documented bound is a poll and one statement; the margin is for a shared, loaded machine.
    await until(() => b.writer.role === "active", POLL_MS + LOCK_TIMEOUT_MS + 3000, "b holds the lock");
    await until(() => ingesting(b), TAKEOVER_BOUND_MS, "b ingesting");
    const takeoverMs = Date.now() - t0;
    expect(takeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);
    expect(await metric(b.metrics, "audit_writer_takeovers_total")).toBe(1);
    expect(await metric(a.metrics, "audit_writer_active")).toBe(0);
    expect(await metric(b.metrics, "audit_writer_active")).toBe(1);

    const before = sent.acked.size;
    await sent.until(before + 100);
    // The active stops (as at shutdown): it leaves the group and releases the lock; a takes over again.
    await b.stop();
    await until(() => ingesting(a), TAKEOVER_BOUND_MS, "a ingesting again");
    expect(await metric(a.metrics, "audit_writer_takeovers_total")).toBe(2);
    await sent.until(sent.acked.size + 50);
    await sent.stop();

    await reconcile(a.pool, a.ledger, sent);
    const { rows } = await a.pool.query<{ n: number }>("select count(*)::int as n from ledger_leaves where kind = 'oversight_query'");
    expect(rows[0]!.n).toBe(5);
  }, 240_000);
});

describe("PostgreSQL restarted under a running ingest", () => {
  let own: ProvidedPostgres;
  beforeAll(async () => {
    own = await providePostgres({ env: { ...process.env, DATABASE_URL: "" } });
  }, 120_000);
  afterAll(async () => {
    await own?.stop();
  });

  it("the writer stands down, takes the lock again when the server is back and resumes; nothing lost or doubled", async () => {
    const { c, a } = await firstWriter("pg", own.url);
    const sent = producing(c);
    await sent.until(100);

    await runPostgres(["stop", "--dir", own.dir!]);
    await until(() => !a.writer.readiness().ready, 5000, "not ready while the database is down");
    expect(a.writer.role).toBe("standby");
    const during = sent.acked.size;
    await sent.until(during + 100); // Kafka still takes events meanwhile
    const port = Number(new URL(own.url).port);
    await runPostgres(startArgs({ dir: own.dir!, port, settings: postgresSettings() }));

    await until(() => ingesting(a), 60_000, "ingesting again");
    await sent.until(sent.acked.size + 50);
    await sent.stop();
    await reconcile(a.pool, a.ledger, sent);
    expect(await metric(a.metrics, "audit_writer_takeovers_total")).toBeGreaterThanOrEqual(2);
  }, 240_000);
});

describe("the Kafka broker stopped for 15 s", () => {
  it("the ingest resumes once the broker is back; nothing lost or doubled", async () => {
    const url = inject("databaseUrl");
    const { c, a } = await firstWriter("kafka", url);
    const sent = producing(c);
    await sent.until(100);

    await broker.stop();
    await until(() => !a.writer.readiness().ready, 30_000, "not ready while the broker is down");
    await new Promise((r) => setTimeout(r, 15_000));
    broker = await startBroker();

    await until(() => ingesting(a), 120_000, "ingesting again");
    await sent.until(sent.acked.size + 100, 90_000);
    await sent.stop();
    await reconcile(a.pool, a.ledger, sent);
    expect(a.writer.role).toBe("active");
  }, 300_000);
});

function runPostgres(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [POSTGRES_SCRIPT, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`postgres.sh ${args[0]} exited ${code}: ${err.trim()}`))));
  });
}
