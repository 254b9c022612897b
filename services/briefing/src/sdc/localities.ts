import { cellDraw, roundBase3 } from "./rounding.js";
import type { ControlRules, PublishedCount } from "./table.js";

/**
 * Disclosure control of a locality breakdown: one table's headline count for a
 * district and period (e.g. complaints), split by the towns and suburbs the
 * records name. In a town of 1,740 people "3 complaints in Mātaura" can point at
 * an employer or a family, so a locality is named only when it holds enough
 * records, and nothing published lets a reader work out a small one:
 *
 * 1. a locality is **shown** only when its count in the period is at least the
 *    threshold (the tier's: leaders 6, public 10);
 * 2. everything else — smaller localities, and records with no registered
 *    locality — is one row, **elsewhere** in the district, itself suppressed
 *    under the threshold;
 * 3. **complementary suppression**: when "elsewhere" would hold the records of
 *    exactly one locality (no other locality's and no unlocated record), the
 *    district total minus the shown rows would be that locality's count, so the
 *    smallest shown locality is folded into "elsewhere" too, repeatedly, until
 *    that is no longer so or nothing is shown;
 * 4. every published row is randomly rounded to base 3 with the keyed draw every
 *    other cell has (rounding.ts), so the same figure is published the same way
 *    in every request.
 *
 * The district total is the main table's own published total (passed in), so
 * the breakdown never publishes the total a second way: a row whose true count
 * is the whole district's (elsewhere, when nothing is shown; a locality holding
 * every record) is that same published cell, never a second rounding of the
 * same number that could be averaged with the first. Shown rows are in name
 * order, never by size (an order by true count would say more than the rounded
 * values do). Pure.
 */

export interface LocalityCount {
  /** The locality table's spelling of a registered town or suburb of the district. */
  locality: string;
  /** True count of the table's records naming it in the period. */
  count: number;
}

export interface LocalityBreakdownInput {
  /** Identifies the breakdown in the rounding keys, e.g. "community_leader/EASTERN/exploitation-complaints-localities/2026-W47". */
  key: string;
  /** True count of the table's records in the district and period: located or not. */
  total: number;
  /** True counts per registered locality (each named once; zero counts may be left out). */
  localities: readonly LocalityCount[];
  /** The district total as the table publishes it: any row whose true count is the total is published as this. */
  publishedTotal?: PublishedCount;
}

export interface ProtectedLocalities {
  /** The localities shown, in name order, each rounded. */
  shown: { locality: string; value: PublishedCount }[];
  /** Everything else: suppressed under the threshold, else rounded. */
  elsewhere: PublishedCount;
  /** The localities folded into "elsewhere" although they reached the threshold (complementary suppression). */
  folded: number;
}

const byName = (a: string, b: string) => a.localeCompare(b, "en-NZ") || (a < b ? -1 : a > b ? 1 : 0);

/** Which localities may be shown, by rules 1 to 3 (true counts only, nothing rounded). Pure. */
export function localitiesShown(input: Pick<LocalityBreakdownInput, "total" | "localities">, threshold: number): { shown: string[]; folded: number } {
  const seen = new Set<string>();
  let located = 0;
  for (const { locality, count } of input.localities) {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`${locality}: a count must be a non-negative integer, got ${count}`);
    if (seen.has(locality)) throw new RangeError(`${locality} is counted twice`);
    seen.add(locality);
    located += count;
  }
  if (!Number.isSafeInteger(input.total) || input.total < located) throw new RangeError(`the district total ${input.total} is less than its localities' ${located}`);
  const unlocated = input.total - located;
  const withRecords = input.localities.filter((l) => l.count > 0);
  // Rule 1; the smallest shown first, so that rule 3 folds it first.
  const shown = withRecords.filter((l) => l.count >= threshold).sort((a, b) => a.count - b.count || byName(a.locality, b.locality));
  const elsewhereOf = () => {
    const names = new Set(shown.map((l) => l.locality));
    return withRecords.filter((l) => !names.has(l.locality));
  };
  let folded = 0;
  // Rule 3: "elsewhere" holding exactly one locality's records, and nothing else, would reveal it.
  while (shown.length > 0 && unlocated === 0 && elsewhereOf().length === 1) {
    shown.shift();
    folded++;
  }
  return { shown: shown.map((l) => l.locality).sort(byName), folded };
}

/** A locality breakdown through disclosure control (rules 1 to 4). Pure. */
export function protectLocalities(input: LocalityBreakdownInput, rules: ControlRules): ProtectedLocalities {
  const { shown, folded } = localitiesShown(input, rules.threshold);
  const counts = new Map(input.localities.map((l) => [l.locality, l.count]));
  const publish = (cell: string, value: number): PublishedCount => {
    if (value === input.total && input.publishedTotal) return input.publishedTotal;
    if (value < rules.threshold) return { value: null, suppressed: true, reason: "primary" };
    // As every other cell: the true value is part of the key, so an unchanged cell keeps its rounding.
    return { value: roundBase3(value, cellDraw(rules.secret, `${input.key}|${cell}|${value}`)), suppressed: false };
  };
  const shownTotal = shown.reduce((s, l) => s + counts.get(l)!, 0);
  return {
    shown: shown.map((locality) => ({ locality, value: publish(`locality:${locality}`, counts.get(locality)!) })),
    elsewhere: publish("elsewhere", input.total - shownTotal),
    folded,
  };
}
