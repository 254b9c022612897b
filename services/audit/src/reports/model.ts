/**
 * The quarterly outcome report as data: from the rows read out of the ledger's
 * leaves for a quarter and for the quarter before it, the tables of one region
 * (a Police district) or of the whole country, each figure with its previous
 * quarter's value and the change. Pure: no clock, no I/O; the renderings
 * (render.ts) and the API (../app.ts) only present what this returns.
 *
 * Every figure is a count or a sum over ledger leaves dated inside the quarter
 * (see the README's "Outcome reports" for which leaves and which fields):
 *   publish leaves   their outcome summary (reports/outcome.ts), region and time
 *   decision leaves  allow/deny, subscriber, legal basis, region and time
 *   refusal leaves   refusals of identified callers, and refusal summaries'
 *                    counts (national only: a refusal has no region)
 */
import { flagAnomalies, type Series } from "../oversight/anomaly.js";
import type { Quarter } from "./quarter.js";

/** The 12 Police districts by the ledger index's code (audit_records.region). */
export const DISTRICTS: ReadonlyMap<string, string> = new Map([
  ["northland", "Northland"],
  ["waitemata", "Waitematā"],
  ["auckland_city", "Auckland City (Tāmaki Makaurau)"],
  ["counties_manukau", "Counties Manukau"],
  ["waikato", "Waikato"],
  ["bay_of_plenty", "Bay of Plenty"],
  ["eastern", "Eastern"],
  ["central", "Central"],
  ["wellington", "Wellington"],
  ["tasman", "Tasman"],
  ["canterbury", "Canterbury"],
  ["southern", "Southern"],
]);
export const NATIONAL = "national";

export interface OutcomeFigure {
  measure: string;
  category: string;
  value: number;
}

/** One publish leaf: when, where, and its outcome summary. */
export interface PublishRow {
  at: Date;
  region: string;
  eventType: string;
  outcome: OutcomeFigure[];
}

/** One decision leaf. */
export interface DecisionRow {
  at: Date;
  region: string;
  subscriberId: string;
  outcome: "allow" | "deny";
  legalBasis: string;
}

/** A refusal leaf (count 1) or a refusal summary leaf (its count). */
export interface RefusalRow {
  at: Date;
  kind: "refusal" | "refusal_summary";
  service: string;
  code: string;
  count: number;
}

export interface QuarterRows {
  publishes: PublishRow[];
  decisions: DecisionRow[];
  refusals: RefusalRow[];
}

export type Unit = "count" | "nzd" | "grams";

export interface ReportRow {
  /** The row's labels, one per `labelHeaders` entry. */
  labels: string[];
  current: number;
  previous: number;
  /** current − previous. */
  change: number;
  /** change / previous, or null when there was nothing the quarter before. */
  changeRatio: number | null;
  /** The total row of its table. */
  total?: boolean;
  /** When not the table's unit. */
  unit?: Unit;
}

export interface ReportTable {
  id: TableId;
  caption: string;
  /** What the figures count, in a sentence (the HTML's table description). */
  description: string;
  labelHeaders: string[];
  unit: Unit;
  rows: ReportRow[];
}

export const TABLE_IDS = ["operations", "referrals", "services", "funding", "drug_harm", "border_seizures", "exploitation", "disclosures", "denials", "refusals", "anomalies"] as const;
export type TableId = (typeof TABLE_IDS)[number];

export interface QuarterlyReport {
  quarter: string;
  previousQuarter: string;
  /** First instant and the next quarter's first instant (ISO; New Zealand calendar quarters). */
  from: string;
  to: string;
  region: string;
  regionName: string;
  tables: ReportTable[];
}

const row = (labels: string[], current: number, previous: number, total = false, unit?: Unit): ReportRow => {
  const change = round(current - previous);
  return { labels, current: round(current), previous: round(previous), change, changeRatio: previous === 0 ? null : round(change / previous, 4), ...(total ? { total } : {}), ...(unit ? { unit } : {}) };
};
const round = (x: number, places = 2) => Math.round(x * 10 ** places) / 10 ** places;

