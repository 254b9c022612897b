import { describe, expect, it } from "vitest";
import { Agency, DecisionRecord, IntelligenceEvent, Outcome, PoliceDistrict } from "./index.js";

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
