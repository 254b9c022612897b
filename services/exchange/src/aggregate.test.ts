import { AggregateView, IntelligenceEvent, PoliceDistrict } from "@takitini/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadRegions } from "@takitini/policies";
import { aggregateView, disclosableLocality, hasAggregateView, localityKey, localityTable } from "./aggregate.js";
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
    // only the envelope's event type does, a wastewater site the registry names and a locality the table names (below).
    expect(view.site === "" || SITES.has(view.site)).toBe(true);
    expect(view.locality === "" || REGISTERED.has(view.locality)).toBe(true);
    const eventStrings = strings(IntelligenceEvent.toJSON(event)).filter((s) => s.length >= 3 && s !== event.eventType && !/^[A-Z0-9_]+$/.test(s) && s !== view.week && s !== view.site && s !== view.locality);
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
const REGIONS = loadRegions();
/** Every name the locality table holds, in any district. */
const REGISTERED = new Set(REGIONS.regions.flatMap((r) => r.localities));
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

/** A located event of `type` (a firearms seizure or an exploitation complaint) naming `locality`, in `region`. */
function located(type: "police.firearms_seizure" | "mbie.exploitation_complaint", locality: string, region: PoliceDistrict): IntelligenceEvent {
  const e = fullEvent(type);
  const p = e.payload;
  if (p?.$case === "policeFirearmsSeizure") return { ...e, region, payload: { ...p, value: { ...p.value, locality } } };
  if (p?.$case === "mbieExploitationComplaint") return { ...e, region, payload: { ...p, value: { ...p.value, locality } } };
  throw new Error("fixture");
}
const BOP = PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY;
const localityOf = (e: IntelligenceEvent) => aggregateView(e, D)!.locality;

