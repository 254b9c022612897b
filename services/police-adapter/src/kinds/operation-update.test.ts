import { historyRecords, MarkingBelowFloor } from "@takitini/adapter-kit";
import { checkSyntheticRecords } from "@takitini/adapter-kit/testing";
import {
  Agency,
  Classification,
  ClearHoldBuildPhase,
  HandlingCaveat,
  InformationCredibility,
  IntelligenceEvent,
  OperationPhase,
  PoliceDistrict,
  SourceReliability,
  SupportService,
} from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { policeAdapter } from "../adapter.js";
import { operationUpdate } from "./operation-update.js";

const kind = operationUpdate;
const at = new Date("2026-11-20T00:00:00Z");
const example = kind.example as Record<string, unknown>;
/** The example with fields replaced; `undefined` removes a field. */
const record = (patch: Record<string, unknown> = {}) => Object.fromEntries(Object.entries({ ...example, ...patch }).filter(([, v]) => v !== undefined));
const issuePaths = (r: unknown) => {
  const result = kind.schema.safeParse(r);
  return result.success ? [] : zodIssues(result.error).map((i) => i.path);
};
const mapped = (patch: Record<string, unknown> = {}) => kind.map(kind.schema.parse(record(patch)), at);
const active = { phase: "active", arrests: undefined, charges: undefined, families_affected: undefined, children_affected: undefined, support_needed: undefined };

describe("operation_update: the example", () => {
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
      eventType: "police.operation_update",
      occurredAt: new Date("2024-10-14T16:00:00Z"),
      publishedAt: at,
      region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
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
      operationRef: "Operation Highwater",
      subjects: [],
      sourceRecordId: "NOCG-OPS-2024-0391",
      payload: {
        $case: "policeOperationUpdate",
        value: {
          codeName: "Operation Highwater",
          phase: OperationPhase.OPERATION_PHASE_RESOLUTION,
          clearHoldBuild: ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_CLEAR,
          targetGroup: "Mongrel Mob Barbarians",
          arrests: 39,
          charges: 205,
          familiesAffected: 12,
          childrenAffected: 47,
          supportNeeded: [
            SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION,
            SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT,
            SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING,
          ],
          summary: "Termination phase executed across Ōpōtiki; whānau of those arrested referred for support with Te Whakatōhea.",
          localities: ["Ōpōtiki"],
        },
      },
    });
  });

  it("derives the event id from the update id alone, whenever it is published", () => {
    expect(kind.nativeId(kind.schema.parse(example))).toBe("NOCG-OPS-2024-0391");
    expect(kind.nativeId(kind.schema.parse({ ...(example as object), update_id: "NOCG-OPS-2024-0392" }))).toBe("NOCG-OPS-2024-0392");
  });

  it("uses the recording time when no effective time is given", () => {
    expect(mapped({ effective_at: undefined }).occurredAt).toEqual(new Date("2024-10-18T03:30:00Z"));
  });
});

