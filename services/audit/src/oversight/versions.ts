/**
 * A record's history: every version of one agency record — its first version,
 * its corrections in the order the ledger appended them, its withdrawal — as the
 * publish records' revisions link them (records.ts `believedRevision`,
 * `revisionDoc`), each with the decisions made on it. Pure: the store
 * (store.ts `recordVersions`) reads the rows; this picks and orders them.
 *
 * The ledger links only versions of the first version's own agency: a revision
 * is believed only from its agency's own topic, but any agency may name another
 * agency's record as the one it corrects, and such a version is never part of
 * that record's history (asked for by its own id, it is listed alone).
 */
import type { RecordSummary } from "./store.js";

/** Versions listed per record (`more_versions` when the ledger holds others). */
export const MAX_VERSIONS = 100;
/** Decisions listed per version (`more_decisions` when there are others: search the records by event id). */
export const MAX_VERSION_DECISIONS = 500;

/** A publish row as the store reads it: its summary and its doc (the revision in the API form). */
export interface PublishRow {
  summary: RecordSummary;
  doc: Record<string, unknown>;
}

/** The revision a publish doc carries (records.ts revisionDoc), or undefined for a first version. */
export interface RevisionDoc {
  kind: "correction" | "withdrawal";
  original_event_id: string;
  supersedes_event_id?: string;
  withdrawn_event_id?: string;
  reason?: string;
}

export function revisionIn(doc: Record<string, unknown>): RevisionDoc | undefined {
  const r = doc["revision"];
  if (typeof r !== "object" || r === null) return undefined;
  const rev = r as Record<string, unknown>;
  if ((rev["kind"] !== "correction" && rev["kind"] !== "withdrawal") || typeof rev["original_event_id"] !== "string") return undefined;
  return rev as unknown as RevisionDoc;
}

/** One decision made on a version: who, what, which view, and where it was delivered. */
export interface VersionDecision {
  decision_id: string;
  subscriber_id: string;
  outcome: string;
  view: string;
  legal_basis: string;
  policy_revision: string;
  decided_at: string;
  delivery_topic: string;
  /** A community output's random delivery id, when the decision names one. */
  delivery_id?: string;
}

export interface Version {
  event_id: string;
  /** "first" (the record's first version), "correction" or "withdrawal". */
  version: "first" | "correction" | "withdrawal";
  /** A correction: the version it corrects. */
  supersedes_event_id?: string;
  /** A withdrawal: the version withdrawn, and the agency's reason (never its explanation). */
  withdrawn_event_id?: string;
  reason?: string;
  /** The version's publish record (its id opens it: GET /v1/records/:id). */
  record: RecordSummary;
  decisions: VersionDecision[];
  more_decisions: boolean;
}

export interface RecordVersions {
  /** The id asked for. */
  event_id: string;
  /** The record's first version's id. */
  original_event_id: string;
  /** Whether the ledger holds the record's withdrawal. */
  withdrawn: boolean;
  versions: Version[];
  more_versions: boolean;
}

/**
 * Which record an asked event id belongs to: the first version a believed
 * revision names, else the event itself (a first version, or an id the
 * ledger holds only as the first version of others' revisions).
 */
export function originalOf(eventId: string, asked: PublishRow | undefined): string {
  return (asked && revisionIn(asked.doc)?.original_event_id) || eventId;
}

/** Corrections before the withdrawal. */
const rank = (r: PublishRow) => (revisionIn(r.doc)?.kind === "withdrawal" ? 1 : 0);

/**
 * The versions of the record `original` among `rows` (publish rows: the first
 * version's and those whose revision names it, in ledger order), as `asked`
 * (the asked event's own row, if the ledger holds it) belongs to it: the first
 * version, then corrections in ledger order, then the withdrawal — only those
 * of the first version's agency (or, without it, the asked version's). A
 * version of another agency than the record's is not linked to it: listed
 * alone, as a record of its own (`original` its own id). Undefined when
 * nothing is found.
 */
export function pickVersions(eventId: string, original: string, asked: PublishRow | undefined, rows: readonly PublishRow[]): { original: string; rows: PublishRow[] } | undefined {
  const alone = asked ? { original: eventId, rows: [asked] } : undefined;
  const first = rows.find((r) => r.summary.event_id === original && revisionIn(r.doc) === undefined);
  const agency = first?.summary.agency ?? asked?.summary.agency ?? rows.find((r) => revisionIn(r.doc)?.original_event_id === original)?.summary.agency;
  if (asked && asked.summary.agency !== agency) return alone;
  const revisions = rows
    .filter((r) => r.summary.agency === agency && revisionIn(r.doc)?.original_event_id === original)
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
    .map((x) => x.r);
  const picked = [...(first ? [first] : []), ...revisions];
  if (picked.length === 0 || (asked && !picked.some((p) => p.summary.id === asked.summary.id))) return alone;
  return { original, rows: picked };
}

/** A decision's doc (records.ts `toApi`) as a version lists it. */
export function versionDecision(doc: Record<string, unknown>): VersionDecision {
  const s = (k: string) => (typeof doc[k] === "string" ? (doc[k] as string) : "");
  return {
    decision_id: s("id"),
    subscriber_id: s("subscriber_id"),
    outcome: s("outcome"),
    view: s("view"),
    legal_basis: s("legal_basis"),
    policy_revision: s("policy_revision"),
    decided_at: s("decided_at"),
    delivery_topic: s("delivery_topic"),
    ...(s("delivery_id") !== "" ? { delivery_id: s("delivery_id") } : {}),
  };
}

/** A picked version with its decisions (at most MAX_VERSION_DECISIONS; `decisions` may hold one more, which says there are others). */
export function versionOf(row: PublishRow, decisions: readonly Record<string, unknown>[]): Version {
  const rev = revisionIn(row.doc);
  return {
    event_id: row.summary.event_id,
    version: rev?.kind ?? "first",
    ...(rev?.kind === "correction" ? { supersedes_event_id: rev.supersedes_event_id ?? "" } : {}),
    ...(rev?.kind === "withdrawal" ? { withdrawn_event_id: rev.withdrawn_event_id ?? "", reason: rev.reason ?? "" } : {}),
    record: row.summary,
    decisions: decisions.slice(0, MAX_VERSION_DECISIONS).map(versionDecision),
    more_decisions: decisions.length > MAX_VERSION_DECISIONS,
  };
}
