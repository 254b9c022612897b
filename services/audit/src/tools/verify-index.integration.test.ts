/**
 * The verify command's index check on real PostgreSQL: a ledger appended the
 * way the service appends (leaves and index in one transaction), then its
 * derived tables tampered with as the tables' owner could — triggers and
 * foreign keys switched off with session_replication_role — and each change
 * reported with its table, kind and first bad index, exit status 1.
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { appendRecords } from "../ingest.js";
import { Ledger, pgDatabase } from "../ledger/index.js";
import { createSigner } from "../merkle/index.js";
import { KINDS } from "../oversight/records.js";
import { sampleOf } from "../oversight/samples.fixture.js";
import { ensureVerifyBuilt, VERIFY_CLI as CLI } from "./cli.fixture.js";

const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const pools: pg.Pool[] = [];
const dir = mkdtempSync(join(tmpdir(), "audit-verify-index-"));
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const keyFile = join(dir, "head-key.pem");
writeFileSync(keyFile, signer.publicKeyPem);

beforeAll(() => ensureVerifyBuilt(["tools", "verify", "indexcheck", "oversight", "merkle"]));

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await admin.end();
});

/** Three of every kind, appended as the service appends them, a head signed; and the owner's way around the append-only triggers. */
async function indexedLedger() {
  const schema = `verify_ix_${randomBytes(6).toString("hex")}`;
  await admin.query(`create schema ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
  pools.push(pool);
  const ledger = await Ledger.open(pgDatabase(pool), { signer });
  for (let round = 0; round < 3; round++) await appendRecords(ledger, KINDS.map((k) => sampleOf(k, 10 * round + KINDS.indexOf(k))));
  await ledger.signHead();
  const tamper = async (statement: string, params: unknown[] = []) => {
    const c = await pool.connect();
    try {
      // What the tables' owner (or a superuser) can do: no trigger and no foreign key fires.
      await c.query("set session_replication_role = replica");
      await c.query(statement, params);
    } finally {
      await c.query("reset session_replication_role");
      c.release();
    }
  };
  const one = async <T>(sql: string) => (await pool.query(sql)).rows[0] as T;
  return { schema, tamper, one, rows: 3 * KINDS.length };
}

function verify(schema: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, "--database-url", url, "--schema", schema, "--trusted-key", keyFile, ...args], {
    encoding: "utf8",
    env: { ...process.env, DATABASE_URL: "" },
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The human report and the JSON report both name the problem; exit status 1. */
function expectTampered(schema: string, want: { kind: string; table: string; index: number }) {
  const out = verify(schema, "--page-size", "4");
  expect(out.stderr).toBe("");
  expect(out.status).toBe(1);
  expect(out.stdout).toContain(`TAMPERING FOUND: first bad index ${want.index} (${want.kind} in ${want.table})`);
  const json = verify(schema, "--json");
  expect(json.status).toBe(1);
  const report = JSON.parse(json.stdout);
  expect(report).toMatchObject({ ok: false, firstBad: want, index: { ok: false, firstBad: want } });
  // the leaves, nodes and heads themselves are intact
  expect(report.problems.filter((p: { table?: string }) => p.table === undefined)).toEqual([]);
  return out.stdout;
}

describe("npm run audit:verify: the oversight index recomputed from the leaves", () => {
  it("passes an untouched ledger and says what it compared", async () => {
    const { schema, rows } = await indexedLedger();
    const out = verify(schema, "--page-size", "4");
    expect(out.stderr).toBe("");
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`index\\s+${rows} audit_records and \\d+ audit_subjects rows compared with those recomputed from ${rows} leaves`));
    expect(out.stdout).toMatch(/result\s+OK: no tampering found/);
    const json = JSON.parse(verify(schema, "--json").stdout);
    expect(json).toMatchObject({ ok: true, index: { ok: true, leaves: rows, records: rows, problemCount: 0 } });
    expect(json.index.subjects).toBeGreaterThan(5);
  });

  it("finds a subject row deleted, and a person's rows deleted", async () => {
    const { schema, tamper, one } = await indexedLedger();
    const s = await one<{ idx: string; subject_id: string }>("select idx, subject_id from audit_subjects order by idx desc, subject_id limit 1 offset 2");
    await tamper("delete from audit_subjects where subject_id = $1 and idx = $2", [s.subject_id, s.idx]);
    const text = expectTampered(schema, { kind: "index-missing", table: "audit_subjects", index: Number(s.idx) });
    expect(text).not.toContain(s.subject_id); // subjects are counted, not named

    const person = await one<{ subject_id: string; first: string }>("select subject_id, min(idx) as first from audit_subjects group by subject_id having count(*) > 1 order by 2 desc limit 1");
    await tamper("delete from audit_subjects where subject_id = $1", [person.subject_id]);
    expectTampered(schema, { kind: "index-missing", table: "audit_subjects", index: Math.min(Number(person.first), Number(s.idx)) });
  });

  it("finds a spurious subject row", async () => {
    const { schema, tamper, one } = await indexedLedger();
    const r = await one<{ idx: string }>("select idx from audit_records where kind = 'oversight_query' order by idx limit 1 offset 1");
    await tamper("insert into audit_subjects (subject_id, idx) values ('police/person/SOMEONE', $1)", [r.idx]);
    expectTampered(schema, { kind: "index-extra", table: "audit_subjects", index: Number(r.idx) });
  });

  it("finds a changed column of an audit_records row", async () => {
    const { schema, tamper, one } = await indexedLedger();
    const r = await one<{ idx: string }>("select idx from audit_records where kind = 'decision' order by idx desc limit 1");
    await tamper("update audit_records set outcome = case outcome when 'deny' then 'allow' else 'deny' end where idx = $1", [r.idx]);
    expectTampered(schema, { kind: "index-altered", table: "audit_records", index: Number(r.idx) });
    expect(JSON.parse(verify(schema, "--json").stdout).firstBad.columns).toEqual(["outcome"]);
  });

  it("finds a changed doc", async () => {
    const { schema, tamper, one } = await indexedLedger();
    const r = await one<{ idx: string }>("select idx from audit_records where kind = 'decision' order by idx limit 1 offset 2");
    await tamper(`update audit_records set doc = jsonb_set(doc, '{legal_basis}', '"consent"') where idx = $1`, [r.idx]);
    expectTampered(schema, { kind: "index-altered", table: "audit_records", index: Number(r.idx) });
    expect(JSON.parse(verify(schema, "--json").stdout).firstBad.columns).toEqual(["doc"]);
  });

  it("finds a deleted audit_records row", async () => {
    const { schema, tamper, one } = await indexedLedger();
    const r = await one<{ idx: string }>("select idx from audit_records where kind = 'access' order by idx limit 1 offset 1");
    await tamper("delete from audit_records where idx = $1", [r.idx]);
    expectTampered(schema, { kind: "index-missing", table: "audit_records", index: Number(r.idx) });
  });

  it("finds an extra audit_records row (at an index no leaf holds)", async () => {
    const { schema, tamper, rows } = await indexedLedger();
    await tamper(
      `insert into audit_records (idx, record_id, kind, occurred_at, subscriber_id, outcome, doc)
       values ($1, 'forged-decision', 'decision', now(), 'msd', 'allow', '{}')`,
      [rows + 5],
    );
    expectTampered(schema, { kind: "index-extra", table: "audit_records", index: rows + 5 });
  });

  it("--no-index skips the comparison", async () => {
    const { schema, tamper, one } = await indexedLedger();
    const r = await one<{ idx: string }>("select idx from audit_records order by idx limit 1");
    await tamper("delete from audit_records where idx = $1", [r.idx]);
    const out = verify(schema, "--no-index");
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/index\s+not checked \(--no-index\)/);
  });
});
