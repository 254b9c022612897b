/**
 * The verify command's key check on real PostgreSQL, with the roles the
 * service runs with: records appended as the least-privilege service role
 * through appendRecords (subjects sealed, keys made in the append's
 * transaction), then subject_keys tampered with as the ledger's owner may —
 * a person's row deleted, a row relabelled, a row added, a purge record whose
 * key stayed — each reported with its kind, the table and the first leaf
 * concerned (exit 1), and each shown to change what "who has seen" answers
 * while every other check still passes (`--no-keys` says OK). The real erasure
 * (`audit:erase` as the owner) verifies; so does a ledger being appended to
 * while the verifier reads it. The verifier's own role: the README's
 * read-only role cannot read subject_keys and says so; granted the refs it
 * finds a deleted row, granted the keys a relabelled one.
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IntelligenceEvent, Agency, Classification } from "@takitini/proto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { appendRecords } from "../ingest.js";
import { grantServiceRole, Ledger, migrate, pgDatabase } from "../ledger/index.js";
import { createSigner } from "../merkle/index.js";
import { indexRowOf } from "../oversight/derive.js";
import { decision } from "../oversight/decisions.fixture.js";
import { fromDecision, fromPublish, fromPurge, publishRecord } from "../oversight/records.js";
import { recordOversightQuery } from "../oversight/recording.js";
import { whoHasSeen, writeIndex } from "../oversight/store.js";
import { purgeRecord } from "../subjects/purge.js";
import { newKey, newRef } from "../subjects/seal.js";
import { ensureVerifyBuilt, PKG, VERIFY_CLI } from "./cli.fixture.js";

const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const pools: pg.Pool[] = [];
const suffix = randomBytes(4).toString("hex");
const ownerRole = `keys_owner_${suffix}`;
const serviceRole = `keys_service_${suffix}`;
const oversightRole = `keys_oversight_${suffix}`;
const password = randomBytes(12).toString("hex");
const dir = mkdtempSync(join(tmpdir(), "audit-verify-keys-"));
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const keyFile = join(dir, "head-key.pem");
writeFileSync(keyFile, signer.publicKeyPem);
const ERASE_CLI = join(PKG, "dist/tools/erase.js");

function urlOf(role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = password;
  return u.toString();
}

function pool(connectionString: string, schema: string): pg.Pool {
  const p = new pg.Pool({ connectionString, max: 2, options: `-c search_path=${schema}` });
  pools.push(p);
  return p;
}

const subjectOf = (tag: string) => `police/person/KEYS-${tag}-${suffix}`;
const X = subjectOf("X");
const Y = subjectOf("Y");
const Z = subjectOf("Z");

/**
 * A ledger as the service keeps one — owner-owned schema, records appended by
 * the service role — holding, in order: a decision naming Y (leaf 0), one
 * disclosing X and Y to customs (1), one denying X to MBIE (2), X's event
 * published (3) and an officer's query about X (4); a head signed.
 */
async function sealedLedger(name: string) {
  const schema = `${name}_${suffix}`;
  await admin.query(`create schema ${schema} authorization ${ownerRole}`);
  const owner = pool(urlOf(ownerRole), schema);
  await migrate(pgDatabase(owner));
  await grantServiceRole(pgDatabase(owner), serviceRole, schema);
  const service = pool(urlOf(serviceRole), schema);
  const ledger = await Ledger.open(pgDatabase(service), { signer, migrate: false });
  const eventId = randomUUID();
  const event = IntelligenceEvent.fromPartial({
    id: eventId,
    sourceAgency: Agency.AGENCY_POLICE,
    eventType: "police.organised_crime_noting",
    classification: Classification.CLASSIFICATION_RESTRICTED,
    publishedAt: new Date(),
    subjects: [{ entity: { $case: "person", value: { subjectId: X, fullName: "not kept" } } }],
  });
  const at = new Date();
  const out = await appendRecords(ledger, [
    fromDecision(decision(randomUUID(), "msd", true, { subjectIds: [Y] }), at),
    fromDecision(decision(eventId, "customs", true, { subjectIds: [X, Y] }), at),
    fromDecision(decision(eventId, "mbie", false, { subjectIds: [X] }), at),
    fromPublish(publishRecord(event, IntelligenceEvent.encode(event).finish(), { topic: "takitini.police.v1", partition: 0, offset: "3" }), at),
  ]);
  expect(out.appended).toBe(4);
  await recordOversightQuery(ledger, { officer: "Aroha", role: "reviewer", channel: "http", method: "GET", route: "/v1/subjects/:subjectId/disclosures", parameters: { subjectId: X }, status: 200, resultCount: 1 });
  await ledger.signHead();
  const refOf = async (subject: string) => (await owner.query<{ ref: string }>("select ref from subject_keys where subject_id = $1", [subject])).rows[0]?.ref;
  return { schema, owner, service, ledger, refOf, leaves: 5 };
}

