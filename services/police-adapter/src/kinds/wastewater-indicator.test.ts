import { historyRecords, historyWeeks } from "@takitini/adapter-kit";
import { checkSyntheticRecords } from "@takitini/adapter-kit/testing";
import { Agency, Classification, Commodity, HandlingCaveat, IntelligenceEvent, PoliceDistrict } from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { policeAdapter } from "../adapter.js";
import { SITES, WASTEWATER_DRUGS, wastewaterIndicator } from "./wastewater-indicator.js";

const kind = wastewaterIndicator;
const at = new Date("2026-11-20T00:00:00Z");
const example = kind.example as Record<string, unknown>;
/** The example with fields replaced; `undefined` removes a field. */
const record = (patch: Record<string, unknown> = {}) => Object.fromEntries(Object.entries({ ...example, ...patch }).filter(([, v]) => v !== undefined));
const issuePaths = (r: unknown) => {
  const result = kind.schema.safeParse(r);
  return result.success ? [] : zodIssues(result.error).map((i) => i.path);
};
const mapped = (patch: Record<string, unknown> = {}) => kind.map(kind.schema.parse(record(patch)), at);

describe("wastewater_indicator: the example", () => {
  it("validates", () => {
    expect(issuePaths(example)).toEqual([]);
  });

  it("maps every envelope and payload field, unclassified with no caveats, grading or subjects", () => {
    expect(mapped()).toEqual({
      id: "", // the intake derives it, keyed (ingest.ts)
      publisher: "",
      supersedes: "", // a first version: a correction sets both (revision.proto)
      originalEventId: "",
      sourceAgency: Agency.AGENCY_POLICE,
      eventType: "police.wastewater_indicator",
      occurredAt: new Date("2026-11-09T00:00:00Z"),
      publishedAt: at,
      region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
      classification: Classification.CLASSIFICATION_UNCLASSIFIED,
      handling: { caveats: [], releasableTo: [], releasableToCountries: [] },
      legalBasis: {
        instrument: "Policing Act 2008",
        provision: "s 9",
        description: "aggregate wastewater drug-testing estimates for crime prevention and community support; no personal information",
      },
      operationRef: "",
      subjects: [],
      sourceRecordId: "NDIB-WW-2026-W46-OPO-METH",
      payload: {
        $case: "policeWastewaterIndicator",
        value: { site: "Ōpōtiki", drug: Commodity.COMMODITY_METHAMPHETAMINE, sampleWeek: "2026-W46", estimatedWeeklyGrams: 31.5, populationServed: 5000 },
      },
    });
  });

  it("derives the event id from the sample id alone, whenever it is published", () => {
    expect(kind.nativeId(kind.schema.parse(example))).toBe("NDIB-WW-2026-W46-OPO-METH");
    expect(kind.map(kind.schema.parse(example), new Date("2030-01-01T00:00:00Z")).id).toBe(mapped().id);
  });

  it.each([
    ["cocaine", Commodity.COMMODITY_COCAINE],
    ["mdma", Commodity.COMMODITY_MDMA],
  ])("maps %s", (drug, commodity) => {
    expect(mapped({ drug }).payload).toMatchObject({ value: { drug: commodity } });
  });
});

