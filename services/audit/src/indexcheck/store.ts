/**
 * Reading the leaves, the oversight index and the subject keys for the index
 * and key checks. Each table is read through a server-side cursor, `pageSize`
 * rows per fetch, so memory stays at a page whatever the ledger's size: in
 * index order for the index check (audit_subjects has no index on idx alone:
 * PostgreSQL sorts it once for its cursor, on disk if it must, rather than once
 * per page), in ref order (COLLATE "C") for the key check.
 *
 * Cursors live in a transaction: call checkStoredIndex and checkStoredKeys
 * inside one — the verify command's REPEATABLE READ READ ONLY snapshot, which
 * its tree check shares.
 */
import { indexRowOfEntry, UnderivableLeaf } from "../oversight/derive.js";
import { sealedSubjectsIn } from "../subjects/open.js";
import { REF_PATTERN } from "../subjects/seal.js";
import { checkIndex, type IndexReport, type LeafEntryRow, type StoredRecordRow, type StoredSubjectRow } from "./check.js";
import { checkKeys, type KeyReport, type NamedRefRow, type PurgedRefRow, type StoredKeyRow } from "./keys.js";

export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** The index tables this check compares (both must be readable). */
export const INDEX_TABLES = ["audit_records", "audit_subjects"] as const;

/** A server-side cursor's rows, a page (`pageSize` rows, the last one fewer) at a time. */
async function* pages<T>(db: Queryable, name: string, sql: string, pageSize: number): AsyncGenerator<T[]> {
  await db.query(`declare ${name} no scroll cursor for ${sql}`);
  try {
    for (;;) {
      const { rows } = await db.query(`fetch forward ${pageSize} from ${name}`);
      if (rows.length > 0) yield rows as T[];
      if (rows.length < pageSize) return;
    }
  } finally {
    await db.query(`close ${name}`);
  }
}

async function* cursor<T>(db: Queryable, name: string, sql: string, pageSize: number): AsyncGenerator<T> {
  for await (const page of pages<T>(db, name, sql, pageSize)) yield* page;
}

/** The text columns, as stored and as the row's fields. */
const TEXT = {
  record_id: "recordId",
  kind: "kind",
  agency: "agency",
  subscriber_id: "subscriberId",
  event_type: "eventType",
  region: "region",
  outcome: "outcome",
  view: "view",
  legal_basis: "legalBasis",
  policy_revision: "policyRevision",
  event_id: "eventId",
  action: "action",
} as const satisfies Record<string, keyof StoredRecordRow>;

type RecordRow = { idx: string; occurred_at_ms: string; doc: unknown } & Record<keyof typeof TEXT, string>;

async function* leaves(db: Queryable, pageSize: number): AsyncGenerator<LeafEntryRow> {
  for await (const r of cursor<{ idx: string; entry: Buffer }>(db, "takitini_ix_leaves", "select idx, entry from ledger_leaves order by idx", pageSize)) {
    yield { index: Number(r.idx), entry: r.entry };
  }
}

async function* records(db: Queryable, pageSize: number): AsyncGenerator<StoredRecordRow> {
  const sql = `select idx, (extract(epoch from occurred_at) * 1000)::text as occurred_at_ms, doc, ${Object.keys(TEXT).join(", ")} from audit_records order by idx`;
  for await (const r of cursor<RecordRow>(db, "takitini_ix_records", sql, pageSize)) {
    const text = Object.fromEntries(Object.entries(TEXT).map(([column, field]) => [field, r[column as keyof typeof TEXT]])) as Record<(typeof TEXT)[keyof typeof TEXT], string>;
    // Not an integer (a time moved by less than a millisecond) never equals the derived one.
    yield { index: Number(r.idx), occurredAtMs: Number(r.occurred_at_ms), doc: r.doc, ...text };
  }
}

async function* subjects(db: Queryable, pageSize: number): AsyncGenerator<StoredSubjectRow> {
  for await (const r of cursor<{ idx: string; subject_id: string }>(db, "takitini_ix_subjects", "select idx, subject_id from audit_subjects order by idx", pageSize)) {
    yield { index: Number(r.idx), subjectId: r.subject_id };
  }
}

/** Whether the schema in use holds the index tables. */
export async function hasIndex(db: Queryable): Promise<boolean> {
  const { rows } = await db.query("select count(*)::int as n from information_schema.tables where table_schema = current_schema() and table_name = any($1::text[])", [[...INDEX_TABLES]]);
  return (rows[0] as { n: number }).n === INDEX_TABLES.length;
}

/** Recompute audit_records and audit_subjects from ledger_leaves and compare (inside a transaction). */
export async function checkStoredIndex(db: Queryable, pageSize = 5000): Promise<IndexReport> {
  return checkIndex(leaves(db, pageSize), records(db, pageSize), subjects(db, pageSize));
}

/**
 * Whether the subject_keys table is in the schema in use, and which of its
 * columns the role may read: the ref alone lets the key check compare refs
 * (key-missing, key-extra, key-not-destroyed); the subject id and the key too
 * let it open each ref's ciphertext (key-mismatch). Read from the catalogue,
 * which shows a table whatever the role's privileges on it.
 */
export type KeyAccess = { present: false } | { present: true; role: string; ref: boolean; keys: boolean };

