/**
 * Subject keys in SQL (subject_keys, migration 011). `ensureSubjectKeys` is
 * race-safe across the active writer and every instance recording oversight
 * queries: insert … on conflict (subject_id) do nothing, then select, so all
 * of them use the one key a subject has. Ids are inserted in sorted order, so
 * two inserts of overlapping sets cannot deadlock on each other's rows.
 */
import type { SqlSession } from "../ledger/index.js";
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

/** Records with every subject id they name sealed (keys made as needed); the records themselves when none names a subject. */
export async function sealRecords(db: SqlSession, records: readonly Appendable[]): Promise<readonly Appendable[]> {
  const ids = records.flatMap(subjectIdsOf);
  if (ids.length === 0) return records;
  const keys = await ensureSubjectKeys(db, ids);
  return records.map((r) => sealAppendable(r, keys));
}

/** The keys still held for `refs` (by ref); a ref whose key was destroyed is absent. */
export async function keysByRef(db: SqlSession, refs: readonly string[]): Promise<Map<string, Buffer>> {
  const wanted = [...new Set(refs)];
  if (wanted.length === 0) return new Map();
  const { rows } = await db.query<{ ref: string; key: Buffer }>("select ref, key from subject_keys where ref = any($1::text[])", [wanted]);
  return new Map(rows.map((r) => [r.ref, r.key]));
}
