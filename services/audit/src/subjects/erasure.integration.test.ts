/**
 * Retention and erasure on real PostgreSQL (the global setup's server), with
 * the roles the service runs with: records appended as the least-privilege
 * service role through appendRecords (the service's one way in), the purge
 * tools run as built (`npm run audit:erase`, `audit:purge`) as the owner.
 *
 * The Done-when: after a subject's key is destroyed, their id and key
 * appear neither in a pg_dump nor in a physical backup (pg_basebackup) taken
 * afterwards, and the verifier (tree and index checks) still reports OK; the
 * subject kept is still opened.
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecisionRecord, IntelligenceEvent, Agency, Classification } from "@takitini/proto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { appendRecords } from "../ingest.js";
import { grantServiceRole, Ledger, migrate, pgDatabase } from "../ledger/index.js";
import { createSigner } from "../merkle/index.js";
import { decision } from "../oversight/decisions.fixture.js";
import { fromDecision, fromPublish, publishRecord } from "../oversight/records.js";
import { recordOversightQuery } from "../oversight/recording.js";
import { recordById, searchRecords, whoHasSeen, writeIndex } from "../oversight/store.js";
import { indexRowOf } from "../oversight/derive.js";
import { ensureVerifyBuilt, PKG, VERIFY_CLI } from "../tools/cli.fixture.js";
import { purgeRecordId } from "./purge.js";

const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const pools: pg.Pool[] = [];
const suffix = randomBytes(4).toString("hex");
const ownerRole = `erase_owner_${suffix}`;
const serviceRole = `erase_service_${suffix}`;
const password = randomBytes(12).toString("hex");
const dir = mkdtempSync(join(tmpdir(), "audit-erasure-"));
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const keyFile = join(dir, "head-key.pem");
writeFileSync(keyFile, signer.publicKeyPem);
const ERASE_CLI = join(PKG, "dist/tools/erase.js");
const PURGE_CLI = join(PKG, "dist/tools/purge.js");

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

/** A schema owned by the owner role, migrated by it, the service role granted insert and select: the service's ledger. */
async function ledgerSchema(name: string) {
  const schema = `${name}_${suffix}`;
  await admin.query(`create schema ${schema} authorization ${ownerRole}`);
  const owner = pool(urlOf(ownerRole), schema);
  await migrate(pgDatabase(owner));
  await grantServiceRole(pgDatabase(owner), serviceRole, schema);
  const service = pool(urlOf(serviceRole), schema);
  const ledger = await Ledger.open(pgDatabase(service), { signer, migrate: false });
  return { schema, owner, service, ledger };
}

function run(cli: string, args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, DATABASE_URL: "", AUDIT_MIGRATION_DATABASE_URL: "" }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const verify = (schema: string) => run(VERIFY_CLI, ["--database-url", url, "--schema", schema, "--trusted-key", keyFile]);

/** Every file under `root` (a backup), read whole. */
function* files(root: string): Generator<{ path: string; bytes: Buffer }> {
  for (const name of readdirSync(root, { recursive: true, encoding: "utf8" })) {
    const path = join(root, name);
    if (statSync(path).isFile()) yield { path, bytes: readFileSync(path) };
  }
}

const subjectOf = (tag: string) => `police/person/ERASE-${tag}-${suffix}`;

