/**
 * A history rewritten together with its heads, on the real PostgreSQL server of
 * the global setup, as an attacker holding the database owner's role and the
 * signing key would do it: rebuild the ledger with some records changed (or the
 * newest ones gone), recompute the leaves, nodes and state, re-sign every head
 * with the service's key, and put it all in place of the real tables. The
 * store is then consistent with itself — `audit:verify` alone says OK — but not
 * with the heads the oversight body's witness kept: `audit:verify --witness` says
 * tampering.
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Ledger, pgDatabase, type LedgerRecord } from "../ledger/index.js";
import { createSigner, type HeadSigner } from "../merkle/index.js";
import { formatHeadLine } from "../verify/witness.js";

const PKG = fileURLToPath(new URL("../../", import.meta.url));
const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const pools: pg.Pool[] = [];
const dir = mkdtempSync(join(tmpdir(), "audit-witness-tamper-"));
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const keyFile = join(dir, "head-key.pem");
writeFileSync(keyFile, signer.publicKeyPem);

beforeAll(() => {
  // The suite runs after the build under `npm test`: the commands must be at least as new as their sources.
  for (const [js, ts] of [
    ["dist/tools/verify.js", "src/tools/verify.ts"],
    ["dist/tools/witnessed.js", "src/tools/witnessed.ts"],
    ["dist/verify/witness.js", "src/verify/witness.ts"],
  ] as const) {
    expect(statSync(join(PKG, js)).mtimeMs, `${js} is older than ${ts}: npm run build -w @takitini/audit`).toBeGreaterThanOrEqual(statSync(join(PKG, ts)).mtimeMs);
  }
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await admin.end();
});

const records = (from: number, to: number, rewrite: ReadonlySet<number> = new Set()): LedgerRecord[] =>
  Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return { recordId: `rec-${i}`, kind: "decision", payload: Buffer.from(rewrite.has(i) ? `decision ${i}, rewritten: nobody saw this person` : `decision ${i}`) };
  });

/** A ledger in a schema of its own: `batches` appended in turn, a head signed after each. */
async function ledgerIn(schema: string, batches: readonly (readonly [number, number])[], key: HeadSigner, rewrite?: ReadonlySet<number>) {
  await admin.query(`create schema ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
  pools.push(pool);
  const ledger = await Ledger.open(pgDatabase(pool), { signer: key });
  for (const [from, to] of batches) {
    await ledger.appendBatch(records(from, to, rewrite));
    await ledger.signHead();
  }
  return ledger;
}

/** Statements run by the tables' owner in one transaction, the append-only triggers of `tables` off for the while (the owner may). */
async function asOwner(tables: readonly string[], statements: readonly string[]) {
  const c = await admin.connect();
  try {
    await c.query("begin");
    for (const s of [...tables.map((t) => `alter table ${t} disable trigger user`), ...statements, ...tables.map((t) => `alter table ${t} enable trigger user`)]) await c.query(s);
    await c.query("commit");
  } catch (err) {
    await c.query("rollback");
    throw err;
  } finally {
    c.release();
  }
}

/**
 * The attacker's step: every table of the real schema (leaves, nodes, heads, tree
 * state, the derived index; not the migrations, nor the keys: the same key signs)
 * replaced by the forged schema's.
 */
async function replaceLedger(schema: string, forged: string) {
  const { rows } = await admin.query<{ t: string }>(
    "select table_name as t from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' and table_name not in ('ledger_migrations', 'ledger_keys') order by 1",
    [forged],
  );
  const tables = rows.map((r) => r.t);
  expect(tables).toEqual(expect.arrayContaining(["ledger_heads", "ledger_leaves", "ledger_nodes"]));
  await asOwner(
    tables.map((t) => `${schema}.${t}`),
    tables.flatMap((t) => [`delete from ${schema}.${t}`, `insert into ${schema}.${t} select * from ${forged}.${t}`]),
  );
}

function verify(schema: string, ...extra: string[]) {
  // --no-index: these records are bare bytes the oversight index does not hold; the index's own tamper tests are elsewhere.
  const r = spawnSync(process.execPath, [join(PKG, "dist/tools/verify.js"), "--database-url", url, "--schema", schema, "--trusted-key", keyFile, "--no-index", ...extra], { encoding: "utf8" });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

const BATCHES = [
  [0, 10],
  [10, 25],
  [25, 40],
] as const;

/** The real ledger, and the witness file its heads went to (as audit:witness writes it). */
async function witnessedLedger() {
  const schema = `witness_${randomBytes(6).toString("hex")}`;
  const ledger = await ledgerIn(schema, BATCHES, signer);
  const file = join(dir, `${schema}.jsonl`);
  writeFileSync(file, (await ledger.heads()).map((h) => `${formatHeadLine(h, Date.now())}\n`).join(""));
  return { schema, file };
}

describe("a history rewritten together with its heads", () => {
  it("passes audit:verify alone, and is caught by audit:verify --witness", async () => {
    const { schema, file } = await witnessedLedger();
    const intact = verify(schema, "--witness", file);
    expect(intact.out, intact.err).toContain("OK: no tampering found");
    expect(intact.status).toBe(0);

    // Records 3 and 17 rewritten; every leaf after them, every node, the state and all three heads recomputed and re-signed with the service's key.
    const forged = `forged_${randomBytes(6).toString("hex")}`;
    await ledgerIn(forged, BATCHES, signer, new Set([3, 17]));
    await replaceLedger(schema, forged);

    const alone = verify(schema);
    expect(alone.out, alone.err).toContain("OK: no tampering found");
    expect(alone.status).toBe(0);

    const witnessed = verify(schema, "--witness", file);
    expect(witnessed.out, witnessed.err).toMatch(/TAMPERING FOUND: first bad index 0 \(head-root-mismatch\)/);
    expect(witnessed.out).toMatch(/the recomputed root of the first 10 leaves differs from the root recorded earlier/);
    expect(witnessed.status).toBe(1);
    const json = JSON.parse(verify(schema, "--witness", file, "--json").out);
    expect(json.problems.filter((p: { kind: string }) => p.kind === "head-root-mismatch")).toHaveLength(3);
    expect(json.witnessedHeads).toBe(3);
  });

  it("catches the newest records removed together with their heads: a truncation", async () => {
    const { schema, file } = await witnessedLedger();
    // Leaves 25..39, the nodes over them, the tree states and the head of 40 gone: what remains is the real ledger of 25, with its real heads.
    await asOwner(
      ["ledger_leaves", "ledger_nodes", "ledger_heads", "ledger_tree_states"].map((t) => `${schema}.${t}`),
      [
        `delete from ${schema}.ledger_leaves where idx >= 25`,
        `delete from ${schema}.ledger_nodes where (idx + 1) * (1::bigint << level) > 25`,
        `delete from ${schema}.ledger_heads where tree_size > 25`,
        `delete from ${schema}.ledger_tree_states where tree_size > 25`,
      ],
    );

    expect(verify(schema)).toMatchObject({ status: 0 });
    const witnessed = verify(schema, "--witness", file);
    expect(witnessed.out, witnessed.err).toMatch(/TAMPERING FOUND: first bad index 25 \(deleted\)/);
    expect(witnessed.out).toMatch(/a head recorded earlier covers 40 leaves but only 25 rows remain/);
    expect(witnessed.status).toBe(1);
  });

  it("refuses a witness file with a head no trusted key signed, or a damaged line (exit 2)", async () => {
    const { schema, file } = await witnessedLedger();
    const other = createSigner(generateKeyPairSync("ed25519").privateKey);
    const foreign = join(dir, `${schema}-foreign.jsonl`);
    writeFileSync(foreign, `${formatHeadLine(other.sign({ treeSize: 10, timestampMs: Date.now(), rootHash: Buffer.alloc(32) }))}\n`);
    expect(verify(schema, "--witness", foreign)).toMatchObject({ status: 2, err: expect.stringMatching(/line 1: the head of size 10 is not validly signed by a trusted key \(unknown-key\)/) });
    const damaged = join(dir, `${schema}-damaged.jsonl`);
    writeFileSync(damaged, '{"tree_size":10}\n');
    expect(verify(schema, "--witness", damaged)).toMatchObject({ status: 2, err: expect.stringMatching(/line 1 timestamp_ms/) });
    expect(verify(schema, "--witness", join(dir, "absent.jsonl"))).toMatchObject({ status: 2, err: expect.stringMatching(/cannot read witness file/) });
    // Rotation: the old key's heads stay verifiable when both keys are trusted.
    const both = join(dir, `${schema}-both.pem`);
    writeFileSync(both, other.publicKeyPem);
    expect(verify(schema, "--trusted-key", both, "--witness", file)).toMatchObject({ status: 0 });
  });
});
