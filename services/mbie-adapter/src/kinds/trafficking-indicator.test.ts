import { MarkingBelowFloor, seededRandom } from "@takitini/adapter-kit";
import {
  Agency,
  Classification,
  HandlingCaveat,
  IdentityDocumentKind,
  Industry,
  InformationCredibility,
  IntelligenceEvent,
  OrganisationKind,
  PoliceDistrict,
  SourceReliability,
  SubjectRole,
  TraffickingIndicator,
} from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { MBIE_TRAFFICKING_DEFAULTS } from "../defaults.js";
import { traffickingIndicator, traffickingIndicatorSchema, type TraffickingIndicatorRecord } from "./trafficking-indicator.js";

const at = new Date("2026-11-20T00:00:00Z");
const example = traffickingIndicator.example as Record<string, unknown>;
const withField = (patch: Record<string, unknown>) => ({ ...example, ...patch });
const parse = (input: unknown) => traffickingIndicatorSchema.parse(input);
const map = (input: unknown) => traffickingIndicator.map(parse(input), at);
const paths = (input: unknown) => {
  const r = traffickingIndicatorSchema.safeParse(input);
  return r.success ? [] : zodIssues(r.error).map((i) => i.path);
};
const payloadOf = (e: IntelligenceEvent) => {
  if (e.payload?.$case !== "mbieTraffickingIndicator") throw new Error(`unexpected payload ${e.payload?.$case}`);
  return e.payload.value;
};
const person = (id: string, name: string, role: SubjectRole, extra: Record<string, unknown> = {}) => ({
  entity: {
    $case: "person",
    value: { subjectId: `mbie/person/${id}`, fullName: name, aliases: [], dateOfBirth: "", address: "", phoneNumbers: [], documents: [], role, isMinor: false, ...extra },
  },
});

describe("trafficking_indicator: the example", () => {
  it("validates and names its kind", () => {
    expect(traffickingIndicatorSchema.safeParse(example).success).toBe(true);
    expect(traffickingIndicator.recordType).toBe("trafficking_indicator");
    expect(traffickingIndicator.eventType).toBe("mbie.trafficking_indicator");
    expect(traffickingIndicator.httpPath).toBe("/v1/trafficking-indicators");
    expect(traffickingIndicator.nativeId(parse(example))).toBe("INZ-TI-2026-0219");
  });

  it("maps every envelope and payload field, with the trafficking defaults", () => {
    expect(map(example)).toEqual({
      id: "", // the intake derives it, keyed (ingest.ts)
      publisher: "",
      supersedes: "", // a first version: a correction sets both (revision.proto)
      originalEventId: "",
      sourceAgency: Agency.AGENCY_MBIE,
      eventType: "mbie.trafficking_indicator",
      occurredAt: new Date("2026-11-02T03:45:00.000Z"),
      publishedAt: at,
      region: PoliceDistrict.POLICE_DISTRICT_COUNTIES_MANUKAU,
      classification: Classification.CLASSIFICATION_SENSITIVE,
      handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL, HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: [], releasableToCountries: [] },
      grading: {
        sourceReliability: SourceReliability.SOURCE_RELIABILITY_B_USUALLY_RELIABLE,
        informationCredibility: InformationCredibility.INFORMATION_CREDIBILITY_2_PROBABLY_TRUE,
      },
      legalBasis: MBIE_TRAFFICKING_DEFAULTS.legalBasis,
      operationRef: "",
      subjects: [
        person("V-1187", "Mohammed Rahman", SubjectRole.SUBJECT_ROLE_VICTIM, {
          dateOfBirth: "1993-12-04",
          documents: [{ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, number: "A0293847", issuingCountry: "BD" }],
        }),
        person("V-1188", "Nguyễn Văn Minh", SubjectRole.SUBJECT_ROLE_VICTIM),
        person("P-1189", "Rajesh Kumar", SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST, {
          aliases: ["Raj"],
          phoneNumbers: ["+91 98100 55512"],
          documents: [{ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, number: "Z5829104", issuingCountry: "IN" }],
        }),
        {
          entity: {
            $case: "organisation",
            value: { subjectId: "mbie/organisation/E-66031", name: "Māngere Build Group Limited", kind: OrganisationKind.ORGANISATION_KIND_COMPANY, registrationNumber: "9429048876543" },
          },
        },
      ],
      sourceRecordId: "INZ-TI-2026-0219",
      payload: {
        $case: "mbieTraffickingIndicator",
        value: {
          caseRef: "INZ-INV-2026-0088",
          indicators: [
            TraffickingIndicator.TRAFFICKING_INDICATOR_DEBT_BONDAGE,
            TraffickingIndicator.TRAFFICKING_INDICATOR_DOCUMENT_CONFISCATION,
            TraffickingIndicator.TRAFFICKING_INDICATOR_DECEPTIVE_RECRUITMENT,
            TraffickingIndicator.TRAFFICKING_INDICATOR_VISA_FRAUD,
          ],
          visaCategory: "Accredited Employer Work Visa",
          personsAffected: 9,
          industry: Industry.INDUSTRY_CONSTRUCTION,
          relatedComplaintRef: "LI-2026-002870",
        },
      },
    });
  });

  it("derives the event id from the report id, not the case", () => {
    expect(traffickingIndicator.nativeId(parse(example))).toBe("INZ-TI-2026-0219");
    const update = map(withField({ report_id: "INZ-TI-2026-0231" }));
    expect(traffickingIndicator.nativeId(parse(withField({ report_id: "INZ-TI-2026-0231" })))).toBe("INZ-TI-2026-0231");
    expect(payloadOf(update).caseRef).toBe("INZ-INV-2026-0088");
  });
});

