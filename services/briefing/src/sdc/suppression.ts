/**
 * Primary and secondary cell suppression for a table of counts with margins.
 *
 * A table is cells plus linear constraints ("this total is the sum of these
 * cells"), each total being a cell too. A reader who sees every published cell
 * can solve any constraint with exactly one unknown, so a suppressed cell is
 * only protected when every constraint it is part of has at least two unknowns
 * and the unknown members together are not themselves a small count. Pure.
 */

export interface Constraint {
  /** Index of the cell holding the total. */
  total: number;
  /** Indexes of the cells that add up to it. */
  members: number[];
}

export type SuppressionReason = "primary" | "secondary";

export interface SuppressionResult {
  /** Why each cell is suppressed, or null when it may be published. */
  reasons: (SuppressionReason | null)[];
}

/**
 * Suppress every cell under `threshold` (primary), then further cells until,
 * for every constraint, the unknowns (suppressed cells among its members and
 * total) are none, or at least two with the suppressed members summing to at
 * least `threshold` (secondary). Secondary cells are chosen smallest first, so
 * as little as possible is lost; members are preferred to totals. `forced`
 * marks cells to hide whatever their value (primary), e.g. a sum of people
 * whose records are themselves too few to publish.
 */
export function suppress(values: readonly number[], constraints: readonly Constraint[], threshold: number, forced: readonly boolean[] = []): SuppressionResult {
  for (const [i, v] of values.entries()) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`cell ${i}: a count must be a non-negative integer, got ${v}`);
  }
  for (const c of constraints) {
    const sum = c.members.reduce((s, m) => s + values[m]!, 0);
    if (values[c.total] !== sum) throw new RangeError(`cell ${c.total} is declared the total of [${c.members.join(", ")}] but is ${values[c.total]}, not ${sum}`);
  }
  // A forced cell is hidden for a reason outside its own count (e.g. too few
  // records behind a sum of people): primary, like a small count.
  const reasons: (SuppressionReason | null)[] = values.map((v, i) => (v < threshold || forced[i] === true ? "primary" : null));
  const suppressed = (i: number) => reasons[i] !== null;

  for (let changed = true; changed; ) {
    changed = false;
    for (const c of constraints) {
      const cells = [...c.members, c.total];
      const unknown = cells.filter(suppressed);
      if (unknown.length === 0) continue;
      const hiddenSum = c.members.filter(suppressed).reduce((s, m) => s + values[m]!, 0);
      const safe = unknown.length >= 2 && (hiddenSum >= threshold || suppressed(c.total));
      if (safe) continue;
      // Suppress one more: the smallest published member, else the total.
      const candidates = c.members.filter((m) => !suppressed(m)).sort((a, b) => values[a]! - values[b]! || a - b);
      const next = candidates[0] ?? (suppressed(c.total) ? undefined : c.total);
      if (next === undefined) continue; // everything in it is already hidden
      reasons[next] = "secondary";
      changed = true;
    }
  }
  return { reasons };
}
