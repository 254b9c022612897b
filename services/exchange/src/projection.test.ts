import { Commodity, IntelligenceEvent, OperationPhase, OrganisedCrimeActivity, SubmissionTopic } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, fullEvent, operationUpdate, PERSONAL } from "./events.fixture.js";
import { activityOf, operationPhaseOf, policyInput, subjectShape } from "./projection.js";

describe("the policy input for every event type", () => {
  it.each(EVENT_TYPES)("%s carries no personal information and no subject ids", (eventType) => {
    const text = JSON.stringify(policyInput(fullEvent(eventType), "msd"));
    for (const pi of PERSONAL) expect(text).not.toContain(pi);
    expect(text).not.toMatch(/police\/person|mbie\/person|police\/vehicle/);
  });

  it.each(EVENT_TYPES)("%s keeps every subject's position, kind, role and minor flag", (eventType) => {
    expect(policyInput(fullEvent(eventType), "msd").event.subjects).toEqual([
      { kind: "PERSON", role: "PERSON_OF_INTEREST", minor: false },
      { kind: "PERSON", role: "VICTIM", minor: false },
      { kind: "PERSON", role: "EXPLOITED_WORKER", minor: true },
      { kind: "ORGANISATION", role: "", minor: false },
      { kind: "VEHICLE", role: "", minor: false },
    ]);
  });

  it("keeps an empty subject's place", () => {
    expect(subjectShape({ entity: undefined })).toEqual({ kind: "", role: "", minor: false });
    const input = policyInput(fullEvent("mbie.trafficking_indicator", { subjects: [{ entity: undefined }, ...fullEvent("mbie.trafficking_indicator").subjects] }), "police");
    expect(input.event.subjects[2]).toEqual({ kind: "PERSON", role: "VICTIM", minor: false });
    expect(input.event.subject_kinds).toEqual(["PERSON", "ORGANISATION", "VEHICLE"]);
  });
});

describe("activity", () => {
  it.each([
    ["police.organised_crime_noting", "DRUG_SUPPLY"],
    ["police.wastewater_indicator", "METHAMPHETAMINE"],
    ["customs.border_seizure", "METHAMPHETAMINE"],
    ["customs.suspicious_consignment", "PRECURSORS"],
    ["police.operation_update", ""],
    ["police.firearms_seizure", ""],
    ["mbie.exploitation_complaint", ""],
    ["mbie.trafficking_indicator", ""],
    ["msd.whanau_support_referral", ""],
    ["msd.community_resilience_report", ""],
    ["community.observation", "DRUG_SUPPLY"],
    ["community.support_need", ""],
    ["community.briefing_feedback", ""],
  ])("%s: %j", (eventType, activity) => {
    expect(activityOf(fullEvent(eventType))).toBe(activity);
  });

  it("an unspecified commodity is none; an unspecified noting activity stays visible to the policy (which denies it)", () => {
    const consignment = fullEvent("customs.suspicious_consignment");
    if (consignment.payload?.$case !== "customsSuspiciousConsignment") throw new Error("fixture");
    consignment.payload.value.suspectedCommodity = Commodity.COMMODITY_UNSPECIFIED;
    expect(activityOf(consignment)).toBe("");
    const noting = fullEvent("police.organised_crime_noting");
    if (noting.payload?.$case !== "policeNoting") throw new Error("fixture");
    noting.payload.value.activity = OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_UNSPECIFIED;
    expect(activityOf(noting)).toBe("UNSPECIFIED");
  });
});

