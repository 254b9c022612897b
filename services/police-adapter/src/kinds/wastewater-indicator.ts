import { Commodity } from "@takitini/proto";
import {
  between,
  count,
  DISTRICT_NAMES,
  district,
  envelope,
  existingIsoWeek,
  lastSyntheticWeek,
  legalBasis,
  markingFields,
  nativeId,
  pick,
  text,
  type AgencyDefaults,
  type DistrictName,
  type RecordKind,
} from "@takitini/adapter-kit";
import { isoWeekStart } from "@takitini/runtime";
import { z } from "zod";
import { POLICE_DEFAULTS } from "../defaults.js";

/**
 * The National Drug Intelligence Bureau's wastewater indicator: estimated grams of
 * one drug consumed in one treatment site's catchment in one ISO week. Aggregate by
 * nature — no subjects, and unclassified unless the record says otherwise.
 */

export const WASTEWATER_DRUGS = ["methamphetamine", "cocaine", "mdma"] as const;

export const wastewaterIndicatorSchema = z.strictObject({
  sample_id: nativeId,
  site: text(100, { min: 1 }),
  district,
  drug: z.enum(WASTEWATER_DRUGS),
  sample_week: existingIsoWeek,
  estimated_weekly_grams: z.number().min(0).max(100_000),
  population_served: count(2_000_000).min(1),
  ...markingFields,
  legal_basis: legalBasis.optional(),
});

export type PoliceWastewaterIndicatorRecord = z.infer<typeof wastewaterIndicatorSchema>;

const DRUG = {
  methamphetamine: Commodity.COMMODITY_METHAMPHETAMINE,
  cocaine: Commodity.COMMODITY_COCAINE,
  mdma: Commodity.COMMODITY_MDMA,
} as const;

/** Aggregate estimates carry no personal information: unclassified, no caveats, sharing under Police's functions. */
export const WASTEWATER_DEFAULTS: AgencyDefaults = {
  classification: "UNCLASSIFIED",
  caveats: [],
  legalBasis: {
    instrument: "Policing Act 2008",
    provision: "s 9",
    description: "aggregate wastewater drug-testing estimates for crime prevention and community support; no personal information",
  },
};

/** Treatment sites for synthetic records, with catchment and weekly grams per 1,000 people. */
/** History slots per district and week: its sites times the drugs, for the district with the most sites. */
const historySlots = () => Math.max(...DISTRICT_NAMES.map((d) => SITES.filter((s) => s.district === d).length)) * WASTEWATER_DRUGS.length;

export const SITES: readonly { site: string; district: DistrictName; population: number; meth: number; cocaine: number; mdma: number }[] = [
  // Ōpōtiki's methamphetamine fell by half after Operation Highwater and stayed down.
  { site: "Ōpōtiki", district: "Bay of Plenty", population: 5_000, meth: 6.0, cocaine: 0.3, mdma: 0.5 },
  { site: "Whakatāne", district: "Bay of Plenty", population: 16_000, meth: 8.0, cocaine: 0.4, mdma: 0.6 },
  { site: "Rotorua", district: "Bay of Plenty", population: 58_000, meth: 6.5, cocaine: 0.5, mdma: 0.7 },
  { site: "Tauranga (Chapel Street)", district: "Bay of Plenty", population: 75_000, meth: 4.5, cocaine: 0.9, mdma: 0.9 },
  { site: "Mātaura", district: "Southern", population: 1_740, meth: 5.0, cocaine: 0.2, mdma: 0.4 },
  { site: "Invercargill (Clifton)", district: "Southern", population: 52_000, meth: 3.5, cocaine: 0.4, mdma: 0.7 },
  { site: "Dunedin (Tahuna)", district: "Southern", population: 90_000, meth: 2.5, cocaine: 0.6, mdma: 1.2 },
  { site: "Whangārei", district: "Northland", population: 50_000, meth: 9.0, cocaine: 0.4, mdma: 0.6 },
  { site: "Kaitaia", district: "Northland", population: 5_800, meth: 10.0, cocaine: 0.2, mdma: 0.4 },
  { site: "Māngere", district: "Counties Manukau", population: 950_000, meth: 3.5, cocaine: 1.5, mdma: 1.0 },
  { site: "Rosedale (North Shore)", district: "Waitematā", population: 300_000, meth: 2.5, cocaine: 1.8, mdma: 1.1 },
  { site: "Hamilton (Pukete)", district: "Waikato", population: 180_000, meth: 5.0, cocaine: 0.7, mdma: 0.9 },
  { site: "Gisborne", district: "Eastern", population: 37_000, meth: 9.5, cocaine: 0.3, mdma: 0.6 },
  { site: "Napier", district: "Eastern", population: 60_000, meth: 6.5, cocaine: 0.5, mdma: 0.8 },
  { site: "Palmerston North (Tōtara Road)", district: "Central", population: 85_000, meth: 4.5, cocaine: 0.5, mdma: 1.0 },
  { site: "Porirua", district: "Wellington", population: 60_000, meth: 4.0, cocaine: 0.7, mdma: 0.8 },
  { site: "Moa Point (Wellington)", district: "Wellington", population: 150_000, meth: 2.0, cocaine: 1.5, mdma: 1.3 },
  { site: "Greymouth", district: "Tasman", population: 10_000, meth: 7.0, cocaine: 0.3, mdma: 0.5 },
  { site: "Nelson (Bell Island)", district: "Tasman", population: 70_000, meth: 3.0, cocaine: 0.6, mdma: 0.9 },
  { site: "Christchurch (Bromley)", district: "Canterbury", population: 400_000, meth: 3.5, cocaine: 0.8, mdma: 1.0 },
];

