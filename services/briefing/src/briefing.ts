import { GUIDANCE, label, SERVICE_DESCRIPTIONS, type Contact } from "./guidance.js";
import { periodLabel, periodOf, shiftPeriod, type Period } from "./periods.js";
import type { Region } from "./regions.js";
import type { Band } from "./inputs.js";
import { protectAmount, protectChange, protectTable, type PublishedChange, type PublishedCount } from "./sdc/index.js";
import type { AggregateStore } from "./store.js";
import type { TierRules } from "./tiers.js";

/**
 * A briefing: for one tier, region and period, every section with its figures
 * already through disclosure control — nothing in it is a true count — and its
 * plain-language text. The HTML page, the JSON API and the weekly digest are
 * all renderings of this one value. Pure.
 */

export const BRIEFING_SCHEMA = "takitini.briefing.v1";

export interface Column {
  code: string;
  label: string;
}

export interface PublishedSum {
  id: string;
  label: string;
  unit: string;
  values: PublishedCount[];
  total: PublishedCount;
}

export interface PublishedTable {
  id: string;
  title: string;
  /** What is counted, e.g. "seizures". */
  unit: string;
  columns: Column[];
  values: PublishedCount[];
  total: PublishedCount;
  sums: PublishedSum[];
}

export interface TrendPoint {
  period: string;
  label: string;
  value: PublishedCount;
}

export interface Trend {
  id: string;
  title: string;
  unit: string;
  points: TrendPoint[];
}

export interface WastewaterTrend {
  drug: string;
  label: string;
  /** Mean estimated grams a week in the briefing's window and the window before, rounded. */
  current: PublishedCount;
  previous: PublishedCount;
  change: PublishedChange;
}

/**
 * A notice's count, as the band the exchange sent (never the number): the
 * lowest band, under 6, is shown suppressed as a table's small cell is.
 */
export type PublishedBand = { suppressed: true } | { suppressed: false; band: Band; label: string };

const BAND_LABEL: Record<Band, string> = { fewer_than_6: "fewer than 6", "6_to_9": "6–9", "10_to_19": "10–19", "20_to_49": "20–49", "50_to_99": "50–99", "100_or_more": "100 or more" };

export const publishedBand = (b: Band): PublishedBand => (b === "fewer_than_6" ? { suppressed: true } : { suppressed: false, band: b, label: BAND_LABEL[b] });

export interface PublishedNotice {
  week: string;
  phase: "resolution" | "concluded";
  stage: string;
  families: PublishedBand;
  children: PublishedBand;
  support: Column[];
}

export interface Section {
  id: "drugs" | "exploitation" | "fraud" | "support" | "operations";
  title: string;
  available: boolean;
  /** Why there are no figures, when `available` is false. */
  unavailable?: string;
  /** What is happening, from the published figures only. */
  summary: string[];
  drivers: string[];
  watchFor: string[];
  report: Contact[];
  tables: PublishedTable[];
  trends: Trend[];
  wastewater?: { window: string; previousWindow: string; drugs: WastewaterTrend[] };
  notices?: PublishedNotice[];
  services?: (Column & { description: string })[];
}

export interface Briefing {
  schema: typeof BRIEFING_SCHEMA;
  tier: TierRules["tier"];
  region: { slug: string; code: string; name: string };
  period: Period & { label: string };
  disclosureControl: { threshold: number; rounding: string; notes: string[] };
  sections: Section[];
}

interface SumSpec {
  id: string;
  measure: string;
  label: string;
  unit: string;
  /** people: a count, hidden when too few records are behind it; amount: grams, rounded to the tier's base. */
  kind: "people" | "amount";
}

interface TableSpec {
  id: string;
  title: string;
  eventType: string;
  measure: string;
  unit: string;
  /** records: each record adds 1; people: the measure is already a number of people (e.g. people served). */
  kind: "records" | "people";
  categories: string[];
  sums: SumSpec[];
}

const COMMODITIES = ["methamphetamine", "cocaine", "mdma", "precursors", "firearms", "counterfeit_goods"];
const INDUSTRIES = ["horticulture", "construction", "hospitality", "beauty_services", "agriculture", "cleaning", "retail", "other"];
const SERVICES = ["addiction_treatment", "whanau_navigation", "rangatahi_mentoring", "reintegration", "harm_reduction"];
const WASTEWATER_DRUGS = ["methamphetamine", "cocaine", "mdma"];

