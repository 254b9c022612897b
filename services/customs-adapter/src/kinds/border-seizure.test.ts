import { MarkingBelowFloor, seededRandom } from "@takitini/adapter-kit";
import {
  Agency,
  Classification,
  Commodity,
  ConcealmentMethod,
  HandlingCaveat,
  IdentityDocumentKind,
  InformationCredibility,
  IntelligenceEvent,
  PoliceDistrict,
  PortOfEntry,
  SourceReliability,
  SubjectRole,
  OrganisationKind,
} from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { CUSTOMS_DEFAULTS } from "../defaults.js";
import { borderSeizure, borderSeizureSchema, type BorderSeizureRecord } from "./border-seizure.js";

const at = new Date("2026-11-20T00:00:00Z");
const example = borderSeizure.example as Record<string, unknown>;
const withField = (patch: Record<string, unknown>) => ({ ...example, ...patch });
const parse = (input: unknown) => borderSeizureSchema.parse(input);
const map = (input: unknown) => borderSeizure.map(parse(input), at);
/** Field paths of every issue, in the doors' notation: persons[0].name, unknown keys by name. */
const paths = (input: unknown) => {
  const r = borderSeizureSchema.safeParse(input);
  return r.success ? [] : zodIssues(r.error).map((i) => i.path);
};
const payloadOf = (e: IntelligenceEvent) => {
  if (e.payload?.$case !== "customsBorderSeizure") throw new Error(`unexpected payload ${e.payload?.$case}`);
  return e.payload.value;
};

describe("border_seizure: the example", () => {
  it("validates and names its kind", () => {
    expect(borderSeizureSchema.safeParse(example).success).toBe(true);
    expect(borderSeizure.recordType).toBe("border_seizure");
    expect(borderSeizure.eventType).toBe("customs.border_seizure");
    expect(borderSeizure.httpPath).toBe("/v1/seizures");
    expect(borderSeizure.nativeId(parse(example))).toBe("SZ-2026-018833");
  });

  it("maps every envelope and payload field", () => {
    expect(map(example)).toEqual({
      id: "", // the intake derives it, keyed (ingest.ts)
      publisher: "",
      supersedes: "", // a first version: a correction sets both (revision.proto)
      originalEventId: "",
      sourceAgency: Agency.AGENCY_CUSTOMS,
      eventType: "customs.border_seizure",
      occurredAt: new Date("2026-11-17T17:42:00.000Z"),
      publishedAt: at,
      // Auckland Airport is in Counties Manukau.
      region: PoliceDistrict.POLICE_DISTRICT_COUNTIES_MANUKAU,
      classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
      handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: [], releasableToCountries: [] },
      grading: {
        sourceReliability: SourceReliability.SOURCE_RELIABILITY_A_COMPLETELY_RELIABLE,
        informationCredibility: InformationCredibility.INFORMATION_CREDIBILITY_1_CONFIRMED,
      },
      legalBasis: CUSTOMS_DEFAULTS.legalBasis,
      operationRef: "Operation Kōtuku",
      subjects: [
        {
          entity: {
            $case: "person",
            value: {
              subjectId: "customs/person/P-20931",
              fullName: "Tāne Pōmare",
              aliases: [],
              dateOfBirth: "1988-07-02",
              address: "14 Te Irirangi Drive, Flat Bush, Auckland",
              phoneNumbers: ["021 555 0147"],
              documents: [{ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, number: "LA482913", issuingCountry: "NZ" }],
              role: SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST,
              isMinor: false,
            },
          },
        },
        {
          entity: {
            $case: "person",
            value: {
              subjectId: "customs/person/P-20932",
              fullName: "Mele Tupou",
              aliases: [],
              dateOfBirth: "",
              address: "",
              phoneNumbers: ["022 555 0183"],
              documents: [],
              role: SubjectRole.SUBJECT_ROLE_ASSOCIATE,
              isMinor: false,
            },
          },
        },
      ],
      sourceRecordId: "SZ-2026-018833",
      payload: {
        $case: "customsBorderSeizure",
        value: {
          commodity: Commodity.COMMODITY_METHAMPHETAMINE,
          weightGrams: 4870.5,
          units: 0,
          portOfEntry: PortOfEntry.PORT_OF_ENTRY_AUCKLAND_AIRPORT,
          originCountry: "US",
          concealment: ConcealmentMethod.CONCEALMENT_METHOD_PASSENGER_BAGGAGE,
          consigneeSubjectId: "customs/person/P-20931",
          caseRef: "CI-2026-00457",
        },
      },
    });
  });

  it("derives the event id from the seizure id alone", () => {
    const later = borderSeizure.map(parse(example), new Date("2027-01-01T00:00:00Z"));
    expect(later.id).toBe(map(example).id);
    expect(borderSeizure.nativeId(parse(withField({ seizure_id: "SZ-2026-018834" })))).toBe("SZ-2026-018834");
  });

  it("resolves the consignee to a subject the event carries", () => {
    const e = map(example);
    const ids = e.subjects.map((s) => s.entity?.value.subjectId);
    expect(ids).toContain(payloadOf(e).consigneeSubjectId);
  });
});

