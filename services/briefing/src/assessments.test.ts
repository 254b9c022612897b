import { Agency, CommunityAssessment, PoliceDistrict } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { COMMUNITY_ASSESSMENT_EVENT_TYPE, decodeInput, type AssessmentInput } from "./inputs.js";
import { assembleBriefing } from "./briefing.js";
import { AUDIENCES, EASTERN_LEADERS, SECRET } from "./briefing.fixture.js";
import { briefingPage } from "./html.js";
import { regionByDistrict } from "./regions.js";
import { AggregateStore } from "./store.js";
import { sampleInputs, SAMPLE_QUARTER, SAMPLE_WEEK } from "./tools/sample.js";

/** What the agency wrote and its approval, as both the message and the input carry them. */
const TEXT = {
  title: "Methamphetamine harm in the eastern Bay of Plenty",
  periodStart: "2026-07-01",
  periodEnd: "2026-09-30",
  body: "Use fell over the quarter.\nAgencies ask leaders to share where support is.",
  keyPoints: ["Use fell in Ōpōtiki."],
  recommendedActions: ["Share where whānau can find support."],
  approverRole: "District Commander",
  approvalRef: "POLICE-RA-APP-2026-031",
};

const assessment = (fields: Partial<CommunityAssessment> = {}) =>
  CommunityAssessment.fromPartial({
    deliveryId: "0f3c2a9e-7b1d-4c8e-9a2f-5d6e7f8a9b0c",
    eventType: "police.regional_assessment",
    sourceAgency: Agency.AGENCY_POLICE,
    region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
    ...TEXT,
    agreementId: "community-bay-of-plenty-police-assessments",
    ...fields,
  });
const decode = (a: CommunityAssessment, headers: Record<string, string> = { "event-type": COMMUNITY_ASSESSMENT_EVENT_TYPE, view: "redacted" }) =>
  decodeInput(Buffer.from(CommunityAssessment.encode(a).finish()), headers);

describe("an agency assessment from a community topic", () => {
  it("is read field by field: agency, region, title, period, text, points, actions, approval", () => {
    expect(decode(assessment())).toEqual({
      ok: true,
      input: {
        kind: "assessment",
        deliveryId: "0f3c2a9e-7b1d-4c8e-9a2f-5d6e7f8a9b0c",
        region: "BAY_OF_PLENTY",
        agency: "police",
        ...TEXT,
      },
    });
  });

  it("drops control characters and refuses one without a region, title, text, approval reference or ISO period", () => {
    const d = decode(assessment({ title: "Harm\u0000 report\u001b", keyPoints: ["\u0007", "Real point"] }));
    expect(d.ok && d.input.kind === "assessment" && [d.input.title, d.input.keyPoints]).toEqual(["Harm report", ["Real point"]]);
    for (const bad of [{ region: PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED }, { title: " " }, { body: "" }, { approvalRef: "" }, { periodEnd: "September" }, { sourceAgency: Agency.AGENCY_UNSPECIFIED }]) {
      expect(decode(assessment(bad)), JSON.stringify(bad)).toEqual({ ok: false, reason: "INVALID_ASSESSMENT" });
    }
  });

  it("comes only as a de-identified (redacted) view", () => {
    expect(decode(assessment(), { "event-type": COMMUNITY_ASSESSMENT_EVENT_TYPE, view: "full" })).toEqual({ ok: false, reason: "UNEXPECTED_VIEW" });
    expect(decodeInput(Buffer.from([0xff, 0xff, 0xff]), { "event-type": COMMUNITY_ASSESSMENT_EVENT_TYPE, view: "redacted" })).toEqual({ ok: false, reason: "DECODE_FAILED" });
  });
});

describe("the store's assessments", () => {
  const input = (fields: Partial<AssessmentInput>): AssessmentInput => {
    const d = decode(assessment());
    if (!d.ok || d.input.kind !== "assessment") throw new Error("fixture");
    return { ...d.input, ...fields };
  };

  it("keeps each delivery once, per region, the latest period first, and adds no week", () => {
    const store = new AggregateStore();
    expect(store.apply(input({ deliveryId: "a", periodStart: "2026-04-01", periodEnd: "2026-06-30" }))).toBe(true);
    expect(store.apply(input({ deliveryId: "b" }))).toBe(true);
    expect(store.apply(input({ deliveryId: "b" }))).toBe(false);
    expect(store.apply(input({ deliveryId: "c", region: "EASTERN" }))).toBe(true);
    expect(store.assessmentsIn("BAY_OF_PLENTY").map((a) => a.deliveryId)).toEqual(["b", "a"]);
    expect(store.assessmentsIn("EASTERN").map((a) => a.deliveryId)).toEqual(["c"]);
    expect(store.assessmentsIn("SOUTHERN")).toEqual([]);
    expect(store.weeksWithData("BAY_OF_PLENTY")).toEqual([]);
  });
});

describe("assessments in a briefing", () => {
  it("a leader's briefing shows its region's assessments, in both languages; the public's shows none", () => {
    const store = new AggregateStore();
    for (const i of sampleInputs()) store.apply(i);
    const region = regionByDistrict(PoliceDistrict.POLICE_DISTRICT_EASTERN)!;
    const leaders = assembleBriefing({ store, region, periodId: SAMPLE_WEEK, rules: EASTERN_LEADERS.rules, secret: SECRET, received: EASTERN_LEADERS.received });
    expect(leaders.assessments?.map((a) => [a.title, a.agencyName, a.approvalRef])).toEqual([["Methamphetamine harm in the region, July to September", "New Zealand Police", "POLICE-RA-APP-2026-031"]]);
    const html = briefingPage(leaders, { json: "/x.json" });
    expect(html).toContain('<h2 id="h-assessments">Assessments from agencies</h2>');
    expect(html).toContain("Approved for release by the District Commander, New Zealand Police (reference POLICE-RA-APP-2026-031).");
    const mi = assembleBriefing({ store, region, periodId: SAMPLE_WEEK, rules: EASTERN_LEADERS.rules, secret: SECRET, received: EASTERN_LEADERS.received, lang: "mi" });
    expect(mi.assessments?.[0]?.agencyName).toBe("Ngā Pirihimana o Aotearoa");
    const pub = AUDIENCES.public;
    expect(assembleBriefing({ store, region, periodId: SAMPLE_QUARTER, rules: pub.rules, secret: SECRET, received: pub.received }).assessments).toBeUndefined();
  });

  it("escapes what the agency wrote", () => {
    const store = new AggregateStore();
    const d = decode(assessment({ region: PoliceDistrict.POLICE_DISTRICT_EASTERN, title: "<script>alert(1)</script>" }));
    if (!d.ok) throw new Error("fixture");
    store.apply(d.input);
    const b = assembleBriefing({ store, region: regionByDistrict(PoliceDistrict.POLICE_DISTRICT_EASTERN)!, periodId: "2026-W47", rules: EASTERN_LEADERS.rules, secret: SECRET, received: EASTERN_LEADERS.received });
    const html = briefingPage(b, { json: "/x.json" });
    expect(html).not.toContain("<script>alert(1)");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });
});