/** "whanau_navigation" → "Whānau navigation": codes as readers say them. */
export function labelOf(code: string): string {
  if (code === "") return "Unspecified";
  const words = code.replaceAll("_", " ").replace(/\bwhanau\b/g, "whānau").replace(/\bmdma\b/g, "MDMA");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

type Sums = Map<string, number>;
const key = (measure: string, category: string) => `${measure}\u0000${category}`;

function sums(rows: readonly PublishRow[]): Sums {
  const out: Sums = new Map();
  for (const r of rows) {
    for (const o of r.outcome) {
      out.set(key(o.measure, o.category), (out.get(key(o.measure, o.category)) ?? 0) + o.value);
      out.set(key(o.measure, "*"), (out.get(key(o.measure, "*")) ?? 0) + o.value);
    }
  }
  return out;
}
const get = (s: Sums, measure: string, category = "*") => s.get(key(measure, category)) ?? 0;
const categories = (a: Sums, b: Sums, measure: string) =>
  [...new Set([...a.keys(), ...b.keys()].filter((k) => k.startsWith(`${measure}\u0000`)).map((k) => k.split("\u0000")[1]!).filter((c) => c !== "*"))].sort();

/** A table of one measure by category, with a total row. */
function byCategory(cur: Sums, prev: Sums, measure: string, totalLabel: string): ReportRow[] {
  const rows = categories(cur, prev, measure).map((c) => row([labelOf(c)], get(cur, measure, c), get(prev, measure, c)));
  return [...rows, row([totalLabel], get(cur, measure), get(prev, measure), true)];
}

/** Counts of rows by a key built from each. */
function countBy<T>(rows: readonly T[], keyOf: (r: T) => string | null, weight: (r: T) => number = () => 1): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) {
    const k = keyOf(r);
    if (k !== null) out.set(k, (out.get(k) ?? 0) + weight(r));
  }
  return out;
}

function keyedRows(cur: Map<string, number>, prev: Map<string, number>, split: (k: string) => string[], totalLabels: string[]): ReportRow[] {
  const keys = [...new Set([...cur.keys(), ...prev.keys()])].sort();
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return [...keys.map((k) => row(split(k), cur.get(k) ?? 0, prev.get(k) ?? 0)), row(totalLabels, total(cur), total(prev), true)];
}

const WEEK_MS = 7 * 86_400_000;

/**
 * Anomalies over the quarter: each week of it judged (oversight/anomaly.ts,
 * its default rules) against the weeks before it back to the start of the
 * previous quarter (weeks counted from `since`), per subscriber and metric
 * (allow, deny). Counted per subscriber and metric: how many weeks were flagged.
 */
export function weeklyAnomalies(decisions: readonly DecisionRow[], since: Date, from: Date, to: Date): Map<string, number> {
  const weeks = Math.ceil((to.getTime() - since.getTime()) / WEEK_MS);
  const series = new Map<string, Series>();
  for (const d of decisions) {
    const w = Math.floor((d.at.getTime() - since.getTime()) / WEEK_MS);
    if (w < 0 || w >= weeks) continue;
    const k = `${d.subscriberId}|${d.outcome}`;
    let s = series.get(k);
    if (!s) series.set(k, (s = { subscriberId: d.subscriberId, metric: d.outcome, counts: new Array(weeks).fill(0) }));
    s.counts[w]!++;
  }
  const out = new Map<string, number>();
  const first = Math.max(1, Math.floor((from.getTime() - since.getTime()) / WEEK_MS));
  for (let w = first; w < weeks; w++) {
    const judged = [...series.values()].map((s) => ({ ...s, counts: s.counts.slice(0, w + 1) }));
    for (const a of flagAnomalies(judged)) out.set(`${a.subscriber_id}|${a.metric}`, (out.get(`${a.subscriber_id}|${a.metric}`) ?? 0) + 1);
  }
  return out;
}

export interface ReportInput {
  quarter: Quarter;
  previous: Quarter;
  /** A district code (DISTRICTS) or "national". */
  region: string;
  /** Rows dated in the quarter, and in the previous quarter (any region: narrowed here). */
  current: QuarterRows;
  prior: QuarterRows;
}

const inside = (q: Quarter) => (r: { at: Date }) => r.at.getTime() >= q.from.getTime() && r.at.getTime() < q.to.getTime();

