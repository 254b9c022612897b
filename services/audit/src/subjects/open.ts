/**
 * Opening the subjects of a record's API form (doc) for the oversight API. A
 * sealed record's doc (oversight/records.ts) carries `subject_ids` as refs and
 * `sealed_subjects` as [{ ref, ciphertext (base64) }]. Opened, its
 * `subject_ids` are the subject ids the ciphertexts hold — opened by the server
 * with the keys in subject_keys, not part of the signed bytes — and
 * `erased_subject_refs` the refs whose key is gone (erased) or does not open
 * the ciphertext. An oversight query's subject parameter (a ref) becomes the
 * subject id it was sealed from, or stays the ref when erased. A doc without
 * sealed subjects (a record appended before sealing, with subject ids in the
 * clear) is returned as it is, with `erased_subject_refs: []` where it has
 * subject_ids.
 */
import type { SqlSession } from "../ledger/index.js";
import { SUBJECT_PARAMETERS } from "./records.js";
import { openSubject } from "./seal.js";
import { keysByRef } from "./store.js";

type Doc = Record<string, unknown>;

export interface SealedEntry {
  ref: string;
  ciphertext: string;
}

const isObject = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);

function sealedEntries(doc: Doc): SealedEntry[] {
  const s = doc["sealed_subjects"];
  return Array.isArray(s) ? s.filter((e): e is SealedEntry => isObject(e) && typeof e["ref"] === "string" && typeof e["ciphertext"] === "string") : [];
}

/** Every sealed subject anywhere in `doc` (a conflict's new record included), its ciphertext in base64. Pure. */
export function sealedSubjectsIn(doc: unknown): SealedEntry[] {
  if (Array.isArray(doc)) return doc.flatMap(sealedSubjectsIn);
  if (!isObject(doc)) return [];
  return [...sealedEntries(doc), ...Object.values(doc).flatMap(sealedSubjectsIn)];
}

/** Every ref sealed anywhere in `doc` (a conflict's new record included). Pure. */
export function sealedRefs(doc: unknown): string[] {
  return sealedSubjectsIn(doc).map((e) => e.ref);
}

/** `doc` with its sealed subjects opened by `keys` (by ref). Pure. */
export function openDoc(doc: Doc, keys: ReadonlyMap<string, Buffer>): Doc {
  const out: Doc = {};
  for (const [k, v] of Object.entries(doc)) out[k] = isObject(v) ? openDoc(v, keys) : v;
  const entries = sealedEntries(doc);
  const opened = new Map<string, string>();
  const erased: string[] = [];
  for (const e of entries) {
    const key = keys.get(e.ref);
    let id: string | undefined;
    if (key) {
      try {
        id = openSubject({ ref: e.ref, ciphertext: Buffer.from(e.ciphertext, "base64") }, key);
      } catch {
        id = undefined; // a key that does not open its ciphertext: shown as erased, never guessed
      }
    }
    if (id === undefined) erased.push(e.ref);
    else opened.set(e.ref, id);
  }
  const sealed = new Set(entries.map((e) => e.ref));
  if (Array.isArray(doc["subject_ids"])) {
    const ids = (doc["subject_ids"] as unknown[]).filter((s): s is string => typeof s === "string");
    out["subject_ids"] = ids.flatMap((s) => (sealed.has(s) ? (opened.has(s) ? [opened.get(s)!] : []) : [s]));
    out["erased_subject_refs"] = erased;
  }
  const parameters = doc["parameters"];
  if (entries.length > 0 && isObject(parameters)) {
    out["parameters"] = Object.fromEntries(
      Object.entries(parameters).map(([name, value]) => [name, SUBJECT_PARAMETERS.includes(name) && typeof value === "string" && opened.has(value) ? opened.get(value)! : value]),
    );
  }
  return out;
}

/** The docs with their sealed subjects opened from subject_keys (one query for all of them). */
export async function openDocs(db: SqlSession, docs: readonly Doc[]): Promise<Doc[]> {
  const refs = docs.flatMap(sealedRefs);
  const keys = refs.length > 0 ? await keysByRef(db, refs) : new Map<string, Buffer>();
  return docs.map((d) => openDoc(d, keys));
}
