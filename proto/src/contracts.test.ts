import { describe, expect, it } from "vitest";
import { Agency, DecisionRecord, IntelligenceEvent, Outcome, PoliceDistrict, RecordKind, recordKindToNumber, RefusalRecord, RefusalSummary } from "./index.js";

describe("generated contracts", () => {
  it("encode string enums as their wire numbers (golden bytes)", () => {
    const bytes = DecisionRecord.encode(DecisionRecord.fromPartial({ id: "a", outcome: Outcome.OUTCOME_ALLOW })).finish();
    // field 1 (id) length-delimited "a"; field 7 (outcome) varint 1
    expect(Buffer.from(bytes).toString("hex")).toBe("0a01613801");
  });

  it("round-trip an envelope with a oneof payload, subjects and macrons", () => {
    const event = IntelligenceEvent.fromPartial({
      id: "0b8a4f4e-6f0e-5c1a-9d0e-1f2a3b4c5d6e",
      sourceAgency: Agency.AGENCY_POLICE,
      eventType: "police.organised_crime_noting",
      region: PoliceDistrict.POLICE_DISTRICT_EASTERN,
      occurredAt: new Date("2026-11-19T09:40:00Z"),
      subjects: [{ entity: { $case: "person", value: { subjectId: "police/person/P1", fullName: "Hēmi Tāwhiri" } } }],
      payload: { $case: "policeNoting", value: { groupName: "Ōpōtiki chapter", locality: "Ōpōtiki" } },
    });
    const decoded = IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish());
    expect(decoded).toEqual(event);
    expect(decoded.payload?.$case === "policeNoting" && decoded.payload.value.locality).toBe("Ōpōtiki");
  });

  it("reject truncated bytes", () => {
    const bytes = IntelligenceEvent.encode(IntelligenceEvent.fromPartial({ id: "x".repeat(40) })).finish();
    expect(() => IntelligenceEvent.decode(bytes.subarray(0, 10))).toThrow();
  });
});

describe("refusal contracts", () => {
  it("round-trip a refusal of an identified caller: field paths, never values", () => {
    const refusal = RefusalRecord.fromPartial({
      id: "6f1c0c3e-2b1a-4c5d-8e9f-0a1b2c3d4e5f",
      service: "police-adapter",
      door: "http",
      code: "MARKING_BELOW_FLOOR",
      principal: "spiffe://takitini.local/publisher/police/nia",
      recordType: "police.firearms_seizure",
      route: "/v1/records/:recordType",
      fieldPaths: ["classification", "caveats"],
      occurredAt: new Date("2026-11-19T09:40:00Z"),
      status: 400,
    });
    expect(RefusalRecord.decode(RefusalRecord.encode(refusal).finish())).toEqual(refusal);
    // field 1 (id) "a"; field 9 (field_paths) "x"; field 12 (status) varint 7
    expect(Buffer.from(RefusalRecord.encode(RefusalRecord.fromPartial({ id: "a", fieldPaths: ["x"], status: 7 })).finish()).toString("hex")).toBe("0a01614a01786007");
  });

  it("round-trip a window's summary of unauthenticated refusals, and name both ledger kinds", () => {
    const summary = RefusalSummary.fromPartial({
      id: "7a2d1d4f-3c2b-4d6e-9fa0-1b2c3d4e5f60",
      service: "audit",
      door: "http",
      code: "CREDENTIAL_INVALID",
      route: "/v1/records",
      windowStart: new Date("2026-11-19T09:40:00Z"),
      windowEnd: new Date("2026-11-19T09:41:00Z"),
      count: 4_000_000_000,
      distinctAddresses: 3,
      distinctAddressesCapped: false,
    });
    expect(RefusalSummary.decode(RefusalSummary.encode(summary).finish())).toEqual(summary);
    expect([RecordKind.RECORD_KIND_REFUSAL, RecordKind.RECORD_KIND_REFUSAL_SUMMARY].map((k) => recordKindToNumber(k))).toEqual([6, 7]);
  });
});