export function buildReport(input: ReportInput): QuarterlyReport {
  const { quarter, previous, region } = input;
  const national = region === NATIONAL;
  if (!national && !DISTRICTS.has(region)) throw new RangeError(`unknown region ${region}`);
  const here = (r: { region: string }) => national || r.region === region;
  const pick = (rows: QuarterRows, q: Quarter): QuarterRows => ({
    publishes: rows.publishes.filter((r) => here(r) && inside(q)(r)),
    decisions: rows.decisions.filter((r) => here(r) && inside(q)(r)),
    refusals: national ? rows.refusals.filter(inside(q)) : [],
  });
  const cur = pick(input.current, quarter);
  const prev = pick(input.prior, previous);
  const sc = sums(cur.publishes);
  const sp = sums(prev.publishes);
  const measureRow = (label: string, measure: string, category = "*", scale = 1, unit?: Unit) => row([label], get(sc, measure, category) * scale, get(sp, measure, category) * scale, false, unit);

  const tables: ReportTable[] = [
    {
      id: "operations",
      caption: "Operations resolved and support notices",
      description: "From Police operation updates published in the quarter: operations reaching resolution or concluded, their arrests, charges, the families and children affected, and the de-identified support notices (a resolution or conclusion naming support needed); firearms seizures.",
      labelHeaders: ["Measure"],
      unit: "count",
      rows: [
        measureRow("Operations resolved (arrests made)", "operations_resolved"),
        measureRow("Operations concluded", "operations_concluded"),
        measureRow("Arrests", "arrests"),
        measureRow("Charges", "charges"),
        measureRow("Families affected", "families_affected"),
        measureRow("Children affected", "children_affected"),
        measureRow("Support notices sent", "support_notices"),
        measureRow("Firearms seizures", "firearms_seizures"),
        measureRow("Firearms seized", "firearms"),
      ],
    },
    {
      id: "referrals",
      caption: "Support needed, whānau referrals by service",
      description: "Support services named in operation notices, and MSD whānau-support referrals published in the quarter with the whānau and children referred.",
      labelHeaders: ["Service", "Measure"],
      unit: "count",
      rows: [
        ...categories(sc, sp, "support_needed").map((c) => row([labelOf(c), "Named in support notices"], get(sc, "support_needed", c), get(sp, "support_needed", c))),
        ...categories(sc, sp, "referrals").flatMap((c) => [
          row([labelOf(c), "Referrals"], get(sc, "referrals", c), get(sp, "referrals", c)),
          row([labelOf(c), "Whānau referred"], get(sc, "referred_whanau", c), get(sp, "referred_whanau", c)),
          row([labelOf(c), "Children referred"], get(sc, "referred_children", c), get(sp, "referred_children", c)),
        ]),
        row(["All services", "Referrals"], get(sc, "referrals"), get(sp, "referrals"), true),
      ],
    },
    {
      id: "services",
      caption: "People served by service",
      description: "People served as reported by MSD community-resilience reports published in the quarter (a person served by two services counts in each).",
      labelHeaders: ["Service"],
      unit: "count",
      rows: byCategory(sc, sp, "people_served", "All services"),
    },
    {
      id: "funding",
      caption: "Funding and people served",
      description: "Funding reported by MSD community-resilience reports published in the quarter, the people they served and the sessions delivered.",
      labelHeaders: ["Measure"],
      unit: "count",
      rows: [measureRow("Funding reported (NZD)", "funding_cents", "*", 0.01, "nzd"), measureRow("People served", "people_served"), measureRow("Sessions delivered", "sessions")],
    },
    {
      id: "drug_harm",
      caption: "Drug-harm indicators: wastewater testing",
      description: "Police wastewater indicators published in the quarter: samples, and the mean estimated weekly consumption per sample, by drug.",
      labelHeaders: ["Drug", "Measure"],
      unit: "count",
      rows: categories(sc, sp, "wastewater_samples").flatMap((c) => {
        const mean = (s: Sums) => (get(s, "wastewater_samples", c) === 0 ? 0 : get(s, "wastewater_grams", c) / get(s, "wastewater_samples", c));
        return [row([labelOf(c), "Samples"], get(sc, "wastewater_samples", c), get(sp, "wastewater_samples", c)), row([labelOf(c), "Mean estimated weekly grams"], mean(sc), mean(sp), false, "grams")];
      }),
    },
    {
      id: "border_seizures",
      caption: "Border seizures by commodity",
      description: "Customs border seizures published in the quarter: seizures and grams seized, by commodity.",
      labelHeaders: ["Commodity", "Measure"],
      unit: "count",
      rows: categories(sc, sp, "border_seizures").flatMap((c) => [
        row([labelOf(c), "Seizures"], get(sc, "border_seizures", c), get(sp, "border_seizures", c)),
        row([labelOf(c), "Grams seized"], get(sc, "seized_grams", c), get(sp, "seized_grams", c), false, "grams"),
      ]),
    },
    {
      id: "exploitation",
      caption: "Migrant-exploitation complaints by industry",
      description: "MBIE migrant-exploitation complaints published in the quarter by industry, the workers they concern, and trafficking cases.",
      labelHeaders: ["Industry", "Measure"],
      unit: "count",
      rows: [
        ...categories(sc, sp, "exploitation_complaints").map((c) => row([labelOf(c), "Complaints"], get(sc, "exploitation_complaints", c), get(sp, "exploitation_complaints", c))),
        row(["All industries", "Complaints"], get(sc, "exploitation_complaints"), get(sp, "exploitation_complaints"), true),
        row(["All industries", "Workers affected"], get(sc, "workers_affected"), get(sp, "workers_affected"), true),
        row(["All industries", "Trafficking cases"], get(sc, "trafficking_cases"), get(sp, "trafficking_cases"), true),
      ],
    },
    {
      id: "disclosures",
      caption: "Disclosures by partner and legal basis",
      description: "Decisions in the quarter that let a partner have an event (outcome allow), by subscriber and the legal basis relied on.",
      labelHeaders: ["Partner", "Legal basis"],
      unit: "count",
      rows: keyedRows(
        countBy(cur.decisions, (d) => (d.outcome === "allow" ? `${d.subscriberId}\u0000${d.legalBasis}` : null)),
        countBy(prev.decisions, (d) => (d.outcome === "allow" ? `${d.subscriberId}\u0000${d.legalBasis}` : null)),
        (k) => k.split("\u0000").map((x, i) => (i === 1 && x === "" ? "(none recorded)" : x)),
        ["All partners", "All bases"],
      ),
    },
    {
      id: "denials",
      caption: "Denials by partner",
      description: "Decisions in the quarter that refused a partner an event (outcome deny), by subscriber.",
      labelHeaders: ["Partner"],
      unit: "count",
      rows: keyedRows(countBy(cur.decisions, (d) => (d.outcome === "deny" ? d.subscriberId : null)), countBy(prev.decisions, (d) => (d.outcome === "deny" ? d.subscriberId : null)), (k) => [k], ["All partners"]),
    },
    ...(national
      ? [
          {
            id: "refusals" as const,
            caption: "Refusals at the mesh's doors",
            description: "Refusal records (one identified caller refused) and refusal summaries (unauthenticated refusals counted per window) in the quarter, by service and code. National only: a refusal has no region.",
            labelHeaders: ["Service", "Code"],
            unit: "count" as const,
            rows: keyedRows(
              countBy(cur.refusals, (r) => `${r.service}\u0000${r.code}`, (r) => r.count),
              countBy(prev.refusals, (r) => `${r.service}\u0000${r.code}`, (r) => r.count),
              (k) => k.split("\u0000"),
              ["All services", "All codes"],
            ),
          },
        ]
      : []),
    {
      id: "anomalies",
      caption: "Anomalies: weeks a partner's volume was far above its baseline",
      description: "Weeks of the quarter in which a partner's allowed or denied decisions were flagged as anomalous against its own earlier weeks (at least 10, at least 3 times the mean, more than 3 standard deviations above it).",
      labelHeaders: ["Partner", "Metric"],
      unit: "count",
      rows: keyedRows(
        weeklyAnomalies([...prev.decisions, ...cur.decisions], previous.from, quarter.from, quarter.to),
        // The previous quarter judged the same way, against its own earlier weeks only.
        weeklyAnomalies(prev.decisions, previous.from, previous.from, previous.to),
        (k) => k.split("|"),
        ["All partners", "All metrics"],
      ),
    },
  ];
  return {
    quarter: quarter.id,
    previousQuarter: previous.id,
    from: quarter.from.toISOString(),
    to: quarter.to.toISOString(),
    region,
    regionName: national ? "New Zealand (all districts)" : DISTRICTS.get(region)!,
    tables,
  };
}
