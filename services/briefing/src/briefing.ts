import { guidance, label, serviceDescription, type Contact, type Guidance } from "./guidance.js";
import { ENGLISH, messages, type Lang, type Messages } from "./messages.js";
import { periodLabel, periodOf, shiftPeriod, type Period } from "./periods.js";
import type { Region } from "./regions.js";
import type { AssessmentInput, Band } from "./inputs.js";
import { protectAmount, protectChange, protectTable, type PublishedChange, type PublishedCount } from "./sdc/index.js";
import { protectLocalities } from "./sdc/localities.js";
import type { AggregateStore, Cell } from "./store.js";
import type { TierRules } from "./tiers.js";

/**
 * A briefing: for one tier, region and period, every section with its figures
 * already through disclosure control — nothing in it is a true count — and its
 * plain-language text. The HTML page, the JSON API and the weekly digest are
 * all renderings of this one value, its words in the language asked for (the
 * catalogues in `locales/`; English by default). Pure.
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
  /** The headline count by town or suburb, when records in the period name a registered locality. */
  localities?: PublishedLocalities;
}

/**
 * A table's headline count by registered town or suburb, through the locality
 * rule (sdc/localities.ts): a locality shown only with at least the threshold,
 * everything else one "elsewhere" row, never one small locality alone in it.
 */
export interface PublishedLocalities {
  /** `<table id>-localities`. */
  id: string;
  title: string;
  /** What is counted, as the table's. */
  unit: string;
  /** The localities shown, in name order (the locality table's spelling). */
  rows: { locality: string; value: PublishedCount }[];
  /** Everything else in the district: smaller localities, and records naming no registered one. */
  elsewhere: { label: string; value: PublishedCount };
  /** The district's total: the table's own published total, the same cell. */
  total: PublishedCount;
  /** The rule, in the briefing's language. */
  note: string;
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

/** One treatment site's trends (sites the exchange named: registered, catchment large enough). */
export interface SiteWastewater {
  site: string;
  /** The drugs sampled at the site in either window. */
  drugs: WastewaterTrend[];
}

/**
 * A notice's count, as the band the exchange sent (never the number): the
 * lowest band, under 6, is shown suppressed as a table's small cell is.
 */
export type PublishedBand = { suppressed: true } | { suppressed: false; band: Band; label: string };

export const publishedBand = (b: Band, m: Messages): PublishedBand => (b === "fewer_than_6" ? { suppressed: true } : { suppressed: false, band: b, label: m.t(`band.${b}`) });

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
  wastewater?: { window: string; previousWindow: string; drugs: WastewaterTrend[]; sites: SiteWastewater[] };
  notices?: PublishedNotice[];
  services?: (Column & { description: string })[];
}

/** An agency's assessment as a leader's briefing shows it: the approved text, never more; the agency's name in the briefing's language. */
export type PublishedAssessment = Omit<AssessmentInput, "kind" | "deliveryId" | "region"> & { agencyName: string };

/** How many assessments a briefing shows: the latest whose period has begun by the briefing period's end. */
export const ASSESSMENTS_SHOWN = 3;

export interface Briefing {
  schema: typeof BRIEFING_SCHEMA;
  tier: TierRules["tier"];
  region: { slug: string; code: string; name: string };
  period: Period & { label: string };
  disclosureControl: { threshold: number; rounding: string; notes: string[] };
  sections: Section[];
  /** Leaders only (the policy releases none to the public tier); absent when there are none. */
  assessments?: PublishedAssessment[];
}

/** A sum's label is the catalogue's `table.<table id>.<sum id>`. */
interface SumSpec {
  id: string;
  measure: string;
  unit: string;
  /** people: a count, hidden when too few records are behind it; amount: grams (or dollars), rounded to the tier's base. */
  kind: "people" | "amount";
  /** An amount's base: the tier's grams (default) or dollars. */
  base?: "grams" | "dollars";
}

