/**
 * "Who has seen this person, across agencies": the links a subject's ledger
 * records hold (a link alert's publish record names both linked subjects, see
 * records.ts `subjectIdsOf`), each turned round to face the subject asked
 * about — the other record, the other subject — and bounded. Pure: the store
 * (store.ts `whoHasSeenAcross`) reads the rows and the keys and adds the
 * other subject's own disclosures, one hop only (never that subject's links).
 */
import { openDoc, sealedSubjectsIn } from "../subjects/open.js";
import type { Disclosure } from "./store.js";

/** Link alerts read per subject: the newest, one answer's worth. */
export const MAX_LINKS = 50;
/** The linked subject's disclosures listed per link, newest first (`more` when there are others: ask for that subject itself). */
export const MAX_LINKED_DISCLOSURES = 100;

/** One record of a link, as its publish record names it. */
export interface LinkedRecordRef {
  event_id: string;
  agency: string;
  event_type: string;
}

/** A link naming the subject, facing it: its own record, and the other record and subject. */
export interface LinkFound {
  link_id: string;
  rule: string;
  confidence: number;
  linked_at: string;
  record: LinkedRecordRef;
  linked_record: LinkedRecordRef;
  linked_subject_id: string;
}

export interface SubjectLink extends LinkFound {
  disclosures: Disclosure[];
  denied: number;
  more: boolean;
}

type Doc = Record<string, unknown>;
const isObject = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown) => (typeof v === "string" ? v : "");

/**
 * The link in a link alert's publish record doc (records.ts `linkDoc`: sealed,
 * as the leaf derives it) facing `subjectId`, its sides' subjects opened with
 * `keys` (by ref). Undefined when the doc holds no link, when neither side is
 * the subject, or when the other side's subject cannot be opened — its key
 * destroyed (erased): an erased subject contributes nothing, not even the link.
 */
export function linkFacing(subjectId: string, doc: Doc, publishedAt: Date, keys: ReadonlyMap<string, Buffer>): LinkFound | undefined {
  const link = doc["link"];
  if (!isObject(link) || !Array.isArray(link["records"])) return undefined;
  const sealed = sealedSubjectsIn({ sealed_subjects: doc["sealed_subjects"] });
  const sides = link["records"].filter(isObject).map((r) => {
    const ref = text(r["subject_ref"]);
    // The ref opened as the API opens any record (a subject in the clear, from before sealing, stays itself).
    const opened = ref === "" ? [] : openDoc({ subject_ids: [ref], sealed_subjects: sealed.filter((s) => s.ref === ref) }, keys)["subject_ids"];
    const id = Array.isArray(opened) ? text(opened[0]) : "";
    return { id, record: { event_id: text(r["event_id"]), agency: text(r["agency"]), event_type: text(r["event_type"]) } };
  });
  if (sides.length !== 2) return undefined;
  const mine = sides.findIndex((s) => s.id === subjectId);
  const other = sides[1 - mine];
  if (mine < 0 || !other || other.id === "" || other.id === subjectId) return undefined;
  return {
    link_id: text(link["link_id"]),
    rule: text(link["rule"]),
    confidence: typeof link["confidence"] === "number" ? link["confidence"] : 0,
    linked_at: publishedAt.toISOString(),
    record: sides[mine]!.record,
    linked_record: other.record,
    linked_subject_id: other.id,
  };
}

/** Each link once (a link found again keeps its id: the newest alert stands), at most MAX_LINKS, in the order given (newest first). */
export function distinctLinks(found: readonly (LinkFound | undefined)[]): LinkFound[] {
  const seen = new Map<string, LinkFound>();
  for (const l of found) if (l && !seen.has(l.link_id) && seen.size < MAX_LINKS) seen.set(l.link_id, l);
  return [...seen.values()];
}

/** A link with the linked subject's disclosures, bounded by MAX_LINKED_DISCLOSURES (the list read holds one more when there are more). */
export function withDisclosures(link: LinkFound, seen: { disclosures: readonly Disclosure[]; denied: number; more: boolean }): SubjectLink {
  return { ...link, disclosures: seen.disclosures.slice(0, MAX_LINKED_DISCLOSURES), denied: seen.denied, more: seen.more || seen.disclosures.length > MAX_LINKED_DISCLOSURES };
}

/** How many records a who-has-seen answer held (the oversight query's result count): the subject's disclosures and every linked subject's. */
export const resultCountOf = (out: { disclosures: readonly unknown[]; links: readonly { disclosures: readonly unknown[] }[] }) =>
  out.disclosures.length + out.links.reduce((n, l) => n + l.disclosures.length, 0);
