/**
 * Reading the leaves and the oversight index for the index check. Each table is
 * read through a server-side cursor in index order, `pageSize` rows per fetch,
 * so memory stays at a page whatever the ledger's size (audit_subjects has no
 * index on idx alone: PostgreSQL sorts it once for its cursor, on disk if it
 * must, rather than once per page).
 *
 * Cursors live in a transaction: call checkStoredIndex inside one — the verify
 * command's REPEATABLE READ READ ONLY snapshot, which its tree check shares.
 */
import { checkIndex, type IndexReport, type LeafEntryRow, type StoredRecordRow, type StoredSubjectRow } from "./check.js";

export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** The index tables this check compares (both must be readable). */
export const INDEX_TABLES = ["audit_records", "audit_subjects"] as const;

async function* cursor<T>(db: Queryable, name: string, sql: string, pageSize: number): AsyncGenerator<T> {
  await db.query(`declare ${name} no scroll cursor for ${sql}`);
  try {
    for (;;) {
      const { rows } = await db.query(`fetch forward ${pageSize} from ${name}`);
      yield* rows as T[];
      if (rows.length < pageSize) return;
    }
  } finally {
    await db.query(`close ${name}`);
  }
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