/** A table's title is the catalogue's `table.<id>`. */
interface TableSpec {
  id: string;
  eventType: string;
  measure: string;
  unit: string;
  /** records: each record adds 1; people: the measure is already a number of people (e.g. people served). */
  kind: "records" | "people";
  categories: string[];
  sums: SumSpec[];
  /** False for a second table of the same records by another column (its localities would repeat the first's). */
  localities?: boolean;
}

const COMMODITIES = ["methamphetamine", "cocaine", "mdma", "precursors", "firearms", "counterfeit_goods"];
const INDUSTRIES = ["horticulture", "construction", "hospitality", "beauty_services", "agriculture", "cleaning", "retail", "other"];
const SERVICES = ["addiction_treatment", "whanau_navigation", "rangatahi_mentoring", "reintegration", "harm_reduction"];
const WASTEWATER_DRUGS = ["methamphetamine", "cocaine", "mdma"];
const SCAM_CATEGORIES = ["investment", "romance", "employment", "impersonation", "online_shopping", "phishing_remote_access", "other"];
const SCAM_CHANNELS = ["phone_call", "text_message", "email", "social_media", "online_marketplace", "in_person", "other"];
const REPORTING_SECTORS = ["bank", "money_service", "casino", "real_estate", "lawyer", "accountant", "high_value_dealer", "virtual_asset_provider", "other"];
const TYPOLOGIES = ["structuring", "rapid_movement_of_funds", "trade_based_laundering", "cash_intensive_business", "money_mule_accounts", "virtual_asset_conversion", "scam_proceeds", "other"];
const ASSET_CLASSES = ["cash", "vehicle", "real_property", "bank_account", "virtual_assets", "business", "other"];

