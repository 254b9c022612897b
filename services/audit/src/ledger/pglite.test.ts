/**
 * The ledger on the embedded PostgreSQL (PGlite): the same migrations and
 * queries as on a server — appends, idempotency, the row lock, proofs, tamper
 * detection and the append-only triggers — and rows shaped as node-postgres
 * shapes them (checked against the real server from the global setup).
 */
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CompactTree, createSigner, encodeEntry, leafHash } from "../merkle/index.js";
import { checkStore, trustKeys, verifyConsistency, verifyInclusion } from "../verify/index.js";
import { Ledger, type LedgerRecord } from "./ledger.js";
import { loadMigrations } from "./migrate.js";
import { IN_MEMORY, openDatabase, openPglite, type PgliteDatabase } from "./pglite.js";
import { pgDatabase } from "./sql.js";

const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const trusted = trustKeys([signer.publicKeyPem]);
const record = (i: number, kind = "decision"): LedgerRecord => ({ recordId: `rec-${i}`, kind, payload: Buffer.from(`payload of record ${i}`) });
const records = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => record(from + k, (from + k) % 4 === 0 ? "publish" : "decision"));

let db: PgliteDatabase;
beforeAll(async () => {
  db = await openPglite(IN_MEMORY);
});
afterAll(() => db?.close());

/** A fresh schema on the shared engine, made current (PGlite has one session). */
async function freshSchema(): Promise<string> {
  const schema = `ledger_${randomBytes(6).toString("hex")}`;
  await db.query(`create schema ${schema}; set search_path = ${schema}`);
  return schema;
}

