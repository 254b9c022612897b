import { DISTRICT_ALIASES, seededRandom } from "@takitini/adapter-kit";
import { localityMismatches, loadRegions, type PlacedRecord } from "@takitini/policies";
import { describe, expect, it } from "vitest";
import { exploitationComplaint } from "./kinds/exploitation-complaint.js";
import { FARM_TOWNS, LOCALITIES, ORCHARD_TOWNS } from "./synthetic.js";

/** Every place MBIE's example and synthetic generators name lies, by the locality table (policies/data/regions.json), in its record's district. */

const regions = loadRegions();
const code = (district: unknown) => DISTRICT_ALIASES[district as keyof typeof DISTRICT_ALIASES] ?? `unknown district ${String(district)}`;
const placed = (where: string, r: Record<string, unknown>): PlacedRecord => ({ where, district: code(r.district), places: typeof r.locality === "string" ? [r.locality] : [] });

describe("places in MBIE's records", () => {
  it("the example complaint: Pāengaroa in Bay of Plenty", () => {
    const record = placed("exploitation_complaint example", exploitationComplaint.example as Record<string, unknown>);
    expect(record).toEqual({ where: "exploitation_complaint example", district: "BAY_OF_PLENTY", places: ["Pāengaroa"] });
    expect(localityMismatches(regions, [record])).toEqual([]);
  });

  it("500 synthetic complaints, each locality in its record's district", () => {
    const rng = seededRandom("localities/exploitation_complaint");
    const records = Array.from({ length: 500 }, (_v, i) => placed(`synthetic complaint ${i}`, exploitationComplaint.synthesize(rng, i) as Record<string, unknown>));
    expect(records.every((r) => r.places.length === 1)).toBe(true);
    expect(localityMismatches(regions, records)).toEqual([]);
  });

  it("the generators' town tables (localities, orchard towns, farm towns), each town in its district", () => {
    const records = Object.entries({ LOCALITIES, ORCHARD_TOWNS, FARM_TOWNS }).flatMap(([table, byDistrict]) =>
      Object.entries(byDistrict).map(([d, places]) => ({ where: `${table}.${d}`, district: code(d), places })),
    );
    expect(localityMismatches(regions, records)).toEqual([]);
  });
});
