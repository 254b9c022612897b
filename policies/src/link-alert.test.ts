import { describe, expect, it } from "vitest";
import { dataDir, noting, shippedRegistry } from "./events.fixture.js";
import { LINK_ALERT_EVENT_TYPE, LINK_RULES, loadSharingPolicy, memoKey, type DecisionInput, type EventProjection, type LinkedRecordProjection } from "./index.js";

/**
 * Link alerts through the compiled policy (wasm) and the shipped registry, as the
 * exchange runs them: an alert reaches a partner only where the record rules give it
 * a record-level view of both linked records that keeps the linked subject (its own
 * agency's record it holds already), with both records' legal bases; never a
 * community tier. The Rego tests (decision_test.rego) cover each rule; the matrix rows
 * 21–24 every subscriber. This checks the wasm evaluates `with input.event as` a record.
 */
const policy = await loadSharingPolicy();

const record = (event: EventProjection, subject_index = 0): LinkedRecordProjection => ({ ...event, subject_index });

/** Police's drug-supply noting about a person of interest (subject 0), RESTRICTED and law-enforcement only. */
const policeNoting = record(noting("DRUG_SUPPLY"));

/** A Customs border seizure as Customs mark it, its consignee a person (subject 0). */
const seizure = record({
  ...noting("", { event_type: "customs.border_seizure", source_agency: "CUSTOMS", activity: "METHAMPHETAMINE" }),
  id: "5f0c1a2e-0000-5000-8000-000000000011",
  subject_kinds: ["PERSON"],
  subjects: [{ kind: "PERSON", role: "PERSON_OF_INTEREST", minor: false }],
});

/** An MBIE trafficking indicator about a recruiter (0) and a victim (1). */
const trafficking = (subjectIndex: number) =>
  record(
    {
      ...noting("", { event_type: "mbie.trafficking_indicator", source_agency: "MBIE", classification: "IN_CONFIDENCE", caveats: [] }),
      id: "5f0c1a2e-0000-5000-8000-000000000014",
      subjects: [
        { kind: "PERSON", role: "PERSON_OF_INTEREST", minor: false },
        { kind: "PERSON", role: "VICTIM", minor: false },
      ],
    },
    subjectIndex,
  );

/** A link alert as the linkage service marks it (the higher classification, every caveat of both). */
const alert = (rule: string, a: LinkedRecordProjection, b: LinkedRecordProjection): DecisionInput["event"] => ({
  id: "9d3e0c1a-0000-5000-8000-000000000001",
  source_agency: "LINKAGE",
  event_type: LINK_ALERT_EVENT_TYPE,
  classification: "RESTRICTED",
  caveats: ["LAW_ENFORCEMENT_ONLY"],
  releasable_to: [],
  region: a.region === b.region ? a.region : "UNSPECIFIED",
  activity: rule,
  operation_ref: "",
  operation_phase: "",
  subject_kinds: [],
  subjects: [],
  has_personal_information: false,
  linked: [a, b],
});

const passport = alert("IDENTITY_DOCUMENT", policeNoting, seizure);

/** Who is told (view, reasons). */
const told = (p: typeof policy, event: DecisionInput["event"]) =>
  p
    .subscribers()
    .map((s) => ({ id: s.id, d: p.decide({ subscriber_id: s.id, event }) }))
    .filter(({ d }) => d.allow)
    .map(({ id, d }) => `${id}:${d.view}:${d.reasons.join(",")}`);

