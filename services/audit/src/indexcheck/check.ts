/**
 * The oversight index recomputed from the leaves. `audit_records` and
 * `audit_subjects` are derived data — "who has seen this person", a record's
 * detail and the disclosure statistics are answered from them — so a row
 * deleted, added or altered there changes an answer while every leaf, node and
 * head still verifies. This check derives each leaf's rows with the writer's
 * own pure mapping (oversight/derive.ts `indexRowOf`) and compares them, column
 * by column (the record's API form `doc` included), with the stored ones:
 *
 *   index-missing      a row the leaf implies is not stored
 *   index-extra        a stored row no leaf implies (at an index with no leaf,
 *                      or a subject the leaf does not name)
 *   index-altered      an audit_records row differs in the columns named
 *   index-underivable  the leaf's bytes do not decode as its kind (no row can
 *                      be derived; its stored rows are not judged)
 *
 * Each problem names the table and the leaf index; the report's `firstBad`
 * is the lowest. The three inputs stream in index order (merge join), so
 * memory is one leaf's rows at a time. Pure: the rows come from the caller
 * (store.ts reads them from PostgreSQL).
 */
import { indexRowOfEntry, UnderivableLeaf } from "../oversight/derive.js";
import type { IndexRow } from "../oversight/records.js";

export type IndexTable = "audit_records" | "audit_subjects";
export type IndexTamperKind = "index-missing" | "index-extra" | "index-altered" | "index-underivable";

export interface IndexProblem {
  kind: IndexTamperKind;
  table: IndexTable;
  /** The leaf index concerned. */
  index: number;
  detail: string;
  /** index-altered: the columns that differ. */
  columns?: string[];
}

/** A leaf as stored: its index column and its entry bytes. */
export interface LeafEntryRow {
  index: number;
  entry: Uint8Array;
}

/** An audit_records row as stored (occurred_at in milliseconds, fractions kept: a moved microsecond is a difference). */
export type StoredRecordRow = Omit<IndexRow, "kind" | "occurredAt" | "subjectIds" | "doc"> & { index: number; kind: string; occurredAtMs: number; doc: unknown };

export interface StoredSubjectRow {
  index: number;
  subjectId: string;
}

export interface IndexReport {
  ok: boolean;
  /** Leaves whose rows were recomputed. */
  leaves: number;
  /** Stored rows read. */
  records: number;
  subjects: number;
  /** Problems found; `problems` lists at most MAX_INDEX_PROBLEMS of them. */
  problemCount: number;
  firstBad?: IndexProblem;
  problems: IndexProblem[];
}

export const MAX_INDEX_PROBLEMS = 100;

/** JSON with object keys sorted: jsonb keeps no key order, so documents compare by content. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** The audit_records columns, each as the writer stores it from the derived row and as read back. */
const COLUMNS: readonly [string, (r: IndexRow) => unknown, (s: StoredRecordRow) => unknown][] = [
  ["record_id", (r) => r.recordId, (s) => s.recordId],
  ["kind", (r) => r.kind, (s) => s.kind],
  ["occurred_at", (r) => r.occurredAt.getTime(), (s) => s.occurredAtMs],
  ["agency", (r) => r.agency, (s) => s.agency],
  ["subscriber_id", (r) => r.subscriberId, (s) => s.subscriberId],
  ["event_type", (r) => r.eventType, (s) => s.eventType],
  ["region", (r) => r.region, (s) => s.region],
  ["outcome", (r) => r.outcome, (s) => s.outcome],
  ["view", (r) => r.view, (s) => s.view],
  ["legal_basis", (r) => r.legalBasis, (s) => s.legalBasis],
  ["policy_revision", (r) => r.policyRevision, (s) => s.policyRevision],
  ["event_id", (r) => r.eventId, (s) => s.eventId],
  ["action", (r) => r.action, (s) => s.action],
  // As the writer stores it: JSON.stringify, then jsonb.
  ["doc", (r) => canonicalJson(JSON.parse(JSON.stringify(r.doc))), (s) => canonicalJson(s.doc)],
];

/** The columns of a stored row that differ from the derived one. */
export function differingColumns(derived: IndexRow, stored: StoredRecordRow): string[] {
  return COLUMNS.filter(([, want, got]) => want(derived) !== got(stored)).map(([name]) => name);
}