describe("wastewater_indicator: validation", () => {
  it.each([
    ["a missing sample id", { sample_id: undefined }, "sample_id"],
    ["a missing site", { site: undefined }, "site"],
    ["a missing district", { district: undefined }, "district"],
    ["a missing week", { sample_week: undefined }, "sample_week"],
    ["missing grams", { estimated_weekly_grams: undefined }, "estimated_weekly_grams"],
    ["grams as a string", { estimated_weekly_grams: "31.5" }, "estimated_weekly_grams"],
    ["negative grams", { estimated_weekly_grams: -0.1 }, "estimated_weekly_grams"],
    ["implausible grams", { estimated_weekly_grams: 100_000.1 }, "estimated_weekly_grams"],
    ["no population", { population_served: 0 }, "population_served"],
    ["a fractional population", { population_served: 5000.5 }, "population_served"],
    ["cannabis", { drug: "cannabis" }, "drug"],
    ["precursors (not measured in wastewater)", { drug: "precursors" }, "drug"],
    ["a capitalised drug", { drug: "Methamphetamine" }, "drug"],
    ["week 54", { sample_week: "2026-W54" }, "sample_week"],
    ["week 53 in a 52-week year", { sample_week: "2025-W53" }, "sample_week"],
    ["a week without the W", { sample_week: "2026-46" }, "sample_week"],
    ["a date for a week", { sample_week: "2026-11-09" }, "sample_week"],
    ["an unknown district", { district: "Te Waipounamu" }, "district"],
    ["a control character in the site", { site: "Ōpōtiki\u0000" }, "site"],
    ["a blank site", { site: "  " }, "site"],
  ])("rejects %s", (_name, patch, path) => {
    expect(issuePaths(record(patch))).toContain(path);
  });

  it("refuses subjects and grading: the record is aggregate", () => {
    expect(issuePaths(record({ persons: [], grading: { source: "A", information: 1 } }))).toEqual(["persons", "grading"]);
  });

  it("accepts zero grams, week 53 in a long year, and the upper bounds", () => {
    expect(issuePaths(record({ estimated_weekly_grams: 0 }))).toEqual([]);
    expect(issuePaths(record({ sample_week: "2020-W53" }))).toEqual([]);
    expect(issuePaths(record({ estimated_weekly_grams: 100_000, population_served: 2_000_000 }))).toEqual([]);
  });

  it("keeps macrons in the site and composes decomposed ones", () => {
    expect(mapped({ site: "Ma\u0304taura", district: "Southern" }).payload).toMatchObject({ value: { site: "Mātaura" } });
  });
});

describe("wastewater_indicator: markings", () => {
  it("lets a small site's record carry its own marking", () => {
    const e = mapped({ site: "Mātaura", population_served: 1740, classification: "IN-CONFIDENCE", caveats: ["NO COMMUNITY RELEASE"] });
    expect(e.classification).toBe(Classification.CLASSIFICATION_IN_CONFIDENCE);
    expect(e.handling?.caveats).toEqual([HandlingCaveat.HANDLING_CAVEAT_NO_COMMUNITY_RELEASE]);
  });
});

describe("wastewater_indicator: protobuf", () => {
  it("round-trips through bytes, grams as an exact double", () => {
    const event = mapped({ estimated_weekly_grams: 1234.567 });
    const decoded = IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish());
    expect(decoded).toEqual(event);
    expect(decoded.payload).toMatchObject({ value: { estimatedWeeklyGrams: 1234.567 } });
  });
});

describe("wastewater_indicator: synthetic records", () => {
  const records = checkSyntheticRecords(kind, at);

  it("measure all three drugs, methamphetamine most, with unique ids", () => {
    const parsed = records.map((r) => kind.schema.parse(r));
    const byDrug = (d: string) => parsed.filter((r) => r.drug === d).length;
    expect(byDrug("methamphetamine")).toBeGreaterThan(byDrug("cocaine"));
    expect(byDrug("cocaine")).toBeGreaterThan(0);
    expect(byDrug("mdma")).toBeGreaterThan(0);
    expect(new Set(parsed.map((r) => r.sample_id)).size).toBe(records.length);
  });
});

describe("wastewater_indicator: demo history", () => {
  const now = new Date("2026-12-06T01:00:00Z");
  const records = historyRecords({ ...policeAdapter, kinds: [kind] }, { seed: "takitini", now }).map((r) => r.record as { site: string; district: string; drug: string; sample_week: string });

  it("samples every registered site for every drug in each of the last 26 completed weeks, once", () => {
    for (const week of historyWeeks(now, 26)) {
      const samples = records.filter((r) => r.sample_week === week).map((r) => `${r.site}/${r.drug}`);
      expect(samples.sort()).toEqual(SITES.flatMap((s) => WASTEWATER_DRUGS.map((d) => `${s.site}/${d}`)).sort());
    }
  });

  it("places each sample at its site's own district, and keeps older weeks sparse", () => {
    expect(records.every((r) => SITES.some((s) => s.site === r.site && s.district === r.district))).toBe(true);
    const oldest = records.filter((r) => r.sample_week === historyWeeks(now, 52)[0]);
    expect(oldest.length).toBeGreaterThan(0);
    expect(oldest.length).toBeLessThan(SITES.length * WASTEWATER_DRUGS.length);
  });
});