describe("operation_update: validation", () => {
  it.each([
    ["a missing update id", { update_id: undefined }, "update_id"],
    ["a missing code name", { code_name: undefined }, "code_name"],
    ["a missing phase", { phase: undefined }, "phase"],
    ["a missing summary", { summary: undefined }, "summary"],
    ["a blank target group", { target_group: "   " }, "target_group"],
    ["an update id with spaces", { update_id: "NOCG OPS 1" }, "update_id"],
    ["arrests as a string", { arrests: "39" }, "arrests"],
    ["localities as a string", { localities: "Ōpōtiki" }, "localities"],
    ["an unknown phase", { phase: "terminated" }, "phase"],
    ["an unknown Clear-Hold-Build phase", { clear_hold_build: "rebuild" }, "clear_hold_build"],
    ["an unknown support service", { support_needed: ["counselling"] }, "support_needed[0]"],
    ["an unknown district", { district: "Gotham" }, "district"],
    ["an unknown classification", { classification: "EYES ONLY" }, "classification"],
    ["an unknown caveat", { caveats: ["NOFORN"] }, "caveats[0]"],
    ["a bad grading", { grading: { source: "G", information: 1 } }, "grading.source"],
    ["a time without offset", { recorded_at: "2024-10-18T16:30:00" }, "recorded_at"],
    ["negative arrests", { arrests: -1 }, "arrests"],
    ["fractional charges", { charges: 20.5 }, "charges"],
    ["implausibly many arrests", { arrests: 50_001 }, "arrests"],
    ["implausibly many charges", { charges: 500_001 }, "charges"],
    ["negative children", { children_affected: -3 }, "children_affected"],
    ["a control character in the summary", { summary: "resolved\u0000" }, "summary"],
    ["a control character in a locality", { localities: ["Ōpōtiki\u001b[31m"] }, "localities[0]"],
    ["a line break in the code name", { code_name: "Operation\nHighwater" }, "code_name"],
    ["an over-long code name", { code_name: "O".repeat(101) }, "code_name"],
  ])("rejects %s", (_name, patch, path) => {
    expect(issuePaths(record(patch))).toContain(path);
  });

  it("rejects unknown fields by name", () => {
    expect(issuePaths(record({ informant: "X", persons: [] }))).toEqual(["informant", "persons"]);
  });

  it("rejects arrests and charges before resolution", () => {
    expect(issuePaths(record({ ...active, arrests: 3 }))).toEqual(["arrests"]);
    expect(issuePaths(record({ ...active, phase: "planning", charges: 0 }))).toEqual(["charges"]);
    expect(issuePaths(record({ ...active, arrests: 3, charges: 9 }))).toEqual(["arrests", "charges"]);
  });

  it("requires families and children affected at resolution", () => {
    expect(issuePaths(record({ families_affected: undefined }))).toEqual(["families_affected"]);
    expect(issuePaths(record({ children_affected: undefined }))).toEqual(["children_affected"]);
    expect(issuePaths(record({ families_affected: undefined, children_affected: undefined }))).toEqual(["families_affected", "children_affected"]);
  });

  it("rejects children affected with no family affected", () => {
    expect(issuePaths(record({ families_affected: 0, children_affected: 2 }))).toEqual(["children_affected"]);
  });

  it("rejects a support service listed twice, at the repeat", () => {
    expect(issuePaths(record({ support_needed: ["harm_reduction", "reintegration", "harm_reduction"] }))).toEqual(["support_needed[2]"]);
  });

  it.each([
    ["fewer charges than arrests", { arrests: 20, charges: 4 }],
    ["a resolution with no families affected", { families_affected: 0, children_affected: 0, support_needed: [] }],
    ["a concluded operation without family counts", { phase: "concluded", families_affected: undefined, children_affected: undefined }],
    ["an active operation with a support estimate", { ...active, families_affected: 5, children_affected: 11 }],
    ["a planning update with no optional fields", { ...active, phase: "planning", clear_hold_build: undefined, localities: undefined, grading: undefined, effective_at: undefined }],
    ["the upper bounds", { arrests: 50_000, charges: 500_000, families_affected: 10_000, children_affected: 50_000 }],
    ["a te reo district name", { district: "Tāmaki Makaurau" }],
  ])("accepts %s", (_name, patch) => {
    expect(issuePaths(record(patch))).toEqual([]);
  });

  it("keeps macrons and composes decomposed ones", () => {
    const event = mapped({ localities: ["O\u0304po\u0304tiki", "Whakatāne"], target_group: "Whakatōhea  ", summary: "Whānau and rangatahi\nsupported." });
    const payload = event.payload?.$case === "policeOperationUpdate" ? event.payload.value : undefined;
    expect(payload?.localities).toEqual(["Ōpōtiki", "Whakatāne"]);
    expect(payload?.targetGroup).toBe("Whakatōhea");
    expect(payload?.summary).toBe("Whānau and rangatahi\nsupported.");
  });
});