describe("the ledger on PGlite", () => {
  it("migrates, assigns dense indices, keeps the root in step and is idempotent per record id", async () => {
    await freshSchema();
    const ledger = await Ledger.open(db, { signer });
    expect((await db.query<{ version: number }>("select version from ledger_migrations order by version")).rows.map((r) => r.version)).toEqual(
      loadMigrations().map((m) => m.version),
    );
    const first = await ledger.appendBatch(records(0, 10));
    expect(first.outcomes.map((o) => o.index)).toEqual([...Array(10).keys()]);
    const again = await ledger.appendBatch([record(3), record(10), record(10), record(11)]);
    expect(again.outcomes.map((o) => [o.recordId, o.index, o.appended])).toEqual([
      ["rec-3", 3, false],
      ["rec-10", 10, true],
      ["rec-10", 10, false],
      ["rec-11", 11, true],
    ]);
    expect(again.outcomes[0]!.leafHash.equals(first.outcomes[3]!.leafHash)).toBe(true);
    expect(await ledger.appendBatch([record(0), record(11)])).toMatchObject({ appended: 0, treeSize: 12 });

    const tree = CompactTree.empty();
    for (const r of (await db.query<{ leaf_hash: Buffer }>("select leaf_hash from ledger_leaves order by idx")).rows) tree.append(r.leaf_hash);
    expect((await ledger.state()).rootHash.equals(tree.root())).toBe(true);
    const leaf = await ledger.leafByRecord("rec-11");
    expect(leaf).toMatchObject({ index: 11, recordId: "rec-11", kind: "decision" });
    expect(leafHash(leaf!.entry).equals(leaf!.leafHash)).toBe(true);
  });

  it("writes nothing from a batch that fails, and carries on after it", async () => {
    await freshSchema();
    const ledger = await Ledger.open(db, { signer });
    await ledger.appendBatch(records(0, 5));
    await expect(ledger.appendBatch([record(5), { recordId: "bad", kind: "Not A Kind", payload: Buffer.alloc(0) }])).rejects.toThrow(/invalid record kind/);
    // a statement that fails inside the transaction rolls it back too
    await expect(db.transaction(async (tx) => {
      await tx.query("insert into ledger_keys (key_id, public_key) values ($1, 'x')", [Buffer.alloc(32, 7)]);
      await tx.query("insert into ledger_keys (key_id, public_key) values ($1, 'x')", [Buffer.alloc(32, 7)]);
    })).rejects.toThrow(/duplicate key/);
    expect((await db.query("select count(*)::int as n from ledger_keys where key_id = $1", [Buffer.alloc(32, 7)])).rows).toEqual([{ n: 0 }]);
    expect((await ledger.state()).treeSize).toBe(5);
    await ledger.appendBatch(records(5, 9));
    await ledger.signHead();
    expect(await checkStore(db, trusted)).toMatchObject({ ok: true, rows: 9, verifiedSize: 9, nodes: 9 - 2 });
  });

  it("serialises two writers on the ledger's append lock: no interleaved or duplicated indices", async () => {
    await freshSchema();
    const a = await Ledger.open(db, { signer });
    const b = await Ledger.open(db, { signer, migrate: false });
    const work = (l: Ledger, offset: number) =>
      (async () => {
        for (let k = 0; k < 6; k++) await l.appendBatch([...records(offset + k * 5, offset + k * 5 + 5), record(1000 + k)]);
      })();
    await Promise.all([work(a, 0), work(b, 500)]);
    expect((await db.query("select count(*)::int as n, min(idx) as lo, max(idx) as hi, count(distinct record_id)::int as ids from ledger_leaves")).rows[0]).toEqual({
      n: 66,
      lo: "0",
      hi: "65",
      ids: 66,
    });
    await b.signHead();
    expect(await checkStore(db, trusted)).toMatchObject({ ok: true, rows: 66, verifiedSize: 66 });
  });

  it("proves every record at every signed size and every head consistent with every later one", async () => {
    await freshSchema();
    let now = 1_732_400_000_000;
    const ledger = await Ledger.open(db, { signer, clock: () => ++now });
    let at = 0;
    for (const size of [1, 7, 8, 31, 64, 100]) {
      await ledger.appendBatch(records(at, size));
      at = size;
      await ledger.signHead();
    }
    const heads = await ledger.heads();
    for (const head of heads) {
      expect((await ledger.rootAt(head.treeSize)).equals(head.rootHash)).toBe(true);
      for (let i = 0; i < head.treeSize; i += Math.max(1, Math.floor(head.treeSize / 7))) {
        const leaf = (await ledger.leaf(i))!;
        const { proof } = await ledger.inclusionProof(i, head.treeSize);
        expect(verifyInclusion(leaf.leafHash, i, head.treeSize, proof, head.rootHash)).toEqual({ ok: true });
      }
      for (const later of heads.filter((h) => h.treeSize >= head.treeSize)) {
        const { proof } = await ledger.consistencyProof(head.treeSize, later.treeSize);
        expect(verifyConsistency(head.treeSize, later.treeSize, head.rootHash, later.rootHash, proof)).toEqual({ ok: true });
      }
    }
    await expect(ledger.proveRecord("nope")).rejects.toMatchObject({ code: "RECORD_NOT_FOUND" });
  });

  it("refuses updates, deletes and truncation (the append-only triggers)", async () => {
    await freshSchema();
    const ledger = await Ledger.open(db, { signer });
    await ledger.appendBatch(records(0, 3));
    await ledger.signHead();
    await expect(db.query("update ledger_leaves set kind = 'x' where idx = $1", [1])).rejects.toThrow(/append-only: UPDATE on ledger_leaves refused/);
    await expect(db.query("delete from ledger_leaves where idx = $1", [1])).rejects.toThrow(/append-only/);
    await expect(db.query("truncate ledger_nodes")).rejects.toThrow(/append-only/);
    await expect(db.query("update ledger_heads set tree_size = $1", [1])).rejects.toThrow(/append-only/);
    expect(await checkStore(db, trusted)).toMatchObject({ ok: true, rows: 3 });
  });

  describe("tampering is detected", () => {
    /** 40 records, heads at 10, 25 and 40; `tamper` runs a statement with the triggers off, as an owner could. */
    async function signedLedger() {
      await freshSchema();
      const ledger = await Ledger.open(db, { signer });
      for (const [from, to] of [
        [0, 10],
        [10, 25],
        [25, 40],
      ] as const) {
        await ledger.appendBatch(records(from, to));
        await ledger.signHead();
      }
      const tamper = (...statements: string[]) =>
        db.transaction(async (tx) => {
          for (const t of ["ledger_leaves", "ledger_nodes", "ledger_heads"]) await tx.query(`alter table ${t} disable trigger user`);
          for (const s of statements) await tx.query(s);
          for (const t of ["ledger_leaves", "ledger_nodes", "ledger_heads"]) await tx.query(`alter table ${t} enable trigger user`);
        });
      return { tamper, check: () => checkStore(db, trusted, 7) };
    }

    it("a modified entry byte", async () => {
      const { tamper, check } = await signedLedger();
      await tamper("update ledger_leaves set entry = set_byte(entry, octet_length(entry) - 1, get_byte(entry, octet_length(entry) - 1) # 1) where idx = 17");
      expect((await check()).firstBad).toMatchObject({ kind: "modified", index: 17 });
    });

    it("an entry rewritten together with its leaf hash", async () => {
      const { tamper, check } = await signedLedger();
      const at = (await db.query<{ appended_at: Date }>("select appended_at from ledger_leaves where idx = 12")).rows[0]!.appended_at;
      const entry = encodeEntry({ index: 12, appendedAtMs: at.getTime(), kind: "publish", recordId: "rec-12", payload: Buffer.from("rewritten history") });
      await tamper(`update ledger_leaves set entry = '\\x${entry.toString("hex")}', leaf_hash = '\\x${leafHash(entry).toString("hex")}' where idx = 12`);
      expect((await check()).firstBad).toMatchObject({ kind: "head-root-mismatch", index: 10, head: { treeSize: 25 } });
    });

    it("a deleted row", async () => {
      const { tamper, check } = await signedLedger();
      await tamper("delete from ledger_leaves where idx = 21");
      expect((await check()).firstBad).toMatchObject({ kind: "deleted", index: 21 });
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

    it("a modified stored node", async () => {
      const { tamper, check } = await signedLedger();
      await tamper("update ledger_nodes set hash = sha256(hash) where level = 3 and idx = 1");
      expect((await check()).firstBad).toMatchObject({ kind: "node-modified", index: 15, node: { level: 3, index: 1 } });
    });

    it("a head's signature altered", async () => {
      const { tamper, check } = await signedLedger();
      await tamper("update ledger_heads set signature = set_byte(signature, 0, get_byte(signature, 0) # 128) where tree_size = 25");
      expect((await check()).firstBad).toMatchObject({ kind: "head-signature", index: 25 });
    });
  });
});

describe("rows as node-postgres gives them", () => {
  it("answers the ledger's kinds of query exactly as the server does", async () => {
    const server = new pg.Pool({ connectionString: inject("databaseUrl"), max: 1 });
    try {
      const query = `select $1::bigint as big, $2::bytea as bytes, $3::text[] as texts, $4::timestamptz as at, 2::smallint as small, 3 as int,
                            '12.5'::numeric as num, null::bytea as nothing, array[1, 2]::bigint[] as bigs`;
      const params = ["9007199254740993", Buffer.from([0, 1, 0x5c, 0xff]), ["a", "b,c", 'd"e'], new Date("2026-11-23T01:02:03.004Z")];
      const fromPglite = await db.query(query, params);
      const fromServer = await pgDatabase(server).query(query, params);
      expect(fromPglite.rows).toEqual(fromServer.rows);
      expect(Buffer.isBuffer(fromPglite.rows[0]!.bytes)).toBe(true);
      expect(fromPglite.rows[0]!.big).toBe("9007199254740993");

      // arrays of every type the ledger and its index write through unnest
      const arrays = `select * from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::bytea[], $5::jsonb[], $6::smallint[]) as t(i, s, at, b, doc, l)`;
      const columns = [
        ["1", "9007199254740993"],
        ["plain", 'quote " backslash \\ comma , brace {'],
        [new Date(0), new Date("2026-11-23T01:02:03.004Z")],
        [Buffer.from([0x5c, 0x22]), Buffer.alloc(0)],
        [JSON.stringify({ a: 1 }), JSON.stringify({ s: 'x"y', n: [1, 2] })],
        [1, 63],
      ];
      const rows = (await db.query(arrays, columns)).rows;
      expect(rows).toEqual((await pgDatabase(server).query(arrays, columns)).rows);
      expect(rows[1]).toMatchObject({ i: "9007199254740993", doc: { s: 'x"y', n: [1, 2] } });

      // without parameters: the simple protocol, as node-postgres uses
      const simple = `select 1::bigint as one, '\\x0102'::bytea as two, '{"a": [1, "x"]}'::jsonb as doc`;
      expect((await db.query(simple)).rows).toEqual((await pgDatabase(server).query(simple)).rows);
      // several statements: the last one's result
      expect(await db.query("create temporary table t (x int); insert into t values (1), (2)")).toMatchObject({ rowCount: 2 });
      expect((await db.query("select 1 as a; select 2 as b")).rows).toEqual([{ b: 2 }]);
    } finally {
      await server.end();
    }
  });
});

describe("the data directory", () => {
  it("keeps the ledger across a close and a reopen, and one process at a time", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "audit-pglite-")), "data");
    const first = await openPglite(dir);
    const ledger = await Ledger.open(first, { signer });
    await ledger.appendBatch(records(0, 20));
    const head = await ledger.signHead();
    await expect(openPglite(dir)).rejects.toThrow(/already open in this process/);
    await first.close();
    await first.close();

    const { db: again, kind, location, close } = await openDatabase({ pgliteDir: dir });
    try {
      expect({ kind, location }).toEqual({ kind: "pglite", location: dir });
      const reopened = await Ledger.open(again, { signer });
      expect((await reopened.state()).rootHash.equals(head.rootHash)).toBe(true);
      await reopened.appendBatch(records(20, 25));
      expect((await reopened.state()).treeSize).toBe(25);
      expect(await checkStore(again, trusted)).toMatchObject({ ok: true, rows: 25, verifiedSize: 20, unsignedTail: 5 });
    } finally {
      await close();
    }
  });

  it("refuses a directory a live process holds and takes over a stale lock", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "audit-pglite-")), "data");
    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      writeFileSync(`${dir}.lock`, String(holder.pid));
      await expect(openPglite(dir)).rejects.toThrow(new RegExp(`in use by process ${holder.pid}`));
    } finally {
      holder.kill();
    }
    await new Promise((r) => holder.once("exit", r));
    const db2 = await openPglite(dir); // the holder is gone: its lock is stale
    await db2.close();
  });
});