beforeAll(async () => {
  ensureVerifyBuilt(["tools", "verify", "indexcheck", "oversight", "merkle", "subjects", "ledger"]);
  for (const r of [ownerRole, serviceRole]) await admin.query(`create role ${r} login password '${password}'`);
  const db = new URL(url).pathname.slice(1) || "postgres";
  await admin.query(`grant connect on database ${db} to ${ownerRole}, ${serviceRole}`);
  // The erasure closes the WAL segment that recorded the key (subjects/purge.ts step 4): the operator grants the owner this one function.
  await admin.query(`grant execute on function pg_switch_wal() to ${ownerRole}`);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  const { rows } = await admin.query<{ nspname: string }>("select nspname from pg_namespace where nspname like $1", [`%\\_${suffix}`]);
  for (const r of rows) await admin.query(`drop schema ${r.nspname} cascade`);
  await admin.query(`revoke execute on function pg_switch_wal() from ${ownerRole}`).catch(() => undefined);
  for (const r of [serviceRole, ownerRole]) {
    await admin.query(`drop owned by ${r}`).catch(() => undefined);
    await admin.query(`drop role if exists ${r}`);
  }
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

describe("sealed subjects through appendRecords (the service role)", () => {
  const X = subjectOf("X");
  const Y = subjectOf("Y");
  let s: Awaited<ReturnType<typeof ledgerSchema>>;
  const eventId = randomUUID();
  const both = decision(eventId, "customs", true, { subjectIds: [X, Y] });
  const denied = decision(eventId, "mbie", false, { subjectIds: [X] });
  const onlyY = decision(randomUUID(), "customs", true, { subjectIds: [Y] });
  let xKey: Buffer;

  beforeAll(async () => {
    s = await ledgerSchema("erasure");
    const event = IntelligenceEvent.fromPartial({
      id: eventId,
      sourceAgency: Agency.AGENCY_POLICE,
      eventType: "police.organised_crime_noting",
      classification: Classification.CLASSIFICATION_RESTRICTED,
      publishedAt: new Date(),
      subjects: [{ entity: { $case: "person", value: { subjectId: X, fullName: "not kept" } } }],
    });
    const at = new Date();
    const out = await appendRecords(s.ledger, [
      fromPublish(publishRecord(event, IntelligenceEvent.encode(event).finish(), { topic: "takitini.police.v1", partition: 0, offset: "7" }), at),
      fromDecision(both, at),
      fromDecision(denied, at),
      fromDecision(onlyY, at),
    ]);
    expect(out.appended).toBe(4);
    // An oversight officer asks who has seen X: the query is a record too, naming X's ref.
    await recordOversightQuery(s.ledger, { officer: "Aroha", role: "reviewer", channel: "http", method: "GET", route: "/v1/subjects/:subjectId/disclosures", parameters: { subjectId: X }, status: 200, resultCount: 1 });
    await s.ledger.signHead();
    xKey = (await s.owner.query<{ key: Buffer }>("select key from subject_keys where subject_id = $1", [X])).rows[0]!.key;
  });

  it("no leaf holds a subject id in the clear; the index holds refs", async () => {
    const { rows } = await s.service.query<{ entry: Buffer }>("select entry from ledger_leaves");
    expect(rows).toHaveLength(5);
    for (const r of rows) for (const id of [X, Y, `ERASE-X-${suffix}`, `ERASE-Y-${suffix}`]) expect(r.entry.includes(Buffer.from(id))).toBe(false);
    const index = await s.service.query<{ t: string }>("select subject_id as t from audit_subjects union all select doc::text from audit_records");
    for (const r of index.rows) expect(r.t).not.toContain(`ERASE-`);
    expect((await s.service.query("select 1 from audit_subjects where subject_id ~ '^s_[a-z2-7]{26}$'")).rowCount).toBe(6);
  });

  it("who-has-seen and the record's detail still answer with the subject ids (opened by the server)", async () => {
    const seen = await whoHasSeen(s.service, X, { limit: 10 });
    expect(seen).toMatchObject({ denied: 1, disclosures: [{ decision_id: both.id, subscriber_id: "customs" }] });
    const d = await recordById(s.service, both.id);
    expect(d!.row.subject_ids).toEqual([X, Y]);
    expect(d!.row.erased_subject_refs).toEqual([]);
    expect(JSON.stringify(d!.doc)).not.toContain("ERASE-"); // the signed form: refs and ciphertext
    const search = await searchRecords(s.service, { subject_id: Y, limit: 10 } as never);
    expect("records" in search && search.records.map((r) => r.id).sort()).toEqual([both.id, onlyY.id].sort());
    const q = await searchRecords(s.service, { kind: "oversight_query", limit: 10 } as never);
    expect("docs" in q && q.docs[0]!["parameters"]).toEqual({ subjectId: X });
  });

  it("a redelivered record is a redelivery (the same sealed bytes), not a conflict", async () => {
    const again = await appendRecords(s.ledger, [fromDecision(DecisionRecord.fromPartial(both), new Date())]);
    expect(again).toMatchObject({ appended: 0, conflicts: 0 });
    expect(again.outcomes[0]).toMatchObject({ appended: false });
  });

  it("a ledger appended before sealing keeps working: its subject found by id, its record read again a redelivery", async () => {
    const L = subjectOf("LEGACY");
    const legacy = fromDecision(decision(randomUUID(), "customs", true, { subjectIds: [L] }), new Date());
    // As appendRecords appended before this change: the bytes as the exchange wrote them, the index from them.
    await s.ledger.appendBatch([legacy.ledger], (tx, added) => writeIndex(tx, added.map((a) => ({ index: a.index, row: indexRowOf({ ...a.record, appendedAtMs: a.appendedAtMs }) }))));
    expect((await whoHasSeen(s.service, L, { limit: 10 })).disclosures.map((d) => d.decision_id)).toEqual([legacy.ledger.recordId]);
    expect((await recordById(s.service, legacy.ledger.recordId))!.row).toMatchObject({ subject_ids: [L], erased_subject_refs: [] });
    expect(await appendRecords(s.ledger, [legacy])).toMatchObject({ appended: 0, conflicts: 0 });
    // Erasing a subject named in the clear destroys nothing there and says so.
    const out = run(ERASE_CLI, ["--database-url", urlOf(ownerRole), "--schema", s.schema, "--subject", L, "--reason", "erasure", "--authority", "Privacy Act 2020, IPP 7", "--by", "test"]);
    expect(out.stderr).toContain("CLEAR_RECORDS_REMAIN: 1 record(s)");
  });

  it("the erasure: audit:erase as the owner; the verifier reports OK; X is gone from the API, a pg_dump and a physical backup; Y stays", async () => {
    const refX = (await s.owner.query<{ ref: string }>("select ref from subject_keys where subject_id = $1", [X])).rows[0]!.ref;
    const before = (await s.ledger.state()).treeSize;

    // Bad input destroys nothing.
    const bad = run(ERASE_CLI, ["--database-url", urlOf(ownerRole), "--schema", s.schema, "--subject", X, "--reason", "retention", "--authority", "IPP 7", "--by", "test"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("ARGUMENT_INVALID --reason");
    // The service's role cannot delete a key.
    await expect(s.service.query("delete from subject_keys")).rejects.toMatchObject({ code: "42501" });

    const erased = run(ERASE_CLI, ["--database-url", urlOf(ownerRole), "--schema", s.schema, "--subject", X, "--reason", "erasure", "--authority", "Privacy Act 2020, IPP 7 request upheld", "--by", "Aroha (privacy officer)"]);
    expect(erased.stderr).toBe("");
    expect(erased.status).toBe(0);
    expect(erased.stdout).toContain(`purge record ${purgeRecordId("erasure", [refX])} at index ${before}`);

    // The purge record is a leaf, naming the ref only; a head over it verifies with the index recomputed.
    const purge = await s.ledger.leafByRecord(purgeRecordId("erasure", [refX]));
    expect(purge!.kind).toBe("purge");
    expect(purge!.entry.includes(Buffer.from(refX))).toBe(true);
    expect(purge!.entry.includes(Buffer.from(X))).toBe(false);
    await s.ledger.signHead();
    const v = verify(s.schema);
    expect(v.stderr).toBe("");
    expect(v.stdout).toMatch(/result\s+OK: no tampering found/);
    expect(v.stdout).toMatch(/index/);
    expect(v.status).toBe(0);

    // The API: nobody has seen X any more; the record naming both shows X's ref as erased and Y opened.
    expect(await whoHasSeen(s.service, X, { limit: 10 })).toMatchObject({ disclosures: [], denied: 0 });
    const d = await recordById(s.service, both.id);
    expect(d!.row.subject_ids).toEqual([Y]);
    expect(d!.row.erased_subject_refs).toEqual([refX]);
    const q = await searchRecords(s.service, { kind: "oversight_query", limit: 10 } as never);
    expect("docs" in q && q.docs[0]!["parameters"]).toEqual({ subjectId: refX });
    expect((await whoHasSeen(s.service, Y, { limit: 10 })).disclosures).toHaveLength(2);

    // Run again: nothing to destroy (exit 2, SUBJECT_KEY_NOT_FOUND), no second purge record.
    const again = run(ERASE_CLI, ["--database-url", urlOf(ownerRole), "--schema", s.schema, "--subject", X, "--reason", "erasure", "--authority", "Privacy Act 2020, IPP 7 request upheld", "--by", "Aroha (privacy officer)"]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain("SUBJECT_KEY_NOT_FOUND");
    expect((await s.ledger.state()).treeSize).toBe(before + 1);

    // A logical backup taken now: Y's id is there (the scan can find an id), X's id and key are not.
    const dump = spawnSync("pg_dump", ["--dbname", url, "--schema", s.schema, "--no-owner"], { encoding: "buffer", maxBuffer: 1 << 28, timeout: 120_000 });
    expect(dump.status, dump.stderr?.toString()).toBe(0);
    expect(dump.stdout.includes(Buffer.from(Y))).toBe(true);
    expect(dump.stdout.includes(Buffer.from(X))).toBe(false);
    expect(dump.stdout.includes(Buffer.from(xKey.toString("hex")))).toBe(false);
    expect(dump.stdout.includes(xKey)).toBe(false);

    // A physical backup taken now (the cluster allows replication connections: initdb's default pg_hba.conf).
    const backup = join(dir, "basebackup");
    const bb = spawnSync("pg_basebackup", ["--dbname", url, "-D", backup, "-X", "stream", "-c", "fast", "--no-sync"], { encoding: "utf8", timeout: 300_000 });
    expect(bb.status, `pg_basebackup: ${bb.stderr}`).toBe(0);
    let sawY = false;
    for (const f of files(backup)) {
      sawY ||= f.bytes.includes(Buffer.from(Y));
      expect(f.bytes.includes(Buffer.from(X)), `${X} in ${f.path}`).toBe(false);
      expect(f.bytes.includes(xKey), `X's key in ${f.path}`).toBe(false);
    }
    expect(sawY).toBe(true);
    rmSync(backup, { recursive: true, force: true });
  });
});

describe("retention (audit:purge)", () => {
  const OLD = subjectOf("OLD");
  const RECENT = subjectOf("RECENT");
  let s: Awaited<ReturnType<typeof ledgerSchema>>;
  const policyFile = join(dir, "retention.json");

  beforeAll(async () => {
    s = await ledgerSchema("retention");
    writeFileSync(policyFile, JSON.stringify({ default: { period: "P1Y", reference: "test: one year" }, kinds: { decision: { period: "P1Y", reference: "test: decisions one year" } } }));
    const at = new Date();
    await appendRecords(s.ledger, [
      fromDecision(decision(randomUUID(), "customs", true, { subjectIds: [OLD], decidedAt: new Date("2020-03-01T00:00:00Z") }), at),
      fromDecision(decision(randomUUID(), "customs", true, { subjectIds: [OLD, RECENT], decidedAt: new Date("2020-04-01T00:00:00Z") }), at),
      fromDecision(decision(randomUUID(), "mbie", true, { subjectIds: [RECENT], decidedAt: at }), at),
    ]);
  });

  it("with --now past the period, a subject whose records are all old is purged and one with a recent record is not; the purge record verifies", async () => {
    const now = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const args = ["--database-url", urlOf(ownerRole), "--schema", s.schema, "--policy", policyFile, "--now", now];
    const dry = run(PURGE_CLI, [...args, "--dry-run"]);
    expect(dry.stdout).toContain("1 subject(s) due");
    expect(dry.status).toBe(0);

    const refOld = (await s.owner.query<{ ref: string }>("select ref from subject_keys where subject_id = $1", [OLD])).rows[0]!.ref;
    const out = run(PURGE_CLI, args);
    expect(out.stderr).toBe("");
    expect(out.status).toBe(0);
    expect(out.stdout).toContain(`purge record ${purgeRecordId("retention", [refOld])}`);
    expect((await s.owner.query<{ subject_id: string }>("select subject_id from subject_keys order by subject_id")).rows.map((r) => r.subject_id)).toEqual([RECENT]);
    expect(await whoHasSeen(s.service, OLD, { limit: 10 })).toMatchObject({ disclosures: [] });
    expect((await whoHasSeen(s.service, RECENT, { limit: 10 })).disclosures).toHaveLength(2);

    const search = await searchRecords(s.service, { kind: "purge", limit: 10 } as never);
    expect("docs" in search && search.docs).toEqual([expect.objectContaining({ reason: "retention", refs: [refOld], retention_policy_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    await s.ledger.signHead();
    const v = verify(s.schema);
    expect(v.stdout).toMatch(/result\s+OK: no tampering found/);
    expect(v.status).toBe(0);

    // Again: nothing due now, nothing appended.
    const size = (await s.ledger.state()).treeSize;
    const again = run(PURGE_CLI, args);
    expect(again.stdout).toContain("nothing due");
    expect((await s.ledger.state()).treeSize).toBe(size);
  });

  it("refuses a bad policy (RETENTION_POLICY_INVALID, exit 2) and destroys nothing", async () => {
    const bad = join(dir, "bad-retention.json");
    writeFileSync(bad, JSON.stringify({ default: { period: "forever", reference: "x" }, kinds: {} }));
    const out = run(PURGE_CLI, ["--database-url", urlOf(ownerRole), "--schema", s.schema, "--policy", bad, "--now", "2099-01-01T00:00:00Z"]);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain("RETENTION_POLICY_INVALID");
    expect((await s.owner.query("select 1 from subject_keys")).rowCount).toBe(1);
  });
});
