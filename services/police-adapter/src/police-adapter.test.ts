import { readFileSync } from "node:fs";
import { ingest, MarkingBelowFloor } from "@takitini/adapter-kit";
import {
  Classification,
  HandlingCaveat,
  IntelligenceEvent,
  OrganisedCrimeActivity,
  PoliceDistrict,
  SourceReliability,
} from "@takitini/proto";
import { eventIdFor } from "@takitini/runtime";
import { TEST_EVENT_ID_KEY } from "@takitini/adapter-kit/testing";
import { describe, expect, it } from "vitest";
import { policeAdapter } from "./adapter.js";
import { notingSchema, organisedCrimeNoting } from "./kinds/organised-crime-noting.js";

const example = JSON.parse(readFileSync(new URL("../examples/noting.json", import.meta.url), "utf8")) as Record<string, unknown>;
const at = new Date("2026-11-20T00:00:00Z");
const withField = (patch: Record<string, unknown>) => ({ ...example, ...patch });
const paths = (r: ReturnType<typeof ingest>) => (r.ok ? [] : r.issues.map((i) => i.path).sort());

describe("the Police adapter", () => {
  it("declares distinct record types, paths and event types", () => {
    const kinds = policeAdapter.kinds;
    for (const key of ["recordType", "httpPath", "eventType"] as const) expect(new Set(kinds.map((k) => k[key])).size).toBe(kinds.length);
    expect(kinds.every((k) => k.eventType.startsWith("police."))).toBe(true);
  });
  it("has examples and synthetic records that validate", () => {
    for (const kind of policeAdapter.kinds) {
      expect(ingest(policeAdapter, kind.recordType, kind.example, at, { eventIdKey: TEST_EVENT_ID_KEY }).ok).toBe(true);
    }
  });
});

describe("organised-crime noting: validation", () => {
  it("accepts the example and applies defaults", () => {
    const r = notingSchema.parse(example);
    expect(r.releasable_to).toEqual([]);
    expect(r.persons[0]?.role).toBe("person_of_interest");
  });
  it.each([
    ["missing noting_id", { noting_id: undefined }, ["noting_id"]],
    ["wrong type", { grading: { source: "B", information: "2" } }, ["grading.information"]],
    ["unknown district", { district: "Gotham" }, ["district"]],
    ["bad timestamp", { recorded_at: "yesterday" }, ["recorded_at"]],
    ["control character", { group: "Mob\u0000" }, ["group"]],
    ["bad nested plate", { vehicles: [{ vehicle_id: "V1", plate: "qzx 482" }] }, ["vehicles[0].plate"]],
    ["an unknown field", { surprise: true }, ["surprise"]],
    ["an unknown activity", { activity: "jaywalking" }, ["activity"]],
  ])("rejects %s with its field path", (_n, patch, expected) => {
    expect(paths(ingest(policeAdapter, "organised_crime_noting", withField(patch), at, { eventIdKey: TEST_EVENT_ID_KEY }))).toEqual(expected);
  });
});

describe("organised-crime noting: mapping", () => {
  const event = organisedCrimeNoting.map(notingSchema.parse(example), at);
  it("derives a keyed event id from the noting id", () => {
    const r = ingest(policeAdapter, "organised_crime_noting", example, at, { eventIdKey: TEST_EVENT_ID_KEY });
    expect(r.ok && r.event.id).toBe(eventIdFor(TEST_EVENT_ID_KEY, "POLICE", "NIC-2026-004217"));
    expect(organisedCrimeNoting.nativeId(notingSchema.parse(example))).toBe("NIC-2026-004217");
  });
  it("maps envelope fields and Police defaults", () => {
    expect(event.eventType).toBe("police.organised_crime_noting");
    expect(event.region).toBe(PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY);
    expect(event.classification).toBe(Classification.CLASSIFICATION_RESTRICTED);
    expect(event.handling?.caveats).toEqual([HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY]);
    expect(event.grading?.sourceReliability).toBe(SourceReliability.SOURCE_RELIABILITY_B_USUALLY_RELIABLE);
    expect(event.legalBasis?.provision).toBe("IPP 11(e)(i)");
    expect(event.operationRef).toBe("Operation Highwater");
    expect(event.occurredAt?.toISOString()).toBe("2026-11-19T09:40:00.000Z");
    expect(event.publishedAt).toEqual(at);
    expect(event.payload?.$case === "policeNoting" && event.payload.value.activity).toBe(OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY);
  });
  it("maps subjects as typed entities and preserves macrons", () => {
    expect(event.subjects.map((s) => s.entity?.$case)).toEqual(["person", "organisation", "vehicle"]);
    const person = event.subjects[0]?.entity;
    expect(person?.$case === "person" && person.value.fullName).toBe("Hēmi Tāwhiri");
    expect(person?.$case === "person" && person.value.subjectId).toBe("police/person/P-88121");
    expect(event.payload?.$case === "policeNoting" && event.payload.value.locality).toBe("Ōpōtiki");
  });
  it("honours the record's own marking above Police's defaults", () => {
    const e = organisedCrimeNoting.map(notingSchema.parse(withField({ classification: "CONFIDENTIAL", caveats: ["LAW ENFORCEMENT ONLY", "RELEASABLE TO"], releasable_to: ["customs"], district: "Tāmaki Makaurau" })), at);
    expect(e.classification).toBe(Classification.CLASSIFICATION_CONFIDENTIAL);
    expect(e.handling?.caveats).toEqual([HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY, HandlingCaveat.HANDLING_CAVEAT_RELEASABLE_TO]);
    expect(e.handling?.releasableTo).toEqual(["customs"]);
    expect(e.region).toBe(PoliceDistrict.POLICE_DISTRICT_AUCKLAND_CITY);
  });
  it("never maps a marking below Police's defaults (an empty caveat list once dropped LAW ENFORCEMENT ONLY)", () => {
    expect(() => organisedCrimeNoting.map(notingSchema.parse(withField({ caveats: [] })), at)).toThrow(MarkingBelowFloor);
    expect(() => organisedCrimeNoting.map(notingSchema.parse(withField({ classification: "IN-CONFIDENCE" })), at)).toThrow(MarkingBelowFloor);
  });
  it("round-trips through protobuf bytes", () => {
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish())).toEqual(event);
  });
});
