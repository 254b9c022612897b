import { describe, expect, it } from "vitest";
import { loadSharingPolicy, type DecisionInput } from "./index.js";

/**
 * Agency assessments through the compiled policy (wasm), as the exchange runs it:
 * released to the region's leaders only with the agency's recorded approval.
 * The Rego tests (decision_test.rego) cover each rule; this checks the wasm
 * runtime evaluates the approval check (it has builtins the Rego CLI has not).
 */
const policy = await loadSharingPolicy();
const approval = { approver_role: "District Commander", approval_ref: "POLICE-RA-APP-2026-031", approved_at: "2026-10-06T21:30:00Z" };
const assessment = (region: string, release_approval: DecisionInput["event"]["release_approval"]): DecisionInput["event"] => ({
  id: "0b8a4f4e-6f0e-5c1a-9d0e-1f2a3b4c5d6e",
  source_agency: "POLICE",
  event_type: "police.regional_assessment",
  classification: "RESTRICTED",
  caveats: ["LAW_ENFORCEMENT_ONLY"],
  releasable_to: [],
  region,
  activity: "",
  operation_ref: "",
  operation_phase: "",
  subject_kinds: [],
  subjects: [],
  has_personal_information: false,
  release_approval,
});
const decide = (subscriber_id: string, event: DecisionInput["event"]) => policy.decide({ subscriber_id, event });

describe("an agency assessment, through the wasm policy", () => {
  it("with its approval reaches its region's leaders, as a de-identified redacted view", () => {
    const d = decide("community-bay-of-plenty", assessment("BAY_OF_PLENTY", approval));
    expect([d.allow, d.view, d.reasons, d.redact]).toEqual([true, "redacted", ["sharing.community_police_regional_assessment"], ["source_record_id"]]);
  });

  it("reaches no other region's leaders, and no community without an approval", () => {
    const others = policy.subscribers().filter((s) => s.tier === "community_leader" && s.id !== "community-bay-of-plenty");
    expect(others).toHaveLength(11);
    for (const s of others) expect(decide(s.id, assessment("BAY_OF_PLENTY", approval)).allow, s.id).toBe(false);
    for (const a of [null, undefined, { ...approval, approval_ref: "" }, { ...approval, approved_at: "6 October" }]) {
      const d = decide("community-bay-of-plenty", assessment("BAY_OF_PLENTY", a));
      expect([d.allow, d.reasons], JSON.stringify(a)).toEqual([false, ["sharing.assessment_not_approved"]]);
    }
  });
});
