import { loadSharingPolicy } from "@takitini/policies";
import { PoliceDistrict } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { regionByDistrict, regionBySlug, REGIONS, regionsInScope } from "./regions.js";

describe("the briefing's regions (from policies/data/regions.json)", () => {
  it("are the twelve Police districts, each a protobuf district, named with their macrons", () => {
    expect(REGIONS.map((r) => r.slug)).toEqual(["northland", "waitemata", "auckland-city", "counties-manukau", "waikato", "bay-of-plenty", "eastern", "central", "wellington", "tasman", "canterbury", "southern"]);
    for (const r of REGIONS) expect(Object.values(PoliceDistrict), r.slug).toContain(r.district);
    expect(regionBySlug("auckland-city")?.name).toBe("Auckland City (Tāmaki Makaurau)");
    expect(regionBySlug("northland")?.name).toBe("Northland (Te Tai Tokerau)");
    expect(regionBySlug("waitemata")?.name).toBe("Waitematā");
    expect(regionByDistrict(PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY)?.slug).toBe("bay-of-plenty");
  });

  it("every region's community leaders have a briefing of their own region and no other", async () => {
    const leaders = (await loadSharingPolicy()).subscribers().filter((s) => s.tier === "community_leader");
    expect(leaders).toHaveLength(12);
    expect(new Set(leaders.map((s) => regionsInScope(s.regions).map((r) => r.slug).join())).size).toBe(12);
    for (const s of leaders) expect(regionsInScope(s.regions).map((r) => `community-${r.slug}`), s.id).toEqual([s.id]);
  });
});