export async function keyAccess(db: Queryable): Promise<KeyAccess> {
  const { rows } = await db.query(
    `select current_user as role, a.attname as col, has_column_privilege(c.oid, a.attnum, 'SELECT') as readable
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
       left join pg_attribute a on a.attrelid = c.oid and a.attname in ('ref', 'subject_id', 'key') and not a.attisdropped
      where c.relname = 'subject_keys' and c.relkind in ('r', 'p')`,
  );
  const r = rows as { role: string; col: string | null; readable: boolean | null }[];
  if (r.length === 0) return { present: false };
  const readable = (col: string) => r.some((x) => x.col === col && x.readable === true);
  return { present: true, role: r[0]!.role, ref: readable("ref"), keys: readable("ref") && readable("subject_id") && readable("key") };
}

/** The refs the leaves name, by ref then index (sealed subjects only: a subject id held in the clear is no ref). */
async function* namedRefs(db: Queryable, pageSize: number, withCiphertexts: boolean): AsyncGenerator<NamedRefRow> {
  // A constant, not user input: the writer's ref pattern (subjects/seal.ts) as a POSIX regular expression.
  const sql = `select subject_id as ref, idx from audit_subjects where subject_id ~ '${REF_PATTERN.source}' order by subject_id collate "C", idx`;
  let previous: string | undefined;
  for await (const page of pages<{ ref: string; idx: string }>(db, "takitini_keys_named", sql, pageSize)) {
    // Each ref's first leaf holds the ciphertext its key is tried on: one leaf per ref, a page's in one read.
    const firsts = page.map((r) => {
      const first = r.ref !== previous;
      previous = r.ref;
      return first;
    });
    const sealed = withCiphertexts ? await ciphertexts(db, page.filter((_, i) => firsts[i])) : new Map<string, Buffer>();
    for (const [i, r] of page.entries()) {
      const ciphertext = firsts[i] ? sealed.get(`${r.idx}\0${r.ref}`) : undefined;
      yield { ref: r.ref, index: Number(r.idx), ...(ciphertext ? { ciphertext } : {}) };
    }
  }
}

/** The ciphertext each leaf seals under each ref asked for (by `idx\0ref`), read from the leaves themselves. */
async function ciphertexts(db: Queryable, wanted: readonly { ref: string; idx: string }[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (wanted.length === 0) return out;
  const refsAt = new Map<string, Set<string>>();
  for (const w of wanted) (refsAt.get(w.idx) ?? refsAt.set(w.idx, new Set()).get(w.idx)!).add(w.ref);
  const { rows } = await db.query("select idx, entry from ledger_leaves where idx = any($1::bigint[])", [[...refsAt.keys()]]);
  for (const r of rows as { idx: string; entry: Buffer }[]) {
    let doc: unknown;
    try {
      doc = indexRowOfEntry(r.entry).row.doc;
    } catch (err) {
      if (err instanceof UnderivableLeaf) continue; // the index check reports the leaf (index-underivable)
      throw err;
    }
    const refs = refsAt.get(String(r.idx))!;
    for (const s of sealedSubjectsIn(doc)) {
      const key = `${r.idx}\0${s.ref}`;
      if (refs.has(s.ref) && !out.has(key)) out.set(key, Buffer.from(s.ciphertext, "base64"));
    }
  }
  return out;
}

/** The refs purge records name as destroyed, by ref then the purge record's index. */
async function* purgedRefs(db: Queryable, pageSize: number): AsyncGenerator<PurgedRefRow> {
  const sql = `select p.ref, r.idx from audit_records r
                 cross join lateral jsonb_array_elements_text(case jsonb_typeof(r.doc -> 'refs') when 'array' then r.doc -> 'refs' else '[]'::jsonb end) as p(ref)
                where r.kind = 'purge' order by p.ref collate "C", r.idx`;
  for await (const r of cursor<{ ref: string; idx: string }>(db, "takitini_keys_purged", sql, pageSize)) yield { ref: r.ref, index: Number(r.idx) };
}

/** The subject_keys rows by ref: with the subject id and key, or the refs alone. */
async function* keyRows(db: Queryable, pageSize: number, withKeys: boolean): AsyncGenerator<StoredKeyRow> {
  const sql = `select ref${withKeys ? ", subject_id, key" : ""} from subject_keys order by ref collate "C"`;
  for await (const r of cursor<{ ref: string; subject_id?: string; key?: Buffer }>(db, "takitini_keys_rows", sql, pageSize)) {
    yield withKeys ? { ref: r.ref, subjectId: r.subject_id!, key: r.key! } : { ref: r.ref };
  }
}

/**
 * Compare subject_keys with the refs the leaves name (inside a transaction, in
 * the snapshot the index check verified audit_subjects and audit_records in —
 * run it only when that check passed: the refs are read through them, by ref;
 * the ciphertexts from the leaves).
 * `keysRead` false reads the refs alone (a role granted select on subject_keys.ref only).
 */
export async function checkStoredKeys(db: Queryable, opts: { pageSize?: number; leafCount: number; keysRead: boolean }): Promise<KeyReport> {
  const pageSize = opts.pageSize ?? 5000;
  return checkKeys(namedRefs(db, pageSize, opts.keysRead), purgedRefs(db, pageSize), keyRows(db, pageSize, opts.keysRead), { leafCount: opts.leafCount, keysRead: opts.keysRead });
}