export const TABLES = {
  borderSeizures: {
    id: "border-seizures",
    eventType: "customs.border_seizure",
    measure: "seizures",
    unit: "seizures",
    kind: "records",
    categories: COMMODITIES,
    sums: [{ id: "grams", measure: "grams", unit: "grams", kind: "amount" }],
  },
  firearmsSeizures: {
    id: "firearms-seizures",
    eventType: "police.firearms_seizure",
    measure: "seizures",
    unit: "seizures",
    kind: "records",
    categories: ["firearms"],
    sums: [{ id: "firearms", measure: "firearms", unit: "firearms", kind: "people" }],
  },
  complaints: {
    id: "exploitation-complaints",
    eventType: "mbie.exploitation_complaint",
    measure: "complaints",
    unit: "complaints",
    kind: "records",
    categories: INDUSTRIES,
    sums: [{ id: "workers", measure: "workers", unit: "workers", kind: "people" }],
  },
  referrals: {
    id: "support-referrals",
    eventType: "msd.whanau_support_referral",
    measure: "referrals",
    unit: "referrals",
    kind: "records",
    categories: SERVICES,
    sums: [
      { id: "whanau", measure: "whanau", unit: "whānau", kind: "people" },
      { id: "children", measure: "children", unit: "children", kind: "people" },
    ],
  },
  peopleServed: {
    id: "people-served",
    eventType: "msd.community_resilience_report",
    measure: "people_served",
    unit: "people",
    kind: "people",
    categories: SERVICES,
    sums: [{ id: "sessions", measure: "sessions", unit: "sessions", kind: "people" }],
  },
  // Financial intelligence (the fraud and scams section): Police scam reports, the FIU's summaries of
  // suspicious activity reports, and Criminal Proceeds (Recovery) Act orders. Dollar values arrive
  // rounded by the exchange (services/exchange/src/aggregate.ts) and are rounded again to the tier's base.
  scamReports: {
    id: "scam-reports",
    eventType: "police.scam_report",
    measure: "reports",
    unit: "reports",
    kind: "records",
    categories: SCAM_CATEGORIES,
    sums: [{ id: "loss", measure: "loss_nzd", unit: "dollars", kind: "amount", base: "dollars" }],
  },
  scamChannels: {
    id: "scam-channels",
    eventType: "police.scam_report",
    measure: "reports_by_channel",
    unit: "reports",
    kind: "records",
    categories: SCAM_CHANNELS,
    sums: [],
    localities: false,
  },
  suspiciousActivity: {
    id: "suspicious-activity",
    eventType: "police.fiu_suspicious_activity",
    measure: "reports",
    unit: "reports",
    // Each summary adds its number of reports; a cell is shown only when enough summaries are behind it.
    kind: "people",
    categories: REPORTING_SECTORS,
    sums: [],
  },
  typologies: {
    id: "suspicious-activity-typologies",
    eventType: "police.fiu_suspicious_activity",
    measure: "reports_by_typology",
    unit: "reports",
    kind: "people",
    categories: TYPOLOGIES,
    sums: [],
  },
  assetsRestrained: {
    id: "assets-restrained",
    eventType: "police.asset_restraint",
    measure: "assets_restrained",
    unit: "assets",
    // Each order adds its assets of the class; a cell is shown only when enough orders are behind it.
    kind: "people",
    categories: ASSET_CLASSES,
    sums: [{ id: "value", measure: "value_nzd_restrained", unit: "dollars", kind: "amount", base: "dollars" }],
  },
  assetsForfeited: {
    id: "assets-forfeited",
    eventType: "police.asset_restraint",
    measure: "assets_forfeited",
    unit: "assets",
    kind: "people",
    categories: ASSET_CLASSES,
    sums: [{ id: "value", measure: "value_nzd_forfeited", unit: "dollars", kind: "amount", base: "dollars" }],
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
  /** The language of its words (default English). */
  lang?: Lang;
}

export function assembleBriefing(input: BriefingInput): Briefing {
  const { region, rules } = input;
  const period = periodOf(rules.period, input.periodId);
  const m = input.lang ? messages(input.lang) : ENGLISH;
  const ctx = { ...input, period, m };
  return {
    schema: BRIEFING_SCHEMA,
    tier: rules.tier,
    region: { slug: region.slug, code: region.code, name: region.name },
    period: { ...period, label: periodLabel(period, m) },
    disclosureControl: {
      threshold: rules.threshold,
      rounding: m.t("dc.rounding"),
      notes: [
        m.t("dc.suppressed", { threshold: rules.threshold }),
        m.t("dc.rounded"),
        m.t("dc.amounts", { amount: rules.gramsBase >= 1000 ? `${rules.gramsBase / 1000} kg` : `${rules.gramsBase} g`, points: rules.wastewater.percentBase }),
        m.t("dc.dollars", { dollars: `$${rules.dollarsBase.toLocaleString("en-NZ")}` }),
        m.t("dc.s"),
      ],
    },
    sections: [drugs(ctx), exploitation(ctx), fraud(ctx), support(ctx), operations(ctx)],
    ...assessments(ctx),
  };
}

/** A leader's briefing: the region's latest assessments whose period began by the period's last day. */
function assessments(ctx: Ctx): Pick<Briefing, "assessments"> {
  if (ctx.rules.tier !== "community_leader") return {};
  const shown = ctx.store
    .assessmentsIn(ctx.region.code)
    .filter((a) => a.periodStart <= ctx.period.to)
    .slice(0, ASSESSMENTS_SHOWN)
    .map(({ deliveryId: _id, region: _region, kind: _kind, ...a }) => ({ ...a, agencyName: ctx.m.t(`assessments.agency.${a.agency}`) }));
  return shown.length > 0 ? { assessments: shown } : {};
}

type Ctx = BriefingInput & { period: Period; m: Messages };

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
      return { id: s.id, label: ctx.m.t(`table.${spec.id}.${s.id}`), unit: s.unit, values: t.cells[0]!, total: t.total };
    }
    const base = s.base === "dollars" ? ctx.rules.dollarsBase : ctx.rules.gramsBase;
    return {
      id: s.id,
      label: ctx.m.t(`table.${spec.id}.${s.id}`),
      unit: s.unit,
      values: values.map((v, i) => protectAmount(`${sumKey}|${columns[i]}`, v, main.cells[0]![i]!, base, rules)),
      total: protectAmount(`${sumKey}|*`, values.reduce((a, b) => a + b, 0), main.total, base, rules),
    };
  });
  const localities = spec.kind === "records" && spec.localities !== false ? publishLocalities(spec, ctx, period, records.reduce((a, b) => a + b, 0), main.total) : undefined;
  return {
    id: spec.id,
    title: ctx.m.t(`table.${spec.id}`),
    unit: spec.unit,
    columns: columns.map((c) => ({ code: c, label: label(c, ctx.m) })),
    values: main.cells[0]!,
    total: main.total,
    sums,
    ...(localities && { localities }),
  };
}