function run(cli: string, args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, DATABASE_URL: "", AUDIT_MIGRATION_DATABASE_URL: "" }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const verify = (schema: string, ...args: string[]) => run(VERIFY_CLI, ["--database-url", url, "--schema", schema, "--trusted-key", keyFile, ...args]);

/** Exit 1 naming the problem, in the text and in the JSON; the tree and the index themselves intact; and without the key check it passes. */
function expectTampered(schema: string, want: { kind: string; index: number; ref: string }, opts: { databaseUrl?: string } = {}) {
  const as = opts.databaseUrl ? ["--database-url", opts.databaseUrl] : [];
  const out = verify(schema, "--page-size", "2", ...as);
  expect(out.stderr).toBe("");
  expect(out.status).toBe(1);
  expect(out.stdout).toContain(`TAMPERING FOUND: first bad index ${want.index} (${want.kind} in subject_keys)`);
  expect(out.stdout).toContain(want.ref);
  for (const id of [X, Y, Z]) expect(out.stdout).not.toContain(id); // refs, never subject ids
  const json = verify(schema, "--json", ...as);
  expect(json.status).toBe(1);
  const report = JSON.parse(json.stdout);
  const first = { ...want, table: "subject_keys" };
  expect(report).toMatchObject({ ok: false, firstBad: first, keys: { ok: false, firstBad: first }, index: { ok: true } });
  expect(report.problems.filter((p: { table?: string }) => p.table !== "subject_keys")).toEqual([]);
  // Only the key check sees it: every leaf, node, head and index row still verifies.
  const without = verify(schema, "--no-keys", ...as);
  expect(without.status).toBe(0);
  expect(without.stdout).toMatch(/keys\s+not checked: --no-keys/);
  return out.stdout;
}

const seen = async (db: pg.Pool, subject: string) => (await whoHasSeen(db, subject, { limit: 10 })) as { disclosures: { decision_id: string }[]; denied: number };