/** An async iterator that can look one row ahead. */
export class Peek<T> {
  private head: IteratorResult<T> | undefined;
  constructor(private readonly it: AsyncIterator<T>) {}
  async peek(): Promise<T | undefined> {
    this.head ??= await this.it.next();
    return this.head.done ? undefined : this.head.value;
  }
  async take(): Promise<T | undefined> {
    const v = await this.peek();
    this.head = undefined;
    return v;
  }
}

export const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Compare the stored index with the one the leaves imply. Each input must come
 * in ascending index order (subjects in any order within one index).
 */
export async function checkIndex(leaves: AsyncIterable<LeafEntryRow>, records: AsyncIterable<StoredRecordRow>, subjects: AsyncIterable<StoredSubjectRow>): Promise<IndexReport> {
  const L = new Peek(leaves[Symbol.asyncIterator]());
  const R = new Peek(records[Symbol.asyncIterator]());
  const S = new Peek(subjects[Symbol.asyncIterator]());
  const problems: IndexProblem[] = [];
  let problemCount = 0;
  let firstBad: IndexProblem | undefined;
  const counts = { leaves: 0, records: 0, subjects: 0 };
  const report = (p: IndexProblem) => {
    problemCount++;
    if (!firstBad || p.index < firstBad.index) firstBad = p;
    if (problems.length < MAX_INDEX_PROBLEMS) problems.push(p);
  };

  for (;;) {
    const [l, r, s] = [await L.peek(), await R.peek(), await S.peek()];
    const next = [l?.index, r?.index, s?.index].filter((i): i is number => i !== undefined);
    if (next.length === 0) break;
    const i = Math.min(...next);
    const leaf = l?.index === i ? await L.take() : undefined;
    const stored = r?.index === i ? await R.take() : undefined;
    // Two rows at one index cannot be stored while its primary key stands; a second one is extra.
    while ((await R.peek())?.index === i) {
      await R.take();
      counts.records++;
      report({ kind: "index-extra", table: "audit_records", index: i, detail: `a second audit_records row for leaf ${i}` });
    }
    const storedSubjects: string[] = [];
    while ((await S.peek())?.index === i) storedSubjects.push((await S.take())!.subjectId);
    if (leaf) counts.leaves++;
    if (stored) counts.records++;
    counts.subjects += storedSubjects.length;

    if (!leaf) {
      if (stored) report({ kind: "index-extra", table: "audit_records", index: i, detail: `an audit_records row (record id ${JSON.stringify(stored.recordId.slice(0, 120))}) for index ${i}, which no leaf holds` });
      if (storedSubjects.length) report({ kind: "index-extra", table: "audit_subjects", index: i, detail: `${plural(storedSubjects.length, "audit_subjects row", "audit_subjects rows")} for index ${i}, which no leaf holds` });
      continue;
    }
    let derived: IndexRow;
    try {
      const d = indexRowOfEntry(leaf.entry);
      derived = d.row;
    } catch (err) {
      if (!(err instanceof UnderivableLeaf)) throw err;
      report({ kind: "index-underivable", table: "audit_records", index: i, detail: `no index row can be derived from leaf ${i}: ${err.message}` });
      continue;
    }
    if (!stored) report({ kind: "index-missing", table: "audit_records", index: i, detail: `no audit_records row for leaf ${i} (record id ${JSON.stringify(derived.recordId.slice(0, 120))})` });
    else {
      const columns = differingColumns(derived, stored);
      if (columns.length) report({ kind: "index-altered", table: "audit_records", index: i, columns, detail: `the audit_records row for leaf ${i} differs from the leaf's in ${columns.join(", ")}` });
    }
    const want = new Set(derived.subjectIds);
    const seen = new Set<string>();
    let extra = 0;
    for (const id of storedSubjects) {
      if (want.has(id) && !seen.has(id)) seen.add(id);
      else extra++;
    }
    const missing = want.size - seen.size;
    // Subject ids are named by count only: which person is a matter for the oversight API, not for a report that may be passed around.
    if (missing) report({ kind: "index-missing", table: "audit_subjects", index: i, detail: `${plural(missing, "subject", "subjects")} that leaf ${i} names ${missing === 1 ? "has" : "have"} no audit_subjects row (of ${want.size})` });
    if (extra) report({ kind: "index-extra", table: "audit_subjects", index: i, detail: `${plural(extra, "audit_subjects row", "audit_subjects rows")} for leaf ${i} name ${extra === 1 ? "a subject" : "subjects"} the leaf does not` });
  }
  return { ok: problemCount === 0, ...counts, problemCount, ...(firstBad ? { firstBad } : {}), problems };
}
