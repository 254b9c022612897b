/**
 * How the verify command states the index and key checks: a summary line each,
 * one line per problem, and the first bad index over the tree check and these
 * checks together (at one index the tree's problem comes first: the leaf itself
 * is bad).
 */
import type { IndexProblem, IndexReport } from "./check.js";
import type { KeyProblem, KeyReport } from "./keys.js";

/** Why the key check was not run: a stable code and a sentence. */
export interface KeysSkipped {
  skipped: "KEYS_NOT_READABLE" | "KEYS_NOT_PRESENT" | "INDEX_NOT_CHECKED" | "INDEX_TAMPERED" | "NO_KEYS_OPTION";
  detail: string;
}

/** The key check as run, or why it was not (the role may not read subject_keys, …): never silently absent. */
export type KeyCheck = KeyReport | KeysSkipped;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function indexSummary(r: IndexReport): string {
  return `${r.records} audit_records and ${r.subjects} audit_subjects rows compared with those recomputed from ${r.leaves} leaves`;
}

export function keySummary(k: KeyCheck): string {
  if ("skipped" in k) return `not checked: ${k.detail}`;
  const against = `against the ${plural(k.refs, "ref", "refs")} the leaves name (${k.destroyed} destroyed by purge records)`;
  return k.keysRead
    ? `${plural(k.keys, "subject_keys row", "subject_keys rows")} checked ${against}; ${plural(k.opened, "key", "keys")} opened on their ref's sealed subject`
    : `${plural(k.keys, "subject_keys ref", "subject_keys refs")} checked ${against}; keys not opened (the role may read subject_keys.ref only), so a relabelled row (key-mismatch) is not checked`;
}

export function describeIndexProblem(p: IndexProblem | KeyProblem): string {
  return `index ${p.index} — ${p.kind} in ${p.table}: ${p.detail}`;
}

/** The problem at the lowest index; the earlier argument wins a tie (the tree's first). */
function firstOf<T extends { index: number }>(...candidates: (T | undefined)[]): T | undefined {
  let first: T | undefined;
  for (const c of candidates) if (c && (!first || c.index < first.index)) first = c;
  return first;
}

/**
 * The tree check's report with the index check's and the key check's folded
 * in: `ok` only if all are, `firstBad` the lowest of them, `problems` every
 * list (index and key problems carry `table`), and each check's own report
 * under `index` and `keys` (null when not checked; `keys` says why it was skipped).
 */
export function withIndex<P extends { index: number }, R extends { ok: boolean; firstBad?: P; problems: P[] }>(
  tree: R,
  index: IndexReport | undefined,
  keys?: KeyCheck,
): Omit<R, "firstBad" | "problems"> & { firstBad?: P | IndexProblem | KeyProblem; problems: (P | IndexProblem | KeyProblem)[]; index: IndexReport | null; keys: KeyCheck | null } {
  const ran = keys && !("skipped" in keys) ? keys : undefined;
  const firstBad = firstOf<P | IndexProblem | KeyProblem>(tree.firstBad, index?.firstBad, ran?.firstBad);
  return {
    ...tree,
    ok: tree.ok && (index?.ok ?? true) && (ran?.ok ?? true),
    ...(firstBad ? { firstBad } : {}),
    problems: [...tree.problems, ...(index?.problems ?? []), ...(ran?.problems ?? [])],
    index: index ?? null,
    keys: keys ?? null,
  };
}
