import { cellDraw, roundBase3 } from "./rounding.js";
import { suppress, type Constraint, type SuppressionReason } from "./suppression.js";

/** A number as it may leave for a community tier. */
export type PublishedCount = { value: number; suppressed: false } | { value: null; suppressed: true; reason: SuppressionReason };

export interface CountTable {
  /** Identifies the table in the rounding keys, e.g. "eastern/mbie-complaints-by-industry/2026-W47". */
  key: string;
  rows: readonly string[];
  cols: readonly string[];
  /** counts[r][c], true values. */
  counts: readonly (readonly number[])[];
}

export interface ProtectedTable {
  rows: string[];
  cols: string[];
  cells: PublishedCount[][];
  rowTotals: PublishedCount[];
  colTotals: PublishedCount[];
  total: PublishedCount;
}

export interface ControlRules {
  /** Counts below this are suppressed (primary), then enough others (secondary). */
  threshold: number;
  /** Key of the rounding draws: same secret, same cell, same value → same published number. */
  secret: Uint8Array;
}

export interface TableOptions {
  /**
   * For a table of sums (people affected, sessions) rather than records: how
   * many records are behind each cell, same shape as `counts`. A cell, row
   * total, column total or grand total resting on fewer than the threshold is
   * hidden (primary), whatever its sum: one complaint about 14 workers is one
   * complaint.
   */
  contributors?: readonly (readonly number[])[];
}

/**
 * Statistical disclosure control of one table of counts with its row, column
 * and grand totals: primary suppression under the threshold, secondary
 * suppression so no hidden cell can be recovered from the margins, then random
 * rounding to base 3 of every published cell and total — each total rounded on
 * its own, from its true value, not summed from rounded cells. Pure.
 */
export function protectTable(table: CountTable, rules: ControlRules, options: TableOptions = {}): ProtectedTable {
  const nr = table.rows.length;
  const nc = table.cols.length;
  if (table.counts.length !== nr || table.counts.some((row) => row.length !== nc)) {
    throw new RangeError(`table ${table.key}: counts must be ${nr} rows of ${nc}`);
  }
  // Layout: cells r*nc+c, then row totals, then column totals, then the grand total.
  const cell = (r: number, c: number) => r * nc + c;
  const rowTotal = (r: number) => nr * nc + r;
  const colTotal = (c: number) => nr * nc + nr + c;
  const grand = nr * nc + nr + nc;
  const values: number[] = new Array(grand + 1).fill(0);
  for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) values[cell(r, c)] = table.counts[r]![c]!;
  for (let r = 0; r < nr; r++) values[rowTotal(r)] = table.counts[r]!.reduce((s, v) => s + v, 0);
  for (let c = 0; c < nc; c++) values[colTotal(c)] = table.counts.reduce((s, row) => s + row[c]!, 0);
  values[grand] = values.slice(0, nr * nc).reduce((s, v) => s + v, 0);

  const range = (n: number) => [...Array(n).keys()];
  const constraints: Constraint[] = [
    ...range(nr).map((r) => ({ total: rowTotal(r), members: range(nc).map((c) => cell(r, c)) })),
    ...range(nc).map((c) => ({ total: colTotal(c), members: range(nr).map((r) => cell(r, c)) })),
    { total: grand, members: range(nr).map(rowTotal) },
    { total: grand, members: range(nc).map(colTotal) },
  ];
  let forced: boolean[] = [];
  if (options.contributors) {
    const k = options.contributors;
    if (k.length !== nr || k.some((row) => row.length !== nc)) throw new RangeError(`table ${table.key}: contributors must be ${nr} rows of ${nc}`);
    const n: number[] = new Array(grand + 1).fill(0);
    for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) n[cell(r, c)] = k[r]![c]!;
    for (let r = 0; r < nr; r++) n[rowTotal(r)] = k[r]!.reduce((s, v) => s + v, 0);
    for (let c = 0; c < nc; c++) n[colTotal(c)] = k.reduce((s, row) => s + row[c]!, 0);
    n[grand] = n.slice(0, nr * nc).reduce((s, v) => s + v, 0);
    forced = n.map((v) => v < rules.threshold);
  }
  const { reasons } = suppress(values, constraints, rules.threshold, forced);

  const keyOf = (i: number): string => {
    if (i < nr * nc) return `${table.rows[Math.floor(i / nc)]}|${table.cols[i % nc]}`;
    if (i < nr * nc + nr) return `${table.rows[i - nr * nc]}|*`;
    if (i < grand) return `*|${table.cols[i - nr * nc - nr]}`;
    return "*|*";
  };
  // One true number, one published number: a total whose members are all zero but one
  // is that member, so the two share one rounding draw. Rounded apart, the same count
  // published twice (a one-column table's cell and its total) would narrow it down.
  const same = sameNumberGroups(values.length, constraints, values);
  const publish = (i: number): PublishedCount => {
    const reason = reasons[i];
    if (reason) return { value: null, suppressed: true, reason };
    // The true value is part of the key: a cell that has not changed keeps its
    // rounding; a cell that has changed gets a fresh, equally unpredictable one.
    const draw = cellDraw(rules.secret, `${table.key}|${keyOf(same(i))}|${values[i]}`);
    return { value: roundBase3(values[i]!, draw), suppressed: false };
  };
  return {
    rows: [...table.rows],
    cols: [...table.cols],
    cells: range(nr).map((r) => range(nc).map((c) => publish(cell(r, c)))),
    rowTotals: range(nr).map((r) => publish(rowTotal(r))),
    colTotals: range(nc).map((c) => publish(colTotal(c))),
    total: publish(grand),
  };
}

/**
 * Which positions hold the same true number by construction (a total with exactly one
 * non-zero member equals it), as a representative per position: the lowest position of
 * its group. Union-find over the constraints. Pure.
 */
export function sameNumberGroups(n: number, constraints: readonly Constraint[], values: readonly number[]): (i: number) => number {
  const parent = [...Array(n).keys()];
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (const c of constraints) {
    const nonZero = c.members.filter((m) => values[m] !== 0);
    if (nonZero.length !== 1 || values[c.total] === 0) continue;
    const [a, b] = [find(c.total), find(nonZero[0]!)];
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  return find;
}

/** A single count (no margins): suppressed under the threshold, else rounded. Pure. */
export function protectCount(key: string, value: number, rules: ControlRules): PublishedCount {
  return protectTable({ key, rows: ["n"], cols: ["n"], counts: [[value]] }, rules).cells[0]![0]!;
}