describe("a link alert, through the wasm policy", () => {
  it("reaches the two agencies whose records it links, each seeing the other's, in full, under the other's agreement", () => {
    expect(told(policy, passport)).toEqual([
      "customs:full:sharing.link_alert_records_visible,sharing.customs_police_drug_supply,sharing.link_alert_own_record",
      "police:full:sharing.link_alert_records_visible,sharing.link_alert_own_record,sharing.police_customs_border_seizures",
    ]);
  });

  it("carries both records' legal bases, each named for its record", () => {
    const d = policy.decide({ subscriber_id: "customs", event: alert("NAME_AND_DATE_OF_BIRTH", policeNoting, trafficking(0)) });
    const basis = (event: DecisionInput["event"]) => policy.decide({ subscriber_id: "customs", event }).legal_basis;
    expect(d.legal_basis).toBe(`[POLICE police.organised_crime_noting] ${basis(policeNoting)}; [MBIE mbie.trafficking_indicator] ${basis(trafficking(0))}`);
    expect(d.reasons).toEqual(["sharing.link_alert_records_visible", "sharing.customs_police_drug_supply", "sharing.customs_mbie_trafficking_indicators"]);
  });

  it("is not told where the view withholds the linked subject: a victim, by name", () => {
    const d = policy.decide({ subscriber_id: "customs", event: alert("NAME_AND_DATE_OF_BIRTH", policeNoting, trafficking(1)) });
    expect([d.allow, d.reasons]).toEqual([false, ["sharing.linked.mbie.linked_subject_withheld", "sharing.linked_record_withheld"]]);
  });

  it("names why, per record, where it is denied", () => {
    expect(policy.decide({ subscriber_id: "msd", event: passport }).reasons).toEqual([
      "sharing.linked.customs.classification_above_clearance",
      "sharing.linked.customs.default_deny",
      "sharing.linked.customs.law_enforcement_only",
      "sharing.linked.police.classification_above_clearance",
      "sharing.linked.police.default_deny",
      "sharing.linked.police.law_enforcement_only",
      "sharing.linked_record_withheld",
    ]);
  });

  it("is decided for every rule, and an unknown rule is denied", () => {
    for (const rule of LINK_RULES) {
      const d = policy.decide({ subscriber_id: "police", event: alert(rule, policeNoting, seizure) });
      expect(d.reasons, rule).not.toContain("sharing.unknown_activity");
    }
    expect(policy.decide({ subscriber_id: "police", event: alert("FINGERPRINT", policeNoting, seizure) }).reasons).toContain("sharing.unknown_activity");
  });

  it.each([
    ["one record", { linked: [policeNoting] }],
    ["three records", { linked: [policeNoting, seizure, trafficking(0)] }],
    ["no records", { linked: undefined }],
    ["two records of one agency", { linked: [policeNoting, { ...policeNoting, id: "0b8a4f4e-6f0e-5c1a-9d0e-000000000002" }] }],
    ["a record missing its region", { linked: [policeNoting, { ...seizure, region: undefined as never }] }],
    ["a subject position the record has not", { linked: [policeNoting, { ...seizure, subject_index: 3 }] }],
    ["a record that is itself an alert", { linked: [policeNoting, { ...passport, subject_index: 0 } as LinkedRecordProjection] }],
  ])("with %s is malformed: sharing.input_invalid", (_name, fields) => {
    expect(policy.decide({ subscriber_id: "police", event: { ...passport, ...fields } }).reasons).toEqual(["sharing.input_invalid"]);
  });

  it("a decision does not depend on the ids of the alert or its records (the memo relies on it)", () => {
    const renamed = { ...passport, id: "x", linked: passport.linked!.map((r, i) => ({ ...r, id: `other-${i}` })) };
    expect(memoKey({ subscriber_id: "police", event: renamed })).toBe(memoKey({ subscriber_id: "police", event: passport }));
    expect(memoKey({ subscriber_id: "police", event: alert("VEHICLE_PLATE", policeNoting, seizure) })).not.toBe(memoKey({ subscriber_id: "police", event: passport }));
    for (const s of policy.subscribers()) expect(policy.decide({ subscriber_id: s.id, event: renamed }), s.id).toEqual(policy.decide({ subscriber_id: s.id, event: passport }));
  });

  it("reaches no community tier, even after the registry gives every one full agreements for both records' types", async () => {
    const registry = shippedRegistry();
    const community = Object.keys(registry).filter((id) => ["community_leader", "public"].includes(registry[id]!.tier as string));
    expect(community).toHaveLength(13);
    for (const id of community) {
      const r = registry[id]!;
      r.agreements = [
        ...(r.agreements as unknown[]),
        ...[
          ["POLICE", "police.organised_crime_noting"],
          ["CUSTOMS", "customs.border_seizure"],
        ].map(([agency, type]) => ({ id: `${id}-${type}-full`, rule: "sharing.must_never_take_effect", source_agency: agency, event_types: [type], view: "full", redact: [], legal_basis: "An agreement that must never take effect" })),
      ];
    }
    const changed = await loadSharingPolicy({ dataDir: dataDir(registry) });
    for (const id of community) {
      const region = (registry[id]!.regions as string[])[0] === "*" ? "EASTERN" : (registry[id]!.regions as string[])[0]!;
      const plain = (r: LinkedRecordProjection): LinkedRecordProjection => ({ ...r, region, classification: "UNCLASSIFIED", caveats: [] });
      const d = changed.decide({ subscriber_id: id, event: { ...alert("IDENTITY_DOCUMENT", plain(policeNoting), plain(seizure)), caveats: [], classification: "UNCLASSIFIED" } });
      // Two locks: a community tier is shown no record at record level (so no record qualifies), and the alert's own rule.
      expect([d.allow, d.reasons.includes("sharing.link_alert_not_for_community"), d.reasons.includes("sharing.linked_record_withheld")], id).toEqual([false, true, true]);
    }
  });
});