/**
 * A records table's count by registered locality for one period, or undefined
 * when no record in it names one: the district's true total and each
 * locality's records through the locality rule (sdc/localities.ts), the total
 * the table's own published one.
 */
function publishLocalities(spec: TableSpec, ctx: Ctx, period: Period, total: number, publishedTotal: PublishedCount): PublishedLocalities | undefined {
  const region = ctx.region.code;
  const counts = ctx.store
    .localitiesIn(region)
    .map((locality) => ({ locality, count: period.weeks.reduce((s, w) => s + ctx.store.localityCell(region, locality, w, spec.eventType, spec.measure).records, 0) }))
    .filter((l) => l.count > 0);
  if (counts.length === 0) return undefined;
  const id = `${spec.id}-localities`;
  const p = protectLocalities({ key: `${ctx.rules.tier}/${region}/${id}/${period.id}`, total, localities: counts, publishedTotal }, { threshold: ctx.rules.threshold, secret: ctx.secret });
  const title = ctx.m.has(`table.${id}`) ? ctx.m.t(`table.${id}`) : ctx.m.t("localities.caption", { title: ctx.m.t(`table.${spec.id}`) });
  return {
    id,
    title,
    unit: spec.unit,
    rows: p.shown,
    elsewhere: { label: ctx.m.t("localities.elsewhere", { region: ctx.region.name }), value: p.elsewhere },
    total: publishedTotal,
    note: ctx.m.t("localities.note", { threshold: ctx.rules.threshold }),
  };
}

/** A table's total over the tier's trend window: each point is that period's own published total. */
export function publishTrend(spec: TableSpec, ctx: Ctx): Trend {
  const points: TrendPoint[] = [];
  for (let i = ctx.rules.trendPeriods - 1; i >= 0; i--) {
    const id = shiftPeriod(ctx.rules.period, ctx.period.id, -i);
    const p = periodOf(ctx.rules.period, id);
    points.push({ period: id, label: shortLabel(p, ctx.m), value: publishTable(spec, ctx, p).total });
  }
  const title = ctx.m.t(ctx.rules.period === "week" ? "trend.weeks" : "trend.quarters", { title: ctx.m.t(`table.${spec.id}`), n: ctx.rules.trendPeriods });
  return { id: `${spec.id}-trend`, title, unit: spec.unit, points };
}

const shortLabel = (p: Period, m: Messages) =>
  p.kind === "week" ? m.t("period.weekShort", { n: Number(p.id.slice(6)) }) : m.t("period.quarterShort", { n: p.id.slice(6), year: p.id.slice(0, 4) });

// --- wording -----------------------------------------------------------------

const about = (p: PublishedCount) => (p.suppressed ? null : p.value);
const inPeriod = (ctx: Ctx) => ctx.m.t(ctx.period.kind === "week" ? "when.week" : "when.quarter");
/** A sentence may begin with a value put in lower case ("migrant-exploitation complaints in …"). */
const sentence = (s: string) => s.charAt(0).toLocaleUpperCase() + s.slice(1);

