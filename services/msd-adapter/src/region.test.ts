import { PoliceDistrict } from "@takitini/proto";
import { DISTRICT_ALIASES, districtEnum } from "@takitini/adapter-kit";
import { loadRegions } from "@takitini/policies";
import { describe, expect, it } from "vitest";
import { districtOf, region, ROCC_REGIONS } from "./region.js";

describe("regions", () => {
  it.each([
    ["Eastern", PoliceDistrict.POLICE_DISTRICT_EASTERN],
    ["Northland", PoliceDistrict.POLICE_DISTRICT_NORTHLAND],
    ["Counties Manukau", PoliceDistrict.POLICE_DISTRICT_COUNTIES_MANUKAU],
    ["Bay of Plenty", PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY],
    ["Porirua", PoliceDistrict.POLICE_DISTRICT_WELLINGTON],
    ["West Coast", PoliceDistrict.POLICE_DISTRICT_TASMAN],
    ["Southland", PoliceDistrict.POLICE_DISTRICT_SOUTHERN],
    ["Canterbury", PoliceDistrict.POLICE_DISTRICT_CANTERBURY],
    ["Tāmaki Makaurau", PoliceDistrict.POLICE_DISTRICT_AUCKLAND_CITY],
    ["Waitematā", PoliceDistrict.POLICE_DISTRICT_WAITEMATA],
    ["Te Tai Tokerau", PoliceDistrict.POLICE_DISTRICT_NORTHLAND],
  ])("%s lies in the district %s", (name, district) => {
    expect(region.safeParse(name).success).toBe(true);
    expect(districtEnum(districtOf(name))).toBe(district);
  });

  it.each(["Gotham", "southland", "Porirua City", "", "Ōpōtiki"])("rejects %j", (name) => {
    expect(region.safeParse(name).success).toBe(false);
  });

  it("does not take inherited names for regions", () => {
    expect(region.safeParse("constructor").success).toBe(false);
    expect(region.safeParse("toString").success).toBe(false);
  });
});

describe("ROCC regions", () => {
  it("lie in the districts the regions file (policies/data/regions.json) puts them in, and it names no other", () => {
    const inFile = Object.fromEntries(loadRegions().regions.flatMap((r) => r.rocc_regions.map((name) => [name, r.code])));
    const here = Object.fromEntries(Object.entries(ROCC_REGIONS).map(([name, d]) => [name, DISTRICT_ALIASES[d]]));
    expect(here).toEqual(inFile);
  });
});
