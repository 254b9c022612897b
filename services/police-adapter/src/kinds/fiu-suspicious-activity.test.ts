import { MarkingBelowFloor } from "@takitini/adapter-kit";
import { checkSyntheticRecords } from "@takitini/adapter-kit/testing";
import { Agency, Classification, HandlingCaveat, IntelligenceEvent, LaunderingTypology, OrganisationKind, PoliceDistrict, ReportingSector, ValueBand } from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { fiuSuspiciousActivity, REPORTING_SECTORS, TYPOLOGIES } from "./fiu-suspicious-activity.js";

const kind = fiuSuspiciousActivity;
const at = new Date("2026-11-20T00:00:00Z");
const example = kind.example as Record<string, unknown>;
/** The example with fields replaced; `undefined` removes a field. */
const record = (patch: Record<string, unknown> = {}) => Object.fromEntries(Object.entries({ ...example, ...patch }).filter(([, v]) => v !== undefined));
const issuePaths = (r: unknown) => {
  const result = kind.schema.safeParse(r);
  return result.success ? [] : zodIssues(result.error).map((i) => i.path);
};
const mapped = (patch: Record<string, unknown> = {}) => kind.map(kind.schema.parse(record(patch)), at);

describe("fiu_suspicious_activity: the example", () => {
  it("validates", () => {
    expect(issuePaths(example)).toEqual([]);
  });

  it("maps the envelope and every payload field, with the FIU's markings and legal basis", () => {
    const e = mapped();
    expect(e).toMatchObject({
      sourceAgency: Agency.AGENCY_POLICE,
      eventType: "police.fiu_suspicious_activity",
      occurredAt: new Date("2026-10-11T21:30:00Z"),
      region: PoliceDistrict.POLICE_DISTRICT_COUNTIES_MANUKAU,
      classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
      handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL], releasableTo: [], releasableToCountries: [] },
      legalBasis: { instrument: "Anti-Money Laundering and Countering Financing of Terrorism Act 2009", provision: "s 139A" },
      operationRef: "",
      sourceRecordId: "FIU-SAR-2026-0417",
    });
    expect(e.payload).toEqual({
      $case: "policeFiuSuspiciousActivity",
      value: {
        reportingSector: ReportingSector.REPORTING_SECTOR_MONEY_SERVICE,
        typologies: [LaunderingTypology.LAUNDERING_TYPOLOGY_STRUCTURING, LaunderingTypology.LAUNDERING_TYPOLOGY_TRADE_BASED_LAUNDERING],
        reportsSummarised: 14,
        totalValueBand: ValueBand.VALUE_BAND_100K_TO_1M,
        periodStart: "2026-07-01",
        periodEnd: "2026-09-30",
      },
    });
    expect(e.subjects.map((s) => s.entity?.$case)).toEqual(["person", "organisation"]);
    const org = e.subjects[1]?.entity;
    expect(org?.$case === "organisation" && org.value).toEqual({ subjectId: "police/organisation/O-5521", name: "Harbourside Imports Ltd", kind: OrganisationKind.ORGANISATION_KIND_COMPANY, registrationNumber: "7788123" });
  });

  it("maps every sector and typology to its own enum value", () => {
    const sectors = REPORTING_SECTORS.map((s) => (mapped({ reporting_sector: s }).payload as { value: { reportingSector: string } }).value.reportingSector);
    expect(new Set(sectors).size).toBe(REPORTING_SECTORS.length);
    expect(sectors).not.toContain(ReportingSector.REPORTING_SECTOR_UNSPECIFIED);
    const typologies = (mapped({ typologies: [...TYPOLOGIES] }).payload as { value: { typologies: string[] } }).value.typologies;
    expect(new Set(typologies).size).toBe(TYPOLOGIES.length);
    expect(typologies).not.toContain(LaunderingTypology.LAUNDERING_TYPOLOGY_UNSPECIFIED);
  });

  it("round-trips through protobuf bytes", () => {
    const event = mapped();
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish())).toEqual(event);
  });
});

describe("fiu_suspicious_activity: validation", () => {
  it.each([
    ["a missing summary id", { summary_id: undefined }, "summary_id"],
    ["no typologies", { typologies: [] }, "typologies"],
    ["an unknown typology", { typologies: ["structuring", "smurfing"] }, "typologies[1]"],
    ["an unknown sector", { reporting_sector: "pawnbroker" }, "reporting_sector"],
    ["no reports", { reports_summarised: 0 }, "reports_summarised"],
    ["a fractional count", { reports_summarised: 2.5 }, "reports_summarised"],
    ["an exact value instead of a band", { total_value_band: 250000 }, "total_value_band"],
    ["an unknown band", { total_value_band: "lots" }, "total_value_band"],
    ["a period ending before it starts", { period_start: "2026-09-30", period_end: "2026-07-01" }, "period_end"],
    ["a summary issued before its period", { issued_at: "2026-06-01T10:00:00+12:00" }, "issued_at"],
    ["a bad period date", { period_start: "1/7/2026" }, "period_start"],
    ["free text it does not take", { narrative: "Jordan Walker deposited cash" }, "narrative"],
  ])("rejects %s", (_name, patch, path) => {
    expect(issuePaths(record(patch))).toContain(path);
  });

  it("rejects a typology listed twice, at the repeat", () => {
    expect(issuePaths(record({ typologies: ["structuring", "scam_proceeds", "structuring"] }))).toEqual(["typologies[2]"]);
  });
});

describe("fiu_suspicious_activity: markings", () => {
  it("may be raised, never lowered below IN-CONFIDENCE and ORIGINATOR CONTROL", () => {
    expect(mapped({ classification: "RESTRICTED", caveats: ["ORIGINATOR CONTROL", "LAW ENFORCEMENT ONLY"] }).classification).toBe(Classification.CLASSIFICATION_RESTRICTED);
    expect(() => mapped({ classification: "UNCLASSIFIED" })).toThrow(MarkingBelowFloor);
    expect(() => mapped({ caveats: [] })).toThrow(MarkingBelowFloor);
  });
});

describe("fiu_suspicious_activity: synthetic records", () => {
  const records = checkSyntheticRecords(kind, at);

  it("are mostly a few reports from banks and money services, with unique ids", () => {
    const parsed = records.map((r) => kind.schema.parse(r));
    expect(parsed.filter((r) => r.reports_summarised <= 6).length / parsed.length).toBeGreaterThan(0.6);
    expect(parsed.filter((r) => r.reporting_sector === "bank" || r.reporting_sector === "money_service").length / parsed.length).toBeGreaterThan(0.4);
    expect(new Set(parsed.map((r) => r.summary_id)).size).toBe(records.length);
  });
});
