import { loadSharingPolicy, type SharingPolicy } from "@takitini/policies";
import { OperationPhase } from "@takitini/proto";
import { beforeAll, describe, expect, it } from "vitest";
import { dataDir, fullEvent, operationUpdate, POLICE_MARKINGS, shippedRegistry } from "./events.fixture.js";
import { classify, compareDecisions, renderImpact, type DecisionSummary } from "./policy/impact.js";

const deny = (...reasons: string[]): DecisionSummary => ({ allow: false, view: "none", redact: [], reasons, legal_basis: "" });
const allow = (view: DecisionSummary["view"], redact: string[] = [], rule = "sharing.a", basis = "IPP 11"): DecisionSummary => ({ allow: true, view, redact, reasons: [rule], legal_basis: basis });

describe("classifying one decision's change", () => {
  it.each([
    ["deny → allow", deny("sharing.default_deny"), allow("full"), "newly_shared"],
    ["deny → aggregate", deny("sharing.default_deny"), allow("aggregate_only"), "newly_shared"],
    ["allow → deny", allow("redacted", ["subjects"]), deny("sharing.operational_embargo"), "newly_withheld"],
    ["full → redacted", allow("full"), allow("redacted", ["subjects"]), "view_changed"],
    ["other paths", allow("redacted", ["a", "b"]), allow("redacted", ["a", "c"]), "redaction_changed"],
    ["another rule", allow("full"), allow("full", [], "sharing.b"), "reasons_changed"],
    ["another legal basis", allow("full"), allow("full", [], "sharing.a", "Customs and Excise Act 2018, s 316"), "reasons_changed"],
    ["other denial reasons", deny("sharing.default_deny"), deny("sharing.default_deny", "sharing.law_enforcement_only"), "reasons_changed"],
  ])("%s", (_name, before, after, kind) => {
    expect(classify(before, after)).toBe(kind);
  });

  it("the same decision, paths in any order, is no change", () => {
    expect(classify(allow("redacted", ["b", "a"]), allow("redacted", ["a", "b"]))).toBeUndefined();
    expect(classify(deny("sharing.x"), deny("sharing.x"))).toBeUndefined();
  });
});

describe("comparing the current policy with a candidate", () => {
  let current: SharingPolicy;
  let candidate: SharingPolicy;
  const events = [
    operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION),
    operationUpdate(OperationPhase.OPERATION_PHASE_ACTIVE),
    fullEvent("mbie.exploitation_complaint", { operationRef: "" }),
    fullEvent("police.firearms_seizure", { ...POLICE_MARKINGS, operationRef: "" }),
  ];

  beforeAll(async () => {
    // The candidate: MSD's support notice withdrawn, Police no longer told the
    // exploited workers' protection applies to children separately, and a new partner.
    const r = shippedRegistry() as Record<string, { agreements: Record<string, unknown>[] } & Record<string, unknown>>;
    r.msd!.agreements = r.msd!.agreements.filter((a) => a.id !== "msd-police-support-notice");
    r.police!.agreements = r.police!.agreements.map((a) => (a.id === "police-mbie-exploitation-complaints" ? { ...a, redact: ["victims_and_exploited_workers", "children", "addresses"] } : a));
    r["corrections"] = {
      name: "Department of Corrections",
      tier: "partner_agency",
      agency: "CORRECTIONS",
      law_enforcement: true,
      clearance: "RESTRICTED",
      regions: ["*"],
      purposes: ["offender_management"],
      delivery_topic: "takitini.deliver.corrections.v1",
      agreements: [{ id: "corrections-police-firearms", rule: "sharing.corrections_police_firearms", source_agency: "POLICE", event_types: ["police.firearms_seizure"], view: "redacted", redact: ["vehicles"], purpose: "offender_management", legal_basis: "Corrections Act 2004, s 182" }],
    };
    [current, candidate] = await Promise.all([loadSharingPolicy({ memo: 0 }), loadSharingPolicy({ dataDir: dataDir(r), memo: 0 })]);
  });

  it("finds what would newly be withheld", () => {
    const msd = compareDecisions(events, current, candidate).subscribers.find((s) => s.subscriber === "msd")!;
    expect(msd.changes.newly_withheld.map((c) => [c.event_type, c.before.view, c.after.reasons])).toEqual([
      ["police.operation_update", "redacted", ["sharing.classification_above_clearance", "sharing.default_deny", "sharing.law_enforcement_only"]],
    ]);
    expect(msd.decided).toBe(4);
    expect(msd.unchanged).toBe(3);
  });

  it("finds redaction changes, path by path", () => {
    const police = compareDecisions(events, current, candidate).subscribers.find((s) => s.subscriber === "police")!;
    expect(police.changes.redaction_changed).toHaveLength(1);
    expect(police.changes.redaction_changed[0]).toMatchObject({ event_type: "mbie.exploitation_complaint", newly_redacted: ["subjects[*].person.address"], no_longer_redacted: [] });
  });

  it("finds what a new partner would newly receive", () => {
    const report = compareDecisions(events, current, candidate);
    const corrections = report.subscribers.find((s) => s.subscriber === "corrections")!;
    expect(corrections).toMatchObject({ in_current: false, in_candidate: true });
    expect(corrections.changes.newly_shared.map((c) => [c.event_type, c.after.view])).toEqual([["police.firearms_seizure", "redacted"]]);
    // The other three were denied by both (unknown subscriber, then no agreement): other reasons.
    expect(corrections.changes.reasons_changed).toHaveLength(3);
  });

  it("diffs paths only between views the subscriber gets", () => {
    const msd = compareDecisions(events, current, candidate).subscribers.find((s) => s.subscriber === "msd")!;
    expect(msd.changes.newly_withheld[0]).toMatchObject({ newly_redacted: [], no_longer_redacted: [] });
  });

  it("reports nothing for the same policy", () => {
    const report = compareDecisions(events, current, current);
    expect(report.subscribers.every((s) => s.unchanged === events.length)).toBe(true);
    expect(renderImpact(report)).toContain("no decision changes.");
  });

  it("renders counts and examples per subscriber", () => {
    const text = renderImpact(compareDecisions(events, current, candidate), 1);
    expect(text).toContain(`current   ${current.revision}`);
    expect(text).toContain(`candidate ${candidate.revision}`);
    expect(text).toMatch(/corrections \(partner agency\) — new in the candidate/);
    expect(text).toMatch(/newly withheld\s+1\n\s+6b0c1a2e-1111-5000-8000-000000000001 police.operation_update BAY_OF_PLENTY: redacted under sharing.msd_police_operation_support_notice → none \(sharing.classification_above_clearance, sharing.default_deny, sharing.law_enforcement_only\)/);
    expect(text).toMatch(/redaction changed\s+1\n.*now removes subjects\[\*\]\.person\.address/);
    expect(text).toMatch(/customs \(partner agency\)\n  no changes \(4 decisions\)/);
  });
});