function countSentence(t: PublishedTable, subject: string, ctx: Ctx): string {
  const n = about(t.total);
  const what = { subject: ctx.m.t(`subject.${subject}`), region: ctx.region.name, when: inPeriod(ctx) };
  if (n === null) return sentence(ctx.m.t("summary.tooFew", what));
  if (n === 0) return sentence(ctx.m.t("summary.none", what));
  const largest = t.columns
    .map((c, i) => ({ c, v: about(t.values[i]!) }))
    .filter((x): x is { c: Column; v: number } => x.v !== null && x.v > 0)
    .sort((a, b) => b.v - a.v)[0];
  const lead = sentence(ctx.m.t("summary.about", { ...what, n }));
  return largest && t.columns.length > 1 ? `${lead} ${ctx.m.t("summary.largest", { label: largest.c.label, n: largest.v })}` : lead;
}

function unavailable(id: Section["id"], ctx: Ctx, why: string, g: Guidance): Section {
  return { id, title: ctx.m.t(`section.${id}`), available: false, unavailable: why, summary: [why], drivers: g.drivers, watchFor: g.watchFor, report: g.report, tables: [], trends: [] };
}

const notOnTier = (ctx: Ctx) => ctx.m.t("summary.notOnTier");

// --- sections ----------------------------------------------------------------

function drugs(ctx: Ctx): Section {
  const g = guidance("drugs", ctx.m);
  const tables: PublishedTable[] = [];
  const trends: Trend[] = [];
  const summary: string[] = [];
  if (ctx.received.has(TABLES.borderSeizures.eventType)) {
    const t = publishTable(TABLES.borderSeizures, ctx);
    tables.push(t);
    trends.push(publishTrend(TABLES.borderSeizures, ctx));
    summary.push(countSentence(t, "borderSeizures", ctx));
  }
  if (ctx.received.has(TABLES.firearmsSeizures.eventType)) {
    const t = publishTable(TABLES.firearmsSeizures, ctx);
    tables.push(t);
    summary.push(countSentence(t, "firearmsSeizures", ctx));
  }
  let wastewater: Section["wastewater"];
  if (ctx.received.has("police.wastewater_indicator")) {
    wastewater = publishWastewater(ctx);
    for (const d of wastewater.drugs) {
      if (d.change.suppressed) continue;
      summary.push(ctx.m.t(`summary.wastewater.${d.change.direction}`, { drug: ctx.m.t(`drug.${d.drug}`), percent: Math.abs(d.change.percent) }));
    }
    if (wastewater.drugs.every((d) => d.change.suppressed)) summary.push(ctx.m.t("summary.wastewater.notEnough"));
    for (const site of wastewater.sites) {
      for (const d of site.drugs) {
        if (d.change.suppressed || d.change.direction === "steady") continue;
        summary.push(ctx.m.t(`summary.wastewater.site.${d.change.direction}`, { site: site.site, drug: ctx.m.t(`drug.${d.drug}`), percent: Math.abs(d.change.percent) }));
      }
    }
  }
  if (tables.length === 0 && !wastewater) return unavailable("drugs", ctx, notOnTier(ctx), g);
  return { id: "drugs", title: ctx.m.t("section.drugs"), available: true, summary, drivers: g.drivers, watchFor: g.watchFor, report: g.report, tables, trends, ...(wastewater ? { wastewater } : {}) };
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
  const TYPE = "police.wastewater_indicator";
  const MEASURE = "estimated_weekly_grams";
  type CellAt = (week: string, drug: string) => Cell;
  const mean = (weeks: string[], drug: string, cellAt: CellAt) => {
    const totals = weeks.map((wk) => cellAt(wk, drug)).filter((c) => c.records > 0);
    return { mean: totals.length === 0 ? 0 : totals.reduce((s, c) => s + c.sum, 0) / totals.length, samples: totals.length };
  };
  const grams = (k: string, m: { mean: number; samples: number }): PublishedCount =>
    m.samples < w.minSamples ? { value: null, suppressed: true, reason: "primary" } : protectAmount(k, m.mean, { value: 0, suppressed: false }, w.gramsBase, rules);
  // The same rules for the district and for each site: a trend only with enough sampled weeks in each window.
  const trendOf = (drug: string, cellAt: CellAt, key: string): WastewaterTrend => {
    const cur = mean(current, drug, cellAt);
    const prev = mean(previous, drug, cellAt);
    return {
      drug,
      label: label(drug, ctx.m),
      current: grams(`${key}/${drug}/current`, cur),
      previous: grams(`${key}/${drug}/previous`, prev),
      change: protectChange(`${key}/${drug}/change`, cur, prev, { minSamples: w.minSamples, base: w.percentBase, steadyWithin: w.steadyWithin }, rules),
    };
  };
  const key = `${ctx.rules.tier}/${ctx.region.code}/wastewater/${ctx.period.id}`;
  const region = ctx.region.code;
  const sites = ctx.store.sitesIn(region).flatMap((site): SiteWastewater[] => {
    const cellAt: CellAt = (wk, drug) => ctx.store.siteCell(region, site, wk, TYPE, MEASURE, drug);
    const sampled = WASTEWATER_DRUGS.filter((drug) => [...current, ...previous].some((wk) => cellAt(wk, drug).records > 0));
    return sampled.length === 0 ? [] : [{ site, drugs: sampled.map((drug) => trendOf(drug, cellAt, `${key}/site/${site}`)) }];
  });
  return {
    window: `${current[0]} – ${current[current.length - 1]}`,
    previousWindow: `${previous[0]} – ${previous[previous.length - 1]}`,
    drugs: WASTEWATER_DRUGS.map((drug) => trendOf(drug, (wk, d) => ctx.store.cell(region, wk, TYPE, MEASURE, d), key)),
    sites,
  };
}