describe("openDatabase", () => {
  it("uses the server when a URL is given", async () => {
    const opened = await openDatabase({ databaseUrl: inject("databaseUrl"), poolMax: 2 });
    try {
      expect(opened.kind).toBe("postgres");
      expect(opened.location).not.toContain(new URL(inject("databaseUrl")).password || "\0");
      expect((await opened.db.query("select current_setting('server_version_num')::int >= 130000 as ok")).rows).toEqual([{ ok: true }]);
    } finally {
      await opened.close();
    }
  });

  it("keeps the ledger in the schema it is given, on the server and embedded", async () => {
    const schema = `audit_${randomBytes(4).toString("hex")}`;
    const onServer = await openDatabase({ databaseUrl: inject("databaseUrl"), schema, poolMax: 2 });
    const embedded = await openDatabase({ pgliteDir: IN_MEMORY, schema });
    try {
      for (const opened of [onServer, embedded]) {
        const ledger = await Ledger.open(opened.db, { signer });
        await ledger.appendBatch(records(0, 3));
        expect((await opened.db.query("select current_schema() as s, (select count(*)::int from ledger_leaves) as n")).rows).toEqual([{ s: schema, n: 3 }]);
        expect((await opened.db.query("select n.nspname as s from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = 'ledger_leaves'::regclass")).rows).toEqual([{ s: schema }]);
      }
    } finally {
      await onServer.close();
      await embedded.close();
    }
    await expect(openDatabase({ pgliteDir: IN_MEMORY, schema: 'x"; drop table y; --' })).rejects.toThrow(/not a lower-case SQL identifier/);
  });

  it("says which server it could not reach", async () => {
    const url = new URL(inject("databaseUrl"));
    url.port = "1";
    await expect(openDatabase({ databaseUrl: url.toString() })).rejects.toThrow(/cannot reach PostgreSQL at postgres:\/\/.*:1\//);
  });
});
