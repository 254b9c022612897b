import { MarkingBelowFloor } from "@takitini/adapter-kit";
import { checkSyntheticRecords } from "@takitini/adapter-kit/testing";
import {
  Agency,
  Classification,
  FirearmType,
  HandlingCaveat,
  IdentityDocumentKind,
  InformationCredibility,
  IntelligenceEvent,
  OrganisationKind,
  PoliceDistrict,
  SourceReliability,
  SubjectRole,
} from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { firearmsSeizure } from "./firearms-seizure.js";

const kind = firearmsSeizure;
const at = new Date("2026-11-20T00:00:00Z");
const example = kind.example as Record<string, unknown>;
/** The example with fields replaced; `undefined` removes a field. */
const record = (patch: Record<string, unknown> = {}) => Object.fromEntries(Object.entries({ ...example, ...patch }).filter(([, v]) => v !== undefined));
const issuePaths = (r: unknown) => {
  const result = kind.schema.safeParse(r);
  return result.success ? [] : zodIssues(result.error).map((i) => i.path);
};
const mapped = (patch: Record<string, unknown> = {}) => kind.map(kind.schema.parse(record(patch)), at);

describe("firearms_seizure: the example", () => {
  it("validates", () => {
    expect(issuePaths(example)).toEqual([]);
  });

  it("maps every envelope and payload field", () => {
    expect(mapped()).toEqual({
      id: "", // the intake derives it, keyed (ingest.ts)
      publisher: "",
      supersedes: "", // a first version: a correction sets both (revision.proto)
      originalEventId: "",
      sourceAgency: Agency.AGENCY_POLICE,
      eventType: "police.firearms_seizure",
      occurredAt: new Date("2024-08-13T18:05:00Z"),
      publishedAt: at,
      region: PoliceDistrict.POLICE_DISTRICT_SOUTHERN,
      classification: Classification.CLASSIFICATION_RESTRICTED,
      handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: [], releasableToCountries: [] },
      grading: {
        sourceReliability: SourceReliability.SOURCE_RELIABILITY_A_COMPLETELY_RELIABLE,
        informationCredibility: InformationCredibility.INFORMATION_CREDIBILITY_1_CONFIRMED,
      },
      legalBasis: {
        instrument: "Privacy Act 2020",
        provision: "IPP 11(e)(i)",
        description: "disclosure necessary to avoid prejudice to the maintenance of the law",
      },
      operationRef: "Operation Cobalt",
      subjects: [
        {
          entity: {
            $case: "person",
            value: {
              subjectId: "police/person/P-40217",
              fullName: "Rāwiri Ngata",
              aliases: [],
              dateOfBirth: "1988-07-02",
              address: "",
              phoneNumbers: [],
              documents: [],
              role: SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST,
              isMinor: false,
            },
          },
        },
        { entity: { $case: "organisation", value: { subjectId: "police/organisation/G-0017", name: "Mongrel Mob", kind: OrganisationKind.ORGANISATION_KIND_GANG, registrationNumber: "" } } },
      ],
      sourceRecordId: "FS-2026-00873",
      payload: {
        $case: "policeFirearmsSeizure",
        value: {
          firearmsCount: 4,
          firearmTypes: [FirearmType.FIREARM_TYPE_RIFLE, FirearmType.FIREARM_TYPE_SHOTGUN, FirearmType.FIREARM_TYPE_PISTOL],
          ammunitionRounds: 640,
          locality: "Mātaura",
          linkedGroup: "Mongrel Mob",
          underWarrant: true,
        },
      },
    });
  });

  it("derives the event id from the seizure id alone, whenever it is published", () => {
    expect(kind.nativeId(kind.schema.parse(example))).toBe("FS-2026-00873");
    expect(kind.map(kind.schema.parse(example), new Date("2030-01-01T00:00:00Z")).id).toBe(mapped().id);
  });

  it("fills absent optional fields with the proto defaults", () => {
    const e = mapped({ locality: undefined, linked_group: undefined, operation: undefined, firearm_types: undefined, ammunition_rounds: undefined, grading: undefined, persons: undefined, organisations: undefined, under_warrant: false });
    expect(e.operationRef).toBe("");
    expect(e.subjects).toEqual([]);
    expect(e.grading).toBeUndefined();
    expect(e.payload).toEqual({ $case: "policeFirearmsSeizure", value: { firearmsCount: 4, firearmTypes: [], ammunitionRounds: 0, locality: "", linkedGroup: "", underWarrant: false } });
  });

  it("maps a vehicle and a person's documents as typed subjects", () => {
    const e = mapped({
      persons: [{ person_id: "P-1", name: "Mere Pōmare", documents: [{ type: "firearms_licence", number: "FL-99812" }], minor: false, role: "associate" }],
      organisations: undefined,
      vehicles: [{ vehicle_id: "V-9", plate: "LKP204" }],
    });
    expect(e.subjects.map((s) => s.entity?.$case)).toEqual(["person", "vehicle"]);
    const person = e.subjects[0]?.entity;
    expect(person?.$case === "person" && person.value.documents).toEqual([{ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_FIREARMS_LICENCE, number: "FL-99812", issuingCountry: "NZ" }]);
    expect(person?.$case === "person" && person.value.role).toBe(SubjectRole.SUBJECT_ROLE_ASSOCIATE);
  });
});

