import type { AggregateInput, AssessmentInput, Input, NoticeInput } from "./inputs.js";

/**
 * Incremental aggregates of what one subscriber (a community tier's topic)
 * has received: per region × ISO week × event type × measure × category, a sum
 * and the number of records behind it (the same per named wastewater site, and
 * per registered locality over every category); the support notices; and the
 * agencies' assessments (kept apart from the weeks: an assessment covers a period). Idempotent per
 * delivery id, so a redelivered record never counts twice. In memory, rebuilt
 * from the topic at start (the topic is the source of truth). Pure.
 *
 * A retraction (an aggregate view of a corrected or withdrawn record, with the
 * same codes and values as its earlier contribution) is subtracted once from
 * every cell the contribution was added to — sum less its value, records less
 * one — so the store is as if the contribution had never come; it counts once
 * per its own delivery id like any input. A cell never goes below zero: one a
 * retraction finds empty (or short) is clamped at zero and the retraction is
 * counted as unmatched (`unmatchedRetractions`). A week, site or locality is
 * listed while some contribution not taken back names it.
 */

export interface Cell {
  sum: number;
  records: number;
}

export interface Notice {
  /** The notice's random delivery id: orders notices of one week, never published. */
  ref: string;
  region: string;
  week: string;
  phase: NoticeInput["phase"];
  stage: NoticeInput["stage"];
  families: NoticeInput["families"];
  children: NoticeInput["children"];
  support: string[];
}

export const cellKey = (region: string, week: string, eventType: string, measure: string, category: string) =>
  `${region}|${week}|${eventType}|${measure}|${category}`;

/** A site's cell: the same measure, for one wastewater treatment site of a region. */
export const siteCellKey = (region: string, site: string, week: string, eventType: string, measure: string, category: string) =>
  `${region}|${site}|${week}|${eventType}|${measure}|${category}`;

/** A locality's cell: a measure's records in one registered town or suburb of a region, over every category. */
export const localityCellKey = (region: string, locality: string, week: string, eventType: string, measure: string) => `${region}|${locality}|${week}|${eventType}|${measure}`;

export class AggregateStore {
  private readonly cells = new Map<string, Cell>();
  private readonly siteCells = new Map<string, Cell>();
  /** region → sites with anything. */
  private readonly sites = new Map<string, Map<string, number>>();
  private readonly localityCells = new Map<string, Cell>();
  /** region → registered localities with anything (and how many contributions name each). */
  private readonly localities = new Map<string, Map<string, number>>();
  private readonly seen = new Set<string>();
  private readonly notices: Notice[] = [];
  private readonly assessments: AssessmentInput[] = [];
  /** region → weeks with anything (and how many inputs hold each). */
  private readonly weeks = new Map<string, Map<string, number>>();
  private unmatched = 0;

  /** Add one input (or take back a retracted contribution); false when its delivery was already counted. */
  apply(input: Input): boolean {
    if (this.seen.has(input.deliveryId)) return false;
    this.seen.add(input.deliveryId);
    if (input.kind === "assessment") {
      this.assessments.push(input);
      return true;
    }
    if (input.kind === "aggregate" && input.retraction) {
      this.retract(input);
      return true;
    }
    if (input.kind === "aggregate") this.add(input);
    else this.notices.push({ ref: input.deliveryId, region: input.region, week: input.week, phase: input.phase, stage: input.stage, families: input.families, children: input.children, support: input.support });
    count(this.weeks, input.region, input.week, 1);
    return true;
  }

  private add(input: AggregateInput): void {
    addTo(this.cells, input.measures, (m) => cellKey(input.region, input.week, input.eventType, m.measure, m.category));
    const locality = input.locality;
    if (locality !== undefined) {
      addTo(this.localityCells, input.measures, (m) => localityCellKey(input.region, locality, input.week, input.eventType, m.measure));
      count(this.localities, input.region, locality, 1);
    }
    const site = input.site;
    if (site === undefined) return;
    addTo(this.siteCells, input.measures, (m) => siteCellKey(input.region, site, input.week, input.eventType, m.measure, m.category));
    count(this.sites, input.region, site, 1);
  }

  /** `add` undone: the same cells, each once; anything found short is clamped at zero and the retraction counted as unmatched. */
  private retract(input: AggregateInput): void {
    let matched = subtractFrom(this.cells, input.measures, (m) => cellKey(input.region, input.week, input.eventType, m.measure, m.category));
    const locality = input.locality;
    if (locality !== undefined) {
      matched = subtractFrom(this.localityCells, input.measures, (m) => localityCellKey(input.region, locality, input.week, input.eventType, m.measure)) && matched;
      matched = count(this.localities, input.region, locality, -1) && matched;
    }
    const site = input.site;
    if (site !== undefined) {
      matched = subtractFrom(this.siteCells, input.measures, (m) => siteCellKey(input.region, site, input.week, input.eventType, m.measure, m.category)) && matched;
      matched = count(this.sites, input.region, site, -1) && matched;
    }
    matched = count(this.weeks, input.region, input.week, -1) && matched;
    if (!matched) this.unmatched += 1;
  }

