import { z } from "zod";
import { describe, expect, it } from "vitest";
import { CLASSIFICATION_ORDER, envelope, MarkingBelowFloor, markingFields, markingFloorIssues, type AgencyDefaults, type EnvelopeParts } from "./fields.js";

const floor = { classification: "RESTRICTED", caveats: ["LAW ENFORCEMENT ONLY", "ORIGINATOR CONTROL"] } as const satisfies Pick<AgencyDefaults, "classification" | "caveats">;
const paths = (...args: Parameters<typeof markingFloorIssues>) => markingFloorIssues(...args).map((i) => i.path);

describe("markingFloorIssues", () => {
  it("orders classifications from unclassified to top secret", () => {
    expect(CLASSIFICATION_ORDER).toEqual(["UNCLASSIFIED", "IN-CONFIDENCE", "SENSITIVE", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET"]);
  });

  it("accepts no markings (the defaults apply), the defaults themselves, and anything higher or more", () => {
    expect(paths(floor, undefined, undefined)).toEqual([]);
    expect(paths(floor, "RESTRICTED", ["ORIGINATOR CONTROL", "LAW ENFORCEMENT ONLY"])).toEqual([]);
    expect(paths(floor, "TOP SECRET", [...floor.caveats, "NO COMMUNITY RELEASE", "RELEASABLE TO"])).toEqual([]);
    expect(paths({ classification: "UNCLASSIFIED", caveats: [] }, "UNCLASSIFIED", [])).toEqual([]);
  });

  it("refuses a lower classification and a caveat list without a default, naming the field and the default, never the caller's value", () => {
    expect(markingFloorIssues(floor, "SENSITIVE", undefined)).toEqual([
      { path: "classification", code: "below_floor", message: "lower than this record's default, RESTRICTED: a record may raise its classification, never lower it" },
    ]);
    expect(markingFloorIssues(floor, undefined, [])).toEqual([
      { path: "caveats", code: "below_floor", message: 'leaves out this record\'s default caveats "LAW ENFORCEMENT ONLY", "ORIGINATOR CONTROL": a record may add caveats, never remove a default one' },
    ]);
    expect(paths(floor, "UNCLASSIFIED", ["LAW ENFORCEMENT ONLY", "NO COMMUNITY RELEASE"])).toEqual(["classification", "caveats"]);
  });
});

describe("envelope", () => {
  const defaults: AgencyDefaults = { ...floor, caveats: [...floor.caveats], legalBasis: { instrument: "Test Act", provision: "s 1", description: "" } };
  const parts: EnvelopeParts = { agency: "POLICE", eventType: "police.organised_crime_noting", nativeId: "N-1", occurredAt: "2026-11-01T00:00:00Z", publishedAt: new Date(0), district: "Eastern", defaults, payload: { $case: "policeNoting", value: { groupName: "g", activity: "ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY" as never, commodities: [], summary: "", reportingUnit: "", locality: "" } } };

  it("never maps markings below the floor", () => {
    expect(() => envelope({ ...parts, classification: "IN-CONFIDENCE" })).toThrow(MarkingBelowFloor);
    const caught = (() => {
      try {
        envelope({ ...parts, caveats: ["LAW ENFORCEMENT ONLY"] });
      } catch (err) {
        return err;
      }
    })();
    expect(caught).toBeInstanceOf(MarkingBelowFloor);
    expect((caught as MarkingBelowFloor).issues.map((i) => i.path)).toEqual(["caveats"]);
  });

  it("maps the defaults, or the record's own markings above them", () => {
    expect(envelope(parts).handling?.caveats).toEqual(["HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY", "HANDLING_CAVEAT_ORIGINATOR_CONTROL"]);
    const raised = envelope({ ...parts, classification: "SECRET", caveats: ["ORIGINATOR CONTROL", "EMBARGO UNTIL CONCLUDED", "LAW ENFORCEMENT ONLY"] });
    expect([raised.classification, raised.handling?.caveats]).toEqual(["CLASSIFICATION_SECRET", ["HANDLING_CAVEAT_ORIGINATOR_CONTROL", "HANDLING_CAVEAT_EMBARGO_UNTIL_CONCLUDED", "HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY"]]);
  });
});

describe("release abroad (releasable_to_countries)", () => {
  const schema = z.strictObject(markingFields);
  const defaults: AgencyDefaults = { classification: "UNCLASSIFIED", caveats: [], legalBasis: { instrument: "Test Act", provision: "s 1", description: "" } };
  const parts: EnvelopeParts = { agency: "CUSTOMS", eventType: "customs.border_seizure", nativeId: "S-1", occurredAt: "2026-11-01T00:00:00Z", publishedAt: new Date(0), district: "Eastern", defaults, payload: { $case: "policeNoting", value: { groupName: "g", activity: "ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY" as never, commodities: [], summary: "", reportingUnit: "", locality: "" } } };

  it("defaults to none: the record never leaves New Zealand", () => {
    expect(schema.parse({}).releasable_to_countries).toEqual([]);
    expect(envelope(parts).handling?.releasableToCountries).toEqual([]);
  });

  it("takes ISO 3166-1 alpha-3 codes, and the envelope carries them sorted without repeats", () => {
    expect(schema.parse({ releasable_to_countries: ["GBR", "AUS", "GBR"] }).releasable_to_countries).toEqual(["GBR", "AUS", "GBR"]);
    expect(envelope({ ...parts, releasableToCountries: ["GBR", "AUS", "GBR"] }).handling?.releasableToCountries).toEqual(["AUS", "GBR"]);
  });

  it.each([[["au"]], [["AU"]], [["AUST"]], [["NZL"]], [[""]], [Array.from({ length: 21 }, () => "AUS")], ["AUS"]])("refuses %j, naming the path", (value) => {
    const r = schema.safeParse({ releasable_to_countries: value });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path[0]).toBe("releasable_to_countries");
  });
});
