import { readFileSync } from "node:fs";
import { DISTRICT_ALIASES, seededRandom, type RecordKind } from "@takitini/adapter-kit";
import { localityMismatches, loadRegions, type PlacedRecord } from "@takitini/policies";
import { describe, expect, it } from "vitest";
import { firearmsSeizure } from "./kinds/firearms-seizure.js";
import { DISTRICT_LOCALITIES, operationUpdate } from "./kinds/operation-update.js";
import { organisedCrimeNoting } from "./kinds/organised-crime-noting.js";
import { scamReport } from "./kinds/scam-report.js";
import { SITES, wastewaterIndicator } from "./kinds/wastewater-indicator.js";

/**
 * Every place Police's examples and synthetic generators name lies, by the locality
 * table (policies/data/regions.json), in the district the record is filed under:
 * Ōpōtiki in Bay of Plenty, never Eastern.
 */

const regions = loadRegions();
const code = (district: unknown) => DISTRICT_ALIASES[district as keyof typeof DISTRICT_ALIASES] ?? `unknown district ${String(district)}`;

type Rec = Record<string, unknown>;
const PLACES: [RecordKind, (r: Rec) => string[]][] = [
  [organisedCrimeNoting, (r) => (typeof r.locality === "string" ? [r.locality] : [])],
  [operationUpdate, (r) => (Array.isArray(r.localities) ? (r.localities as string[]) : [])],
  [firearmsSeizure, (r) => (typeof r.locality === "string" ? [r.locality] : [])],
  [wastewaterIndicator, (r) => [r.site as string]],
  [scamReport, (r) => (typeof r.locality === "string" ? [r.locality] : [])],
];

const placed = (where: string, kind: RecordKind, places: (r: Rec) => string[], r: Rec): PlacedRecord[] =>
  typeof r.district === "string" ? [{ where, district: code(r.district), places: places(r) }] : [];

describe("places in Police's records", () => {
  it("the examples: each place in the district the record is filed under", () => {
    const records = PLACES.flatMap(([kind, places]) => placed(`${kind.recordType} example`, kind, places, kind.example as Rec));
    expect(records.length).toBe(PLACES.length);
    expect(localityMismatches(regions, records)).toEqual([]);
    expect(records[0]).toMatchObject({ district: "BAY_OF_PLENTY", places: ["Ōpōtiki"] });
  });

  it("the bulk-import example: every record the schema accepts, each place in its district", () => {
    const lines = readFileSync(new URL("../examples/notings.ndjson", import.meta.url), "utf8").split("\n").filter((l) => l.trim() !== "");
    const valid = lines.map((l) => JSON.parse(l) as Rec).filter((r) => organisedCrimeNoting.schema.safeParse(r).success);
    expect(valid.length).toBeGreaterThanOrEqual(3);
    const records = valid.flatMap((r, i) => placed(`notings.ndjson record ${i + 1}`, organisedCrimeNoting, PLACES[0]![1], r));
    expect(localityMismatches(regions, records)).toEqual([]);
  });

  it.each(PLACES.map(([k, p]) => [k.recordType, k, p] as const))("%s: 500 synthetic records, each place in its record's district", (_name, kind, places) => {
    const rng = seededRandom(`localities/${kind.recordType}`);
    const records = Array.from({ length: 500 }, (_v, i) => placed(`synthetic ${kind.recordType} ${i}`, kind, places, kind.synthesize(rng, i) as Rec)).flat();
    expect(records.filter((r) => r.places.length > 0).length).toBeGreaterThan(400);
    expect(localityMismatches(regions, records)).toEqual([]);
  });

  it("the generators' tables: every town by district and every wastewater site", () => {
    const records: PlacedRecord[] = [
      ...Object.entries(DISTRICT_LOCALITIES).map(([d, places]) => ({ where: `DISTRICT_LOCALITIES.${d}`, district: code(d), places })),
      ...SITES.map((s) => ({ where: `SITES ${s.site}`, district: code(s.district), places: [s.site] })),
    ];
    expect(localityMismatches(regions, records)).toEqual([]);
  });

  it("the check fails for Ōpōtiki filed under Eastern (as the example once was)", () => {
    const wrong = { ...(organisedCrimeNoting.example as Rec), district: "Eastern" };
    expect(localityMismatches(regions, placed("old example", organisedCrimeNoting, PLACES[0]![1], wrong))).toEqual(["old example: Ōpōtiki lies in BAY_OF_PLENTY, but the record is filed under EASTERN"]);
  });
});