describe("localities in community views (a town is a place, not a person)", () => {
  it("names a registered locality of the event's own district, by the table's spelling, for a firearms seizure and a complaint", () => {
    expect(localityOf(located("police.firearms_seizure", "Kawerau", BOP))).toBe("Kawerau");
    expect(localityOf(located("mbie.exploitation_complaint", "Te Puke", BOP))).toBe("Te Puke");
    // The shipped fixtures are located in Bay of Plenty too.
    expect(aggregateView(fullEvent("police.firearms_seizure"), D)!.locality).toBe("Kawerau");
    expect(aggregateView(fullEvent("mbie.exploitation_complaint"), D)!.locality).toBe("Te Puke");
  });

  it("finds it whatever the case, macrons, decomposition or spaces, and delivers the table's spelling", () => {
    for (const typed of ["Ōpōtiki", "ōpōtiki", "OPOTIKI", "Opotiki", " O\u0304po\u0304tiki ", "ŌPŌTIKI", "opōtiki", "\tŌpōtiki\n"]) {
      expect(localityOf(located("police.firearms_seizure", typed, BOP)), JSON.stringify(typed)).toBe("Ōpōtiki");
    }
    expect(localityOf(located("mbie.exploitation_complaint", "te  puke", BOP))).toBe("Te Puke");
    expect(localityOf(located("mbie.exploitation_complaint", "PĀENGAROA", BOP))).toBe("Pāengaroa");
  });

  it("gives one spelling for one place where the table lists it with and without macrons", () => {
    const northland = PoliceDistrict.POLICE_DISTRICT_NORTHLAND;
    expect(REGIONS.regions.find((r) => r.code === "NORTHLAND")!.localities).toEqual(expect.arrayContaining(["Kaitaia", "Kaitāia"]));
    expect(localityOf(located("police.firearms_seizure", "Kaitaia", northland))).toBe("Kaitāia");
    expect(localityOf(located("police.firearms_seizure", "Kaitāia", northland))).toBe("Kaitāia");
    expect(localityOf(located("police.firearms_seizure", "Onehunga", PoliceDistrict.POLICE_DISTRICT_AUCKLAND_CITY))).toBe("Ōnehunga");
  });

  it("names nothing for free text, an unknown place, a street or a place in another district", () => {
    for (const typed of ["", " ", "Gotham", "the house by the wharf", "12 Church Street, Ōpōtiki", "Ōpōtiki East", "Ōpōtiki (the Smith farm)", "Hēmi Tāwhiri", "Ōpōtiki\u0000", "Ō", "Op0tiki"]) {
      expect(localityOf(located("police.firearms_seizure", typed, BOP)), JSON.stringify(typed)).toBe("");
    }
    // Ōpōtiki lies in Bay of Plenty: filed under Eastern, it is not named.
    expect(localityOf(located("police.firearms_seizure", "Ōpōtiki", PoliceDistrict.POLICE_DISTRICT_EASTERN))).toBe("");
    expect(localityOf(located("mbie.exploitation_complaint", "Gisborne", BOP))).toBe("");
    expect(localityOf(located("mbie.exploitation_complaint", "Te Puke", PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED))).toBe("");
  });

  it("names none for any other event type: not a noting's locality, not an operation's list, not a site", () => {
    for (const type of WITH_AGGREGATES.filter((t) => t !== "police.firearms_seizure" && t !== "mbie.exploitation_complaint")) expect(aggregateView(fullEvent(type), D)!.locality, type).toBe("");
    // A noting and an operation update have no aggregate view at all (their localities never reach one).
    expect(aggregateView(fullEvent("police.organised_crime_noting"), D)).toBeNull();
    expect(aggregateView(fullEvent("police.operation_update"), D)).toBeNull();
  });

  it("reads the table it is given, and compares keys the documented way", () => {
    const table = localityTable({ regions: [{ ...REGIONS.regions[0]!, code: "EASTERN", localities: ["Wairoa", "Tūranganui-a-Kiwa"] }] });
    expect(disclosableLocality(table, "turanganui-a-kiwa", "POLICE_DISTRICT_EASTERN")).toBe("Tūranganui-a-Kiwa");
    expect(disclosableLocality(table, "Wairoa", "EASTERN")).toBe("Wairoa");
    expect(disclosableLocality(table, "Wairoa", "NORTHLAND")).toBe("");
    expect(localityKey("  O\u0304po\u0304tiki\u00a0 ")).toBe("opotiki");
    expect(aggregateView(located("police.firearms_seizure", "Wairoa", PoliceDistrict.POLICE_DISTRICT_EASTERN), D, SITES, table)!.locality).toBe("Wairoa");
    expect(aggregateView(located("police.firearms_seizure", "Kawerau", BOP), D, SITES, table)!.locality).toBe("");
  });

  it("delivers no arbitrary text: only a name the table registers for the event's district, whose key is the record's", () => {
    const names = [...REGISTERED];
    const variant = fc.constantFrom(...names).chain((n) =>
      fc.constantFrom(n, n.toUpperCase(), n.toLowerCase(), n.normalize("NFD"), ` ${n} `, n.normalize("NFD").replace(/\u0304/g, ""), `${n}x`, `x ${n}`, `${n}, ${n}`),
    );
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 20 }), fc.string({ unit: "binary", maxLength: 20 }), variant);
    let named = 0;
    fc.assert(
      fc.property(text, fc.constantFrom("police.firearms_seizure", "mbie.exploitation_complaint") as fc.Arbitrary<"police.firearms_seizure" | "mbie.exploitation_complaint">, fc.constantFrom(...DISTRICTS), (typed, type, region) => {
        const view = aggregateView(located(type, typed, region), D)!;
        if (view.locality === "") return;
        named++;
        const district = REGIONS.regions.find((r) => `POLICE_DISTRICT_${r.code}` === region)!;
        expect(district.localities).toContain(view.locality);
        expect(localityKey(view.locality)).toBe(localityKey(typed));
        // Nothing else of the typed text: the view's only strings are codes, the week and the table's name.
        expect(strings(AggregateView.toJSON(view)).filter((s) => s !== view.locality && s !== view.week && s !== view.eventType && !/^[A-Z0-9_]+$/.test(s) && !/^[a-z0-9_]*$/.test(s))).toEqual([]);
      }),
      { numRuns: 2000 },
    );
    // Not vacuous: registered names in their own district were generated, and named.
    expect(named).toBeGreaterThan(20);
  });
});