describe("a leader's submission", () => {
  const withTopic = (type: string, topic: SubmissionTopic) => {
    const e = fullEvent(type, { subjects: [] });
    if (e.payload?.$case !== "communitySubmission") throw new Error("fixture");
    e.payload.value.topic = topic;
    return e;
  };

  it.each([
    [SubmissionTopic.SUBMISSION_TOPIC_DRUG_SUPPLY, "DRUG_SUPPLY"],
    [SubmissionTopic.SUBMISSION_TOPIC_FIREARMS, "FIREARMS"],
    [SubmissionTopic.SUBMISSION_TOPIC_GANG_ACTIVITY, "GANG_ACTIVITY"],
    [SubmissionTopic.SUBMISSION_TOPIC_EXPLOITATION, "EXPLOITATION"],
    [SubmissionTopic.SUBMISSION_TOPIC_FINANCIAL_HARM, "FINANCIAL_HARM"],
    [SubmissionTopic.SUBMISSION_TOPIC_OTHER, "OTHER"],
    [SubmissionTopic.SUBMISSION_TOPIC_UNSPECIFIED, ""],
  ])("an observation on %s has the activity %j (its topic, the prefix stripped; none for unspecified)", (topic, code) => {
    expect(activityOf(withTopic("community.observation", topic))).toBe(code);
    expect(policyInput(withTopic("community.observation", topic), "police").event).toMatchObject({ source_agency: "COMMUNITY", activity: code });
  });

  it("a support need or feedback carries whatever topic it was given, for the policy to refuse", () => {
    expect(activityOf(withTopic("community.support_need", SubmissionTopic.SUBMISSION_TOPIC_OTHER))).toBe("OTHER");
  });

  it("carries personal information whenever the leader wrote something or named a place, and never the words themselves", () => {
    const e = fullEvent("community.observation", { subjects: [] });
    const input = policyInput(e, "police");
    expect(input.event.has_personal_information).toBe(true);
    for (const s of ["Hēmi Tāwhiri", "021 555 0147", "Ōpōtiki", "TK-7Q4M-2WXC", "Eastern Bay Iwi Provider Alliance", "community-bay-of-plenty"]) expect(JSON.stringify(input)).not.toContain(s);
    if (e.payload?.$case !== "communitySubmission") throw new Error("fixture");
    e.payload.value.text = "";
    expect(policyInput(e, "police").event.has_personal_information).toBe(true);
    e.payload.value.locality = "";
    expect(policyInput(e, "police").event.has_personal_information).toBe(false);
    e.payload.value.text = "x";
    expect(policyInput(e, "police").event.has_personal_information).toBe(true);
  });
});

describe("operations", () => {
  it.each([
    [OperationPhase.OPERATION_PHASE_PLANNING, "PLANNING"],
    [OperationPhase.OPERATION_PHASE_ACTIVE, "ACTIVE"],
    [OperationPhase.OPERATION_PHASE_RESOLUTION, "RESOLUTION"],
    [OperationPhase.OPERATION_PHASE_CONCLUDED, "CONCLUDED"],
    [OperationPhase.OPERATION_PHASE_UNSPECIFIED, "UNSPECIFIED"],
  ])("an operation update in %s carries its phase", (phase, code) => {
    expect(operationPhaseOf(operationUpdate(phase))).toBe(code);
    expect(policyInput(operationUpdate(phase), "msd").event).toMatchObject({ operation_phase: code, operation_ref: "Operation Highwater" });
  });

  it("other events carry the operation they concern but no phase", () => {
    expect(policyInput(fullEvent("police.firearms_seizure"), "msd").event).toMatchObject({ operation_phase: "", operation_ref: "Operation Highwater" });
    expect(policyInput(fullEvent("police.firearms_seizure", { operationRef: "" }), "msd").event.operation_ref).toBe("");
  });
});

describe("personal information flag", () => {
  it("is set by a person, a vehicle or a narrative", () => {
    const bare = { subjects: [] };
    expect(policyInput(fullEvent("police.wastewater_indicator", bare), "msd").event.has_personal_information).toBe(false);
    expect(policyInput(fullEvent("police.wastewater_indicator"), "msd").event.has_personal_information).toBe(true);
    expect(policyInput(fullEvent("police.operation_update", bare), "msd").event.has_personal_information).toBe(true);
    const quiet = IntelligenceEvent.fromPartial({ ...fullEvent("police.operation_update", bare) });
    if (quiet.payload?.$case !== "policeOperationUpdate") throw new Error("fixture");
    quiet.payload.value.summary = "";
    expect(policyInput(quiet, "msd").event.has_personal_information).toBe(false);
  });
});

describe("the policy input for an agency assessment", () => {
  const assessment = (approval?: { approverRole: string; approvalRef: string; approvedAt: Date }) =>
    fullEvent("police.firearms_seizure", {
      eventType: "police.regional_assessment",
      subjects: [],
      payload: {
        $case: "regionalAssessment",
        value: { title: "Harm in the eastern Bay of Plenty", periodStart: "2026-07-01", periodEnd: "2026-09-30", body: "Harm fell over the quarter.", keyPoints: ["Harm fell."], recommendedActions: [], approval },
      },
    });

  it("carries the release approval (a role, a reference, a time), never the text", () => {
    const input = policyInput(assessment({ approverRole: "District Commander", approvalRef: "POLICE-RA-APP-2026-031", approvedAt: new Date("2026-10-06T21:30:00Z") }), "community-bay-of-plenty");
    expect(input.event.release_approval).toEqual({ approver_role: "District Commander", approval_ref: "POLICE-RA-APP-2026-031", approved_at: "2026-10-06T21:30:00.000Z" });
    expect(JSON.stringify(input)).not.toContain("Harm fell");
  });

  it("says null when the agency has not approved it, and nothing for other event types", () => {
    expect(policyInput(assessment(), "community-bay-of-plenty").event.release_approval).toBeNull();
    expect("release_approval" in policyInput(fullEvent("police.firearms_seizure"), "msd").event).toBe(false);
  });
});
