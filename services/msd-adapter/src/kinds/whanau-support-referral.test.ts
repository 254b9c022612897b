import { checkSyntheticRecords } from "@takitini/adapter-kit/testing";
import { Agency, Classification, HandlingCaveat, IntelligenceEvent, PoliceDistrict, SupportService } from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { whanauSupportReferral } from "./whanau-support-referral.js";

const kind = whanauSupportReferral;
const at = new Date("2026-11-20T00:00:00Z");
const example = kind.example as Record<string, unknown>;
/** The example with fields replaced; `undefined` removes a field. */
const record = (patch: Record<string, unknown> = {}) => Object.fromEntries(Object.entries({ ...example, ...patch }).filter(([, v]) => v !== undefined));
const issuePaths = (r: unknown) => {
  const result = kind.schema.safeParse(r);
  return result.success ? [] : zodIssues(result.error).map((i) => i.path);
};
const mapped = (patch: Record<string, unknown> = {}) => kind.map(kind.schema.parse(record(patch)), at);

describe("whanau_support_referral: the example", () => {
  it("validates", () => {
    expect(issuePaths(example)).toEqual([]);
  });

  it("maps every envelope and payload field, with MSD's defaults and no subjects", () => {
    expect(mapped()).toEqual({
      id: "", // the intake derives it, keyed (ingest.ts)
      publisher: "",
      supersedes: "", // a first version: a correction sets both (revision.proto)
      originalEventId: "",
      sourceAgency: Agency.AGENCY_MSD,
      eventType: "msd.whanau_support_referral",
      occurredAt: new Date("2023-06-26T00:00:00Z"),
      publishedAt: at,
      region: PoliceDistrict.POLICE_DISTRICT_SOUTHERN,
      classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
      handling: { caveats: [], releasableTo: [], releasableToCountries: [] },
      legalBasis: {
        instrument: "Privacy Act 2020",
        provision: "IPP 11(h)(i)",
        description: "de-identified counts from MSD's functions under the Social Security Act 2018; no individual is identified",
      },
      operationRef: "Operation Pakari",
      subjects: [],
      sourceRecordId: "MSD-WSR-2023-W26-SOU-01",
      payload: {
        $case: "msdWhanauSupportReferral",
        value: {
          referralBatchRef: "MSD-WSR-2023-W26-SOU-01",
          service: SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION,
          whanauCount: 12,
          childrenCount: 47,
          referralWeek: "2023-W26",
          provider: "Mātaura Community Hub",
        },
      },
    });
  });

  it("derives the event id from the batch reference alone, whenever it is published", () => {
    expect(kind.nativeId(kind.schema.parse(example))).toBe("MSD-WSR-2023-W26-SOU-01");
    expect(kind.map(kind.schema.parse(example), new Date("2030-01-01T00:00:00Z")).id).toBe(mapped().id);
  });

  it("leaves the operation reference empty when no operation is linked", () => {
    expect(mapped({ linked_operation: undefined }).operationRef).toBe("");
  });

  it.each([
    ["Porirua", PoliceDistrict.POLICE_DISTRICT_WELLINGTON],
    ["West Coast", PoliceDistrict.POLICE_DISTRICT_TASMAN],
    ["Counties Manukau", PoliceDistrict.POLICE_DISTRICT_COUNTIES_MANUKAU],
    ["Tāmaki Makaurau", PoliceDistrict.POLICE_DISTRICT_AUCKLAND_CITY],
  ])("carries the region %s as the district %s", (region, district) => {
    expect(mapped({ region }).region).toBe(district);
  });

  it.each([
    ["addiction_treatment", SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT],
    ["rangatahi_mentoring", SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING],
    ["reintegration", SupportService.SUPPORT_SERVICE_REINTEGRATION],
    ["harm_reduction", SupportService.SUPPORT_SERVICE_HARM_REDUCTION],
  ])("maps the service %s", (service, value) => {
    expect(mapped({ service }).payload).toMatchObject({ value: { service: value } });
  });
});