beforeAll(async () => {
  ensureVerifyBuilt(["tools", "verify", "indexcheck", "oversight", "merkle", "subjects", "ledger"]);
  for (const r of [ownerRole, serviceRole, oversightRole]) await admin.query(`create role ${r} login password '${password}'`);
  const db = new URL(url).pathname.slice(1) || "postgres";
  await admin.query(`grant connect on database ${db} to ${ownerRole}, ${serviceRole}, ${oversightRole}`);
  await admin.query(`grant execute on function pg_switch_wal() to ${ownerRole}`);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  const { rows } = await admin.query<{ nspname: string }>("select nspname from pg_namespace where nspname like $1", [`%\\_${suffix}`]);
  for (const r of rows) await admin.query(`drop schema ${r.nspname} cascade`);
  await admin.query(`revoke execute on function pg_switch_wal() from ${ownerRole}`).catch(() => undefined);
  for (const r of [oversightRole, serviceRole, ownerRole]) {
    await admin.query(`drop owned by ${r}`).catch(() => undefined);
    await admin.query(`drop role if exists ${r}`);
  }
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run audit:verify: subject_keys checked against the leaves", () => {
  it("passes an untouched ledger and says what it checked", async () => {
    const { schema, refOf } = await sealedLedger("keys_ok");
    const out = verify(schema, "--page-size", "2");
    expect(out.stderr).toBe("");
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/keys\s+2 subject_keys rows checked against the 2 refs the leaves name \(0 destroyed by purge records\); 2 keys opened on their ref's sealed subject/);
    expect(out.stdout).toMatch(/result\s+OK: no tampering found/);
    const json = JSON.parse(verify(schema, "--json").stdout);
    expect(json).toMatchObject({ ok: true, keys: { ok: true, keysRead: true, refs: 2, keys: 2, destroyed: 0, opened: 2, problemCount: 0 } });
    expect(await refOf(X)).toMatch(/^s_/);
  });

  it("key-missing: the owner deletes a person's key (no purge record) — who-has-seen then answers nobody; the verifier names the first leaf", async () => {
    const { schema, owner, service, refOf } = await sealedLedger("keys_deleted");
    const refX = (await refOf(X))!;
    expect((await seen(service, X)).disclosures).toHaveLength(1);
    await owner.query("delete from subject_keys where subject_id = $1", [X]);
    // The attack is real: the API now says nobody has seen X, though leaves 1–4 name them.
    expect(await seen(service, X)).toMatchObject({ disclosures: [], denied: 0 });
    expectTampered(schema, { kind: "key-missing", index: 1, ref: refX });
  });

  it("key-mismatch: the owner relabels X's key as Z's — X's disclosures now answer for Z", async () => {
    const { schema, owner, service, refOf } = await sealedLedger("keys_relabelled");
    const refX = (await refOf(X))!;
    await owner.query("update subject_keys set subject_id = $2 where subject_id = $1", [X, Z]);
    expect(await seen(service, X)).toMatchObject({ disclosures: [], denied: 0 });
    expect(await seen(service, Z)).toMatchObject({ disclosures: [{ subscriber_id: "customs" }], denied: 1 });
    const text = expectTampered(schema, { kind: "key-mismatch", index: 1, ref: refX });
    expect(text).toContain("relabelled");
  });

  it("key-extra: a key row no leaf names; key-not-destroyed: a purge record whose key is still held", async () => {
    const { schema, owner, service, ledger, refOf, leaves } = await sealedLedger("keys_extra");
    const ref = newRef();
    await owner.query("insert into subject_keys (ref, subject_id, key) values ($1, $2, $3)", [ref, Z, newKey()]);
    expectTampered(schema, { kind: "key-extra", index: leaves, ref });
    await owner.query("delete from subject_keys where ref = $1", [ref]);
    expect(verify(schema).status).toBe(0);

    // A purge record naming Y's ref appended as the purge appends one, but the key kept (as a purge an earlier version ran and stopped).
    const refY = (await refOf(Y))!;
    const out = await appendRecords(ledger, [fromPurge(purgeRecord({ reason: "erasure", refs: [refY], authority: "test", requestedBy: "test", at: new Date() }), new Date())]);
    await ledger.signHead();
    expect(await seen(service, Y)).toMatchObject({ disclosures: [{}, {}] }); // the erasure the record promises has not happened
    expectTampered(schema, { kind: "key-not-destroyed", index: out.outcomes[0]!.index, ref: refY });
  });

  it("is not run over an index that differs from the leaves: the index's problem is reported, not again as the keys'", async () => {
    const { schema, refOf } = await sealedLedger("keys_index_tampered");
    const refX = (await refOf(X))!;
    const c = await admin.connect();
    try {
      // Who-has-seen X emptied through the index instead of the key: what the index check is for.
      await c.query(`set search_path = ${schema}`);
      await c.query("set session_replication_role = replica");
      await c.query("delete from audit_subjects where subject_id = $1", [refX]);
    } finally {
      await c.query("reset session_replication_role; reset search_path");
      c.release();
    }
    const out = verify(schema);
    expect(out.status).toBe(1);
    expect(out.stdout).toContain("TAMPERING FOUND: first bad index 1 (index-missing in audit_subjects)");
    expect(out.stdout).toMatch(/keys\s+not checked: it reads the refs the leaves seal through the oversight index, which differs from the leaves/);
    expect(out.stdout).not.toContain(refX); // no key-extra for the key whose index rows went
    expect(JSON.parse(verify(schema, "--json").stdout)).toMatchObject({ ok: false, keys: { skipped: "INDEX_TAMPERED" } });
  });

  it("the real erasure (audit:erase as the owner) verifies; so do records naming the subject again, under a new key", async () => {
    const { schema, service, ledger, refOf } = await sealedLedger("keys_erased");
    const refX = (await refOf(X))!;
    const erased = run(ERASE_CLI, ["--database-url", urlOf(ownerRole), "--schema", schema, "--subject", X, "--reason", "erasure", "--authority", "Privacy Act 2020, IPP 7", "--by", "test"]);
    expect(erased.stderr).toBe("");
    expect(erased.status).toBe(0);
    expect(await refOf(X)).toBeUndefined();
    await ledger.signHead();
    const out = verify(schema, "--page-size", "2");
    expect(out.stdout).toMatch(/keys\s+1 subject_keys row checked against the 2 refs the leaves name \(1 destroyed by purge records\); 1 key opened/);
    expect(out.stdout).toMatch(/result\s+OK: no tampering found/);
    expect(out.status).toBe(0);

    await appendRecords(ledger, [fromDecision(decision(randomUUID(), "customs", true, { subjectIds: [X] }), new Date())]);
    const refAgain = (await refOf(X))!;
    expect(refAgain).not.toBe(refX);
    expect((await seen(service, X)).disclosures).toHaveLength(1);
    const again = JSON.parse(verify(schema, "--json").stdout);
    expect(again).toMatchObject({ ok: true, keys: { refs: 3, keys: 2, destroyed: 1, opened: 2 } });
  });

  it("never a false key-extra: a key is made in the transaction that appends its leaf — not by a failed append, not for a redelivery of a record held in the clear, not visible mid-append", async () => {
    const { schema, owner, ledger, refOf } = await sealedLedger("keys_writer");
    // An append that fails after sealing (here its fence refuses) leaves no key behind.
    const failing = fromDecision(decision(randomUUID(), "customs", true, { subjectIds: [Z] }), new Date());
    await expect(
      appendRecords(ledger, [failing], async () => {
        throw new Error("not the active writer");
      }),
    ).rejects.toThrow("not the active writer");
    expect(await refOf(Z)).toBeUndefined();

    // A record appended before sealing (in the clear) and read again: a redelivery, and no key is made for it.
    const L = subjectOf("LEGACY");
    const legacy = fromDecision(decision(randomUUID(), "customs", true, { subjectIds: [L] }), new Date());
    await ledger.appendBatch([legacy.ledger], (tx, added) => writeIndex(tx, added.map((a) => ({ index: a.index, row: indexRowOf({ ...a.record, appendedAtMs: a.appendedAtMs }) }))));
    expect(await appendRecords(ledger, [legacy])).toMatchObject({ appended: 0, conflicts: 0 });
    expect(await refOf(L)).toBeUndefined();

    // The verifier reading while an append naming a new subject is between its key and its commit.
    let entered!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const held = new Promise<void>((r) => (release = r));
    const appending = appendRecords(ledger, [failing], async () => {
      entered();
      await held;
    });
    await inside;
    expect((await owner.query("select count(*)::int as n from subject_keys")).rows[0].n).toBe(2); // Z's key is not committed yet
    const during = verify(schema);
    release();
    await appending;
    expect(during.stderr).toBe("");
    expect(during.stdout).toMatch(/result\s+OK: no tampering found/);
    expect(during.status).toBe(0);
    expect(await refOf(Z)).toMatch(/^s_/);
    expect(verify(schema).status).toBe(0);
  });
});

