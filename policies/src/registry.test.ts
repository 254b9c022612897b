import { describe, expect, it } from "vitest";
import { dataDir, inlandRevenue, noting, request, shippedRegistry } from "./events.fixture.js";
import { loadSharingPolicy, parseRegistry } from "./index.js";

const parse = (registry: unknown) => () => parseRegistry(JSON.stringify(registry));
const customsWith = (fields: Record<string, unknown>) => ({ customs: { ...shippedRegistry().customs, ...fields } });
const customsAgreement = () => (shippedRegistry().customs!.agreements as Record<string, unknown>[])[0]!;
const customsAgreementWith = (fields: Record<string, unknown>) => customsWith({ agreements: [{ ...customsAgreement(), ...fields }] });

describe("the shipped subscribers", () => {
  it("are listed by id", async () => {
    const ids = (await loadSharingPolicy()).subscribers().map((s) => s.id);
    expect(ids).toEqual(["community-eastern", "customs", "mbie", "msd", "public"]);
  });

  it.each([
    ["customs", "partner_agency", "takitini.deliver.customs.v1"],
    ["mbie", "partner_agency", "takitini.deliver.mbie.v1"],
    ["msd", "partner_agency", "takitini.deliver.msd.v1"],
    ["community-eastern", "community_leader", "takitini.deliver.community-eastern.v1"],
    ["public", "public", "takitini.deliver.public.v1"],
  ])("%s is a %s delivered on %s", async (id, tier, topic) => {
    const s = (await loadSharingPolicy()).subscribers().find((x) => x.id === id);
    expect(s).toMatchObject({ tier, delivery_topic: topic });
  });

  it("customs is cleared to RESTRICTED and holds the drug-supply agreement", async () => {
    const customs = (await loadSharingPolicy()).subscribers().find((s) => s.id === "customs")!;
    expect(customs.clearance).toBe("RESTRICTED");
    expect(customs.agreements.map((a) => a.rule)).toEqual(["sharing.customs_police_drug_supply"]);
  });

  it("community-eastern covers the Eastern district only", async () => {
    const community = (await loadSharingPolicy()).subscribers().find((s) => s.id === "community-eastern")!;
    expect(community.regions).toEqual(["EASTERN"]);
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
  it("a redaction that is not a field path", () => expect(parse(customsAgreementWith({ redact: ["subjects[*]..name"] }))).toThrow(/field path/));
  it("two agreements with one id", () => {
    expect(parse(customsWith({ agreements: [customsAgreement(), customsAgreement()] }))).toThrow(/unique/);
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
      redact: ["subjects[*].person.full_name", "subjects[*].person.phone_numbers"],
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
