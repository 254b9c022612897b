// npm run bench:audit — the audit ledger on a real PostgreSQL with durable settings
// (fsync and synchronous commit on), through the Ledger API:
//   1. records appended/s with the tree maintained: batches of BATCH realistic
//      DecisionRecord payloads, one transaction each, median over ROUNDS batches
//      (on a small tree, and again once the tree holds RECORDS);
//   2. the time to fill the ledger to RECORDS (BENCH_AUDIT_RECORDS, default 1M)
//      in FILL_BATCH-record appends;
//   3. at RECORDS: inclusion proofs (by index; and by record id, as the oversight
//      body asks) and consistency proofs, each verified, p50/p99 over PROOFS;
//   4. "who has seen subject X" at RECORDS — when the oversight module exports
//      whoHasSeen (with fromDecision and writeIndex to fill its index);
//   5. the independent verifier (npm run audit:verify) over the whole ledger;
//   6. the service's own ingest path, in a schema of its own: decision records as
//      the decisions topic carries them (bytes), through ingestRecord (decode, the
//      leaf) and appendRecords (subjects sealed, leaves, tree, oversight index), in
//      chunks of BATCH — what LedgerIngest does per chunk, without Kafka
//      (BENCH_AUDIT_INGEST_RECORDS, default 20,000; 0 skips it).
// The bench runs under the V8 flags the audit service runs with (SERVICE_NODE_FLAGS:
// a small young generation, frequent major collections), re-executing itself with
// them when started without: what the ingest allocates costs here what it costs the
// service (phase 6 measured 20 % faster without them).
// Benchmarks measure; they assert nothing beyond the proofs verifying. Quote
// figures from one run: these machines are shared and noisy.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { postgresSettings, providePostgres, redactUrl, SERVICE_NODE_FLAGS } from "@takitini/infra";
import { DecisionRecord } from "@takitini/proto";
import { decision, subjectId } from "./decisions.ts";
import pg from "pg";
import { Ledger, pgDatabase, type LedgerRecord, type SqlSession } from "../../services/audit/dist/ledger/index.js";
import { createSigner } from "../../services/audit/dist/merkle/index.js";
import { verifyConsistency, verifyInclusion } from "../../services/audit/dist/verify/index.js";
import { appendRecords, ingestRecord } from "../../services/audit/dist/ingest.js";
import { fmt, median, percentile, ROOT } from "./lib.ts";

