import { describe, expect, it } from "vitest";
import { dataDir, inlandRevenue, noting, request, shippedRegistry } from "./events.fixture.js";
import { loadSharingPolicy, parseRegistry } from "./index.js";
import { registrySchema } from "./registry.js";

const parse = (registry: unknown) => () => parseRegistry(JSON.stringify(registry));
const customsWith = (fields: Record<string, unknown>) => ({ customs: { ...shippedRegistry().customs, ...fields } });
const customsAgreement = () => (shippedRegistry().customs!.agreements as Record<string, unknown>[])[0]!;
const customsAgreementWith = (fields: Record<string, unknown>) => customsWith({ agreements: [{ ...customsAgreement(), ...fields }] });

describe("the shipped subscribers", () => {
  it("are listed by id", async () => {
    const ids = (await loadSharingPolicy()).subscribers().map((s) => s.id);
    expect(ids).toEqual([
      "aus-abf",
      "aus-afp",
      "community-auckland-city",
      "community-bay-of-plenty",
      "community-canterbury",
      "community-central",
      "community-counties-manukau",
      "community-eastern",
      "community-northland",
      "community-southern",
      "community-tasman",
      "community-waikato",
      "community-waitemata",
      "community-wellington",
      "customs",
      "fji-police",
      "gbr-nca",
      "mbie",
      "msd",
      "oranga-tamariki",
      "police",
      "public",
    ]);
  });

  it.each([
    ["customs", "partner_agency", "takitini.deliver.customs.v1"],
    ["mbie", "partner_agency", "takitini.deliver.mbie.v1"],
    ["oranga-tamariki", "partner_agency", "takitini.deliver.oranga-tamariki.v1"],
    ["msd", "partner_agency", "takitini.deliver.msd.v1"],
    ["police", "partner_agency", "takitini.deliver.police.v1"],
    ["community-eastern", "community_leader", "takitini.deliver.community-eastern.v1"],
    ["community-bay-of-plenty", "community_leader", "takitini.deliver.community-bay-of-plenty.v1"],
    ["public", "public", "takitini.deliver.public.v1"],
    ["aus-abf", "foreign_partner", "takitini.deliver.aus-abf.v1"],
    ["aus-afp", "foreign_partner", "takitini.deliver.aus-afp.v1"],
    ["gbr-nca", "foreign_partner", "takitini.deliver.gbr-nca.v1"],
    ["fji-police", "foreign_partner", "takitini.deliver.fji-police.v1"],
  ])("%s is a %s delivered on %s", async (id, tier, topic) => {
    const s = (await loadSharingPolicy()).subscribers().find((x) => x.id === id);
    expect(s).toMatchObject({ tier, delivery_topic: topic });
  });

  it("customs is cleared to RESTRICTED and holds the drug-supply agreement", async () => {
    const customs = (await loadSharingPolicy()).subscribers().find((s) => s.id === "customs")!;
    expect(customs.clearance).toBe("RESTRICTED");
    expect(customs.agreements.map((a) => a.rule)).toContain("sharing.customs_police_drug_supply");
  });

  it("every agreement states a legal basis, and a purpose wherever people's details may flow", async () => {
    for (const s of (await loadSharingPolicy()).subscribers()) {
      for (const a of s.agreements) {
        expect(a.legal_basis.length, a.id).toBeGreaterThan(20);
        if (a.view !== "aggregate_only" && a.de_identified !== true && !a.event_types.includes("police.wastewater_indicator")) {
          expect(a.purpose, a.id).toBeDefined();
        }
      }
    }
  });

  it("community-eastern covers the Eastern district only, community-bay-of-plenty Bay of Plenty only", async () => {
    const subscribers = (await loadSharingPolicy()).subscribers();
    expect(subscribers.find((s) => s.id === "community-eastern")!.regions).toEqual(["EASTERN"]);
    expect(subscribers.find((s) => s.id === "community-bay-of-plenty")!.regions).toEqual(["BAY_OF_PLENTY"]);
  });

  it("name only redaction categories the policy defines", async () => {
    const policy = await loadSharingPolicy();
    const categories = policy.redactionCategories();
    expect(categories).toEqual(expect.arrayContaining(["people", "victims_and_exploited_workers", "children", "vehicles", "subjects"]));
    for (const s of policy.subscribers()) for (const a of s.agreements) for (const c of a.redact) expect(categories, `${s.id}/${a.id}`).toContain(c);
  });

  it("are a copy the caller cannot change the policy through", async () => {
    const policy = await loadSharingPolicy();
    policy.subscribers()[0]!.delivery_topic = "changed";
    expect(policy.subscribers()[0]!.delivery_topic).not.toBe("changed");
  });
});

