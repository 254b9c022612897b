/**
 * The ledger on the real PostgreSQL server from the global setup. Each test gets
 * its own schema, so tests never see each other's rows.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { Agency, ConflictRecord, DecisionRecord, IntelligenceEvent, Outcome } from "@takitini/proto";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { appendRecords } from "../ingest.js";
import { CompactTree, createSigner, decodeEntry, encodeEntry, leafHash, type HeadSigner } from "../merkle/index.js";
import { flagAnomalies } from "../oversight/anomaly.js";
import { decision } from "../oversight/decisions.fixture.js";
import { fromDecision, fromPublish, publishRecord, revisionsOf } from "../oversight/records.js";
import { anomalySeries, recordById } from "../oversight/store.js";
import { checkStore, trustKeys, verifyConsistency, verifyInclusion, type LedgerReport } from "../verify/index.js";
import { conflictRecordId, sha256Hex } from "./conflict.js";
import { HeadSchedule, Ledger, LedgerError, type LedgerRecord } from "./ledger.js";
import { loadMigrations } from "./migrate.js";
import { pgDatabase, type SqlDatabase } from "./sql.js";

const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const pools: pg.Pool[] = [];
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const trusted = trustKeys([signer.publicKeyPem]);

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await admin.end();
});

/** A fresh schema and a pool whose connections use it. */
async function freshSchema(): Promise<{ schema: string; pool: pg.Pool }> {
  const schema = `ledger_${randomBytes(6).toString("hex")}`;
  await admin.query(`create schema ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
  pools.push(pool);
  return { schema, pool };
}

/** Counts statements, to hold reads to O(log n). */
function counting(db: SqlDatabase): SqlDatabase & { statements: number } {
  const wrapped = {
    statements: 0,
    query: (text: string, params?: unknown[]) => {
      wrapped.statements++;
      return db.query(text, params);
    },
    transaction: db.transaction.bind(db),
  };
  return wrapped as SqlDatabase & { statements: number };
}

const record = (i: number, kind = "decision"): LedgerRecord => ({ recordId: `rec-${i}`, kind, payload: Buffer.from(`payload of record ${i}`) });
const records = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => record(from + k, (from + k) % 4 === 0 ? "publish" : "decision"));

async function openLedger(pool: pg.Pool, s: HeadSigner = signer, clock?: () => number) {
  return Ledger.open(pgDatabase(pool), { signer: s, ...(clock ? { clock } : {}) });
}

describe("appending", () => {
  it("assigns dense indices, keeps the tree and its root in step, and is idempotent per record id", async () => {
    const { pool } = await freshSchema();
    const ledger = await openLedger(pool);
    const first = await ledger.appendBatch(records(0, 10));
    expect(first.appended).toBe(10);
    expect(first.outcomes.map((o) => o.index)).toEqual([...Array(10).keys()]);

    const again = await ledger.appendBatch([record(3), record(10), record(10), record(11)]);
    expect(again.appended).toBe(2);
    expect(again.outcomes.map((o) => [o.recordId, o.index, o.appended])).toEqual([
      ["rec-3", 3, false],
      ["rec-10", 10, true],
      ["rec-10", 10, false],
      ["rec-11", 11, true],
    ]);
    expect(again.outcomes[0]!.leafHash.equals(first.outcomes[3]!.leafHash)).toBe(true);

    const unchanged = await ledger.appendBatch([record(0), record(11)]);
    expect(unchanged).toMatchObject({ appended: 0, treeSize: 12 });
    expect((await ledger.appendBatch([])).treeSize).toBe(12);

    // the root, recomputed from the stored leaf hashes alone
    const { rows } = await pool.query<{ leaf_hash: Buffer }>("select leaf_hash from ledger_leaves order by idx");
    const tree = CompactTree.empty();
    for (const r of rows) tree.append(r.leaf_hash);
    const state = await ledger.state();
    expect(state.treeSize).toBe(12);
    expect(state.rootHash.equals(tree.root())).toBe(true);
    expect(unchanged.rootHash.equals(tree.root())).toBe(true);

    const leaf = await ledger.leafByRecord("rec-11");
    expect(leaf).toMatchObject({ index: 11, recordId: "rec-11", kind: "decision" });
    expect(leafHash(leaf!.entry).equals(leaf!.leafHash)).toBe(true);
    expect((await ledger.leaf(4))?.kind).toBe("publish");
  });

  it("migrates once, and a second ledger on the same schema continues the same tree", async () => {
    const { pool } = await freshSchema();
    const a = await openLedger(pool);
    await a.appendBatch(records(0, 37));
    const other = createSigner(generateKeyPairSync("ed25519").privateKey);
    const b = await openLedger(pool, other);
    const { rows } = await pool.query("select version from ledger_migrations order by version");
    expect(rows).toEqual(loadMigrations().map((m) => ({ version: m.version }))); // each once
    await b.appendBatch(records(37, 50));
    await a.appendBatch(records(50, 53)); // a's cached frontier is stale: it must reload, not fork
    const expected = CompactTree.empty();
    for (const r of (await pool.query<{ leaf_hash: Buffer }>("select leaf_hash from ledger_leaves order by idx")).rows) expected.append(r.leaf_hash);
    expect((await a.state()).rootHash.equals(expected.root())).toBe(true);
    await a.signHead();
    await b.signHead();
    expect((await checkStore(pool, trustKeys([signer.publicKeyPem, other.publicKeyPem]))).ok).toBe(true);
  });

  it("writes nothing from a batch that fails, and carries on after it", async () => {
    const { pool } = await freshSchema();
    const ledger = await openLedger(pool);
    await ledger.appendBatch(records(0, 5));
    await expect(ledger.appendBatch([record(5), { recordId: "bad", kind: "Not A Kind", payload: Buffer.alloc(0) }])).rejects.toThrow(/invalid record kind/);
    expect((await ledger.state()).treeSize).toBe(5);
    expect((await pool.query("select count(*)::int as n from ledger_leaves")).rows[0]).toEqual({ n: 5 });
    await ledger.appendBatch(records(5, 9));
    expect((await ledger.state()).treeSize).toBe(9);
    await ledger.signHead();
    expect((await checkStore(pool, trusted)).ok).toBe(true);
  });

  it("serialises concurrent writers: no interleaved or duplicated indices", async () => {
    const { pool } = await freshSchema();
    const { schema } = { schema: (await pool.query<{ s: string }>("select current_schema() as s")).rows[0]!.s };
    const poolB = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
    pools.push(poolB);
    const a = await openLedger(pool);
    const b = await openLedger(poolB);
    const work = (l: Ledger, offset: number) =>
      (async () => {
        for (let k = 0; k < 8; k++) {
          // both writers also offer records the other one offers: each id must land once
          await l.appendBatch([...records(offset + k * 5, offset + k * 5 + 5), record(1000 + k)]);
        }
      })();
    await Promise.all([work(a, 0), work(b, 500)]);
    const { rows } = await pool.query<{ n: number; lo: string; hi: string; ids: number }>(
      "select count(*)::int as n, min(idx) as lo, max(idx) as hi, count(distinct record_id)::int as ids from ledger_leaves",
    );
    expect(rows[0]).toEqual({ n: 88, lo: "0", hi: "87", ids: 88 });
    await a.signHead();
    expect(await checkStore(pool, trusted)).toMatchObject({ ok: true, rows: 88, verifiedSize: 88 });
  });

  it("refuses updates and deletes (append-only triggers)", async () => {
    const { pool } = await freshSchema();
    const ledger = await openLedger(pool);
    await ledger.appendBatch(records(0, 3));
    await ledger.signHead();
    await expect(pool.query("update ledger_leaves set kind = 'x' where idx = 1")).rejects.toThrow(/append-only/);
    await expect(pool.query("delete from ledger_leaves where idx = 1")).rejects.toThrow(/append-only/);
    await expect(pool.query("truncate ledger_nodes")).rejects.toThrow(/append-only/);
    await expect(pool.query("update ledger_heads set tree_size = 1")).rejects.toThrow(/append-only/);
  });
});

describe("proofs and heads", () => {
  it("proves every record at every signed size, and every head consistent with every later one, reading O(log n) rows", async () => {
    const { pool } = await freshSchema();
    let now = 1_732_400_000_000;
    const ledger = await openLedger(pool, signer, () => ++now);
    const sizes = [1, 2, 7, 8, 9, 31, 64, 100];
    let at = 0;
    for (const size of sizes) {
      await ledger.appendBatch(records(at, size));
      at = size;
      await ledger.signHead();
    }
    const heads = await ledger.heads();
    expect(heads.map((h) => h.treeSize)).toEqual(sizes);
    const db = counting(pgDatabase(pool));
    const reader = await Ledger.open(db, { signer, migrate: false });
    for (const head of heads) {
      expect((await reader.rootAt(head.treeSize)).equals(head.rootHash)).toBe(true);
      for (let i = 0; i < head.treeSize; i += Math.max(1, Math.floor(head.treeSize / 9))) {
        const leaf = (await reader.leaf(i))!;
        db.statements = 0;
        const { proof } = await reader.inclusionProof(i, head.treeSize);
        expect(db.statements).toBe(head.treeSize > 1 ? 2 : 1); // the tree size, then one read of the proof's nodes (none for a 1-leaf tree)
        expect(verifyInclusion(leaf.leafHash, i, head.treeSize, proof, head.rootHash)).toEqual({ ok: true });
      }
    }
    for (const h1 of heads) {
      for (const h2 of heads.filter((h) => h.treeSize >= h1.treeSize)) {
        const { proof } = await reader.consistencyProof(h1.treeSize, h2.treeSize);
        expect(verifyConsistency(h1.treeSize, h2.treeSize, h1.rootHash, h2.rootHash, proof), `${h1.treeSize}->${h2.treeSize}`).toEqual({ ok: true });
      }
    }
    const byRecord = await reader.proveRecord("rec-42");
    expect(byRecord.leaf.index).toBe(42);
    expect(verifyInclusion(byRecord.leaf.leafHash, 42, byRecord.treeSize, byRecord.proof, heads.at(-1)!.rootHash)).toEqual({ ok: true });
  });

  it("refuses proofs beyond the tree and for unknown records", async () => {
    const { pool } = await freshSchema();
    const ledger = await openLedger(pool);
    await ledger.appendBatch(records(0, 4));
    await expect(ledger.inclusionProof(4)).rejects.toMatchObject({ code: "TREE_SIZE_OUT_OF_RANGE" });
    await expect(ledger.inclusionProof(0, 5)).rejects.toMatchObject({ code: "TREE_SIZE_OUT_OF_RANGE" });
    await expect(ledger.consistencyProof(3, 5)).rejects.toBeInstanceOf(LedgerError);
    await expect(ledger.consistencyProof(5, 4)).rejects.toMatchObject({ code: "TREE_SIZE_OUT_OF_RANGE" });
    await expect(ledger.proveRecord("nope")).rejects.toMatchObject({ code: "RECORD_NOT_FOUND" });
  });

  it("signs heads on demand, when grown, and on a schedule", async () => {
    const { pool } = await freshSchema();
    const ledger = await openLedger(pool);
    const empty = await ledger.signHead();
    expect(empty.treeSize).toBe(0);
    expect(await ledger.signHeadIfGrown()).toBeUndefined();
    await ledger.appendBatch(records(0, 3));
    const schedule = new HeadSchedule(ledger, 50, (err) => {
      throw err;
    });
    schedule.start();
    for (let i = 0; i < 100 && (await ledger.latestHead())?.treeSize !== 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await ledger.latestHead())?.treeSize).toBe(3);
    await ledger.appendBatch(records(3, 5));
    const last = await schedule.stop();
    expect((await ledger.latestHead())?.treeSize).toBe(5);
    expect(last === undefined || last.treeSize === 5).toBe(true);
    expect((await checkStore(pool, trusted)).ok).toBe(true);
  });
});

describe("tampering with the stored ledger is detected", () => {
  /** A ledger of 40 records with heads at 10, 25 and 40, and a handle to tamper with it as its owner could. */
  async function signedLedger() {
    const { pool } = await freshSchema();
    const ledger = await openLedger(pool);
    for (const [from, to] of [
      [0, 10],
      [10, 25],
      [25, 40],
    ] as const) {
      await ledger.appendBatch(records(from, to));
      await ledger.signHead();
    }
    expect(await checkStore(pool, trusted, 7)).toMatchObject({ ok: true, rows: 40, heads: 3, verifiedSize: 40 });
    /** Run statements with the append-only triggers off, as a table owner or superuser could. */
    const tamper = async (...statements: string[]) => {
      const c = await pool.connect();
      try {
        await c.query("begin");
        await c.query("alter table ledger_leaves disable trigger user");
        await c.query("alter table ledger_heads disable trigger user");
        for (const s of statements) await c.query(s);
        await c.query("alter table ledger_leaves enable trigger user");
        await c.query("alter table ledger_heads enable trigger user");
        await c.query("commit");
      } catch (err) {
        await c.query("rollback");
        throw err;
      } finally {
        c.release();
      }
    };
    return { pool, ledger, tamper, check: (): Promise<LedgerReport> => checkStore(pool, trusted, 7) };
  }

  it("a modified entry byte", async () => {
    const { tamper, check } = await signedLedger();
    await tamper("update ledger_leaves set entry = set_byte(entry, octet_length(entry) - 1, get_byte(entry, octet_length(entry) - 1) # 1) where idx = 17");
    expect((await check()).firstBad).toMatchObject({ kind: "modified", index: 17 });
  });

  it("a modified record id column", async () => {
    const { tamper, check } = await signedLedger();
    await tamper("update ledger_leaves set record_id = 'someone-else' where idx = 3");
    expect((await check()).firstBad).toMatchObject({ kind: "modified", index: 3 });
  });

  it("a modified appended-at column", async () => {
    const { tamper, check } = await signedLedger();
    await tamper("update ledger_leaves set appended_at = appended_at + interval '1 microsecond' where idx = 30");
    expect((await check()).firstBad).toMatchObject({ kind: "modified", index: 30 });
  });

  it("an entry rewritten together with its leaf hash", async () => {
    const { pool, tamper, check } = await signedLedger();
    const { rows } = await pool.query<{ appended_at: Date }>("select appended_at from ledger_leaves where idx = 12");
    const entry = encodeEntry({ index: 12, appendedAtMs: rows[0]!.appended_at.getTime(), kind: "publish", recordId: "rec-12", payload: Buffer.from("rewritten history") });
    await tamper(`update ledger_leaves set entry = '\\x${entry.toString("hex")}', leaf_hash = '\\x${leafHash(entry).toString("hex")}' where idx = 12`);
    expect((await check()).firstBad).toMatchObject({ kind: "head-root-mismatch", index: 10, head: { treeSize: 25 } });
  });

  it("a deleted row", async () => {
    const { tamper, check } = await signedLedger();
    await tamper("delete from ledger_leaves where idx = 21");
    expect((await check()).firstBad).toMatchObject({ kind: "deleted", index: 21 });
  });

  it("a deleted row with the rest renumbered", async () => {
    const { tamper, check } = await signedLedger();
    await tamper(
      "delete from ledger_leaves where idx = 21",
      "update ledger_leaves set idx = idx + 1000000 where idx > 21",
      "update ledger_leaves set idx = idx - 1000001 where idx > 1000000",
    );
    expect((await check()).firstBad).toMatchObject({ kind: "deleted", index: 21 });
  });

  it("the newest rows deleted", async () => {
    const { tamper, check } = await signedLedger();
    await tamper("delete from ledger_leaves where idx >= 33");
    expect(await check()).toMatchObject({ verifiedSize: 25, firstBad: { kind: "deleted", index: 33 } });
  });

  it("an inserted row, the rest renumbered after it", async () => {
    const { pool, tamper, check } = await signedLedger();
    const { rows } = await pool.query<{ appended_at: Date }>("select appended_at from ledger_leaves where idx = 6");
    const at = rows[0]!.appended_at;
    const entry = encodeEntry({ index: 6, appendedAtMs: at.getTime(), kind: "decision", recordId: "forged", payload: Buffer.from("never happened") });
    await tamper(
      "update ledger_leaves set idx = idx + 1000000 where idx >= 6",
      "update ledger_leaves set idx = idx - 999999 where idx >= 1000000",
      `insert into ledger_leaves (idx, record_id, kind, appended_at, entry, leaf_hash)
         values (6, 'forged', 'decision', '${at.toISOString()}', '\\x${entry.toString("hex")}', '\\x${leafHash(entry).toString("hex")}')`,
    );
    expect((await check()).firstBad).toMatchObject({ kind: "inserted", index: 6 });
  });

  it("two rows swapped", async () => {
    const { tamper, check } = await signedLedger();
    await tamper(
      "update ledger_leaves set idx = 1000005 where idx = 5",
      "update ledger_leaves set idx = 5 where idx = 14",
      "update ledger_leaves set idx = 14 where idx = 1000005",
    );
    expect((await check()).firstBad).toMatchObject({ kind: "reordered", index: 5 });
  });

  it("a head's signature altered", async () => {
    const { tamper, check } = await signedLedger();
    await tamper("update ledger_heads set signature = set_byte(signature, 0, get_byte(signature, 0) # 128) where tree_size = 25");
    const report = await check();
    expect(report.firstBad).toMatchObject({ kind: "head-signature", index: 25, head: { treeSize: 25 } });
    expect(report.problems).toHaveLength(1);
  });

  it("a head's root replaced", async () => {
    const { tamper, check } = await signedLedger();
    await tamper("update ledger_heads set root_hash = sha256(root_hash) where tree_size = 10");
    expect((await check()).firstBad).toMatchObject({ kind: "head-signature", index: 10 });
  });
});

/**
 * Conflicts are kept: a record id that arrives again with different bytes is
 * appended as a linked conflict record (never dropped), a redelivered conflict is
 * one leaf, the same bytes stay a duplicate, the index and the anomalies show it,
 * and the ledger still verifies.
 */
const rec = (recordId: string, text: string): LedgerRecord => ({ recordId, kind: "decision", payload: Buffer.from(text) });

describe("a record id again with different bytes", () => {
  it("is appended as a linked conflict record; redelivered it is one leaf; the same bytes stay a duplicate", async () => {
    const { pool } = await freshSchema();
    const ledger = await openLedger(pool);
    await ledger.appendBatch([rec("x", "version a"), rec("y", "other")]);

    const first = await ledger.appendBatch([rec("x", "version b")]);
    expect(first).toMatchObject({ appended: 1, conflicts: 1, treeSize: 3 });
    const o = first.outcomes[0]!;
    expect(o).toMatchObject({ recordId: "x", index: 0, appended: false, conflict: { recordId: `conflict:x:${sha256Hex(Buffer.from("version b"))}`, index: 2, appended: true } });
    const leaf = (await ledger.leaf(2))!;
    expect(leaf).toMatchObject({ kind: "conflict", recordId: o.conflict!.recordId });
    const c = ConflictRecord.decode(decodeEntry(leaf.entry).payload);
    expect(c).toMatchObject({ originalRecordId: "x", originalIndex: "0", originalKind: "decision", newKind: "decision", originalSha256: sha256Hex(Buffer.from("version a")) });
    expect(Buffer.from(c.newPayload).toString()).toBe("version b");

    // The same conflict again (a redelivery of version b): nothing new, the conflict's index reported.
    const again = await ledger.appendBatch([rec("x", "version b")]);
    expect(again).toMatchObject({ appended: 0, conflicts: 0, treeSize: 3 });
    expect(again.outcomes[0]).toMatchObject({ appended: false, conflict: { index: 2, appended: false } });
    // The original bytes again: a plain duplicate.
    const dup = await ledger.appendBatch([rec("x", "version a")]);
    expect(dup).toMatchObject({ appended: 0, conflicts: 0 });
    expect(dup.outcomes[0]!.conflict).toBeUndefined();
    // A third version: a conflict of its own.
    const third = await ledger.appendBatch([rec("x", "version c")]);
    expect(third.outcomes[0]).toMatchObject({ index: 0, conflict: { index: 3, appended: true } });

    // Within one batch: the second version of a new id is a conflict of the first.
    const batch = await ledger.appendBatch([rec("z", "one"), rec("z", "two"), rec("z", "one")]);
    expect(batch).toMatchObject({ appended: 2, conflicts: 1 });
    expect(batch.outcomes.map((x) => [x.index, x.appended, x.conflict?.index])).toEqual([
      [4, true, undefined],
      [4, false, 5],
      [4, false, undefined],
    ]);

    await ledger.signHead();
    expect(await checkStore(pool, trusted)).toMatchObject({ ok: true, rows: 6 });
  });

  it("is no conflict for a record whose first version wins (a policy revision first seen, named again by later batches)", async () => {
    const { pool } = await freshSchema();
    const ledger = await openLedger(pool);
    const at = new Date();
    const batch = (n: number) => revisionsOf([decision(randomUUID(), "customs", true, { policyRevision: "rev-9", decidedAt: new Date(at.getTime() + n) })], at);
    await appendRecords(ledger, batch(0));
    const later = await appendRecords(ledger, batch(1));
    expect(later).toMatchObject({ appended: 0, conflicts: 0 });
    expect(later.outcomes[0]!.conflict).toBeUndefined();
    expect((await ledger.state()).treeSize).toBe(1);
  });

  it("is no conflict for an event read again at another offset; its content changed is one", async () => {
    const { pool } = await freshSchema();
    const ledger = await openLedger(pool);
    const at = new Date();
    const event = IntelligenceEvent.fromPartial({ id: randomUUID(), sourceAgency: Agency.AGENCY_POLICE, eventType: "police.organised_crime_noting", publishedAt: at });
    const bytes = Buffer.from(IntelligenceEvent.encode(event).finish());
    const read = (content: Buffer, offset: string) => fromPublish(publishRecord(event, content, { topic: "takitini.intel.police.v1", partition: 0, offset }), at);
    await appendRecords(ledger, [read(bytes, "10")]);
    expect(await appendRecords(ledger, [read(bytes, "11")])).toMatchObject({ appended: 0, conflicts: 0 });
    expect(await appendRecords(ledger, [read(Buffer.concat([bytes, Buffer.from([0])]), "12")])).toMatchObject({ appended: 1, conflicts: 1 });
  });

  it("keeps even a version whose conflict id was taken first by a forged record (a conflict of that conflict)", async () => {
    const { pool } = await freshSchema();
    const ledger = await openLedger(pool);
    await ledger.appendBatch([rec("x", "version a")]);
    const taken = conflictRecordId("x", sha256Hex(Buffer.from("version d")));
    await ledger.appendBatch([{ recordId: taken, kind: "conflict", payload: Buffer.from("forged") }]);
    const out = await ledger.appendBatch([rec("x", "version d")]);
    expect(out).toMatchObject({ appended: 1, conflicts: 1 });
    const leaf = (await ledger.leaf(out.outcomes[0]!.conflict!.index))!;
    const outer = ConflictRecord.decode(decodeEntry(leaf.entry).payload);
    expect(outer).toMatchObject({ originalRecordId: taken, originalKind: "conflict", newKind: "conflict" });
    const inner = ConflictRecord.decode(outer.newPayload);
    expect(inner).toMatchObject({ originalRecordId: "x", originalIndex: "0" });
    expect(Buffer.from(inner.newPayload).toString()).toBe("version d");
    expect((await checkStore(pool, trusted)).ok).toBe(true);
  });

  it("through the ingest's append: indexed as kind conflict by the new version, and flagged as an anomaly", async () => {
    const { pool } = await freshSchema();
    const ledger = await openLedger(pool);
    const db = pgDatabase(pool);
    const d = decision(randomUUID(), "customs", false, { decidedAt: new Date() });
    const at = new Date();
    await appendRecords(ledger, [fromDecision(d, at)]);
    const remade = DecisionRecord.fromPartial({ ...d, outcome: Outcome.OUTCOME_ALLOW, policyRevision: "rev-2" });
    const out = await appendRecords(ledger, [fromDecision(remade, at)]);
    expect(out.conflicts).toBe(1);
    const id = out.outcomes[0]!.conflict!.recordId;
    const detail = await recordById(db, id);
    expect(detail).toMatchObject({ row: { kind: "conflict" }, doc: { original_record_id: d.id, original_index: 0 } });
    const { rows } = await pool.query("select kind, subscriber_id, outcome, policy_revision from audit_records where record_id = $1", [id]);
    expect(rows).toEqual([{ kind: "conflict", subscriber_id: "customs", outcome: "allow", policy_revision: "rev-2" }]);
    const flags = flagAnomalies(await anomalySeries(db, { windowSeconds: 3600, baseline: 24, at: new Date(Date.now() + 1000) }));
    expect(flags).toContainEqual(expect.objectContaining({ subscriber_id: "customs", metric: "conflict", count: 1 }));
  });
});