export const TABLES = {
  borderSeizures: {
    id: "border-seizures",
    title: "Border seizures by Customs, by what was seized",
    eventType: "customs.border_seizure",
    measure: "seizures",
    unit: "seizures",
    kind: "records",
    categories: COMMODITIES,
    sums: [{ id: "grams", measure: "grams", label: "Amount seized (grams)", unit: "grams", kind: "amount" }],
  },
  firearmsSeizures: {
    id: "firearms-seizures",
    title: "Firearms seizures by Police",
    eventType: "police.firearms_seizure",
    measure: "seizures",
    unit: "seizures",
    kind: "records",
    categories: ["firearms"],
    sums: [{ id: "firearms", measure: "firearms", label: "Firearms seized", unit: "firearms", kind: "people" }],
  },
  complaints: {
    id: "exploitation-complaints",
    title: "Migrant-exploitation complaints to MBIE, by industry",
    eventType: "mbie.exploitation_complaint",
    measure: "complaints",
    unit: "complaints",
    kind: "records",
    categories: INDUSTRIES,
    sums: [{ id: "workers", measure: "workers", label: "Workers affected", unit: "workers", kind: "people" }],
  },
  referrals: {
    id: "support-referrals",
    title: "Whānau-support referrals by MSD, by service",
    eventType: "msd.whanau_support_referral",
    measure: "referrals",
    unit: "referrals",
    kind: "records",
    categories: SERVICES,
    sums: [
      { id: "whanau", measure: "whanau", label: "Whānau referred", unit: "whānau", kind: "people" },
      { id: "children", measure: "children", label: "Children in those whānau", unit: "children", kind: "people" },
    ],
  },
  peopleServed: {
    id: "people-served",
    title: "People served by community-resilience programmes, by service",
    eventType: "msd.community_resilience_report",
    measure: "people_served",
    unit: "people",
    kind: "people",
    categories: SERVICES,
    sums: [{ id: "sessions", measure: "sessions", label: "Sessions delivered", unit: "sessions", kind: "people" }],
  },
} as const satisfies Record<string, TableSpec>;

export interface BriefingInput {
  store: AggregateStore;
  region: Region;
  periodId: string;
  rules: TierRules;
  secret: Uint8Array;
  /** Event types the tier's subscriber receives under the policy (aggregate or de-identified). */
  received: ReadonlySet<string>;
}

const SUPPRESSED_NOTE = "“s” means suppressed: too few to publish safely, or hidden so that a small number cannot be worked out from the others.";

export function assembleBriefing(input: BriefingInput): Briefing {
  const { region, rules } = input;
  const period = periodOf(rules.period, input.periodId);
  const ctx = { ...input, period };
  return {
    schema: BRIEFING_SCHEMA,
    tier: rules.tier,
    region: { slug: region.slug, code: region.code, name: region.name },
    period: { ...period, label: periodLabel(period) },
    disclosureControl: {
      threshold: rules.threshold,
      rounding: "random rounding to base 3, the same for the same figure in every request",
      notes: [
        `Counts under ${rules.threshold} are suppressed (“s”), and further cells where needed so that totals cannot reveal them.`,
        "Every published count is randomly rounded to a multiple of 3 (1 and 2 become 3, never 0); totals are rounded separately, so they may not add up.",
        `Amounts seized are rounded to the nearest ${rules.gramsBase >= 1000 ? `${rules.gramsBase / 1000} kg` : `${rules.gramsBase} g`} or so; changes in wastewater to ${rules.wastewater.percentBase} percentage points.`,
        SUPPRESSED_NOTE,
      ],
    },
    sections: [drugs(ctx), exploitation(ctx), fraud(), support(ctx), operations(ctx)],
  };
}

type Ctx = BriefingInput & { period: Period };

// --- tables -----------------------------------------------------------------

function columnsFor(spec: TableSpec, ctx: Ctx): { columns: string[]; members: Map<string, string[]> } {
  const merge = ctx.rules.merge[spec.id] ?? {};
  const seen = ctx.store.categories(ctx.region.code, spec.eventType, spec.measure);
  const raw = [...spec.categories, ...seen.filter((c) => !spec.categories.includes(c))];
  const members = new Map<string, string[]>();
  for (const c of raw) {
    const m = merge[c] ?? c;
    members.set(m, [...(members.get(m) ?? []), c]);
  }
  return { columns: [...members.keys()], members };
}

