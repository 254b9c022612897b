import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  communityDeliveryTopic,
  communitySubscribers,
  communityTopicDeclarations,
  DEFAULT_DATA_DIR,
  displayName,
  districtOfLocality,
  DISTRICTS,
  formatDataJson,
  loadRegions,
  loadSharingPolicy,
  localityMismatches,
  parseRegions,
  registryWithCommunities,
  SUBSCRIBERS_FILE,
} from "./index.js";

const regions = loadRegions();
const text = () => readFileSync(join(DEFAULT_DATA_DIR, "regions.json"), "utf8");
const withRegions = (edit: (f: { regions: Record<string, unknown>[] } & Record<string, unknown>) => void) => {
  const f = JSON.parse(text());
  edit(f);
  return () => parseRegions(JSON.stringify(f));
};

describe("the regions file", () => {
  it("has each of the twelve Police districts once, in the file's order", () => {
    expect(regions.regions.map((r) => r.code)).toEqual([...DISTRICTS]);
  });

  it("is written as the repository's data files are", () => {
    expect(formatDataJson(JSON.parse(text()))).toBe(text());
  });

  it("names the ROCC regions in their districts (DOMAIN.md)", () => {
    const rocc = Object.fromEntries(regions.regions.flatMap((r) => r.rocc_regions.map((n) => [n, r.code])));
    expect(rocc).toEqual({ Eastern: "EASTERN", Northland: "NORTHLAND", "Counties Manukau": "COUNTIES_MANUKAU", "Bay of Plenty": "BAY_OF_PLENTY", Porirua: "WELLINGTON", "West Coast": "TASMAN", Southland: "SOUTHERN" });
  });

  it("puts Ōpōtiki and Whakatāne in Bay of Plenty, Gisborne and Napier in Eastern, Mātaura in Southern", () => {
    expect(districtOfLocality(regions, "Ōpōtiki")).toBe("BAY_OF_PLENTY");
    expect(districtOfLocality(regions, "O\u0304po\u0304tiki")).toBe("BAY_OF_PLENTY");
    expect(districtOfLocality(regions, "Whakatāne")).toBe("BAY_OF_PLENTY");
    expect(districtOfLocality(regions, "Gisborne")).toBe("EASTERN");
    expect(districtOfLocality(regions, "Napier")).toBe("EASTERN");
    expect(districtOfLocality(regions, "Mātaura")).toBe("SOUTHERN");
    expect(districtOfLocality(regions, "Tauranga (Chapel Street)")).toBe("BAY_OF_PLENTY");
    expect(districtOfLocality(regions, "Atlantis")).toBeUndefined();
  });

  it("refuses a locality in two districts, a district missing or twice, a wrong slug, a person's name as an address", () => {
    expect(withRegions((f) => ((f.regions[6]!.localities as string[]).push("ōpōtiki")))).toThrow(/ōpōtiki is also in BAY_OF_PLENTY[\s\S]*regions\[6\]\.localities\[\d+\]/);
    expect(withRegions((f) => f.regions.pop())).toThrow(/district SOUTHERN has no region/);
    expect(withRegions((f) => (f.regions[1]!.code = "NORTHLAND"))).toThrow(/NORTHLAND is also regions\[0\]/);
    expect(withRegions((f) => (f.regions[0]!.slug = "north"))).toThrow(/expected "northland"/);
    expect(withRegions((f) => (f.regions[0]!.contact_points = [{ role: "coordinator", email: "not an address" }]))).toThrow(/contact_points/);
    expect(withRegions((f) => (f.regions[0]!.localities = ["Wha\u0304nga\u0304rei"]))).toThrow(/NFC/);
    expect(withRegions((f) => (f.regions[0]!.extra = 1))).toThrow(/extra/);
  });
});

describe("every region's community leaders", () => {
  it("are the registry's community-leader subscribers, as generated (else run: npm run regions:generate)", () => {
    const committed = readFileSync(join(DEFAULT_DATA_DIR, SUBSCRIBERS_FILE), "utf8");
    expect(formatDataJson(registryWithCommunities(JSON.parse(committed), regions))).toBe(committed);
  });

  it("one per district, each its district only, on its own delivery topic, under the same community terms", async () => {
    const subscribers = (await loadSharingPolicy()).subscribers().filter((s) => s.tier === "community_leader");
    expect(subscribers.map((s) => s.regions).sort()).toEqual(DISTRICTS.map((d) => [d]).sort());
    expect(new Set(subscribers.map((s) => s.delivery_topic)).size).toBe(12);
    const terms = (s: (typeof subscribers)[number]) => s.agreements.map(({ id: _id, ...a }) => a);
    for (const s of subscribers) {
      expect(s, s.id).toMatchObject({ law_enforcement: false, clearance: "UNCLASSIFIED", purposes: [] });
      expect(terms(s), s.id).toEqual(terms(subscribers[0]!));
      expect(s.agreements.every((a) => a.id.startsWith(`${s.id}-`)), s.id).toBe(true);
    }
  });

  it("change with the file: a renamed district renames its subscriber and topic description, nothing else", () => {
    const renamed = { ...regions, regions: regions.regions.map((r) => (r.code === "TASMAN" ? { ...r, name: { en: "Te Tauihu", mi: null } } : r)) };
    const before = communitySubscribers(regions);
    const after = communitySubscribers(renamed);
    expect(after["community-tasman"]!.name).toMatch(/^Te Tauihu community leaders/);
    expect({ ...after, "community-tasman": undefined }).toEqual({ ...before, "community-tasman": undefined });
    expect(communityTopicDeclarations(renamed).find((t) => t.name === communityDeliveryTopic({ slug: "tasman" }))!.description).toMatch(/Te Tauihu district/);
  });

  it("keep every other subscriber as it is", () => {
    const registry = { customs: { tier: "partner_agency", x: 1 }, "community-old": { tier: "community_leader" } };
    const out = registryWithCommunities(registry, regions);
    expect(out.customs).toEqual({ tier: "partner_agency", x: 1 });
    expect(out["community-old"]).toBeUndefined();
    expect(Object.keys(out)).toHaveLength(13);
  });

  it("are named with the te reo Māori name where it is known", () => {
    expect(displayName(regions.regions.find((r) => r.code === "NORTHLAND")!)).toBe("Northland (Te Tai Tokerau)");
    expect(displayName(regions.regions.find((r) => r.code === "AUCKLAND_CITY")!)).toBe("Auckland City (Tāmaki Makaurau)");
    expect(displayName(regions.regions.find((r) => r.code === "EASTERN")!)).toBe("Eastern");
  });
});

describe("the locality check", () => {
  it("names each place unknown to the table or filed under another district, and nothing when all agree", () => {
    expect(localityMismatches(regions, [{ where: "a", district: "BAY_OF_PLENTY", places: ["Ōpōtiki", "Whakatāne"] }])).toEqual([]);
    expect(
      localityMismatches(regions, [
        { where: "noting.json", district: "EASTERN", places: ["Ōpōtiki"] },
        { where: "x", district: "SOUTHERN", places: ["Gotham", "Mātaura"] },
      ]),
    ).toEqual(["noting.json: Ōpōtiki lies in BAY_OF_PLENTY, but the record is filed under EASTERN", "x: Gotham is not in the locality table (policies/data/regions.json)"]);
  });
});