if (!SERVICE_NODE_FLAGS.every((f) => process.execArgv.includes(f))) {
  const run = spawnSync(process.execPath, [...SERVICE_NODE_FLAGS, ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(run.status ?? 1);
}

const RECORDS = Number(process.env.BENCH_AUDIT_RECORDS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_AUDIT_BATCH ?? 500);
const ROUNDS = Number(process.env.BENCH_AUDIT_ROUNDS ?? 9);
const FILL_BATCH = Number(process.env.BENCH_AUDIT_FILL_BATCH ?? 10_000);
const PROOFS = Number(process.env.BENCH_AUDIT_PROOFS ?? 2000);
const SUBJECT_QUERIES = Number(process.env.BENCH_AUDIT_SUBJECT_QUERIES ?? 500);
const RUN_VERIFIER = process.env.BENCH_AUDIT_VERIFY !== "0";
const INGEST_RECORDS = Number(process.env.BENCH_AUDIT_INGEST_RECORDS ?? 20_000);
/** Distinct pseudonymous subjects the events name (each decision names 1–3). */
const SUBJECTS = Math.max(100, Math.floor(RECORDS / 20));

// ---- realistic decision records -------------------------------------------------

// ---- the oversight index, when the oversight module offers it --------------------

interface Oversight {
  whoHasSeen(db: SqlSession, subjectId: string, page: { limit: number }): Promise<unknown>;
  fromDecision(r: DecisionRecord, at: Date): { ledger: LedgerRecord; index: unknown };
  writeIndex(tx: SqlSession, rows: readonly { index: number; row: unknown }[]): Promise<void>;
}

async function loadOversight(): Promise<{ oversight: Oversight } | { missing: string }> {
  const path = join(ROOT, "services/audit/dist/oversight/index.js");
  if (!existsSync(path)) return { missing: "services/audit/src/oversight/index.ts does not exist yet" };
  const mod = (await import(path)) as Partial<Oversight>;
  const absent = (["whoHasSeen", "fromDecision", "writeIndex"] as const).filter((f) => typeof mod[f] !== "function");
  if (absent.includes("whoHasSeen")) return { missing: "services/audit/src/oversight/index.ts does not export whoHasSeen yet" };
  if (absent.length > 0) return { missing: `services/audit/src/oversight/index.ts exports whoHasSeen but not ${absent.join(", ")} (needed to fill its index)` };
  return { oversight: mod as Oversight };
}

// ---- the run ----------------------------------------------------------------------

const provided = await providePostgres({ settings: postgresSettings({ durable: true }), log: (m) => console.error(`[bench] ${m}`) });
console.error(`[bench] PostgreSQL (${provided.mode}) at ${redactUrl(provided.url)}`);
const schema = `bench_audit_${randomBytes(4).toString("hex")}`;
const admin = new pg.Pool({ connectionString: provided.url, max: 1 });
await admin.query(`create schema ${schema}`);
const pool = new pg.Pool({ connectionString: provided.url, max: 4, options: `-c search_path=${schema}` });
const db = pgDatabase(pool);
const signingKey = generateKeyPairSync("ed25519").privateKey;
const signer = createSigner(signingKey);
const run = randomBytes(4).toString("hex");

const loaded = await loadOversight();
const oversight = "oversight" in loaded ? loaded.oversight : undefined;
if (!oversight) console.error(`[bench] who-has-seen phase not available: ${(loaded as { missing: string }).missing}`);
const server = (await admin.query<{ v: string; fsync: string; sc: string }>("select current_setting('server_version') as v, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc")).rows[0]!;

const results: Record<string, unknown> = {};
try {
  const ledger = await Ledger.open(db, { signer });
  let next = 0;

  /** Append records [next, next + n) in one transaction (and index them when the oversight index is there). */
  async function append(n: number): Promise<number> {
    const decisions = Array.from({ length: n }, (_, k) => decision(run, next + k, SUBJECTS));
    next += n;
    const t0 = process.hrtime.bigint();
    if (oversight) {
      const items = decisions.map((d) => oversight.fromDecision(d, d.decidedAt!));
      const rows = new Map(items.map((it) => [it.ledger.recordId, it.index]));
      await ledger.appendBatch(
        items.map((it) => it.ledger),
        (tx: SqlSession, appended: readonly { record: LedgerRecord; index: number }[]) =>
          oversight.writeIndex(tx, appended.map((a) => ({ index: a.index, row: rows.get(a.record.recordId)! }))),
      );
    } else {
      await ledger.appendBatch(decisions.map((d) => ({ recordId: d.id, kind: "decision", payload: DecisionRecord.encode(d).finish() })));
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  }

  async function appendRate(label: string): Promise<number> {
    const rates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) rates.push(BATCH / (await append(BATCH)));
    const m = median(rates);
    console.error(`[bench] append ${label}: median ${fmt(m)} records/s over ${ROUNDS} batches of ${BATCH} (min ${fmt(Math.min(...rates))}, max ${fmt(Math.max(...rates))})`);
    return m;
  }

  const sample = DecisionRecord.encode(decision(run, 0, SUBJECTS)).finish().length;
  const rateSmall = await appendRate("on a new ledger");

  // Fill to RECORDS.
  const fillFrom = next;
  const tFill = process.hrtime.bigint();
  let lastReport = Date.now();
  while (next < RECORDS) {
    await append(Math.min(FILL_BATCH, RECORDS - next));
    if (Date.now() - lastReport > 10_000) {
      const s = Number(process.hrtime.bigint() - tFill) / 1e9;
      console.error(`[bench] fill: ${fmt(next)} records, ${fmt((next - fillFrom) / s)} records/s`);
      lastReport = Date.now();
    }
  }
  const fillSecs = Number(process.hrtime.bigint() - tFill) / 1e9;
  console.error(`[bench] filled ${fmt(next - fillFrom)} records in ${fmt(fillSecs, 1)} s (${fmt((next - fillFrom) / fillSecs)} records/s)`);
  const head = await ledger.signHead();
  const size = head.treeSize;
  // Autovacuum would have analysed tables this size by now in a service that grew to it; a bulk
  // fill outruns it, and without statistics the planner may scan every decision for one subject.
  const tAnalyze = process.hrtime.bigint();
  const tables = (await pool.query<{ t: string }>("select c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = current_schema() and c.relkind = 'r'")).rows;
  await pool.query(`analyze ${tables.map((r) => `"${r.t}"`).join(", ")}`);
  const analyzeSecs = Number(process.hrtime.bigint() - tAnalyze) / 1e9;

  // Proofs at `size`, each verified.
  const rand = (n: number) => Math.floor(Math.random() * n);
  const byIndexMs: number[] = [];
  const byRecordMs: number[] = [];
  const proofLengths: number[] = [];
  for (let k = 0; k < PROOFS; k++) {
    const i = rand(size);
    const leaf = (await ledger.leaf(i))!;
    let t0 = process.hrtime.bigint();
    const p = await ledger.inclusionProof(i, size);
    if (!verifyInclusion(leaf.leafHash, i, size, p.proof, head.rootHash).ok) throw new Error(`inclusion proof of ${i} did not verify`);
    byIndexMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    proofLengths.push(p.proof.length);

    t0 = process.hrtime.bigint();
    const byId = await ledger.proveRecord(leaf.recordId, size);
    if (!verifyInclusion(byId.leaf.leafHash, byId.leaf.index, size, byId.proof, head.rootHash).ok) throw new Error(`proof of ${leaf.recordId} did not verify`);
    byRecordMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const consistencyMs: number[] = [];
  for (let k = 0; k < Math.min(PROOFS, 500); k++) {
    const size1 = 1 + rand(size - 1);
    const root1 = await ledger.rootAt(size1); // what a holder of the older head already has
    const t0 = process.hrtime.bigint();
    const p = await ledger.consistencyProof(size1, size);
    if (!verifyConsistency(size1, size, root1, head.rootHash, p.proof).ok) throw new Error(`consistency proof ${size1} → ${size} did not verify`);
    consistencyMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const [inc, rec, con] = [sorted(byIndexMs), sorted(byRecordMs), sorted(consistencyMs)];
  console.error(`[bench] inclusion at ${fmt(size)}: p50 ${fmt(percentile(inc, 50), 2)} ms, p99 ${fmt(percentile(inc, 99), 2)} ms`);

  const rateLarge = await appendRate(`at ${fmt(next)} records`);

  // Who has seen subject X.
  let subjects: { p50: number; p99: number; queries: number; meanHits: number } | { unavailable: string };
  if (oversight) {
    const ms: number[] = [];
    let hits = 0;
    for (let k = 0; k < SUBJECT_QUERIES; k++) {
      const subject = subjectId(rand(SUBJECTS));
      const t0 = process.hrtime.bigint();
      const page = (await oversight.whoHasSeen(db, subject, { limit: 100 })) as { disclosures?: unknown[] };
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      hits += page.disclosures?.length ?? 0;
    }
    const s = sorted(ms);
    subjects = { p50: percentile(s, 50), p99: percentile(s, 99), queries: SUBJECT_QUERIES, meanHits: hits / SUBJECT_QUERIES };
  } else {
    subjects = { unavailable: (loaded as { missing: string }).missing };
  }

  // The independent verifier over everything.
  let verifier: { seconds: number; exit: number | null; rowsPerSec: number } | undefined;
  if (RUN_VERIFIER) {
    const keyFile = join(mkdtempSync(join(tmpdir(), "bench-audit-")), "head-key.pem");
    writeFileSync(keyFile, signer.publicKeyPem);
    const t0 = process.hrtime.bigint();
    const v = spawnSync(process.execPath, [join(ROOT, "services/audit/dist/tools/verify.js"), "--database-url", provided.url, "--schema", schema, "--trusted-key", keyFile, "--json"], {
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (v.status !== 0) console.error(`[bench] the verifier exited ${v.status}: ${v.stderr}${v.stdout.slice(0, 2000)}`);
    verifier = { seconds, exit: v.status, rowsPerSec: next / seconds };
    console.error(`[bench] verifier: ${fmt(next)} rows in ${fmt(seconds, 1)} s, exit ${v.status}`);
  }

  // The ingest path, on a new ledger in a schema of its own.
  let ingestPath: { records: number; perSec: number; seconds: number } | undefined;
  if (INGEST_RECORDS > 0) {
    const ingestSchema = `${schema}_ingest`;
    await admin.query(`create schema ${ingestSchema}`);
    const ingestPool = new pg.Pool({ connectionString: provided.url, max: 4, options: `-c search_path=${ingestSchema}` });
    try {
      const ingestLedger = await Ledger.open(pgDatabase(ingestPool), { signer });
      const topics = { auditTopic: "takitini.audit.decisions.v1", accessTopics: [], refusalTopics: [] };
      const messages = Array.from({ length: INGEST_RECORDS }, (_, i) => ({ value: Buffer.from(DecisionRecord.encode(decision(`${run}-ingest`, i, SUBJECTS)).finish()), headers: {}, offset: String(i) }));
      const now = new Date();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < messages.length; i += BATCH) {
        const records = messages.slice(i, i + BATCH).flatMap((m) => {
          const r = ingestRecord(topics.auditTopic, 0, m, topics, now);
          if (!r.ok) throw new Error(`the bench's decision record did not ingest: ${r.reason}`);
          return r.records;
        });
        await appendRecords(ingestLedger, records);
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      ingestPath = { records: INGEST_RECORDS, perSec: INGEST_RECORDS / seconds, seconds };
      console.error(`[bench] ingest path: ${fmt(INGEST_RECORDS)} decision records in ${fmt(seconds, 1)} s (${fmt(ingestPath.perSec)} records/s)`);
    } finally {
      await ingestPool.end();
      await admin.query(`drop schema ${ingestSchema} cascade`).catch(() => undefined);
    }
  }

  const tableBytes = (await pool.query<{ t: string; b: string }>(
    "select c.relname as t, pg_total_relation_size(c.oid)::text as b from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = current_schema() and c.relkind = 'r' order by 2 desc",
  )).rows;

  Object.assign(results, {
    records: next,
    payloadBytes: sample,
    appendPerSec: { small: rateSmall, large: rateLarge, batch: BATCH, rounds: ROUNDS },
    fill: { records: RECORDS - fillFrom, seconds: fillSecs, perSec: (RECORDS - fillFrom) / fillSecs, batch: FILL_BATCH, analyzeSeconds: analyzeSecs },
    inclusionMs: { byIndex: { p50: percentile(inc, 50), p99: percentile(inc, 99) }, byRecord: { p50: percentile(rec, 50), p99: percentile(rec, 99) }, proofs: PROOFS, hashes: median(proofLengths) },
    consistencyMs: { p50: percentile(con, 50), p99: percentile(con, 99), proofs: con.length },
    whoHasSeenMs: subjects,
    verifier,
    ingestPath,
    tables: Object.fromEntries(tableBytes.map((r) => [r.t, Number(r.b)])),
  });

  const indexNote = oversight ? "ledger + oversight index (audit_records, audit_subjects) in the same transaction" : "ledger only (no oversight index yet)";
  console.log(`\nbench:audit — PostgreSQL ${server.v} (${provided.mode}; fsync ${server.fsync}, synchronous_commit ${server.sc}), ${fmt(next)} DecisionRecords of ~${sample} bytes; ${indexNote}\n`);
  console.log("| measure | value |");
  console.log("|---|---|");
  console.log(`| appended/s, tree maintained, ${BATCH} per transaction (median of ${ROUNDS}), on a new ledger | ${fmt(rateSmall)} |`);
  console.log(`| the same at ${fmt(RECORDS)} records | ${fmt(rateLarge)} |`);
  console.log(`| fill to ${fmt(RECORDS)} (${fmt(FILL_BATCH)} per transaction) | ${fmt(fillSecs, 1)} s (${fmt((RECORDS - fillFrom) / fillSecs)} records/s) |`);
  console.log(`| inclusion proof by index at ${fmt(size)}, fetched + verified (${PROOFS} random leaves, ${median(proofLengths)} hashes) | p50 ${fmt(percentile(inc, 50), 2)} ms, p99 ${fmt(percentile(inc, 99), 2)} ms |`);
  console.log(`| inclusion proof by record id (lookup + proof + verify) | p50 ${fmt(percentile(rec, 50), 2)} ms, p99 ${fmt(percentile(rec, 99), 2)} ms |`);
  console.log(`| consistency proof random size → ${fmt(size)}, fetched + verified (${con.length}) | p50 ${fmt(percentile(con, 50), 2)} ms, p99 ${fmt(percentile(con, 99), 2)} ms |`);
  if ("unavailable" in subjects) console.log(`| who has seen subject X at ${fmt(size)} | not available yet: ${subjects.unavailable} |`);
  else console.log(`| who has seen subject X at ${fmt(size)} (${subjects.queries} random subjects of ${fmt(SUBJECTS)}, ≤100 per page, ${fmt(subjects.meanHits, 1)} disclosures on average) | p50 ${fmt(subjects.p50, 2)} ms, p99 ${fmt(subjects.p99, 2)} ms |`);
  if (ingestPath) console.log(`| the service's ingest path: decision records decoded, subjects sealed, leaves, tree and oversight index, ${BATCH} per transaction (${fmt(ingestPath.records)} records, on a new ledger) | ${fmt(ingestPath.perSec)} records/s |`);
  if (verifier) console.log(`| independent verifier (npm run audit:verify, every row, head and node) | ${fmt(verifier.seconds, 1)} s (${fmt(verifier.rowsPerSec)} rows/s), exit ${verifier.exit} |`);
  console.log(`\nTables were analysed after the fill (${fmt(analyzeSecs, 1)} s), as autovacuum would have in a ledger that grew to this size over time.`);
  console.log(`Storage: ${tableBytes.map((r) => `${r.t} ${fmt(Number(r.b) / 2 ** 20)} MiB`).join(", ")}. Single client, sequential; proofs are timed from the request to a verified answer.`);
} finally {
  await pool.end();
  if (provided.mode === "external") await admin.query(`drop schema ${schema} cascade`).catch(() => undefined);
  await admin.end();
  await provided.stop();
}

const out = process.env.BENCH_OUT ?? `${ROOT}test/bench/results/audit-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ bench: "audit", at: new Date().toISOString(), postgres: { mode: provided.mode, version: server.v, fsync: server.fsync, synchronousCommit: server.sc }, ...results }, null, 2)}\n`);
console.error(`[bench] results written to ${out}`);