describe("border_seizure: mapping variants", () => {
  it("counts firearms in units, with an organisation consignee", () => {
    const e = map(
      withField({
        commodity: "firearms",
        weight_grams: undefined,
        units: 3,
        concealment: "air_cargo",
        consignee: { type: "organisation", id: "O-7781" },
        organisations: [{ org_id: "O-7781", name: "Tōtara Freight Limited", type: "company", registration_number: "9429041234567" }],
      }),
    );
    expect(payloadOf(e)).toMatchObject({ commodity: Commodity.COMMODITY_FIREARMS, weightGrams: 0, units: 3, consigneeSubjectId: "customs/organisation/O-7781" });
    expect(e.subjects[2]).toEqual({
      entity: { $case: "organisation", value: { subjectId: "customs/organisation/O-7781", name: "Tōtara Freight Limited", kind: OrganisationKind.ORGANISATION_KIND_COMPANY, registrationNumber: "9429041234567" } },
    });
  });

  it("leaves the consignee empty when it is not known", () => {
    expect(payloadOf(map(withField({ consignee: undefined }))).consigneeSubjectId).toBe("");
  });

  it("takes the region from each port, or from the record when it names one", () => {
    const region = (port: string, d?: string) => map(withField({ port_of_entry: port, district: d })).region;
    expect(region("Port of Auckland")).toBe(PoliceDistrict.POLICE_DISTRICT_AUCKLAND_CITY);
    expect(region("Port of Tauranga")).toBe(PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY);
    expect(region("Lyttelton")).toBe(PoliceDistrict.POLICE_DISTRICT_CANTERBURY);
    expect(region("Port Chalmers")).toBe(PoliceDistrict.POLICE_DISTRICT_SOUTHERN);
    expect(region("Northport")).toBe(PoliceDistrict.POLICE_DISTRICT_NORTHLAND);
    expect(region("International Mail Centre")).toBe(PoliceDistrict.POLICE_DISTRICT_COUNTIES_MANUKAU);
    // A controlled delivery reported against the destination district.
    expect(region("Auckland Airport", "Waikato")).toBe(PoliceDistrict.POLICE_DISTRICT_WAIKATO);
    expect(map(withField({ port_of_entry: "Napier" })).payload).toMatchObject({ value: { portOfEntry: PortOfEntry.PORT_OF_ENTRY_NAPIER } });
  });

  it("honours the record's own marking, grading and legal basis", () => {
    const e = map(
      withField({
        classification: "SENSITIVE",
        caveats: ["LAW ENFORCEMENT ONLY", "RELEASABLE TO", "EMBARGO UNTIL CONCLUDED"],
        releasable_to: ["police-nocg"],
        releasable_to_countries: ["GBR", "AUS", "GBR"],
        grading: { source: "C", information: 2 },
        legal_basis: { instrument: "Privacy Act 2020", provision: "IPP 11(1)(e)(i)" },
      }),
    );
    expect(e.classification).toBe(Classification.CLASSIFICATION_SENSITIVE);
    expect(e.handling).toEqual({
      caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY, HandlingCaveat.HANDLING_CAVEAT_RELEASABLE_TO, HandlingCaveat.HANDLING_CAVEAT_EMBARGO_UNTIL_CONCLUDED],
      releasableTo: ["police-nocg"],
      // Released abroad: sorted, each country once.
      releasableToCountries: ["AUS", "GBR"],
    });
    expect(() => map(withField({ caveats: ["RELEASABLE TO"], releasable_to: ["police-nocg"] }))).toThrow(MarkingBelowFloor);
    expect(() => map(withField({ classification: "UNCLASSIFIED" }))).toThrow(MarkingBelowFloor);
    expect(e.grading?.sourceReliability).toBe(SourceReliability.SOURCE_RELIABILITY_C_FAIRLY_RELIABLE);
    expect(e.legalBasis).toEqual({ instrument: "Privacy Act 2020", provision: "IPP 11(1)(e)(i)", description: "" });
  });

  it("carries no grading when the record has none", () => {
    expect(map(withField({ grading: undefined })).grading).toBeUndefined();
  });
});