  /** Retractions that found a cell (or a week, site or locality) short: clamped at zero. */
  get unmatchedRetractions(): number {
    return this.unmatched;
  }

  cell(region: string, week: string, eventType: string, measure: string, category: string): Cell {
    return this.cells.get(cellKey(region, week, eventType, measure, category)) ?? { sum: 0, records: 0 };
  }

  /** One site's cell (a wastewater treatment site the exchange named). */
  siteCell(region: string, site: string, week: string, eventType: string, measure: string, category: string): Cell {
    return this.siteCells.get(siteCellKey(region, site, week, eventType, measure, category)) ?? { sum: 0, records: 0 };
  }

  /** The named sites of a region, sorted. */
  sitesIn(region: string): string[] {
    return [...(this.sites.get(region)?.keys() ?? [])].sort((a, b) => a.localeCompare(b, "en-NZ"));
  }

  /** One registered locality's cell for a measure, over every category: its records and their sum. */
  localityCell(region: string, locality: string, week: string, eventType: string, measure: string): Cell {
    return this.localityCells.get(localityCellKey(region, locality, week, eventType, measure)) ?? { sum: 0, records: 0 };
  }

  /** The registered localities of a region any record has named (any week, any type), sorted. */
  localitiesIn(region: string): string[] {
    return [...(this.localities.get(region)?.keys() ?? [])].sort((a, b) => a.localeCompare(b, "en-NZ"));
  }

  /** Categories seen for a measure in a region (any week). */
  categories(region: string, eventType: string, measure: string): string[] {
    const prefix = `${region}|`;
    const out = new Set<string>();
    for (const key of this.cells.keys()) {
      if (!key.startsWith(prefix)) continue;
      const [, , t, m, c] = key.split("|");
      if (t === eventType && m === measure) out.add(c!);
    }
    return [...out].sort();
  }

  noticesIn(region: string, weeks: readonly string[]): Notice[] {
    const set = new Set(weeks);
    return this.notices.filter((n) => n.region === region && set.has(n.week));
  }

  /** A region's assessments, the latest period first (then by title). */
  assessmentsIn(region: string): AssessmentInput[] {
    return this.assessments
      .filter((a) => a.region === region)
      .sort((a, b) => b.periodEnd.localeCompare(a.periodEnd) || b.periodStart.localeCompare(a.periodStart) || a.title.localeCompare(b.title, "en-NZ"));
  }

  weeksWithData(region: string): string[] {
    return [...(this.weeks.get(region)?.keys() ?? [])].sort();
  }

  get size(): number {
    return this.seen.size;
  }
}

/** Add a record's measures to `cells`: each cell it touches once, however many measures it lists there. */
function addTo(cells: Map<string, Cell>, measures: readonly { measure: string; category: string; value: number }[], keyOf: (m: { measure: string; category: string }) => string): void {
  const touched = new Set<string>();
  for (const m of measures) {
    const key = keyOf(m);
    const cell = cells.get(key) ?? { sum: 0, records: 0 };
    cell.sum += m.value;
    if (!touched.has(key)) cell.records += 1;
    touched.add(key);
    cells.set(key, cell);
  }
}

/**
 * Take a record's measures back from `cells`, as `addTo` added them: each cell
 * it touches loses one record, and each measure's value from the sum, never
 * below zero; a cell left with no record is removed. False when a cell was
 * found short (clamped).
 */
function subtractFrom(cells: Map<string, Cell>, measures: readonly { measure: string; category: string; value: number }[], keyOf: (m: { measure: string; category: string }) => string): boolean {
  const touched = new Set<string>();
  let matched = true;
  for (const m of measures) {
    const key = keyOf(m);
    const cell = cells.get(key) ?? { sum: 0, records: 0 };
    if (!touched.has(key)) {
      if (cell.records < 1) matched = false;
      cell.records = Math.max(0, cell.records - 1);
    }
    touched.add(key);
    // Short by more than a float's rounding of the sums added (0.1 + 0.2 taken back as 0.2, then 0.1).
    if (cell.sum < m.value - 1e-9 * Math.max(1, m.value)) matched = false;
    cell.sum = Math.max(0, cell.sum - m.value);
    cells.set(key, cell);
  }
  for (const key of touched) if (cells.get(key)!.records === 0) cells.delete(key);
  return matched;
}

/** A region's count of contributions naming a week, site or locality, moved by `by`; gone at zero. False when a decrement found none (clamped). */
function count(map: Map<string, Map<string, number>>, region: string, name: string, by: 1 | -1): boolean {
  let m = map.get(region);
  if (!m) map.set(region, (m = new Map()));
  const n = (m.get(name) ?? 0) + by;
  if (n > 0) m.set(name, n);
  else m.delete(name);
  return n >= 0;
}