describe("firearms_seizure: validation", () => {
  it.each([
    ["a missing seizure id", { seizure_id: undefined }, "seizure_id"],
    ["a missing seizure time", { seized_at: undefined }, "seized_at"],
    ["a missing warrant flag", { under_warrant: undefined }, "under_warrant"],
    ["a missing firearms count", { firearms_count: undefined }, "firearms_count"],
    ["the warrant flag as a string", { under_warrant: "yes" }, "under_warrant"],
    ["the count as a string", { firearms_count: "4" }, "firearms_count"],
    ["a seizure of no firearms", { firearms_count: 0, firearm_types: [] }, "firearms_count"],
    ["an implausible count", { firearms_count: 5_001 }, "firearms_count"],
    ["fractional ammunition", { ammunition_rounds: 1.5 }, "ammunition_rounds"],
    ["negative ammunition", { ammunition_rounds: -10 }, "ammunition_rounds"],
    ["an unknown firearm type", { firearm_types: ["rifle", "bazooka"] }, "firearm_types[1]"],
    ["an unknown district", { district: "Mordor" }, "district"],
    ["a bad date", { seized_at: "14/08/2024" }, "seized_at"],
    ["a person without a name", { persons: [{ person_id: "P-1" }] }, "persons[0].name"],
    ["a bad plate", { vehicles: [{ vehicle_id: "V-1", plate: "lkp 204" }] }, "vehicles[0].plate"],
    ["a control character in the locality", { locality: "Mātaura\u0007" }, "locality"],
    ["a control character in the linked group", { linked_group: "Mob\u0085" }, "linked_group"],
    ["a line break in the locality", { locality: "Mā\ntaura" }, "locality"],
  ])("rejects %s", (_name, patch, path) => {
    expect(issuePaths(record(patch))).toContain(path);
  });

  it("rejects unknown fields by name", () => {
    expect(issuePaths(record({ serial_numbers: ["X1"] }))).toEqual(["serial_numbers"]);
    expect(issuePaths(record({ persons: [{ person_id: "P-1", name: "A", nickname: "B" }] }))).toEqual(["persons[0].nickname"]);
  });

  it("rejects a firearm type listed twice, at the repeat", () => {
    expect(issuePaths(record({ firearm_types: ["rifle", "pistol", "rifle"] }))).toEqual(["firearm_types[2]"]);
  });

  it("rejects more firearm types than firearms", () => {
    expect(issuePaths(record({ firearms_count: 1, firearm_types: ["rifle", "pistol"] }))).toEqual(["firearm_types"]);
  });

  it("accepts types for every firearm and the upper bound", () => {
    expect(issuePaths(record({ firearms_count: 6, firearm_types: ["pistol", "rifle", "shotgun", "military_style_semi_automatic", "restricted_other", "improvised"] }))).toEqual([]);
    expect(issuePaths(record({ firearms_count: 5_000, ammunition_rounds: 1_000_000 }))).toEqual([]);
  });

  it("keeps macrons in localities, groups and names", () => {
    const e = mapped({ locality: "Ōpōtiki", linked_group: "Whakatōhea crew", district: "Bay of Plenty" });
    expect(e.payload).toMatchObject({ value: { locality: "Ōpōtiki", linkedGroup: "Whakatōhea crew" } });
    const person = e.subjects[0]?.entity;
    expect(person?.$case === "person" && person.value.fullName).toBe("Rāwiri Ngata");
  });
});

describe("firearms_seizure: markings", () => {
  it("applies Police's defaults and honours the record's own", () => {
    const e = mapped({ classification: "CONFIDENTIAL", caveats: ["LAW ENFORCEMENT ONLY", "NO COMMUNITY RELEASE", "ORIGINATOR CONTROL"], legal_basis: { instrument: "Arms Act 1983", provision: "s 60" } });
    expect(e.classification).toBe(Classification.CLASSIFICATION_CONFIDENTIAL);
    expect(e.handling?.caveats).toEqual([HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY, HandlingCaveat.HANDLING_CAVEAT_NO_COMMUNITY_RELEASE, HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL]);
    expect(e.legalBasis).toEqual({ instrument: "Arms Act 1983", provision: "s 60", description: "" });
  });
  it("never lowers them: a lower classification or a caveat list without LAW ENFORCEMENT ONLY is refused", () => {
    expect(() => mapped({ classification: "SENSITIVE" })).toThrow(MarkingBelowFloor);
    expect(() => mapped({ caveats: ["NO COMMUNITY RELEASE"] })).toThrow(MarkingBelowFloor);
  });
});

describe("firearms_seizure: protobuf", () => {
  it("round-trips through bytes", () => {
    const event = mapped();
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish())).toEqual(event);
  });
});

describe("firearms_seizure: synthetic records", () => {
  const records = checkSyntheticRecords(kind, at);

  it("are mostly small seizures with the odd cache, and unique ids", () => {
    const parsed = records.map((r) => kind.schema.parse(r));
    const small = parsed.filter((r) => r.firearms_count <= 3).length;
    expect(small / parsed.length).toBeGreaterThan(0.8);
    expect(parsed.some((r) => r.firearms_count >= 5)).toBe(true);
    expect(new Set(parsed.map((r) => r.seizure_id)).size).toBe(records.length);
  });
});
