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
 * Records with every subject id they name sealed (keys made as needed); the
 * records themselves when none names a subject. Called in the append's
 * transaction under the ledger's append lock (ingest.ts appendRecords), so a key
 * made here commits with the leaves that name it or not at all: subject_keys
 * never holds a key that no leaf names (the verifier's key check,
 * indexcheck/keys.ts, reports one as key-extra). For the same reason a record
 * already held in the clear — appended before sealing, read again — is left as
 * it is: it is a redelivery, and no key is made for it.
 */
export async function sealRecords(tx: SqlSession, records: readonly Appendable[]): Promise<readonly Appendable[]> {
  const naming = records.filter((r) => subjectIdsOf(r).length > 0);
  if (naming.length === 0) return records;
  const clear = await heldInTheClear(tx, naming);
  const toSeal = naming.filter((r) => !clear.has(r));
  if (toSeal.length === 0) return records;
  const keys = await ensureSubjectKeys(tx, toSeal.flatMap(subjectIdsOf));
  return records.map((r) => (clear.has(r) ? r : sealAppendable(r, keys)));
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
