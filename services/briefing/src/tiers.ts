import type { PeriodKind } from "./periods.js";

/**
 * What each tier's briefings publish, and how coarsely. Community leaders are
 * named partners who authenticate; the public is anyone, so its figures are
 * coarser on every axis: whole quarters instead of weeks, a higher suppression
 * threshold, merged categories and coarser amounts. Pure data.
 */

export type Tier = "community_leader" | "public";

export interface TierRules {
  tier: Tier;
  /** The period a briefing covers. */
  period: PeriodKind;
  /** Counts (and sums resting on fewer records) under this are suppressed. */
  threshold: number;
  /** Amounts of drugs seized are randomly rounded to a multiple of this many grams. */
  gramsBase: number;
  /** Dollar amounts (scam losses, assets restrained or forfeited) are randomly rounded to a multiple of this many dollars. */
  dollarsBase: number;
  /** Wastewater: trend published only with this many sampled weeks in each window; percentage points rounded to `percentBase`. */
  wastewater: { minSamples: number; percentBase: number; steadyWithin: number; gramsBase: number };
  /** Periods shown in each trend chart, ending with the briefing's own. */
  trendPeriods: number;
  /** Categories merged before counting (table id → code → merged code). */
  merge: Record<string, Record<string, string>>;
}

export const LEADER_RULES: TierRules = {
  tier: "community_leader",
  period: "week",
  threshold: 6,
  gramsBase: 100,
  dollarsBase: 1_000,
  wastewater: { minSamples: 4, percentBase: 5, steadyWithin: 10, gramsBase: 10 },
  trendPeriods: 12,
  merge: {},
};

export const PUBLIC_RULES: TierRules = {
  tier: "public",
  period: "quarter",
  threshold: 10,
  gramsBase: 1000,
  dollarsBase: 10_000,
  wastewater: { minSamples: 6, percentBase: 10, steadyWithin: 10, gramsBase: 100 },
  trendPeriods: 4,
  merge: {
    "border-seizures": {
      methamphetamine: "methamphetamine",
      cocaine: "other_drugs",
      mdma: "other_drugs",
      precursors: "other_drugs",
      firearms: "other_goods",
      counterfeit_goods: "other_goods",
    },
  },
};

export function rulesFor(tier: Tier, overrides: { leaderThreshold?: number; publicThreshold?: number } = {}): TierRules {
  if (tier === "community_leader") return { ...LEADER_RULES, threshold: overrides.leaderThreshold ?? LEADER_RULES.threshold };
  return { ...PUBLIC_RULES, threshold: overrides.publicThreshold ?? PUBLIC_RULES.threshold };
}