describe("trafficking_indicator: mapping variants", () => {
  it("maps a report without visa, industry or related complaint", () => {
    const v = payloadOf(map(withField({ indicators: ["restricted_movement", "threats_or_violence"], visa_category: undefined, industry: undefined, related_complaint_ref: undefined })));
    expect(v).toEqual({
      caseRef: "INZ-INV-2026-0088",
      indicators: [TraffickingIndicator.TRAFFICKING_INDICATOR_RESTRICTED_MOVEMENT, TraffickingIndicator.TRAFFICKING_INDICATOR_THREATS_OR_VIOLENCE],
      visaCategory: "",
      personsAffected: 9,
      industry: Industry.INDUSTRY_UNSPECIFIED,
      relatedComplaintRef: "",
    });
  });

  it("honours the record's own marking and legal basis", () => {
    const e = map(
      withField({
        classification: "RESTRICTED",
        caveats: ["ORIGINATOR CONTROL", "LAW ENFORCEMENT ONLY", "RELEASABLE TO"],
        releasable_to: ["police-nocg"],
        legal_basis: { instrument: "Privacy Act 2020", provision: "Part 7 AISA", description: "Approved Information Sharing Agreement" },
      }),
    );
    expect(e.classification).toBe(Classification.CLASSIFICATION_RESTRICTED);
    expect(e.handling).toEqual({ caveats: [HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL, HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY, HandlingCaveat.HANDLING_CAVEAT_RELEASABLE_TO], releasableTo: ["police-nocg"], releasableToCountries: [] });
    // Trafficking indicators' own floor: SENSITIVE, originator control and law enforcement only.
    expect(() => map(withField({ classification: "IN-CONFIDENCE" }))).toThrow(MarkingBelowFloor);
    expect(() => map(withField({ caveats: ["ORIGINATOR CONTROL", "RELEASABLE TO"], releasable_to: ["police-nocg"] }))).toThrow(MarkingBelowFloor);
    expect(e.legalBasis).toEqual({ instrument: "Privacy Act 2020", provision: "Part 7 AISA", description: "Approved Information Sharing Agreement" });
  });
});

