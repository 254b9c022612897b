/**
 * The built verify command (dist/tools/verify.js) as the oversight body runs it,
 * against the real PostgreSQL server from the global setup: an intact ledger, a
 * tampered one, a tampered node, the wrong key, and errors.
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createSigner } from "../merkle/index.js";
import { Ledger, pgDatabase, type LedgerRecord } from "../ledger/index.js";
import { ensureVerifyBuilt, VERIFY_CLI as CLI } from "./cli.fixture.js";

const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const pools: pg.Pool[] = [];
const dir = mkdtempSync(join(tmpdir(), "audit-verify-"));
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const keyFile = join(dir, "head-key.pem");
writeFileSync(keyFile, signer.publicKeyPem);

beforeAll(() => ensureVerifyBuilt());

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await admin.end();
});

const records = (from: number, to: number): LedgerRecord[] =>
  Array.from({ length: to - from }, (_, k) => ({ recordId: `rec-${from + k}`, kind: "decision", payload: Buffer.from(`decision ${from + k}`) }));

/** A ledger of 40 records in its own schema, heads signed at 10, 25 and 40, and a way to tamper with it as its owner could. */
async function signedLedger() {
  const schema = `verify_${randomBytes(6).toString("hex")}`;
  await admin.query(`create schema ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
  pools.push(pool);
  const ledger = await Ledger.open(pgDatabase(pool), { signer });
  for (const [from, to] of [
    [0, 10],
    [10, 25],
    [25, 40],
  ] as const) {
    await ledger.appendBatch(records(from, to));
    await ledger.signHead();
  }
  const tamper = async (statement: string) => {
    const c = await pool.connect();
    try {
      await c.query("begin");
      for (const t of ["ledger_leaves", "ledger_nodes", "ledger_heads"]) await c.query(`alter table ${t} disable trigger user`);
      await c.query(statement);
      for (const t of ["ledger_leaves", "ledger_nodes", "ledger_heads"]) await c.query(`alter table ${t} enable trigger user`);
      await c.query("commit");
    } finally {
      c.release();
    }
  };
  return { schema, tamper };
}

/** These ledgers hold leaves only, appended without the oversight index: its check has tests of its own (verify-index.integration.test.ts). */
function verify(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args, "--no-index"], { encoding: "utf8", env: { ...process.env, DATABASE_URL: "" }, timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run audit:verify", () => {
  it("passes an intact ledger (exit 0) and says what it checked", async () => {
    const { schema } = await signedLedger();
    const out = verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile);
    expect(out.stderr).toBe("");
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/tree size\s+40 rows checked/);
    expect(out.stdout).toMatch(/heads\s+3 signed tree heads checked; the first 40 leaves are attested/);
    expect(out.stdout).toMatch(/nodes\s+38 stored nodes compared/); // 40 − popcount(40)
    expect(out.stdout).toMatch(/result\s+OK: no tampering found/);
    expect(out.stdout).not.toContain(new URL(url).password || "\0");

    const json = verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile, "--json");
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, treeSize: 40, heads: 3, verifiedSize: 40, unsignedTail: 0, nodes: 38, problems: [], trustedKeyIds: [signer.keyId.toString("hex")] });
  });

  it("with a head recorded from an earlier run, catches the newest rows and heads removed together", async () => {
    const { schema, tamper } = await signedLedger();
    const first = JSON.parse(verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile, "--json").stdout);
    expect(first.latestHead).toMatchObject({ treeSize: 40 });
    const known = `${first.latestHead.treeSize}:${first.latestHead.rootHash}`;
    expect(verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile).stdout).toContain(`--known-head ${known}`);

    await tamper("delete from ledger_heads where tree_size = 40");
    await tamper("delete from ledger_leaves where idx >= 25");
    await tamper("delete from ledger_nodes where (idx + 1) * (1::bigint << level) > 25");
    // the store alone is consistent again …
    expect(verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile).status).toBe(0);
    // … but not with what the oversight body recorded
    const out = verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile, "--known-head", known);
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(/first bad index 25 \(deleted\)/);
    expect(out.stdout).toMatch(/recorded earlier covers 40 leaves but only 25 rows remain/);
    expect(verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile, "--known-head", "40:abc")).toMatchObject({ status: 2, stderr: expect.stringMatching(/--known-head takes/) });
  });

  it("finds a modified row (exit 1) and names its index", async () => {
    const { schema, tamper } = await signedLedger();
    await tamper("update ledger_leaves set entry = set_byte(entry, octet_length(entry) - 1, get_byte(entry, octet_length(entry) - 1) # 1) where idx = 17");
    const out = verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile);
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(/TAMPERING FOUND: first bad index 17 \(modified\)/);
    const json = verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile, "--json");
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, firstBad: { kind: "modified", index: 17 } });
  });

  it("finds a deleted row", async () => {
    const { schema, tamper } = await signedLedger();
    await tamper("delete from ledger_leaves where idx = 30");
    const out = verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile);
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(/first bad index 30 \(deleted\)/);
  });

  it("finds a modified stored node and names it", async () => {
    const { schema, tamper } = await signedLedger();
    await tamper("update ledger_nodes set hash = sha256(hash) where level = 2 and idx = 5");
    const out = verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile, "--json");
    expect(out.status).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ verifiedSize: 40, firstBad: { kind: "node-modified", index: 23, node: { level: 2, index: 5 } } });
    expect(verify("--database-url", url, "--schema", schema, "--trusted-key", keyFile, "--no-nodes").status).toBe(0);
  });

  it("fails every head signed by a key it was not given, and says so", async () => {
    const { schema } = await signedLedger();
    const other = join(dir, "other.pem");
    writeFileSync(other, createSigner(generateKeyPairSync("ed25519").privateKey).publicKeyPem);
    const out = verify("--database-url", url, "--schema", schema, "--trusted-key", other);
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(/first bad index 10 \(head-signature\)/);
    expect(out.stdout).toContain(`none of the 3 heads is signed by a trusted key`);
    expect(out.stdout).toContain(signer.keyId.toString("hex").slice(0, 16));
    // with both keys every head checks out
    expect(verify("--database-url", url, "--schema", schema, "--trusted-key", other, "--trusted-key", keyFile).status).toBe(0);
  });

  it("exits 2 on usage, key and connection errors", async () => {
    const { schema } = await signedLedger();
    expect(verify("--trusted-key", keyFile)).toMatchObject({ status: 2, stderr: expect.stringMatching(/--database-url/) });
    expect(verify("--database-url", url)).toMatchObject({ status: 2, stderr: expect.stringMatching(/--trusted-key/) });
    expect(verify("--database-url", url, "--trusted-key", join(dir, "missing.pem"))).toMatchObject({ status: 2, stderr: expect.stringMatching(/cannot read/) });
    const rsa = join(dir, "rsa.pem");
    writeFileSync(rsa, generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }));
    expect(verify("--database-url", url, "--trusted-key", rsa)).toMatchObject({ status: 2, stderr: expect.stringMatching(/Ed25519/) });
    expect(verify("--database-url", url, "--trusted-key", keyFile, "--bogus")).toMatchObject({ status: 2 });
    expect(verify("--database-url", url, "--schema", `${schema}_none`, "--trusted-key", keyFile)).toMatchObject({ status: 2, stderr: expect.stringMatching(/holds no audit ledger/) });
    const closed = new URL(url);
    closed.port = "1";
    expect(verify("--database-url", closed.toString(), "--trusted-key", keyFile)).toMatchObject({ status: 2, stderr: expect.stringMatching(/ECONNREFUSED/) });
  });
});