describe("whanau_support_referral: validation", () => {
  it.each([
    ["a missing batch reference", { referral_batch_ref: undefined }, "referral_batch_ref"],
    ["a missing region", { region: undefined }, "region"],
    ["a missing service", { service: undefined }, "service"],
    ["a missing whānau count", { whanau_count: undefined }, "whanau_count"],
    ["a missing children count", { children_count: undefined }, "children_count"],
    ["a missing week", { referral_week: undefined }, "referral_week"],
    ["a missing provider", { provider: undefined }, "provider"],
    ["a batch reference with spaces", { referral_batch_ref: "MSD WSR 1" }, "referral_batch_ref"],
    ["a count as a string", { whanau_count: "12" }, "whanau_count"],
    ["a fractional count", { children_count: 4.5 }, "children_count"],
    ["a negative count", { whanau_count: -1 }, "whanau_count"],
    ["an implausible count", { whanau_count: 10_001 }, "whanau_count"],
    ["an unknown service", { service: "counselling" }, "service"],
    ["a service in te reo spelling", { service: "whānau_navigation" }, "service"],
    ["an unknown region", { region: "Gotham" }, "region"],
    ["a town for a region", { region: "Mātaura" }, "region"],
    ["week 53 in a 52-week year", { referral_week: "2023-W53" }, "referral_week"],
    ["a date for a week", { referral_week: "2023-06-26" }, "referral_week"],
    ["an unknown classification", { classification: "PROTECTED" }, "classification"],
    ["a control character in the provider", { provider: "Mātaura\u0000Hub" }, "provider"],
    ["a line break in the provider", { provider: "Mātaura\r\nHub" }, "provider"],
    ["a control character in the operation", { linked_operation: "Operation\u009bPakari" }, "linked_operation"],
    ["a blank operation", { linked_operation: " " }, "linked_operation"],
  ])("rejects %s", (_name, patch, path) => {
    expect(issuePaths(record(patch))).toContain(path);
  });

  it("rejects unknown fields by name, subjects included: MSD sends counts only", () => {
    expect(issuePaths(record({ persons: [{ person_id: "P-1", name: "Mere" }], whanau_names: [] }))).toEqual(["persons", "whanau_names"]);
  });

  it("rejects children referred without any whānau", () => {
    expect(issuePaths(record({ whanau_count: 0, children_count: 3 }))).toEqual(["children_count"]);
  });

  it.each([
    ["a nil return", { whanau_count: 0, children_count: 0 }],
    ["whānau without children", { whanau_count: 4, children_count: 0 }],
    ["week 53 in a long year", { referral_week: "2020-W53" }],
    ["the upper bounds", { whanau_count: 10_000, children_count: 50_000 }],
    ["a Police district", { region: "Wellington" }],
  ])("accepts %s", (_name, patch) => {
    expect(issuePaths(record(patch))).toEqual([]);
  });

  it("keeps macrons and composes decomposed ones", () => {
    expect(mapped({ provider: "Whakato\u0304hea Wha\u0304nau Support Collective", region: "Bay of Plenty", linked_operation: "Operation Highwater" }).payload).toMatchObject({
      value: { provider: "Whakatōhea Whānau Support Collective" },
    });
  });
});

describe("whanau_support_referral: markings", () => {
  it("honours the record's own marking and legal basis", () => {
    const e = mapped({ classification: "SENSITIVE", caveats: ["NO COMMUNITY RELEASE"], legal_basis: { instrument: "Social Security Act 2018", provision: "s 3" } });
    expect(e.classification).toBe(Classification.CLASSIFICATION_SENSITIVE);
    expect(e.handling?.caveats).toEqual([HandlingCaveat.HANDLING_CAVEAT_NO_COMMUNITY_RELEASE]);
    expect(e.legalBasis).toEqual({ instrument: "Social Security Act 2018", provision: "s 3", description: "" });
  });
});

describe("whanau_support_referral: protobuf", () => {
  it("round-trips through bytes", () => {
    const event = mapped();
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish())).toEqual(event);
  });
});

describe("whanau_support_referral: synthetic records", () => {
  const records = checkSyntheticRecords(kind, at);

  it("weigh toward the ROCC regions where the programme began, with unique ids", () => {
    const parsed = records.map((r) => kind.schema.parse(r));
    const inRegion = (name: string) => parsed.filter((r) => r.region === name).length;
    expect(new Set(parsed.map((r) => r.region))).toEqual(new Set(["Eastern", "Northland", "Counties Manukau", "Bay of Plenty", "Porirua", "West Coast", "Southland"]));
    expect(inRegion("Eastern")).toBeGreaterThan(inRegion("West Coast"));
    expect(parsed.some((r) => r.linked_operation === "Operation Highwater" && r.region === "Bay of Plenty")).toBe(true);
    expect(new Set(parsed.map((r) => r.referral_batch_ref)).size).toBe(records.length);
  });
});