function exploitation(ctx: Ctx): Section {
  const g = guidance("exploitation", ctx.m);
  if (!ctx.received.has(TABLES.complaints.eventType)) return unavailable("exploitation", ctx, notOnTier(ctx), g);
  const t = publishTable(TABLES.complaints, ctx);
  return {
    id: "exploitation",
    title: ctx.m.t("section.exploitation"),
    available: true,
    summary: [countSentence(t, "complaints", ctx)],
    drivers: g.drivers,
    watchFor: g.watchFor,
    report: g.report,
    tables: [t],
    trends: [publishTrend(TABLES.complaints, ctx)],
  };
}

/**
 * Fraud and scams: scams reported to Police (by kind and by how the scammer made
 * contact, with the money reported lost), the FIU's suspicious activity reports
 * (by who made them and by laundering pattern) and proceeds of crime restrained
 * or forfeited (by kind of asset, with their value) — each table as the tier
 * receives its event type, through the same disclosure control as every table.
 */
function fraud(ctx: Ctx): Section {
  const g = guidance("fraud", ctx.m);
  const tables: PublishedTable[] = [];
  const trends: Trend[] = [];
  const summary: string[] = [];
  if (ctx.received.has(TABLES.scamReports.eventType)) {
    const t = publishTable(TABLES.scamReports, ctx);
    tables.push(t, publishTable(TABLES.scamChannels, ctx));
    trends.push(publishTrend(TABLES.scamReports, ctx));
    summary.push(countSentence(t, "scamReports", ctx));
  }
  if (ctx.received.has(TABLES.suspiciousActivity.eventType)) {
    const t = publishTable(TABLES.suspiciousActivity, ctx);
    tables.push(t, publishTable(TABLES.typologies, ctx));
    summary.push(countSentence(t, "suspiciousActivity", ctx));
  }
  if (ctx.received.has(TABLES.assetsRestrained.eventType)) {
    const restrained = publishTable(TABLES.assetsRestrained, ctx);
    const forfeited = publishTable(TABLES.assetsForfeited, ctx);
    tables.push(restrained, forfeited);
    summary.push(countSentence(restrained, "assetsRestrained", ctx), countSentence(forfeited, "assetsForfeited", ctx));
  }
  if (tables.length === 0) return unavailable("fraud", ctx, notOnTier(ctx), g);
  return {
    id: "fraud",
    title: ctx.m.t("section.fraud"),
    available: true,
    summary: [ctx.m.t("summary.fraud", { region: ctx.region.name }), ...summary],
    drivers: g.drivers,
    watchFor: g.watchFor,
    report: g.report,
    tables,
    trends,
  };
}

