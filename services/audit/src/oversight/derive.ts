/**
 * The oversight index as a function of the ledger: one leaf's stored entry —
 * kind, record id, payload bytes, time appended — and nothing else determines
 * its `audit_records` row and its `audit_subjects` rows. The writer indexes
 * every append with `indexRowOf` (ingest.ts `appendRecords`), and the index
 * check (src/indexcheck/) recomputes both tables with the same function, so
 * any row missing, added or altered in PostgreSQL is a difference.
 *
 * A record without a time of its own (a field its producer left empty) is dated
 * by its leaf's append time — never by when a consumer happened to read it.
 *
 * Adding a kind: add it to KINDS (records.ts) and one entry to DERIVATIONS here
 * (the type and derive.test.ts refuse a kind without one).
 */
import {
  AccessRecord,
  ConflictRecord,
  OversightQueryRecord,
  PolicyRevisionRecord,
  PurgeRecord,
  RefusalRecord,
  RefusalSummary,
  ReportRecord,
} from "@takitini/proto";
import { decodeEntry } from "../merkle/entry.js";
import { fromReport } from "../reports/record.js";
import { accessRow, decisionOf, decisionRow, fromConflict, fromOversightQuery, fromPolicyRevision, fromPurge, publishOf, publishRow, fromRefusal, fromRefusalSummary, KINDS, type IndexRow, type Kind } from "./records.js";

/** What a leaf holds, as its entry encodes it (merkle/entry.ts). */
export interface IndexedLeaf {
  kind: string;
  recordId: string;
  payload: Uint8Array;
  appendedAtMs: number;
}

/** One kind's index row from its payload bytes; `at` (the append time) dates a record that carries no time. */
export type Derivation = (payload: Uint8Array, at: Date) => IndexRow;

/** Every kind's derivation: one entry per kind in KINDS. */
export const DERIVATIONS: { readonly [K in Kind]: Derivation } = {
  // The row alone: deriving it never encodes the record again.
  // (A payload the ingest has just encoded is not decoded again: decisionOf, publishOf.)
  publish: (b, at) => publishRow(publishOf(b), at),
  decision: (b, at) => decisionRow(decisionOf(b), at),
  access: (b, at) => accessRow(AccessRecord.decode(b), at),
  oversight_query: (b, at) => fromOversightQuery(OversightQueryRecord.decode(b), at).index,
  policy_revision: (b, at) => fromPolicyRevision(PolicyRevisionRecord.decode(b), at).index,
  refusal: (b, at) => fromRefusal(RefusalRecord.decode(b), at).index,
  refusal_summary: (b, at) => fromRefusalSummary(RefusalSummary.decode(b), at).index,
  // Indexed by the new version's own derivation (any kind, itself a conflict too).
  conflict: (b, at) => fromConflict(ConflictRecord.decode(b), at, deriveKind).index,
  report: (b, at) => fromReport(ReportRecord.decode(b), at).index,
  // Subjects' keys destroyed (subjects/purge.ts): names refs only.
  purge: (b, at) => fromPurge(PurgeRecord.decode(b), at).index,
};

export const isKind = (kind: string): kind is Kind => (KINDS as readonly string[]).includes(kind);

/** A record's index row from its kind and bytes (what a conflict record's new version is indexed by); undefined for a kind with no derivation. */
export function deriveKind(kind: string, payload: Uint8Array, at: Date): IndexRow | undefined {
  return isKind(kind) ? DERIVATIONS[kind](payload, at) : undefined;
}

export class UnderivableLeaf extends Error {}

/**
 * The index row of one leaf. The record id and kind are the leaf's own (the
 * leaf is the record; the row only finds it); subject ids are distinct, in the
 * order the record names them. Throws UnderivableLeaf for a kind with no
 * derivation or bytes that do not decode as their kind.
 */
export function indexRowOf(leaf: IndexedLeaf): IndexRow {
  if (!isKind(leaf.kind)) throw new UnderivableLeaf(`no index derivation for kind ${JSON.stringify(leaf.kind.slice(0, 64))}`);
  let row: IndexRow;
  try {
    row = DERIVATIONS[leaf.kind](leaf.payload, new Date(leaf.appendedAtMs));
  } catch (err) {
    throw new UnderivableLeaf(`the payload does not decode as a ${leaf.kind} record: ${(err as Error).message.slice(0, 200)}`);
  }
  return { ...row, recordId: leaf.recordId, kind: leaf.kind, subjectIds: [...new Set(row.subjectIds.filter((s) => s !== ""))] };
}

/** The index row of a leaf from its canonical entry bytes alone. */
export function indexRowOfEntry(entry: Uint8Array): { index: number; row: IndexRow } {
  let leaf;
  try {
    leaf = decodeEntry(entry);
  } catch (err) {
    throw new UnderivableLeaf(`the leaf entry is malformed: ${(err as Error).message}`);
  }
  return { index: leaf.index, row: indexRowOf(leaf) };
}