describe("the registry rejects", () => {
  it("text that is not JSON", () => expect(() => parseRegistry("{")).toThrow(/not JSON/));
  it("an unknown tier", () => expect(parse(customsWith({ tier: "friend" }))).toThrow(/tier/));
  it("an unknown clearance", () => expect(parse(customsWith({ clearance: "ULTRA" }))).toThrow(/clearance/));
  it("a misspelt region", () => expect(parse(customsWith({ regions: ["EASTEN"] }))).toThrow(/regions/));
  it("no regions", () => expect(parse(customsWith({ regions: [] }))).toThrow(/regions/));
  it("a partner agency without its agency code", () => expect(parse(customsWith({ agency: undefined }))).toThrow(/agency/));
  it("an unknown field", () => expect(parse(customsWith({ clearence: "SECRET" }))).toThrow(/clearence/));
  it("a topic that is not a Kafka topic name", () => expect(parse(customsWith({ delivery_topic: "deliver customs" }))).toThrow(/delivery_topic/));
  it("two subscribers on one topic", () => {
    const r = shippedRegistry();
    expect(parse({ ...r, mbie: { ...r.mbie, delivery_topic: "takitini.deliver.customs.v1" } })).toThrow(/own delivery topic/);
  });
  it("an upper-case subscriber id", () => expect(parse({ Customs: shippedRegistry().customs })).toThrow(/subscriber ids/));
  it("a misspelt agreement field", () => expect(parse(customsAgreementWith({ activites: ["FIREARMS"] }))).toThrow(/activites/));
  it("an agreement without a legal basis", () => expect(parse(customsAgreementWith({ legal_basis: "" }))).toThrow(/legal basis/));
  it("an agreement granting view none", () => expect(parse(customsAgreementWith({ view: "none" }))).toThrow(/view/));
  it("an agreement rule outside sharing.*", () => expect(parse(customsAgreementWith({ rule: "allow_all" }))).toThrow(/rule/));
  it("an agreement from an unknown agency", () => expect(parse(customsAgreementWith({ source_agency: "SPECTRE" }))).toThrow(/source_agency/));
  it("an agreement for link alerts (released by their records' agreements, never one of their own)", () => {
    expect(parse(customsAgreementWith({ source_agency: "LINKAGE", event_types: ["linkage.link_alert"], activities: undefined }))).toThrow(/source_agency/);
  });
  it("a redaction that is not a category name", () => expect(parse(customsAgreementWith({ redact: ["subjects[*].person.full_name"] }))).toThrow(/snake_case/));
  it("a purpose the subscriber is not registered for", () => expect(parse(customsAgreementWith({ purpose: "curiosity" }))).toThrow(/purpose/));
  it("a subscriber without purposes", () => expect(parse(customsWith({ purposes: undefined }))).toThrow(/purposes/));
  it("two agreements with one id", () => {
    expect(parse(customsWith({ agreements: [customsAgreement(), customsAgreement()] }))).toThrow(/unique/);
  });
});