describe("sealing before the append lock", () => {
  it("a record sealed before the lock with a key destroyed while it waited is sealed again under a new key, under the lock", async () => {
    const { owner, ledger, refOf } = await sealedLedger("keys_preseal");
    const oldRef = (await refOf(X))!;
    // The ledger's append lock held, as a purge holds it while it destroys keys.
    const holder = await owner.connect();
    try {
      await holder.query("begin");
      await holder.query("select pg_advisory_xact_lock(hashtext(current_schema() || '.ledger_append'))");
      const eventId = randomUUID();
      const appending = appendRecords(ledger, [fromDecision(decision(eventId, "police", true, { subjectIds: [X] }), new Date())]);
      // It sealed with X's key before the lock, and now waits for the lock.
      const deadline = Date.now() + 10_000;
      while ((await admin.query("select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted")).rows[0].n === 0) {
        if (Date.now() > deadline) throw new Error("the append never waited for the lock");
        await new Promise((r) => setTimeout(r, 20));
      }
      await holder.query("delete from subject_keys where ref = $1", [oldRef]);
      await holder.query("commit");
      expect(await appending).toMatchObject({ appended: 1 });
      // X has a new key, and the new decision is sealed under it: who has seen X finds it (records under the
      // destroyed key are found by nobody any more); under the destroyed key it would not be found.
      const newRef = await refOf(X);
      expect(newRef).toMatch(/^s_/);
      expect(newRef).not.toBe(oldRef);
      const seen = await whoHasSeen(pgDatabase(owner), X, { limit: 10 });
      expect("disclosures" in seen && seen.disclosures.map((d) => d.event_id)).toEqual([eventId]);
    } finally {
      holder.release();
    }
  });

  it("uses a record sealed before the lock when its keys are still held: no key is made, and who has seen finds it", async () => {
    const { owner, ledger, refOf } = await sealedLedger("keys_preseal_kept");
    const keys = async () => (await owner.query("select count(*)::int as n from subject_keys")).rows[0].n as number;
    const before = await keys();
    const refX = await refOf(X);
    const eventId = randomUUID();
    expect(await appendRecords(ledger, [fromDecision(decision(eventId, "police", true, { subjectIds: [X, Y] }), new Date())])).toMatchObject({ appended: 1 });
    expect(await keys()).toBe(before);
    expect(await refOf(X)).toBe(refX);
    const seen = await whoHasSeen(pgDatabase(owner), X, { limit: 10 });
    expect("disclosures" in seen && seen.disclosures.map((d) => d.event_id)).toContain(eventId);
  });
});