describe("border_seizure: validation", () => {
  it.each([
    ["a missing seizure id", { seizure_id: undefined }, "seizure_id"],
    ["a missing case ref", { case_ref: undefined }, "case_ref"],
    ["a missing seizure time", { seized_at: undefined }, "seized_at"],
    ["a missing port", { port_of_entry: undefined }, "port_of_entry"],
    ["a missing origin", { origin_country: undefined }, "origin_country"],
    ["a weight given as a string", { weight_grams: "4870.5" }, "weight_grams"],
    ["a negative weight", { weight_grams: -1 }, "weight_grams"],
    ["more than ten tonnes", { weight_grams: 10_000_001 }, "weight_grams"],
    ["fractional units", { weight_grams: undefined, units: 2.5 }, "units"],
    ["an unknown field", { surprise: true }, "surprise"],
    ["an unknown field in the consignee", { consignee: { type: "person", id: "P-20931", name: "x" } }, "consignee.name"],
    ["an unknown commodity", { commodity: "heroin" }, "commodity"],
    ["an unknown port", { port_of_entry: "Queenstown Airport" }, "port_of_entry"],
    ["an unknown concealment", { concealment: "suitcase" }, "concealment"],
    ["a vehicle as consignee", { consignee: { type: "vehicle", id: "V-1" } }, "consignee.type"],
    ["an alpha-3 country", { origin_country: "USA" }, "origin_country"],
    ["a lower-case country", { origin_country: "us" }, "origin_country"],
    ["a local time without offset", { seized_at: "2026-11-18T06:42:00" }, "seized_at"],
    ["a date in NZ notation", { seized_at: "18/11/2026" }, "seized_at"],
    ["an unknown district", { district: "Gotham" }, "district"],
    ["an id with spaces", { seizure_id: "SZ 2026" }, "seizure_id"],
    ["an unknown classification", { classification: "SECRET-ISH" }, "classification"],
    ["a control character in the operation", { operation: "Operation\u0000Kōtuku" }, "operation"],
    ["a line break in the operation", { operation: "Operation\nKōtuku" }, "operation"],
    ["a control character in a name", { persons: [{ person_id: "P-1", name: "Tāne\u0007Pōmare" }] }, "persons[0].name"],
    ["a bad nested document number", { persons: [{ person_id: "P-20931", name: "Tāne", documents: [{ type: "passport", number: "LA 482913" }] }] }, "persons[0].documents[0].number"],
  ])("rejects %s", (_name, patch, path) => {
    expect(paths(withField(patch))).toContain(path);
  });

  it.each([
    ["neither weight nor units", { weight_grams: undefined }, "weight_grams", /weight_grams or units/],
    ["both weight and units", { units: 10 }, "units", /not both/],
    ["firearms by weight", { commodity: "firearms" }, "weight_grams", /counted in units/],
    ["a consignee not among the persons", { consignee: { type: "person", id: "P-99999" } }, "consignee.id", /no entry in persons/],
    ["a person id referenced as an organisation", { consignee: { type: "organisation", id: "P-20931" } }, "consignee.id", /no entry in organisations/],
    ["a person listed twice", { persons: [{ person_id: "P-20931", name: "Tāne Pōmare" }, { person_id: "P-20931", name: "Mele Tupou" }] }, "persons[1].person_id", /duplicate/],
  ])("rejects %s (cross-field)", (_name, patch, path, message) => {
    const r = borderSeizureSchema.safeParse(withField(patch));
    expect(r.success).toBe(false);
    const issue = zodIssues(r.error!).find((i) => i.path === path);
    expect(issue?.message).toMatch(message);
  });

  it("reports every problem at once, unknown keys by name", () => {
    expect(paths(withField({ extra: 1, origin_country: "NZL", persons: [{ person_id: "P-1" }] })).sort()).toEqual(["extra", "origin_country", "persons[0].name"]);
  });

  it("accepts macrons and keeps them, normalising decomposed text to NFC", () => {
    const decomposed = "Ta\u0304ne Po\u0304mare";
    const e = map(withField({ operation: "  Operation Whakatōhea  ", persons: [{ person_id: "P-20931", name: decomposed, address: "Ōpōtiki" }] }));
    expect(e.operationRef).toBe("Operation Whakatōhea");
    const person = e.subjects[0]?.entity;
    expect(person?.$case === "person" && person.value.fullName).toBe("Tāne Pōmare");
    expect(person?.$case === "person" && person.value.address).toBe("Ōpōtiki");
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish()).operationRef).toBe("Operation Whakatōhea");
  });
});