describe("trafficking_indicator: validation", () => {
  it.each([
    ["a missing report id", { report_id: undefined }, "report_id"],
    ["a missing case ref", { case_ref: undefined }, "case_ref"],
    ["a missing report time", { reported_at: undefined }, "reported_at"],
    ["a missing district", { district: undefined }, "district"],
    ["missing grading", { grading: undefined }, "grading"],
    ["missing persons affected", { persons_affected: undefined }, "persons_affected"],
    ["no indicators", { indicators: [] }, "indicators"],
    ["persons affected as a string", { persons_affected: "9" }, "persons_affected"],
    ["negative persons affected", { persons_affected: -2 }, "persons_affected"],
    ["a grading credibility as a string", { grading: { source: "B", information: "2" } }, "grading.information"],
    ["an unknown field", { victims_rescued: 3 }, "victims_rescued"],
    ["an unknown field in a person", { persons: [{ person_id: "V-1", name: "A", nationality: "BD" }] }, "persons[0].nationality"],
    ["an unknown indicator", { indicators: ["debt_bondage", "smuggling"] }, "indicators[1]"],
    ["an unknown industry", { industry: "fishing" }, "industry"],
    ["an unknown grading source", { grading: { source: "G", information: 2 } }, "grading.source"],
    ["an unknown role", { persons: [{ person_id: "V-1", name: "A", role: "trafficker" }] }, "persons[0].role"],
    ["an empty visa category", { visa_category: "  " }, "visa_category"],
    ["a bad related complaint ref", { related_complaint_ref: "LI 2026" }, "related_complaint_ref"],
    ["a control character in the visa category", { visa_category: "Accredited\u0000Employer Work Visa" }, "visa_category"],
    ["a line break in the visa category", { visa_category: "Accredited Employer\nWork Visa" }, "visa_category"],
  ])("rejects %s", (_name, patch, path) => {
    expect(paths(withField(patch))).toContain(path);
  });

  it.each([
    ["visa fraud without the visa category", { visa_category: undefined }, "visa_category", /name the visa category/],
    ["an indicator listed twice", { indicators: ["visa_fraud", "debt_bondage", "visa_fraud"] }, "indicators[2]", /listed twice/],
    ["more named victims than affected", { persons_affected: 1 }, "persons_affected", /names 2 victims/],
    [
      "a person listed twice",
      { persons: [{ person_id: "V-1187", name: "Mohammed Rahman", role: "victim" }, { person_id: "V-1187", name: "Nguyễn Văn Minh", role: "victim" }] },
      "persons[1].person_id",
      /duplicate/,
    ],
  ])("rejects %s (cross-field)", (_name, patch, path, message) => {
    const r = traffickingIndicatorSchema.safeParse(withField(patch));
    expect(r.success).toBe(false);
    expect(zodIssues(r.error!).find((i) => i.path === path)?.message).toMatch(message);
  });

  it("accepts macrons and diacritics and keeps them through protobuf", () => {
    const e = map(withField({ visa_category: "Recognised Seasonal Employer Limited Visa", persons: [{ person_id: "V-1", name: "Sālote Vake", role: "victim" }] }));
    const decoded = IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish());
    const v = decoded.subjects[0]?.entity;
    expect(v?.$case === "person" && v.value.fullName).toBe("Sālote Vake");
    const o = decoded.subjects[1]?.entity;
    expect(o?.$case === "organisation" && o.value.name).toBe("Māngere Build Group Limited");
  });
});

describe("trafficking_indicator: protobuf", () => {
  it.each([
    ["the example", example],
    ["a bare report", { report_id: "TI-1", case_ref: "C-1", reported_at: "2026-06-30T12:00:00+12:00", district: "Eastern", indicators: ["debt_bondage"], persons_affected: 1, grading: { source: "F", information: 6 } }],
  ])("round-trips %s through bytes", (_name, input) => {
    const e = map(input);
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish())).toEqual(e);
  });
});

describe("trafficking_indicator: synthetic records", () => {
  const batch = (seed: string, n = 500) => {
    const rng = seededRandom(seed);
    return Array.from({ length: n }, (_v, i) => traffickingIndicator.synthesize(rng, i));
  };
  const records = batch("mbie-trafficking");
  const parsed = records.map((r) => traffickingIndicatorSchema.safeParse(r));
  const ok = () => parsed.map((r) => r.data as TraffickingIndicatorRecord);

  it("all 500 validate", () => {
    expect(parsed.flatMap((r, i) => (r.success ? [] : [{ i, issues: zodIssues(r.error) }]))).toEqual([]);
  });

  it("are deterministic for a seed and differ across seeds", () => {
    expect(batch("mbie-trafficking")).toEqual(records);
    expect(batch("another-seed", 20)).not.toEqual(records.slice(0, 20));
  });

  it("map and round-trip through protobuf, with unique event ids", () => {
    const events = ok().map((r) => traffickingIndicator.map(r, at));
    for (const e of events) expect(IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish())).toEqual(e);
    expect(new Set(ok().map((r) => traffickingIndicator.nativeId(r))).size).toBe(500);
  });

  it("combine indicators, name visa categories for visa fraud, and link to complaints", () => {
    const rs = ok();
    expect(new Set(rs.map((r) => [...r.indicators].sort().join("+"))).size).toBeGreaterThan(20);
    expect(rs.filter((r) => r.indicators.includes("visa_fraud")).every((r) => r.visa_category)).toBe(true);
    expect(rs.filter((r) => r.related_complaint_ref?.startsWith("LI-SYN-")).length).toBeGreaterThan(150);
    expect(rs.some((r) => r.persons.some((p) => p.role === "victim"))).toBe(true);
  });
});
