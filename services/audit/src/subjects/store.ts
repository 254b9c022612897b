/**
 * Subject keys in SQL (subject_keys, migration 011). `ensureSubjectKeys` is
 * race-safe across the active writer and every instance recording oversight
 * queries: insert … on conflict (subject_id) do nothing, then select, so all
 * of them use the one key a subject has. Ids are inserted in sorted order, so
 * two inserts of overlapping sets cannot deadlock on each other's rows. The
 * ledger's appends call it in their transaction, under the append lock
 * (sealRecords).
 */
import type { SqlSession } from "../ledger/index.js";
import { decodeEntry } from "../merkle/entry.js";
import type { Appendable } from "../oversight/records.js";
import { sealAppendable, subjectIdsOf } from "./records.js";
import { newKey, newRef, type SubjectKey } from "./seal.js";

/** Each subject's key (by subject id), made now for a subject that has none. */
export async function ensureSubjectKeys(db: SqlSession, subjectIds: readonly string[]): Promise<Map<string, SubjectKey>> {
  const ids = [...new Set(subjectIds)].filter((s) => s !== "").sort();
  const keys = new Map<string, SubjectKey>();
  // A key erased between the insert and the select (audit:erase running now) is made again on the next round.
  for (let round = 0; round < 3 && keys.size < ids.length; round++) {
    const wanted = ids.filter((id) => !keys.has(id));
    await db.query("insert into subject_keys (ref, subject_id, key) select * from unnest($1::text[], $2::text[], $3::bytea[]) on conflict (subject_id) do nothing", [
      wanted.map(() => newRef()),
      wanted,
      wanted.map(() => newKey()),
    ]);
    const { rows } = await db.query<{ ref: string; subject_id: string; key: Buffer }>("select ref, subject_id, key from subject_keys where subject_id = any($1::text[])", [wanted]);
    for (const r of rows) keys.set(r.subject_id, { ref: r.ref, key: r.key });
  }
  if (keys.size < ids.length) throw new Error("subject keys could not be made (erased as fast as they were made)");
  return keys;
}

/**
 * Records sealed before the append lock is taken, with keys their subjects
 * already have (read, never made: a key is made only under the lock, in
 * `sealRecords`). The sealing's work then overlaps another append holding the
 * lock; `sealRecords` uses these under the lock once it has checked that every
 * key they were sealed with is still held (a purge destroys keys under the lock).
 */
export interface Presealed {
  /** Each record sealed with keys held when it was read, and the refs of those keys, by the record. */
  sealed: Map<Appendable, { record: Appendable; refs: string[] }>;
  /** The keys used, by ref. */
  keys: Map<string, Buffer>;
}

/** Seal, with the keys their subjects already have, the records whose every subject has one (no key is made). */
export async function presealRecords(tx: SqlSession, records: readonly Appendable[]): Promise<Presealed> {
  const out: Presealed = { sealed: new Map(), keys: new Map() };
  const naming = records.filter((r) => subjectIdsOf(r).length > 0);
  if (naming.length === 0) return out;
  const ids = [...new Set(naming.flatMap(subjectIdsOf))];
  const { rows } = await tx.query<{ ref: string; subject_id: string; key: Buffer }>("select ref, subject_id, key from subject_keys where subject_id = any($1::text[])", [ids]);
  const keys = new Map(rows.map((r) => [r.subject_id, { ref: r.ref, key: r.key }]));
  for (const r of naming) {
    const own = subjectIdsOf(r);
    if (!own.every((id) => keys.has(id))) continue;
    const used = own.map((id) => keys.get(id)!);
    out.sealed.set(r, { record: sealAppendable(r, keys), refs: used.map((k) => k.ref) });
    for (const k of used) out.keys.set(k.ref, k.key);
  }
  return out;
}

/** Those presealed records whose every key is still held, unchanged (checked under the append lock). */
async function stillSealable(tx: SqlSession, presealed: Presealed | undefined): Promise<Map<Appendable, Appendable>> {
  if (!presealed || presealed.sealed.size === 0) return new Map();
  const held = await keysByRef(tx, [...presealed.keys.keys()]);
  // A key destroyed (or altered) since: its records are sealed again, under the lock, as any other.
  const gone = new Set([...presealed.keys].filter(([ref, key]) => !held.get(ref)?.equals(key)).map(([ref]) => ref));
  return new Map([...presealed.sealed].filter(([, p]) => !p.refs.some((ref) => gone.has(ref))).map(([r, p]) => [r, p.record]));
}

/**
 * Records with every subject id they name sealed (keys made as needed); the
 * records themselves when none names a subject. Called in the append's
 * transaction under the ledger's append lock (ingest.ts appendRecords), so a key
 * made here commits with the leaves that name it or not at all: subject_keys
 * never holds a key that no leaf names (the verifier's key check,
 * indexcheck/keys.ts, reports one as key-extra). For the same reason a record
 * already held in the clear — appended before sealing, read again — is left as
 * it is: it is a redelivery, and no key is made for it. Records sealed before
 * the lock (`presealRecords`) are used as they are when every key they name is
 * still held.
 */
export async function sealRecords(tx: SqlSession, records: readonly Appendable[], presealed?: Presealed): Promise<readonly Appendable[]> {
  const naming = records.filter((r) => subjectIdsOf(r).length > 0);
  if (naming.length === 0) return records;
  const clear = await heldInTheClear(tx, naming);
  const ready = await stillSealable(tx, presealed);
  const toSeal = naming.filter((r) => !clear.has(r) && !ready.has(r));
  const keys = toSeal.length > 0 ? await ensureSubjectKeys(tx, toSeal.flatMap(subjectIdsOf)) : new Map<string, SubjectKey>();
  return records.map((r) => (clear.has(r) ? r : (ready.get(r) ?? (subjectIdsOf(r).length > 0 ? sealAppendable(r, keys) : r))));
}

/** Those of `records` the ledger already holds as they are (in the clear, appended before sealing): redeliveries. */
async function heldInTheClear(tx: SqlSession, records: readonly Appendable[]): Promise<Set<Appendable>> {
  const { rows } = await tx.query<{ record_id: string; entry: Buffer }>("select record_id, entry from ledger_leaves where record_id = any($1::text[])", [
    [...new Set(records.map((r) => r.ledger.recordId))],
  ]);
  if (rows.length === 0) return new Set();
  const held = new Map(rows.map((r) => [r.record_id, decodeEntry(r.entry).payload]));
  return new Set(
    records.filter((r) => {
      const payload = held.get(r.ledger.recordId);
      if (!payload) return false;
      // The ledger's own test (ledger.ts appendIn): such a record is not appended, so it needs no key.
      if (r.ledger.firstWins) return true;
      return r.ledger.sameAs ? r.ledger.sameAs(payload) : Buffer.from(payload).equals(Buffer.from(r.ledger.payload));
    }),
  );
}

/** The keys still held for `refs` (by ref); a ref whose key was destroyed is absent. */
export async function keysByRef(db: SqlSession, refs: readonly string[]): Promise<Map<string, Buffer>> {
  const wanted = [...new Set(refs)];
  if (wanted.length === 0) return new Map();
  const { rows } = await db.query<{ ref: string; key: Buffer }>("select ref, key from subject_keys where ref = any($1::text[])", [wanted]);
  return new Map(rows.map((r) => [r.ref, r.key]));
}