export const wastewaterIndicator: RecordKind<PoliceWastewaterIndicatorRecord> = {
  recordType: "wastewater_indicator",
  eventType: "police.wastewater_indicator",
  httpPath: "/v1/wastewater-indicators",
  summary: "Submit a wastewater drug indicator (site, drug, ISO week, estimated weekly grams, population served)",
  schema: wastewaterIndicatorSchema,
  nativeId: (r) => r.sample_id,
  map: (r, publishedAt) =>
    envelope({
      agency: "POLICE",
      eventType: "police.wastewater_indicator",
      nativeId: r.sample_id,
      occurredAt: isoWeekStart(r.sample_week),
      publishedAt,
      district: r.district,
      defaults: WASTEWATER_DEFAULTS,
      classification: r.classification,
      caveats: r.caveats,
      releasableTo: r.releasable_to,
      releasableToCountries: r.releasable_to_countries,
      legalBasis: r.legal_basis,
      payload: {
        $case: "policeWastewaterIndicator",
        value: {
          site: r.site,
          drug: DRUG[r.drug],
          sampleWeek: r.sample_week,
          estimatedWeeklyGrams: r.estimated_weekly_grams,
          populationServed: r.population_served,
        },
      },
    }),
  example: {
    sample_id: "NDIB-WW-2026-W46-OPO-METH",
    site: "Ōpōtiki",
    district: "Bay of Plenty",
    drug: "methamphetamine",
    sample_week: "2026-W46",
    estimated_weekly_grams: 31.5,
    population_served: 5000,
  },
  // Demo history: every site sampled for every drug each week (slot i: the district's site i mod n, drug i div n).
  history: {
    perWeek: historySlots(),
    disclosure: false,
    // Full for half a year: the public's last completed quarter needs 6 sampled weeks of 13 per site and drug.
    fullWeeks: 26,
    place: (r, slot) => {
      const sites = SITES.filter((s) => s.district === slot.district);
      const s = sites[slot.index % Math.max(1, sites.length)];
      const drug = WASTEWATER_DRUGS[Math.floor(slot.index / Math.max(1, sites.length))];
      if (!s || !drug) return undefined;
      const grams = Math.round((s.population / 1000) * s[drug === "methamphetamine" ? "meth" : drug] * (0.7 + slot.rng() * 0.6) * 10) / 10;
      return { ...r, sample_id: `NDIB-WW-${slot.id}`, site: s.site, district: s.district, drug, sample_week: slot.week, estimated_weekly_grams: grams, population_served: s.population };
    },
  },
  synthesize: (rng, index) => {
    const s = pick(rng, SITES);
    const drug = pick(rng, WASTEWATER_DRUGS, [50, 25, 25]);
    const year = pick(rng, [2025, 2026]);
    const week = between(rng, 1, lastSyntheticWeek(year));
    const grams = Math.round((s.population / 1000) * s[drug === "methamphetamine" ? "meth" : drug] * (0.7 + rng() * 0.6) * 10) / 10;
    return {
      sample_id: `NDIB-WW-SYN-${index}`,
      site: s.site,
      district: s.district,
      drug,
      sample_week: `${year}-W${String(week).padStart(2, "0")}`,
      estimated_weekly_grams: grams,
      population_served: s.population,
    };
  },
};
