/**
 * How the verify command states the index check: a summary line, one line per
 * problem, and the first bad index over the tree check and the index check
 * together (at one index the tree's problem comes first: the leaf itself is bad).
 */
import type { IndexProblem, IndexReport } from "./check.js";

export function indexSummary(r: IndexReport): string {
  return `${r.records} audit_records and ${r.subjects} audit_subjects rows compared with those recomputed from ${r.leaves} leaves`;
}

export function describeIndexProblem(p: IndexProblem): string {
  return `index ${p.index} — ${p.kind} in ${p.table}: ${p.detail}`;
}

/** The problem at the lowest index of the two checks; the tree's wins a tie. */
function firstOf<T extends { index: number }, U extends { index: number }>(tree: T | undefined, index: U | undefined): T | U | undefined {
  if (!tree) return index;
  if (!index) return tree;
  return index.index < tree.index ? index : tree;
}

/**
 * The tree check's report with the index check's folded in: `ok` only if both
 * are, `firstBad` the lower of the two, `problems` both lists (index problems
 * carry `table`), and the index report itself under `index` (null when not checked).
 */
export function withIndex<P extends { index: number }, R extends { ok: boolean; firstBad?: P; problems: P[] }>(
  tree: R,
  index: IndexReport | undefined,
): Omit<R, "firstBad" | "problems"> & { firstBad?: P | IndexProblem; problems: (P | IndexProblem)[]; index: IndexReport | null } {
  if (!index) return { ...tree, index: null };
  const firstBad = firstOf(tree.firstBad, index.firstBad);
  return { ...tree, ok: tree.ok && index.ok, ...(firstBad ? { firstBad } : {}), problems: [...tree.problems, ...index.problems], index };
}
