import { checkSyntheticRecords } from "@takitini/adapter-kit/testing";
import { Agency, Classification, IntelligenceEvent, PoliceDistrict, SupportService } from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { communityResilienceReport } from "./community-resilience-report.js";

const kind = communityResilienceReport;
const at = new Date("2026-11-20T00:00:00Z");
const example = kind.example as Record<string, unknown>;
/** The example with fields replaced; `undefined` removes a field. */
const record = (patch: Record<string, unknown> = {}) => Object.fromEntries(Object.entries({ ...example, ...patch }).filter(([, v]) => v !== undefined));
const issuePaths = (r: unknown) => {
  const result = kind.schema.safeParse(r);
  return result.success ? [] : zodIssues(result.error).map((i) => i.path);
};
const mapped = (patch: Record<string, unknown> = {}) => kind.map(kind.schema.parse(record(patch)), at);
const fundingCents = (patch: Record<string, unknown>) => {
  const p = mapped(patch).payload;
  return p?.$case === "msdCommunityResilienceReport" ? p.value.fundingCents : undefined;
};

describe("community_resilience_report: the example", () => {
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
      eventType: "msd.community_resilience_report",
      occurredAt: new Date("2026-09-30T00:00:00Z"),
      publishedAt: at,
      region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
      classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
      handling: { caveats: [], releasableTo: [], releasableToCountries: [] },
      legalBasis: {
        instrument: "Privacy Act 2020",
        provision: "IPP 11(h)(i)",
        description: "de-identified counts from MSD's functions under the Social Security Act 2018; no individual is identified",
      },
      operationRef: "",
      subjects: [],
      sourceRecordId: "MSD-CRR-2026-Q3-BOP-004",
      payload: {
        $case: "msdCommunityResilienceReport",
        value: {
          programme: "Resilience to Organised Crime in Communities",
          provider: "Whakatōhea Whānau Support Collective",
          periodStart: "2026-07-01",
          periodEnd: "2026-09-30",
          fundingCents: "48500035",
          services: [
            { service: SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, peopleServed: 86, sessions: 412 },
            { service: SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT, peopleServed: 41, sessions: 268 },
            { service: SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING, peopleServed: 58, sessions: 230 },
          ],
        },
      },
    });
  });

  it("derives the event id from the report id alone, whenever it is published", () => {
    expect(kind.nativeId(kind.schema.parse(example))).toBe("MSD-CRR-2026-Q3-BOP-004");
    expect(kind.map(kind.schema.parse(example), new Date("2030-01-01T00:00:00Z")).id).toBe(mapped().id);
  });

  it.each([
    ["the whole fund as a number", 27_800_000, "2780000000"],
    ["the whole fund as text", "27800000.00", "2780000000"],
    ["an amount a float multiplies wrongly", 4.35, "435"],
    ["cents as text", "1234567.89", "123456789"],
    ["one cent", 0.01, "1"],
    ["nothing", 0, "0"],
  ])("maps %s to exact cents", (_name, funding_nzd, cents) => {
    expect(fundingCents({ funding_nzd })).toBe(cents);
  });

  it("carries ROCC regions as their districts", () => {
    expect(mapped({ region: "West Coast" }).region).toBe(PoliceDistrict.POLICE_DISTRICT_TASMAN);
    expect(mapped({ region: "Porirua" }).region).toBe(PoliceDistrict.POLICE_DISTRICT_WELLINGTON);
  });
});

