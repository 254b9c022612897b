import { describe, expect, it } from "vitest";
import { dataDir, shippedRegistry } from "./events.fixture.js";
import { loadSharingPolicy, type DecisionInput } from "./index.js";

/**
 * Leaders' submissions through the compiled policy (wasm) and the shipped registry,
 * as the exchange runs them: each kind to the agencies that act on it, and never to a
 * community tier — not even when the registry is changed to give one an agreement for
 * them (a data change needs no rebuild, so this is the lock that holds then). The Rego
 * tests (decision_test.rego) cover each rule; the matrix rows 17–20 every subscriber.
 */
const policy = await loadSharingPolicy();

const TOPICS = ["DRUG_SUPPLY", "FIREARMS", "GANG_ACTIVITY", "EXPLOITATION", "FINANCIAL_HARM", "OTHER"];

/** A submission as the briefing publishes it: from COMMUNITY, IN-CONFIDENCE, no community release, the leader's district. */
const submission = (event_type: string, activity = "", fields: Partial<DecisionInput["event"]> = {}): DecisionInput["event"] => ({
  id: "7c1d2e3f-0000-5000-8000-000000000001",
  source_agency: "COMMUNITY",
  event_type,
  classification: "IN_CONFIDENCE",
  caveats: ["NO_COMMUNITY_RELEASE"],
  releasable_to: [],
  region: "BAY_OF_PLENTY",
  activity,
  operation_ref: "",
  operation_phase: "",
  subject_kinds: [],
  subjects: [],
  has_personal_information: true,
  ...fields,
});

const every = [...TOPICS.map((t) => submission("community.observation", t)), submission("community.support_need"), submission("community.briefing_feedback")];

/** Which partners receive it (in full, under which rule). */
const receivers = (p: typeof policy, event: DecisionInput["event"]) =>
  p
    .subscribers()
    .map((s) => ({ id: s.id, d: p.decide({ subscriber_id: s.id, event }) }))
    .filter(({ d }) => d.allow)
    .map(({ id, d }) => `${id}:${d.view}:${d.reasons.join(",")}`);

describe("a leader's submission, through the wasm policy", () => {
  it.each(TOPICS)("an observation on %s reaches Police, and MBIE only when it is exploitation", (topic) => {
    expect(receivers(policy, submission("community.observation", topic))).toEqual([
      ...(topic === "EXPLOITATION" ? ["mbie:full:sharing.mbie_community_exploitation_observations"] : []),
      "police:full:sharing.police_community_observations",
    ]);
  });

  it("a support need reaches MSD; briefing feedback MSD and Police; Customs none", () => {
    expect(receivers(policy, submission("community.support_need"))).toEqual(["msd:full:sharing.msd_community_support_needs"]);
    expect(receivers(policy, submission("community.briefing_feedback"))).toEqual(["msd:full:sharing.msd_community_briefing_feedback", "police:full:sharing.police_community_briefing_feedback"]);
    for (const e of every) expect(policy.decide({ subscriber_id: "customs", event: e }).reasons).toEqual(["sharing.default_deny"]);
  });

  it("each allow records the leader's consent as its legal basis", () => {
    for (const e of every) {
      for (const s of policy.subscribers()) {
        const d = policy.decide({ subscriber_id: s.id, event: e });
        if (d.allow) expect(d.legal_basis).toMatch(/^Privacy Act 2020, IPP 11\(1\)\(a\) and \(c\) — disclosure for the purpose for which the leader gave it and with their authority: /);
      }
    }
  });

  it("a submission without a topic where one is due, or with one where none is, reaches no one", () => {
    for (const e of [submission("community.observation", ""), submission("community.support_need", "DRUG_SUPPLY")]) expect(receivers(policy, e)).toEqual([]);
  });

  it("reaches no community tier, even after the registry gives every one an agreement for it (aggregate or full)", async () => {
    const registry = shippedRegistry();
    const community = Object.keys(registry).filter((id) => ["community_leader", "public"].includes(registry[id]!.tier as string));
    expect(community).toHaveLength(13);
    for (const id of community) {
      const record = registry[id]!;
      record.agreements = [
        ...(record.agreements as unknown[]),
        ...["aggregate_only", "full"].map((view) => ({
          id: `${id}-community-submissions-${view}`,
          rule: "sharing.community_submissions_back_to_community",
          source_agency: "COMMUNITY",
          event_types: ["community.observation", "community.support_need", "community.briefing_feedback"],
          view,
          redact: [],
          legal_basis: "An agreement that must never take effect",
        })),
      ];
    }
    const changed = await loadSharingPolicy({ dataDir: dataDir(registry) });
    // Even unmarked, unclassified and from each leader's own district: a submission stays out of every community topic.
    for (const e of every) {
      for (const id of community) {
        const region = (registry[id]!.regions as string[])[0] === "*" ? "BAY_OF_PLENTY" : (registry[id]!.regions as string[])[0]!;
        const d = changed.decide({ subscriber_id: id, event: { ...e, caveats: [], classification: "UNCLASSIFIED", region } });
        expect([d.allow, d.reasons.includes("sharing.community_submission_not_for_community")], `${id} ${e.event_type} ${e.activity}`).toEqual([false, true]);
      }
    }
    expect(receivers(changed, submission("community.support_need"))).toEqual(["msd:full:sharing.msd_community_support_needs"]);
  });
});
