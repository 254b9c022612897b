/**
 * The subject keys checked against the leaves. "Who has seen this person" is
 * answered through `subject_keys`: the person's id → their ref → the
 * audit_subjects rows under that ref (oversight/store.ts). The leaves hold each
 * subject sealed as { ref, ciphertext } (subjects/seal.ts), and a key is
 * destroyed only by the purge flow, which appends a purge record naming the
 * refs and deletes their rows in the same transaction (subjects/purge.ts). So
 * the table must be exactly this, and anything else is tampering:
 *
 *   key-missing        a ref some leaf names has no row, and no purge record at
 *                      a later index destroyed it (a row deleted: who-has-seen
 *                      then answers that nobody has seen the person); the index
 *                      is the first leaf naming it after its last purge record
 *   key-mismatch       a row whose key does not open the ciphertext the leaf
 *                      holds for its ref, or opens it to another subject id than
 *                      the row's (relabelled: the person's records answer for
 *                      someone else); the index is the first leaf naming the ref
 *   key-extra          a row whose ref no leaf names (the writer makes a key in
 *                      the transaction that appends its first leaf: ingest.ts
 *                      appendRecords), or a second row for one ref; the index is
 *                      the first leaf naming the ref, or the tree size when none does
 *   key-not-destroyed  a row for a ref a purge record destroyed (the erasure
 *                      promise broken); the index is that purge record's leaf
 *
 * A problem names the table, the leaf index and the ref — never a subject id
 * or a key. One ciphertext per ref is opened (its first leaf's): every leaf
 * naming a ref seals the same subject under the same key.
 *
 * Pure: the three inputs stream in ascending ref order (byte order: COLLATE
 * "C"), each ref's rows in ascending index order; memory is one ref's rows.
 * The caller (store.ts) reads them in one snapshot with the index check, which
 * ties the refs it reads through audit_subjects and audit_records to the leaves.
 */
import { openSubject } from "../subjects/seal.js";
import { Peek, plural } from "./check.js";

export type KeyTamperKind = "key-missing" | "key-mismatch" | "key-extra" | "key-not-destroyed";

export interface KeyProblem {
  kind: KeyTamperKind;
  table: "subject_keys";
  /** The leaf index concerned (see the kinds above). */
  index: number;
  /** The ref concerned (random, linked to nobody without its row). */
  ref: string;
  detail: string;
}

/** A leaf naming a ref: its index and, on the first row of a ref at least, the ciphertext the leaf seals under that ref. */
export interface NamedRefRow {
  ref: string;
  index: number;
  ciphertext?: Uint8Array;
}

/** A ref a purge record names as destroyed, with the purge record's leaf index. */
export interface PurgedRefRow {
  ref: string;
  index: number;
}

/** A subject_keys row as stored: the subject id and key only when the verifier's role may read them. */
export interface StoredKeyRow {
  ref: string;
  subjectId?: string;
  key?: Uint8Array;
}

export interface KeyReport {
  ok: boolean;
  /** Whether the subject ids and keys were read (key-mismatch checked), or only the refs. */
  keysRead: boolean;
  /** Distinct refs the leaves name. */
  refs: number;
  /** subject_keys rows read. */
  keys: number;
  /** Distinct refs purge records name as destroyed. */
  destroyed: number;
  /** Keys tried on their ref's ciphertext (one per row). */
  opened: number;
  problemCount: number;
  firstBad?: KeyProblem;
  /** At most MAX_KEY_PROBLEMS of them. */
  problems: KeyProblem[];
}

export const MAX_KEY_PROBLEMS = 100;

/** PostgreSQL's COLLATE "C" order: UTF-8 byte order, which is code point order (UTF-16 code units differ past the surrogates). */
export function byteOrder(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}


/** What opening one row's key on the ref's ciphertext shows. */
function opens(ref: string, ciphertext: Uint8Array, row: StoredKeyRow): "ok" | "no-open" | "relabelled" {
  let id: string;
  try {
    id = openSubject({ ref, ciphertext: Buffer.from(ciphertext) }, Buffer.from(row.key ?? []));
  } catch {
    return "no-open";
  }
  return id === row.subjectId ? "ok" : "relabelled";
}

export interface KeyCheckOptions {
  /** Leaves in the snapshot: the index a key-extra problem names when no leaf names its ref. */
  leafCount: number;
  /** Whether `keys` rows carry the subject id and key (else only refs are compared). */
  keysRead: boolean;
}