describe("community_resilience_report: validation", () => {
  it.each([
    ["a missing report id", { report_id: undefined }, "report_id"],
    ["a missing programme", { programme: undefined }, "programme"],
    ["a missing provider", { provider: undefined }, "provider"],
    ["a missing region", { region: undefined }, "region"],
    ["a missing period start", { period_start: undefined }, "period_start"],
    ["a missing period end", { period_end: undefined }, "period_end"],
    ["missing funding", { funding_nzd: undefined }, "funding_nzd"],
    ["missing services", { services: undefined }, "services"],
    ["funding with fractions of a cent", { funding_nzd: 485000.355 }, "funding_nzd"],
    ["negative funding", { funding_nzd: -1 }, "funding_nzd"],
    ["funding with separators", { funding_nzd: "485,000.35" }, "funding_nzd"],
    ["funding as a boolean", { funding_nzd: true }, "funding_nzd"],
    ["a date that does not exist", { period_end: "2026-09-31" }, "period_end"],
    ["a date-time for a date", { period_start: "2026-07-01T00:00:00Z" }, "period_start"],
    ["services as an object", { services: { service: "harm_reduction" } }, "services"],
    ["an unknown service", { services: [{ service: "counselling", people_served: 1, sessions: 1 }] }, "services[0].service"],
    ["a service without sessions", { services: [{ service: "harm_reduction", people_served: 5 }] }, "services[0].sessions"],
    ["people served as a string", { services: [{ service: "harm_reduction", people_served: "5", sessions: 9 }] }, "services[0].people_served"],
    ["negative sessions", { services: [{ service: "harm_reduction", people_served: 5, sessions: -9 }] }, "services[0].sessions"],
    ["an implausible number served", { services: [{ service: "harm_reduction", people_served: 100_001, sessions: 9 }] }, "services[0].people_served"],
    ["an unknown field in a service", { services: [{ service: "harm_reduction", people_served: 5, sessions: 9, cost: 10 }] }, "services[0].cost"],
    ["an unknown region", { region: "Hawke's Bay" }, "region"],
    ["a control character in the programme", { programme: "ROCC\u0000" }, "programme"],
    ["a tab in the provider", { provider: "Whakatōhea\tCollective" }, "provider"],
  ])("rejects %s", (_name, patch, path) => {
    expect(issuePaths(record(patch))).toContain(path);
  });

  it("rejects unknown fields by name", () => {
    expect(issuePaths(record({ funding_cents: "48500035", organisations: [] }))).toEqual(["funding_cents", "organisations"]);
  });

  it("rejects a period that ends before it starts, at its end", () => {
    expect(issuePaths(record({ period_start: "2026-10-01", period_end: "2026-09-30" }))).toEqual(["period_end"]);
  });

  it("rejects a service reported twice, at the repeat", () => {
    const services = [
      { service: "harm_reduction", people_served: 5, sessions: 9 },
      { service: "reintegration", people_served: 2, sessions: 4 },
      { service: "harm_reduction", people_served: 1, sessions: 1 },
    ];
    expect(issuePaths(record({ services }))).toEqual(["services[2].service"]);
  });

  it.each([
    ["a one-day period", { period_start: "2026-07-01", period_end: "2026-07-01" }],
    ["a period across a year end", { period_start: "2025-10-01", period_end: "2026-03-31" }],
    ["a quarter with nothing delivered yet", { services: [] }],
    ["every service", { services: ["addiction_treatment", "whanau_navigation", "rangatahi_mentoring", "reintegration", "harm_reduction"].map((service) => ({ service, people_served: 1, sessions: 1 })) }],
    ["the largest amount", { funding_nzd: "999999999999.99" }],
    ["a Police district", { region: "Southern" }],
  ])("accepts %s", (_name, patch) => {
    expect(issuePaths(record(patch))).toEqual([]);
  });

  it("keeps macrons and composes decomposed ones", () => {
    const e = mapped({ provider: "Ma\u0304taura Community Hub", programme: "Community Resilience and Whānau Support Fund", region: "Southland" });
    expect(e.payload).toMatchObject({ value: { provider: "Mātaura Community Hub", programme: "Community Resilience and Whānau Support Fund" } });
  });
});

describe("community_resilience_report: protobuf", () => {
  it("round-trips through bytes, funding as an exact int64 string", () => {
    const event = mapped({ funding_nzd: "999999999999.99" });
    const decoded = IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish());
    expect(decoded).toEqual(event);
    expect(decoded.payload).toMatchObject({ value: { fundingCents: "99999999999999" } });
  });
});

describe("community_resilience_report: synthetic records", () => {
  const records = checkSyntheticRecords(kind, at);

  it("give funding both as numbers and as text, cents intact, with unique ids", () => {
    const raw = records as { funding_nzd: number | string }[];
    expect(raw.some((r) => typeof r.funding_nzd === "number")).toBe(true);
    expect(raw.some((r) => typeof r.funding_nzd === "string")).toBe(true);
    for (const r of raw) {
      const cents = fundingCents(r as Record<string, unknown>);
      expect(BigInt(cents!)).toBe(BigInt(Math.round(Number(r.funding_nzd) * 100)));
    }
    expect(new Set(records.map((r) => (r as { report_id: string }).report_id)).size).toBe(records.length);
  });
});