/** One table for one period: counts per column, and each sum, through disclosure control. */
export function publishTable(spec: TableSpec, ctx: Ctx, period: Period = ctx.period): PublishedTable {
  const { columns, members } = columnsFor(spec, ctx);
  const weeks = period.weeks;
  const total = (measure: string, cats: string[], pick: "sum" | "records") =>
    weeks.reduce((s, w) => s + cats.reduce((t, c) => t + ctx.store.cell(ctx.region.code, w, spec.eventType, measure, c)[pick], 0), 0);
  const rules = { threshold: ctx.rules.threshold, secret: ctx.secret };
  const key = `${ctx.rules.tier}/${ctx.region.code}/${spec.id}/${period.id}`;
  const records = columns.map((c) => total(spec.measure, members.get(c)!, "records"));
  const main =
    spec.kind === "records"
      ? protectTable({ key, rows: ["n"], cols: columns, counts: [records] }, rules)
      : protectTable({ key, rows: ["n"], cols: columns, counts: [columns.map((c) => Math.round(total(spec.measure, members.get(c)!, "sum")))] }, rules, { contributors: [records] });
  const sums: PublishedSum[] = spec.sums.map((s) => {
    const sumKey = `${key}/${s.id}`;
    const values = columns.map((c) => total(s.measure, members.get(c)!, "sum"));
    if (s.kind === "people") {
      const t = protectTable({ key: sumKey, rows: ["n"], cols: columns, counts: [values.map(Math.round)] }, rules, { contributors: [records] });
      return { id: s.id, label: s.label, unit: s.unit, values: t.cells[0]!, total: t.total };
    }
    return {
      id: s.id,
      label: s.label,
      unit: s.unit,
      values: values.map((v, i) => protectAmount(`${sumKey}|${columns[i]}`, v, main.cells[0]![i]!, ctx.rules.gramsBase, rules)),
      total: protectAmount(`${sumKey}|*`, values.reduce((a, b) => a + b, 0), main.total, ctx.rules.gramsBase, rules),
    };
  });
  return {
    id: spec.id,
    title: spec.title,
    unit: spec.unit,
    columns: columns.map((c) => ({ code: c, label: label(c) })),
    values: main.cells[0]!,
    total: main.total,
    sums,
  };
}

/** A table's total over the tier's trend window: each point is that period's own published total. */
export function publishTrend(spec: TableSpec, ctx: Ctx): Trend {
  const points: TrendPoint[] = [];
  for (let i = ctx.rules.trendPeriods - 1; i >= 0; i--) {
    const id = shiftPeriod(ctx.rules.period, ctx.period.id, -i);
    const p = periodOf(ctx.rules.period, id);
    points.push({ period: id, label: shortLabel(p), value: publishTable(spec, ctx, p).total });
  }
  return { id: `${spec.id}-trend`, title: `${spec.title}: ${ctx.rules.period === "week" ? "last 12 weeks" : `last ${ctx.rules.trendPeriods} quarters`}`, unit: spec.unit, points };
}

const shortLabel = (p: Period) => (p.kind === "week" ? `W${Number(p.id.slice(6))}` : `${p.id.slice(5)} ${p.id.slice(0, 4)}`);

// --- wording -----------------------------------------------------------------

const about = (p: PublishedCount) => (p.suppressed ? null : p.value);
const inPeriod = (ctx: Ctx) => (ctx.period.kind === "week" ? "this week" : "this quarter");

function countSentence(t: PublishedTable, what: string, ctx: Ctx): string {
  const n = about(t.total);
  if (n === null) return `${what} in ${ctx.region.name} ${inPeriod(ctx)}: too few to publish safely.`;
  if (n === 0) return `No ${what.toLowerCase()} were recorded in ${ctx.region.name} ${inPeriod(ctx)}.`;
  const largest = t.columns
    .map((c, i) => ({ c, v: about(t.values[i]!) }))
    .filter((x): x is { c: Column; v: number } => x.v !== null && x.v > 0)
    .sort((a, b) => b.v - a.v)[0];
  const lead = `${what} in ${ctx.region.name} ${inPeriod(ctx)}: about ${n}.`;
  return largest && t.columns.length > 1 ? `${lead} The largest published group was ${largest.c.label.toLowerCase()} (about ${largest.v}).` : lead;
}

