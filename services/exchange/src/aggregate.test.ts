import { AggregateView, IntelligenceEvent, PoliceDistrict } from "@takitini/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregateView, hasAggregateView } from "./aggregate.js";
import { EVENT_TYPES, fullEvent, PERSONAL } from "./events.fixture.js";
import { loadSiteRegistry, parseSiteRegistry, WASTEWATER_SITE_MIN_POPULATION } from "./sites.js";

/** Every string anywhere in a message, recursively. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === "object" && !(value instanceof Date)) for (const v of Object.values(value)) strings(v, out);
  return out;
}

const D = { decisionId: "d", deliveryId: "" };

const WITH_AGGREGATES = [
  "customs.border_seizure",
  "mbie.exploitation_complaint",
  "msd.community_resilience_report",
  "msd.whanau_support_referral",
  "police.firearms_seizure",
  "police.wastewater_indicator",
];

describe("aggregate-only views", () => {
  it("exist for the event types community tables count, and no others", () => {
    expect(EVENT_TYPES.filter((t) => hasAggregateView(fullEvent(t)))).toEqual(WITH_AGGREGATES);
  });

  it.each(WITH_AGGREGATES)("%s: carry codes and numbers, never a string the event holds", (type) => {
    const event = fullEvent(type);
    const view = aggregateView(event, { decisionId: "d-1", deliveryId: "" })!;
    const json = JSON.stringify(AggregateView.toJSON(view));
    for (const p of PERSONAL) expect(json).not.toContain(p);
    // Not one free-text value of the event (names, refs, sites, localities, providers…) survives;
    // only the envelope's event type does, and a wastewater site the registry names (below).
    expect(view.site === "" || SITES.has(view.site)).toBe(true);
    const eventStrings = strings(IntelligenceEvent.toJSON(event)).filter((s) => s.length >= 3 && s !== event.eventType && !/^[A-Z0-9_]+$/.test(s) && s !== view.week && s !== view.site);
    for (const s of eventStrings) expect(json, `"${s}" leaked`).not.toContain(s);
    expect(view.measures.length).toBeGreaterThan(0);
    expect(view.measures.every((m) => Number.isFinite(m.value) && m.value >= 0)).toBe(true);
    expect(view.week).toMatch(/^\d{4}-W\d{2}$/);
  });

  it("counts what each type is about", () => {
    const seizure = aggregateView(fullEvent("customs.border_seizure"), D)!;
    expect(seizure.measures.map((m) => m.measure)).toEqual(["seizures", "grams"]);
    expect(seizure.measures[0]).toMatchObject({ value: 1 });
    const referral = aggregateView(fullEvent("msd.whanau_support_referral"), D)!;
    expect(referral.measures.map((m) => m.measure)).toEqual(["referrals", "whanau", "children"]);
    const wastewater = aggregateView(fullEvent("police.wastewater_indicator"), D)!;
    expect(wastewater.week).toBe(fullEvent("police.wastewater_indicator").payload?.$case === "policeWastewaterIndicator" ? (fullEvent("police.wastewater_indicator").payload!.value as { sampleWeek: string }).sampleWeek : "");
  });

  it("is null for types without one", () => {
    expect(aggregateView(fullEvent("police.organised_crime_noting"), D)).toBeNull();
    expect(aggregateView(fullEvent("mbie.trafficking_indicator"), D)).toBeNull();
  });
});

const SITES = loadSiteRegistry();
const DISTRICTS = Object.values(PoliceDistrict).filter((d): d is PoliceDistrict => typeof d === "string" && d !== PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED && d !== PoliceDistrict.UNRECOGNIZED);

/** A wastewater event from `site` in `region`, claiming `population` served. */
function sample(site: string, region: PoliceDistrict, population = 5000): IntelligenceEvent {
  const e = fullEvent("police.wastewater_indicator");
  if (e.payload?.$case !== "policeWastewaterIndicator") throw new Error("fixture");
  return { ...e, region, payload: { $case: "policeWastewaterIndicator", value: { ...e.payload.value, site, populationServed: population } } };
}

describe("wastewater sites in community views (a site is a place, not a person)", () => {
  it("names a registered site in its own district when its catchment is large enough, by the registry's name", () => {
    expect(aggregateView(sample("Ōpōtiki", PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY), "d")!.site).toBe("Ōpōtiki");
    // Decomposed macrons and stray spaces still find it; the registry's spelling is what is delivered.
    expect(aggregateView(sample(" O\u0304po\u0304tiki ", PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY), "d")!.site).toBe("Ōpōtiki");
    expect(aggregateView(sample("Christchurch (Bromley)", PoliceDistrict.POLICE_DISTRICT_CANTERBURY), "d")!.site).toBe("Christchurch (Bromley)");
  });

  it("names no site below the catchment rule, in another district, or unregistered — whatever the record claims it serves", () => {
    expect(SITES.get("Mātaura")!.catchmentPopulation).toBeLessThan(WASTEWATER_SITE_MIN_POPULATION);
    expect(aggregateView(sample("Mātaura", PoliceDistrict.POLICE_DISTRICT_SOUTHERN, 1_000_000), "d")!.site).toBe("");
    expect(aggregateView(sample("Ōpōtiki", PoliceDistrict.POLICE_DISTRICT_EASTERN), "d")!.site).toBe("");
    expect(aggregateView(sample("Ōpōtiki East (the Smith farm)", PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY, 90_000), "d")!.site).toBe("");
    // The district figure is there either way.
    expect(aggregateView(sample("Mātaura", PoliceDistrict.POLICE_DISTRICT_SOUTHERN), "d")!.measures).toHaveLength(1);
  });

  it("delivers only a registry name that meets the rule in the event's district, for any site text and district", () => {
    const names = [...SITES.keys()];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 40 }), fc.constantFrom(...names).map((n) => `${n} `)), fc.constantFrom(...DISTRICTS), fc.integer({ min: 0, max: 2_000_000 }), (site, region, population) => {
        const got = aggregateView(sample(site, region, population), "d")!.site;
        if (got === "") return;
        const entry = SITES.get(got)!;
        expect(entry).toBeDefined();
        expect(`POLICE_DISTRICT_${entry.district}`).toBe(region);
        expect(entry.catchmentPopulation).toBeGreaterThanOrEqual(WASTEWATER_SITE_MIN_POPULATION);
        expect(site.normalize("NFC").trim()).toBe(got);
      }),
    );
  });

  it("ships a registry of sites in the twelve districts, each named once", () => {
    expect(SITES.size).toBeGreaterThan(0);
    for (const s of SITES.values()) expect(DISTRICTS).toContain(`POLICE_DISTRICT_${s.district}`);
    expect(() => parseSiteRegistry({ sites: [{ site: "Napier", district: "EASTERN", catchment_population: 60_000 }, { site: "Napier", district: "EASTERN", catchment_population: 1 }] })).toThrow(/sites\[1\]\.site: Napier is registered twice/);
    expect(() => parseSiteRegistry({ sites: [{ site: "Napier", district: "eastern", catchment_population: 60_000 }] })).toThrow();
    expect(() => parseSiteRegistry({ sites: [] })).toThrow();
  });
});