describe("border_seizure: protobuf", () => {
  it.each([
    ["the example", example],
    ["a units seizure without grading or consignee", withField({ commodity: "counterfeit_goods", weight_grams: undefined, units: 1200, grading: undefined, consignee: undefined })],
  ])("round-trips %s through bytes", (_name, input) => {
    const e = map(input);
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish())).toEqual(e);
  });
});

describe("border_seizure: synthetic records", () => {
  const batch = (seed: string, n = 500) => {
    const rng = seededRandom(seed);
    return Array.from({ length: n }, (_v, i) => borderSeizure.synthesize(rng, i));
  };
  const records = batch("customs-seizures");
  const parsed = records.map((r) => borderSeizureSchema.safeParse(r));

  it("all 500 validate", () => {
    const failures = parsed.flatMap((r, i) => (r.success ? [] : [{ i, issues: zodIssues(r.error) }]));
    expect(failures).toEqual([]);
  });

  it("are deterministic for a seed and differ across seeds", () => {
    expect(batch("customs-seizures")).toEqual(records);
    expect(batch("another-seed", 20)).not.toEqual(records.slice(0, 20));
  });

  it("map and round-trip through protobuf, with unique event ids", () => {
    const events = parsed.map((r) => borderSeizure.map(r.data as BorderSeizureRecord, at));
    for (const e of events) expect(IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish())).toEqual(e);
    expect(new Set(parsed.map((r) => borderSeizure.nativeId(r.data as BorderSeizureRecord))).size).toBe(500);
  });

  it("look like New Zealand's border: meth-heavy, Auckland-heavy, grams to hundreds of kilos", () => {
    const ok = parsed.map((r) => r.data as BorderSeizureRecord);
    const share = (f: (r: BorderSeizureRecord) => boolean) => ok.filter(f).length / ok.length;
    const byCommodity = (c: string) => share((r) => r.commodity === c);
    for (const c of ["cocaine", "mdma", "precursors", "firearms", "counterfeit_goods"]) expect(byCommodity("methamphetamine")).toBeGreaterThan(byCommodity(c));
    expect(share((r) => ["Auckland Airport", "Port of Auckland", "International Mail Centre"].includes(r.port_of_entry))).toBeGreaterThan(0.55);
    const grams = ok.flatMap((r) => (r.weight_grams === undefined ? [] : [r.weight_grams]));
    expect(Math.min(...grams)).toBeLessThan(100);
    expect(Math.max(...grams)).toBeGreaterThan(100_000);
    expect(ok.filter((r) => r.commodity === "firearms").every((r) => r.units !== undefined)).toBe(true);
    expect(ok.filter((r) => r.port_of_entry === "International Mail Centre").every((r) => r.concealment === "international_mail")).toBe(true);
    expect(ok.some((r) => r.persons.some((p) => /[āēīōū]/i.test(p.name)))).toBe(true);
  });
});
