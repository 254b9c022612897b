import { ingest } from "@takitini/adapter-kit";
import { checkSyntheticRecords, httpDoorForTests, TEST_EVENT_ID_KEY } from "@takitini/adapter-kit/testing";
import { Agency, Classification, HandlingCaveat, IntelligenceEvent, PoliceDistrict, SupportService } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { policeAdapter } from "../adapter.js";
import { supportAdvanceNotice as kind } from "./support-advance-notice.js";

const at = new Date("2026-11-20T00:00:00Z");
const example = kind.example as Record<string, unknown>;
/** The example with fields replaced; `undefined` removes a field. */
const record = (patch: Record<string, unknown> = {}) => Object.fromEntries(Object.entries({ ...example, ...patch }).filter(([, v]) => v !== undefined));
const run = (r: unknown) => ingest(policeAdapter, "support_advance_notice", r, at, { eventIdKey: TEST_EVENT_ID_KEY });
const paths = (r: unknown) => {
  const result = run(r);
  return result.ok ? [] : [...new Set(result.issues.map((i) => i.path))].sort();
};

describe("support_advance_notice: validation", () => {
  it("accepts the example", () => {
    expect(paths(example)).toEqual([]);
  });
  checkSyntheticRecords(kind, at, 200);

  // Nothing about the operation exists in the record: each such field is refused by name.
  it.each([
    ["an operation reference", { operation_ref: "Operation Highwater" }, ["operation_ref"]],
    ["a code name", { code_name: "Operation Highwater" }, ["code_name"]],
    ["a locality", { locality: "Ōpōtiki" }, ["locality"]],
    ["localities", { localities: ["Ōpōtiki"] }, ["localities"]],
    ["a date", { date: "2026-11-24" }, ["date"]],
    ["a date-time of the action", { expected_at: "2026-11-24T05:00:00+13:00" }, ["expected_at"]],
    ["persons", { persons: [{ person_id: "P-1", name: "Aroha Smith" }] }, ["persons"]],
    ["a summary", { summary: "Raids in Ōpōtiki on Tuesday" }, ["summary"]],
    ["a target group", { target_group: "Mongrel Mob Barbarians" }, ["target_group"]],
    ["releasable_to", { releasable_to: ["customs"] }, ["releasable_to"]],
    ["a date in place of the week", { week: "2026-11-24" }, ["week"]],
    ["a week that does not exist", { week: "2025-W53" }, ["week"]],
    ["a week more than a year ahead", { week: "2028-W10" }, ["week"]],
    ["an unknown district", { district: "Gotham" }, ["district"]],
    ["a negative count", { children_likely_affected: -1 }, ["children_likely_affected"]],
    ["a fractional count", { families_likely_affected: 2.5 }, ["families_likely_affected"]],
    ["children but no families", { families_likely_affected: 0 }, ["children_likely_affected"]],
    ["no support named", { support_needed: [] }, ["support_needed"]],
    ["an unknown support service", { support_needed: ["counselling"] }, ["support_needed[0]"]],
    ["a support service twice", { support_needed: ["whanau_navigation", "whanau_navigation"] }, ["support_needed[1]"]],
    ["a releasable-to caveat", { caveats: ["NO COMMUNITY RELEASE", "RELEASABLE TO"] }, ["caveats[1]"]],
    ["an unknown classification", { classification: "TOP-SECRET" }, ["classification"]],
    ["a missing week", { week: undefined }, ["week"]],
    ["a missing district", { district: undefined }, ["district"]],
  ])("refuses %s with its field path", (_n, patch, expected) => {
    const r = run(record(patch));
    expect(r.ok).toBe(false);
    expect(paths(record(patch))).toEqual(expected);
  });

  it("answers 400 VALIDATION_FAILED naming the field at the HTTP door, and publishes nothing", async () => {
    const { app, publisher } = await httpDoorForTests(policeAdapter);
    const res = await app.inject({ method: "POST", url: "/v1/support-advance-notices", payload: record({ code_name: "Operation Highwater", locality: "Ōpōtiki" }) });
    await app.close();
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe("VALIDATION_FAILED");
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(["code_name", "locality"]);
    expect(publisher.published).toEqual([]);
  });
});

describe("support_advance_notice: mapping", () => {
  it("maps to a notice with no operation, no subjects, Police's notice markings and the child-welfare basis", () => {
    const r = run(example);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const e = r.event;
    expect(e.eventType).toBe("police.support_advance_notice");
    expect(e.sourceAgency).toBe(Agency.AGENCY_POLICE);
    expect(e.region).toBe(PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY);
    expect(e.operationRef).toBe("");
    expect(e.subjects).toEqual([]);
    expect(e.supersedes).toBe("");
    expect(e.originalEventId).toBe("");
    expect(e.classification).toBe(Classification.CLASSIFICATION_RESTRICTED);
    expect(e.handling?.caveats).toEqual([HandlingCaveat.HANDLING_CAVEAT_NO_COMMUNITY_RELEASE]);
    expect(e.handling?.releasableTo).toEqual([]);
    expect(e.legalBasis).toMatchObject({ instrument: "Oranga Tamariki Act 1989", provision: "s 66C" });
    // The week's Monday: the event says no more about when than the week.
    expect(e.occurredAt).toEqual(new Date("2026-11-23T00:00:00Z"));
    expect(e.payload).toEqual({
      $case: "policeSupportAdvanceNotice",
      value: {
        week: "2026-W48",
        childrenLikelyAffected: 47,
        familiesLikelyAffected: 12,
        // Distinct, in enum order, whatever order the record lists them in.
        supportNeeded: [SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT, SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING],
      },
    });
  });

  it("keeps no text of the record but its codes: the encoded event holds no free text", () => {
    const r = run(example);
    if (!r.ok) throw new Error("example refused");
    const bytes = Buffer.from(IntelligenceEvent.encode(r.event).finish()).toString("utf8");
    expect(bytes).not.toMatch(/Ōpōtiki|Operation/u);
    expect(bytes).toContain("2026-W48");
  });

  it("accepts a week up to a year ahead (the notice is sent before the action)", () => {
    expect(paths(record({ week: "2027-W40" }))).toEqual([]);
  });
});