describe("the verifier's role and subject_keys", () => {
  it("the README's read-only role cannot read subject_keys: the check says it was skipped; select (ref) finds a deleted key; select finds a relabelled one", async () => {
    const { schema, owner, refOf } = await sealedLedger("keys_roles");
    await admin.query(`grant usage on schema ${schema} to ${oversightRole}`);
    await admin.query(`grant select on ${schema}.ledger_leaves, ${schema}.ledger_nodes, ${schema}.ledger_heads, ${schema}.ledger_keys, ${schema}.audit_records, ${schema}.audit_subjects to ${oversightRole}`);
    const as = urlOf(oversightRole);
    const refX = (await refOf(X))!;
    const refY = (await refOf(Y))!;
    await owner.query("delete from subject_keys where ref = $1", [refX]);
    await owner.query("update subject_keys set subject_id = $2 where ref = $1", [refY, Z]);

    // Without subject_keys: no tampering found in what it could read — and it says what it could not.
    const blind = verify(schema, "--database-url", as);
    expect(blind.stderr).toBe("");
    expect(blind.status).toBe(0);
    expect(blind.stdout).toMatch(new RegExp(`keys\\s+not checked: role ${oversightRole} may not read subject_keys`));
    expect(blind.stdout).toMatch(/warning\s+subject_keys was not checked: a deleted or relabelled key would not be seen \(KEYS_NOT_READABLE\)/);
    expect(blind.stdout).toMatch(/result\s+OK: no tampering found \(subject_keys not checked: see the warning\)/);
    expect(JSON.parse(verify(schema, "--database-url", as, "--json").stdout)).toMatchObject({ ok: true, keys: { skipped: "KEYS_NOT_READABLE" } });

    // The refs alone: the deleted key is found; the relabelled one cannot be, and the report says so.
    await admin.query(`grant select (ref) on ${schema}.subject_keys to ${oversightRole}`);
    const refs = verify(schema, "--database-url", as);
    expect(refs.stdout).toMatch(/keys\s+1 subject_keys ref checked against the 2 refs the leaves name \(0 destroyed by purge records\); keys not opened/);
    expectTampered(schema, { kind: "key-missing", index: 1, ref: refX }, { databaseUrl: as });
    expect(JSON.parse(verify(schema, "--database-url", as, "--json").stdout).keys).toMatchObject({ keysRead: false, opened: 0, problemCount: 1 });

    // The keys too: both.
    await admin.query(`grant select on ${schema}.subject_keys to ${oversightRole}`);
    const full = JSON.parse(verify(schema, "--database-url", as, "--json").stdout);
    expect(full.keys).toMatchObject({ keysRead: true, opened: 1, problemCount: 2 });
    expect(full.keys.problems.map((p: { kind: string; index: number }) => [p.kind, p.index]).sort()).toEqual([
      ["key-mismatch", 0],
      ["key-missing", 1],
    ]);
  });
});