describe("operation_update: markings", () => {
  const caveatsOf = (patch: Record<string, unknown>) => mapped(patch).handling?.caveats;
  const LEO = HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY;
  const EMBARGO = HandlingCaveat.HANDLING_CAVEAT_EMBARGO_UNTIL_CONCLUDED;

  it("embargoes planning and active updates by default", () => {
    expect(caveatsOf({ ...active, phase: "planning" })).toEqual([LEO, EMBARGO]);
    expect(caveatsOf(active)).toEqual([LEO, EMBARGO]);
  });

  it("keeps law enforcement only, without the embargo, from resolution on", () => {
    expect(caveatsOf({})).toEqual([LEO]);
    expect(caveatsOf({ phase: "concluded" })).toEqual([LEO]);
  });

  it("lets the record's own marking raise the defaults", () => {
    expect(caveatsOf({ ...active, caveats: ["EMBARGO UNTIL CONCLUDED", "LAW ENFORCEMENT ONLY", "ORIGINATOR CONTROL"] })).toEqual([EMBARGO, LEO, HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL]);
    expect(caveatsOf({ caveats: ["LAW ENFORCEMENT ONLY", "EMBARGO UNTIL CONCLUDED"] })).toEqual([LEO, EMBARGO]);
    const e = mapped({ classification: "SECRET", caveats: ["LAW ENFORCEMENT ONLY", "RELEASABLE TO"], releasable_to: ["customs"] });
    expect(e.classification).toBe(Classification.CLASSIFICATION_SECRET);
    expect(e.handling).toEqual({ caveats: [LEO, HandlingCaveat.HANDLING_CAVEAT_RELEASABLE_TO], releasableTo: ["customs"], releasableToCountries: [] });
  });

  it("never lowers them: the embargo before resolution and law enforcement only are a floor", () => {
    expect(() => mapped({ ...active, caveats: ["ORIGINATOR CONTROL"] })).toThrow(MarkingBelowFloor);
    expect(() => mapped({ ...active, caveats: ["LAW ENFORCEMENT ONLY"] })).toThrow(MarkingBelowFloor);
    expect(() => mapped({ caveats: ["RELEASABLE TO"], releasable_to: ["customs"] })).toThrow(MarkingBelowFloor);
    expect(() => mapped({ classification: "IN-CONFIDENCE" })).toThrow(MarkingBelowFloor);
  });

  it("maps an active update with counts absent to zeros and no Clear-Hold-Build phase", () => {
    const e = mapped({ ...active, clear_hold_build: undefined, grading: undefined });
    expect(e.grading).toBeUndefined();
    expect(e.payload).toMatchObject({
      $case: "policeOperationUpdate",
      value: { phase: OperationPhase.OPERATION_PHASE_ACTIVE, clearHoldBuild: ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_UNSPECIFIED, arrests: 0, charges: 0, familiesAffected: 0, childrenAffected: 0, supportNeeded: [] },
    });
  });

  it("takes the operation reference from the code name", () => {
    expect(mapped({ code_name: "Operation Pakari" }).operationRef).toBe("Operation Pakari");
  });
});

describe("operation_update: protobuf", () => {
  it.each([
    ["the example", {}],
    ["an active update", active],
  ])("round-trips %s through bytes", (_name, patch) => {
    const event = mapped(patch);
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish())).toEqual(event);
  });
});

describe("operation_update: synthetic records", () => {
  const records = checkSyntheticRecords(kind, at);

  it("cover every phase, carry counts only from resolution on, and keep ids unique", () => {
    const parsed = records.map((r) => kind.schema.parse(r));
    expect(new Set(parsed.map((r) => r.phase))).toEqual(new Set(["planning", "active", "resolution", "concluded"]));
    expect(parsed.filter((r) => r.phase === "planning" || r.phase === "active").every((r) => r.arrests === undefined && r.charges === undefined)).toBe(true);
    expect(new Set(parsed.map((r) => r.update_id)).size).toBe(records.length);
  });
});

describe("operation_update: demo history", () => {
  const now = new Date("2026-12-06T01:00:00Z");
  const updates = historyRecords({ ...policeAdapter, kinds: [operationUpdate] }, { seed: "takitini", now }).map((r) => r.record as { code_name: string; district: string; phase: string; recorded_at: string; arrests?: number });

  it("holds operations in two districts that go from planning to conclusion, each phase once", () => {
    expect(new Set(updates.map((u) => u.district))).toEqual(new Set(["Counties Manukau", "Eastern"]));
    const byOperation = new Set(updates.map((u) => `${u.district}/${u.code_name}/${u.phase}`));
    const resolved = updates.filter((u) => u.phase === "resolution");
    expect(resolved.length).toBeGreaterThanOrEqual(10);
    expect(resolved.every((u) => (u.arrests ?? 0) > 0)).toBe(true);
    // A resolved operation's earlier phases come before it, under the same code name (unless before the year began).
    for (const r of resolved) {
      const planned = updates.find((u) => u.district === r.district && u.code_name === r.code_name && u.phase === "planning" && u.recorded_at < r.recorded_at);
      if (updates.some((u) => u.recorded_at < r.recorded_at && Date.parse(r.recorded_at) - Date.parse(u.recorded_at) > 42 * 86_400_000)) expect(planned, r.code_name).toBeDefined();
    }
    // Each operation's phase is recorded once.
    expect(byOperation.size).toBe(updates.length);
  });
});
