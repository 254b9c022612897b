import { ingest, identifierIn, regionalAssessmentKind } from "@takitini/adapter-kit";
import { checkSyntheticRecords, httpDoorForTests, TEST_EVENT_ID_KEY } from "@takitini/adapter-kit/testing";
import { PoliceDistrict } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { policeAdapter } from "../adapter.js";
import { POLICE_DEFAULTS } from "../defaults.js";

const kind = regionalAssessmentKind("POLICE", POLICE_DEFAULTS);
const at = new Date("2026-11-20T00:00:00Z");
const example = kind.example as Record<string, unknown>;
/** The example with fields replaced; `undefined` removes a field. */
const record = (patch: Record<string, unknown> = {}) => Object.fromEntries(Object.entries({ ...example, ...patch }).filter(([, v]) => v !== undefined));
const paths = (r: unknown) => {
  const result = ingest(policeAdapter, "regional_assessment", r, at, { eventIdKey: TEST_EVENT_ID_KEY });
  return result.ok ? [] : result.issues.map((i) => i.path).sort();
};
const approved = example.approval as Record<string, unknown>;

describe("regional_assessment: validation", () => {
  it("accepts the example", () => {
    expect(paths(example)).toEqual([]);
  });
  checkSyntheticRecords(kind, at, 200);

  it.each([
    ["missing approval", { approval: undefined }, ["approval"]],
    ["an approval without its reference", { approval: { ...approved, approval_ref: undefined } }, ["approval.approval_ref"]],
    ["an approval without a time", { approval: { ...approved, approved_at: undefined } }, ["approval.approved_at"]],
    ["an approval of another status", { approval: { status: "maybe" } }, ["approval.status"]],
    ["a pending approval with approval fields", { approval: { ...approved, status: "pending" } }, ["approval"]],
    ["no key points", { key_points: [] }, ["key_points"]],
    ["a period that ends before it starts", { period_end: "2026-06-30" }, ["period_end"]],
    ["an unknown region", { region: "Gotham" }, ["region"]],
    ["an e-mail address in the body", { body: `${String(example.body)} Contact aroha.smith@example.org for more.` }, ["body"]],
    ["a phone number in a key point", { key_points: ["Call 027 555 0199 with information."] }, ["key_points[0]"]],
    ["a document number in an action", { recommended_actions: ["Look out for licence DL-AB123456."] }, ["recommended_actions[0]"]],
    ["control characters in the title", { title: "Harm\u0000 report" }, ["title"]],
    ["an unknown field", { leader_name: "Aroha" }, ["leader_name"]],
  ])("refuses %s with its field path", (_n, patch, expected) => {
    const out = paths(record(patch));
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((p) => expected.some((e) => p === e || p.startsWith(`${e}.`) || p.startsWith(`${e}[`)))).toBe(true);
  });

  it("finds identifiers but lets years, ISO weeks, dates, counts and short codes pass", () => {
    expect(identifierIn("In 2026-W46, 1,200 people were served in Ōpōtiki from 2026-07-01; Q3 and 5km radius.")).toBeUndefined();
    expect(identifierIn("ring +64 21 555 0199")).toBe("a phone number");
    expect(identifierIn("kia ora@marae.nz")).toBe("an e-mail address");
    expect(identifierIn("passport LA123456")).toBe("a document number");
  });
});

describe("regional_assessment: mapping", () => {
  it("records the approval in the event, in the region named", () => {
    const r = ingest(policeAdapter, "regional_assessment", example, at, { eventIdKey: TEST_EVENT_ID_KEY });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.eventType).toBe("police.regional_assessment");
    expect(r.event.region).toBe(PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY);
    expect(r.event.subjects).toEqual([]);
    expect(r.event.payload).toEqual({
      $case: "regionalAssessment",
      value: {
        title: example.title,
        periodStart: "2026-07-01",
        periodEnd: "2026-09-30",
        body: example.body,
        keyPoints: example.key_points,
        recommendedActions: example.recommended_actions,
        approval: { approverRole: "District Commander", approvalRef: "POLICE-RA-APP-2026-031", approvedAt: new Date("2026-10-06T21:30:00Z") },
      },
    });
  });

  it("carries no approval for a pending assessment", () => {
    const r = ingest(policeAdapter, "regional_assessment", record({ approval: { status: "pending" } }), at, { eventIdKey: TEST_EVENT_ID_KEY });
    expect(r.ok && r.event.payload?.$case === "regionalAssessment" && r.event.payload.value.approval).toBeUndefined();
  });
});

describe("regional_assessment: the HTTP door", () => {
  it("answers a missing approval 400 naming the field, and publishes nothing", async () => {
    const { app, publisher } = await httpDoorForTests(policeAdapter, { now: () => at });
    const res = await app.inject({ method: "POST", url: kind.httpPath, payload: JSON.stringify(record({ approval: undefined })), headers: { "content-type": "application/json" } });
    await app.close();
    const body = res.json() as { error: { code: string; issues: { path: string }[] } };
    expect([res.statusCode, body.error.code, body.error.issues.map((i) => i.path)]).toEqual([400, "VALIDATION_FAILED", ["approval"]]);
    expect(publisher.calls).toEqual([]);
  });
});