/**
 * Compare subject_keys with the refs the leaves name and the refs purge
 * records destroyed. Each input in ascending ref order (byteOrder), a ref's
 * rows in ascending index order.
 */
export async function checkKeys(
  named: AsyncIterable<NamedRefRow>,
  purged: AsyncIterable<PurgedRefRow>,
  keys: AsyncIterable<StoredKeyRow>,
  opts: KeyCheckOptions,
): Promise<KeyReport> {
  const N = new Peek(named[Symbol.asyncIterator]());
  const P = new Peek(purged[Symbol.asyncIterator]());
  const K = new Peek(keys[Symbol.asyncIterator]());
  const problems: KeyProblem[] = [];
  let problemCount = 0;
  let firstBad: KeyProblem | undefined;
  const counts = { refs: 0, keys: 0, destroyed: 0, opened: 0 };
  const report = (p: KeyProblem) => {
    problemCount++;
    if (!firstBad || p.index < firstBad.index) firstBad = p;
    if (problems.length < MAX_KEY_PROBLEMS) problems.push(p);
  };

  for (;;) {
    const heads = [(await N.peek())?.ref, (await P.peek())?.ref, (await K.peek())?.ref].filter((r): r is string => r !== undefined);
    if (heads.length === 0) break;
    const ref = heads.reduce((a, b) => (byteOrder(a, b) <= 0 ? a : b));

    // The purge records destroying this ref: the first (a row still held is reported there) and the last.
    let firstPurge: number | undefined;
    let lastPurge = -1;
    while ((await P.peek())?.ref === ref) {
      const p = (await P.take())!;
      firstPurge = Math.min(firstPurge ?? p.index, p.index);
      lastPurge = Math.max(lastPurge, p.index);
    }
    // The leaves naming it: the first, the first after its last purge record, how many, and a ciphertext to open.
    let first: number | undefined;
    let unpurged: number | undefined;
    let leaves = 0;
    let ciphertext: Uint8Array | undefined;
    while ((await N.peek())?.ref === ref) {
      const n = (await N.take())!;
      leaves++;
      first = Math.min(first ?? n.index, n.index);
      if (n.index > lastPurge) unpurged = Math.min(unpurged ?? n.index, n.index);
      if (!ciphertext && n.ciphertext) ciphertext = n.ciphertext;
    }
    const rows: StoredKeyRow[] = [];
    while ((await K.peek())?.ref === ref) rows.push((await K.take())!);

    if (first !== undefined) counts.refs++;
    if (firstPurge !== undefined) counts.destroyed++;
    counts.keys += rows.length;
    const at = (index: number, kind: KeyTamperKind, detail: string) => report({ kind, table: "subject_keys", index, ref, detail });

    if (rows.length === 0) {
      if (unpurged !== undefined) {
        at(
          unpurged,
          "key-missing",
          `no subject_keys row for ref ${ref}, which leaf ${unpurged} names (${plural(leaves, "leaf names it", "leaves name it")} in all) and no later purge record destroys: its subject's records are found by nobody`,
        );
      }
      continue;
    }
    if (firstPurge !== undefined) {
      at(firstPurge, "key-not-destroyed", `the purge record at leaf ${firstPurge} destroyed ref ${ref}, but subject_keys still holds ${rows.length === 1 ? "its key" : `${rows.length} rows for it`} (run the purge again)`);
      continue;
    }
    if (first === undefined) {
      at(opts.leafCount, "key-extra", `${plural(rows.length, "subject_keys row", "subject_keys rows")} for ref ${ref}, which none of the ${opts.leafCount} leaves names`);
      continue;
    }
    if (rows.length > 1) at(first, "key-extra", `${rows.length} subject_keys rows for ref ${ref}, which leaf ${first} names (a ref has one key)`);
    // No ciphertext for a ref audit_subjects says a leaf names: the index check reports that row (index-extra).
    if (!opts.keysRead || !ciphertext) continue;
    for (const row of rows) {
      counts.opened++;
      const result = opens(ref, ciphertext, row);
      if (result === "no-open") at(first, "key-mismatch", `the subject_keys row for ref ${ref} does not open the subject leaf ${first} seals under that ref`);
      if (result === "relabelled") {
        at(first, "key-mismatch", `the subject_keys row for ref ${ref} names another subject than the one leaf ${first} seals under that ref (relabelled: the records under ${ref} would answer for the wrong person)`);
      }
    }
  }
  return { ok: problemCount === 0, keysRead: opts.keysRead, ...counts, problemCount, ...(firstBad ? { firstBad } : {}), problems };
}
