import { localityMismatches, loadRegions } from "@takitini/policies";
import { PoliceDistrict } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, fullEvent } from "./events.fixture.js";

/** Every place the exchange's fixture events name lies, by the locality table (policies/data/regions.json), in the event's region. */

function placesOf(e: ReturnType<typeof fullEvent>): string[] {
  const p = e.payload;
  if (!p) return [];
  const v = p.value as { locality?: string; localities?: string[]; site?: string };
  return [v.locality, ...(v.localities ?? []), v.site].filter((x): x is string => typeof x === "string" && x !== "");
}

describe("places in the fixture events", () => {
  it("each lies in the event's district", () => {
    const records = EVENT_TYPES.map((t) => {
      const e = fullEvent(t);
      return { where: `fullEvent(${t})`, district: String(e.region).replace(/^POLICE_DISTRICT_/, ""), places: placesOf(e) };
    });
    expect(records.filter((r) => r.places.length > 0).length).toBeGreaterThanOrEqual(5);
    expect(localityMismatches(loadRegions(), records)).toEqual([]);
    expect(fullEvent("police.organised_crime_noting").region).toBe(PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY);
  });
});