describe("a foreign partner", () => {
  const abfWith = (fields: Record<string, unknown>) => ({ "aus-abf": { ...shippedRegistry()["aus-abf"], ...fields } });
  const abfAgreement = () => (shippedRegistry()["aus-abf"]!.agreements as Record<string, unknown>[])[0]!;
  const abfAgreementWith = (fields: Record<string, unknown>) => abfWith({ agreements: [{ ...abfAgreement(), ...fields }] });
  /** Each problem as "path: message". */
  const issues = (registry: unknown) => {
    const r = registrySchema.safeParse(registry);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("has its country, and agreements with a purpose, a legal basis and a record-level view", async () => {
    const foreign = (await loadSharingPolicy()).subscribers().filter((s) => s.tier === "foreign_partner");
    expect(foreign.map((s) => [s.id, s.country])).toEqual([
      ["aus-abf", "AUS"],
      ["aus-afp", "AUS"],
      ["fji-police", "FJI"],
      ["gbr-nca", "GBR"],
    ]);
    for (const s of foreign) {
      expect(s.agency, s.id).toBeUndefined();
      expect(s.delivery_topic).toBe(`takitini.deliver.${s.id}.v1`);
      for (const a of s.agreements) {
        expect(a.purpose, a.id).toBeTruthy();
        expect(a.legal_basis.length, a.id).toBeGreaterThan(20);
        expect(["full", "redacted"], a.id).toContain(a.view);
      }
    }
  });

  it("is parsed as shipped", () => expect(issues(abfWith({}))).toEqual([]));

  it.each([
    ["without a country", { country: undefined }, "aus-abf.country: a foreign partner needs its country (ISO 3166-1 alpha-3)"],
    ["in New Zealand", { country: "NZL" }, "aus-abf.country: a foreign partner is outside New Zealand: its country is not NZL"],
    ["with a lower-case country", { country: "aus" }, "aus-abf.country: expected an ISO 3166-1 alpha-3 country code, upper case (e.g. AUS)"],
    ["with a two-letter country", { country: "AU" }, "aus-abf.country: expected an ISO 3166-1 alpha-3 country code, upper case (e.g. AUS)"],
    ["with a New Zealand agency code", { agency: "ABF" }, "aus-abf.agency: a foreign partner has no New Zealand agency code (RELEASABLE_TO names it by its id)"],
  ])("is rejected %s", (_what, fields, issue) => expect(issues(abfWith(fields))).toEqual([issue]));

  it.each([
    ["without a purpose", { purpose: undefined }, "aus-abf.agreements.0.purpose: a foreign partner's agreement states its purpose"],
    ["with a blank legal basis", { legal_basis: "   " }, "aus-abf.agreements.0.legal_basis: a foreign partner's agreement states its legal basis"],
    ["granting aggregates", { view: "aggregate_only" }, "aus-abf.agreements.0.view: a foreign partner's agreement grants full or redacted (aggregates are for domestic community briefings)"],
    ["granting a de-identified notice", { de_identified: true }, "aus-abf.agreements.0.de_identified: a foreign partner receives no de-identified notices (they are for domestic support)"],
  ])("is rejected holding an agreement %s", (_what, fields, issue) => expect(issues(abfAgreementWith(fields))).toEqual([issue]));

  it("is the only tier with a country", () => {
    expect(issues({ customs: { ...shippedRegistry().customs, country: "NZL" } })).toEqual(["customs.country: only a foreign partner has a country"]);
    expect(parse({ public: { ...shippedRegistry().public, country: "AUS" } })).toThrow(/only a foreign partner has a country/);
  });

  it("receives only what is marked releasable to its country", async () => {
    const policy = await loadSharingPolicy();
    const event = { ...noting("DRUG_SUPPLY"), releasable_to_countries: ["AUS"] };
    expect(policy.decide(request("aus-afp", event))).toMatchObject({ allow: true, view: "redacted", reasons: ["sharing.aus_afp_police_organised_crime_notings"] });
    expect(policy.decide(request("aus-afp", { ...event, releasable_to_countries: [] })).reasons).toEqual(["sharing.not_releasable_to_country"]);
    expect(policy.decide(request("gbr-nca", event)).reasons).toEqual(["sharing.not_releasable_to_country"]);
    // At home the marking changes nothing.
    expect(policy.decide(request("customs", event))).toEqual(policy.decide(request("customs", { ...event, releasable_to_countries: [] })));
  });

  it("whose agreement covers what never leaves New Zealand stops the load", async () => {
    const registry = { ...shippedRegistry(), ...abfAgreementWith({ source_agency: "MSD", event_types: ["msd.whanau_support_referral"] }) };
    await expect(loadSharingPolicy({ dataDir: dataDir(registry) })).rejects.toThrow(/cannot judge subscriber\(s\) aus-abf/);
  });
});

describe("a registry the policy cannot judge stops the load", () => {
  it.each([
    ["an unknown event type", { event_types: ["police.gossip"] }],
    ["another agency's event type", { event_types: ["customs.border_seizure"] }],
    ["a misspelt activity", { activities: ["DRUG_SUPLY"] }],
    ["an unknown redaction category", { redact: ["names"] }],
    ["an unknown operation phase", { operation_phases: ["HOLD"] }],
    ["a de-identified notice that keeps its subjects", { view: "redacted", de_identified: true, redact: ["narrative"] }],
  ])("%s", async (_name, fields) => {
    await expect(loadSharingPolicy({ dataDir: dataDir(customsAgreementWith(fields)) })).rejects.toThrow(/cannot judge subscriber\(s\) customs/);
  });
});

describe("a new partner is a data change", () => {
  const registry = () => ({ ...shippedRegistry(), "inland-revenue": inlandRevenue() });

  it("is listed with its topic", async () => {
    const policy = await loadSharingPolicy({ dataDir: dataDir(registry()) });
    expect(policy.subscribers().find((s) => s.id === "inland-revenue")?.delivery_topic).toBe("takitini.deliver.inland-revenue.v1");
  });

  it("receives what its agreement allows, redacted as agreed", async () => {
    const policy = await loadSharingPolicy({ dataDir: dataDir(registry()) });
    expect(policy.decide(request("inland-revenue", noting("MONEY_LAUNDERING")))).toMatchObject({
      allow: true,
      view: "redacted",
      redact: ["subjects[*].person.aliases", "subjects[*].person.date_of_birth", "subjects[*].person.full_name", "subjects[*].person.phone_numbers"],
      reasons: ["sharing.ir_police_money_laundering"],
      legal_basis: "Tax Administration Act 1994, s 18E",
    });
  });

  it("receives nothing its agreement does not cover", async () => {
    const policy = await loadSharingPolicy({ dataDir: dataDir(registry()) });
    expect(policy.decide(request("inland-revenue", noting("DRUG_SUPPLY"))).reasons).toEqual(["sharing.default_deny"]);
  });

  it("leaves existing partners' decisions as they were", async () => {
    const policy = await loadSharingPolicy({ dataDir: dataDir(registry()) });
    expect(policy.decide(request("customs")).reasons).toEqual(["sharing.customs_police_drug_supply"]);
  });
});