function support(ctx: Ctx): Section {
  const g = guidance("support", ctx.m);
  const tables: PublishedTable[] = [];
  const trends: Trend[] = [];
  const summary: string[] = [];
  if (ctx.received.has(TABLES.referrals.eventType)) {
    const t = publishTable(TABLES.referrals, ctx);
    tables.push(t);
    trends.push(publishTrend(TABLES.referrals, ctx));
    summary.push(countSentence(t, "referrals", ctx));
  }
  let services: Section["services"];
  if (ctx.received.has(TABLES.peopleServed.eventType)) {
    const t = publishTable(TABLES.peopleServed, ctx);
    tables.push(t);
    summary.push(countSentence(t, "peopleServed", ctx));
    // Services running in the region in the last 13 weeks: which kinds exist, not how much.
    const recent = [...Array(13).keys()].map((i) => shiftPeriod("week", ctx.period.weeks[ctx.period.weeks.length - 1]!, -i));
    const running = SERVICES.filter((s) => recent.some((w) => ctx.store.cell(ctx.region.code, w, TABLES.peopleServed.eventType, "sessions", s).sum > 0));
    services = running.map((s) => ({ code: s, label: label(s, ctx.m), description: serviceDescription(s, ctx.m) }));
    summary.push(
      services.length > 0
        ? ctx.m.t("summary.programmes", { region: ctx.region.name, list: services.map((s) => s.label).join(", ") })
        : ctx.m.t("summary.noProgrammes", { region: ctx.region.name }),
    );
  }
  if (tables.length === 0) return unavailable("support", ctx, notOnTier(ctx), g);
  return { id: "support", title: ctx.m.t("section.support"), available: true, summary, drivers: g.drivers, watchFor: g.watchFor, report: g.report, tables, trends, ...(services ? { services } : {}) };
}

function operations(ctx: Ctx): Section {
  const g = guidance("operations", ctx.m);
  if (!ctx.received.has("police.operation_update")) return unavailable("operations", ctx, notOnTier(ctx), g);
  // Each notice's counts arrive as bands (the exchange never sends the number), so
  // there is no total to publish and nothing to round: under 6 is shown suppressed.
  const notices = ctx.store
    .noticesIn(ctx.region.code, ctx.period.weeks)
    .sort((a, b) => (a.week < b.week ? -1 : a.week > b.week ? 1 : a.ref < b.ref ? -1 : 1));
  const published: PublishedNotice[] = notices.map((n) => ({
    week: n.week,
    phase: n.phase,
    stage: n.stage,
    families: publishedBand(n.families, ctx.m),
    children: publishedBand(n.children, ctx.m),
    support: n.support.map((s) => ({ code: s, label: label(s, ctx.m) })),
  }));
  const where = { region: ctx.region.name, when: inPeriod(ctx) };
  const summary =
    published.length === 0
      ? [ctx.m.t("summary.noOperations", where)]
      : [
          ctx.m.t("summary.operations", where),
          ctx.m.t("summary.providersTold"),
        ];
  return { id: "operations", title: ctx.m.t("section.operations"), available: true, summary, drivers: g.drivers, watchFor: g.watchFor, report: g.report, tables: [], trends: [], notices: published };
}