function unavailable(id: Section["id"], title: string, why: string, guidance: (typeof GUIDANCE)[keyof typeof GUIDANCE]): Section {
  return { id, title, available: false, unavailable: why, summary: [why], drivers: guidance.drivers, watchFor: guidance.watchFor, report: guidance.report, tables: [], trends: [] };
}

const NOT_ON_TIER = "These figures are not released to this tier under the sharing policy.";

// --- sections ----------------------------------------------------------------

function drugs(ctx: Ctx): Section {
  const g = GUIDANCE.drugs;
  const tables: PublishedTable[] = [];
  const trends: Trend[] = [];
  const summary: string[] = [];
  if (ctx.received.has(TABLES.borderSeizures.eventType)) {
    const t = publishTable(TABLES.borderSeizures, ctx);
    tables.push(t);
    trends.push(publishTrend(TABLES.borderSeizures, ctx));
    summary.push(countSentence(t, "Customs border seizures", ctx));
  }
  if (ctx.received.has(TABLES.firearmsSeizures.eventType)) {
    const t = publishTable(TABLES.firearmsSeizures, ctx);
    tables.push(t);
    summary.push(countSentence(t, "Police firearms seizures", ctx));
  }
  let wastewater: Section["wastewater"];
  if (ctx.received.has("police.wastewater_indicator")) {
    wastewater = publishWastewater(ctx);
    for (const d of wastewater.drugs) {
      if (d.change.suppressed) continue;
      const how = d.change.direction === "steady" ? "about the same as" : `${d.change.direction} about ${Math.abs(d.change.percent)}% on`;
      summary.push(`Wastewater testing: estimated ${d.label.toLowerCase()} use is ${how} the previous quarter.`);
    }
    if (wastewater.drugs.every((d) => d.change.suppressed)) summary.push("Wastewater testing: not enough samples yet to compare with the previous quarter.");
  }
  if (tables.length === 0 && !wastewater) return unavailable("drugs", "Drug harm", NOT_ON_TIER, g);
  return { id: "drugs", title: "Drug harm", available: true, summary, drivers: g.drivers, watchFor: g.watchFor, report: g.report, tables, trends, ...(wastewater ? { wastewater } : {}) };
}

/** Wastewater: mean estimated weekly grams, briefing window (13 weeks, or the quarter) against the one before. */
export function publishWastewater(ctx: Ctx): NonNullable<Section["wastewater"]> {
  const windowWeeks = ctx.period.kind === "week" ? 13 : 0;
  const current = ctx.period.kind === "week" ? [...Array(windowWeeks).keys()].map((i) => shiftPeriod("week", ctx.period.id, -(windowWeeks - 1 - i))) : ctx.period.weeks;
  const previous =
    ctx.period.kind === "week"
      ? [...Array(windowWeeks).keys()].map((i) => shiftPeriod("week", ctx.period.id, -(2 * windowWeeks - 1 - i)))
      : periodOf("quarter", shiftPeriod("quarter", ctx.period.id, -1)).weeks;
  const w = ctx.rules.wastewater;
  const rules = { secret: ctx.secret };
  const mean = (weeks: string[], drug: string) => {
    const totals = weeks.map((wk) => ctx.store.cell(ctx.region.code, wk, "police.wastewater_indicator", "estimated_weekly_grams", drug)).filter((c) => c.records > 0);
    return { mean: totals.length === 0 ? 0 : totals.reduce((s, c) => s + c.sum, 0) / totals.length, samples: totals.length };
  };
  const key = `${ctx.rules.tier}/${ctx.region.code}/wastewater/${ctx.period.id}`;
  const grams = (k: string, m: { mean: number; samples: number }): PublishedCount =>
    m.samples < w.minSamples ? { value: null, suppressed: true, reason: "primary" } : protectAmount(k, m.mean, { value: 0, suppressed: false }, w.gramsBase, rules);
  return {
    window: `${current[0]} – ${current[current.length - 1]}`,
    previousWindow: `${previous[0]} – ${previous[previous.length - 1]}`,
    drugs: WASTEWATER_DRUGS.map((drug) => {
      const cur = mean(current, drug);
      const prev = mean(previous, drug);
      return {
        drug,
        label: label(drug),
        current: grams(`${key}/${drug}/current`, cur),
        previous: grams(`${key}/${drug}/previous`, prev),
        change: protectChange(`${key}/${drug}/change`, cur, prev, { minSamples: w.minSamples, base: w.percentBase, steadyWithin: w.steadyWithin }, rules),
      };
    }),
  };
}

function exploitation(ctx: Ctx): Section {
  const g = GUIDANCE.exploitation;
  if (!ctx.received.has(TABLES.complaints.eventType)) return unavailable("exploitation", "Migrant exploitation", NOT_ON_TIER, g);
  const t = publishTable(TABLES.complaints, ctx);
  return {
    id: "exploitation",
    title: "Migrant exploitation",
    available: true,
    summary: [countSentence(t, "Migrant-exploitation complaints", ctx)],
    drivers: g.drivers,
    watchFor: g.watchFor,
    report: g.report,
    tables: [t],
    trends: [publishTrend(TABLES.complaints, ctx)],
  };
}

function fraud(): Section {
  return unavailable(
    "fraud",
    "Fraud and scams",
    "No fraud or scam figures reach Takitini yet: no agency publishes fraud alerts into the mesh. This section will carry local figures when a feed is added; until then, here is how to spot a scam and where to report one.",
    GUIDANCE.fraud,
  );
}

function support(ctx: Ctx): Section {
  const g = GUIDANCE.support;
  const tables: PublishedTable[] = [];
  const trends: Trend[] = [];
  const summary: string[] = [];
  if (ctx.received.has(TABLES.referrals.eventType)) {
    const t = publishTable(TABLES.referrals, ctx);
    tables.push(t);
    trends.push(publishTrend(TABLES.referrals, ctx));
    summary.push(countSentence(t, "Whānau-support referrals", ctx));
  }
  let services: Section["services"];
  if (ctx.received.has(TABLES.peopleServed.eventType)) {
    const t = publishTable(TABLES.peopleServed, ctx);
    tables.push(t);
    summary.push(countSentence(t, "People served by community-resilience programmes", ctx));
    // Services running in the region in the last 13 weeks: which kinds exist, not how much.
    const recent = [...Array(13).keys()].map((i) => shiftPeriod("week", ctx.period.weeks[ctx.period.weeks.length - 1]!, -i));
    const running = SERVICES.filter((s) => recent.some((w) => ctx.store.cell(ctx.region.code, w, TABLES.peopleServed.eventType, "sessions", s).sum > 0));
    services = running.map((s) => ({ code: s, label: label(s), description: SERVICE_DESCRIPTIONS[s] ?? "" }));
    summary.push(services.length > 0 ? `Programmes running in ${ctx.region.name} in the last 13 weeks: ${services.map((s) => s.label.toLowerCase()).join(", ")}.` : `No community-resilience programme reported sessions in ${ctx.region.name} in the last 13 weeks.`);
  }
  if (tables.length === 0) return unavailable("support", "Support and services", NOT_ON_TIER, g);
  return { id: "support", title: "Support and services", available: true, summary, drivers: g.drivers, watchFor: g.watchFor, report: g.report, tables, trends, ...(services ? { services } : {}) };
}

function operations(ctx: Ctx): Section {
  const g = GUIDANCE.operations;
  if (!ctx.received.has("police.operation_update")) return unavailable("operations", "Operations and support notices", NOT_ON_TIER, g);
  // Each notice's counts arrive as bands (the exchange never sends the number), so
  // there is no total to publish and nothing to round: under 6 is shown suppressed.
  const notices = ctx.store
    .noticesIn(ctx.region.code, ctx.period.weeks)
    .sort((a, b) => (a.week < b.week ? -1 : a.week > b.week ? 1 : a.ref < b.ref ? -1 : 1));
  const published: PublishedNotice[] = notices.map((n) => ({
    week: n.week,
    phase: n.phase,
    stage: n.stage,
    families: publishedBand(n.families),
    children: publishedBand(n.children),
    support: n.support.map((s) => ({ code: s, label: label(s) })),
  }));
  const summary =
    published.length === 0
      ? [`No operation in ${ctx.region.name} reached resolution ${inPeriod(ctx)}.`]
      : [
          `Police operations in ${ctx.region.name} reached resolution or concluded ${inPeriod(ctx)}; each de-identified notice is listed below, with the families and children affected as a range.`,
          "Local providers have been told what support is needed (below).",
        ];
  return { id: "operations", title: "Operations and support notices", available: true, summary, drivers: g.drivers, watchFor: g.watchFor, report: g.report, tables: [], trends: [], notices: published };
}
