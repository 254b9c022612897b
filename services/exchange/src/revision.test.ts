import { AggregateView, DecisionRecord, IntelligenceEvent, NoticeCause, PoliceDistrict, RecordRecipients, WithdrawalNotice, WithdrawalReason } from "@takitini/proto";
import type { Decision, DecisionInput } from "@takitini/policies";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fullEvent, intelTopic, PERSONAL } from "./events.fixture.js";
import { planRecord, type Plan, type SourceRecord } from "./plan.js";
import { encodeRecipients, recordKeyOf, REVISION_REASONS, revisionProblems, WITHDRAWAL_EVENT_TYPE, WITHDRAWAL_NOTICE_EVENT_TYPE } from "./revision.js";

const TOPIC = intelTopic("AGENCY_CUSTOMS" as never);
const ORIGINAL_ID = "6b0c1a2e-1111-5000-8000-000000000001";
const C1 = "6b0c1a2e-1111-5000-8000-0000000000c1";
const C2 = "6b0c1a2e-1111-5000-8000-0000000000c2";
const W = "6b0c1a2e-1111-5000-8000-0000000000ff";

const original = fullEvent("customs.border_seizure", { id: ORIGINAL_ID });
const correction = (id: string, supersedes: string, fields: Partial<IntelligenceEvent> = {}) => fullEvent("customs.border_seizure", { id, supersedes, originalEventId: ORIGINAL_ID, ...fields });
const withdrawal = (fields: Partial<IntelligenceEvent> = {}) =>
  IntelligenceEvent.fromPartial({
    id: W,
    sourceAgency: original.sourceAgency,
    eventType: WITHDRAWAL_EVENT_TYPE,
    classification: original.classification,
    originalEventId: ORIGINAL_ID,
    payload: { $case: "recordWithdrawal", value: { withdrawnEventId: C1, reason: WithdrawalReason.WITHDRAWAL_REASON_NOT_SUBSTANTIATED, explanation: "Inquiries did not support the report." } },
    ...fields,
  });

const subscribers = [
  { id: "police", tier: "partner_agency", delivery_topic: "t.police" },
  { id: "mbie", tier: "partner_agency", delivery_topic: "t.mbie" },
  { id: "msd", tier: "partner_agency", delivery_topic: "t.msd" },
  { id: "community-bay-of-plenty", tier: "community_leader", delivery_topic: "t.community" },
] as never[];

type Views = Record<string, Decision["view"]>;
/** A policy answering per subscriber from a table (none when absent). */
const policy =
  (views: Views) =>
  (input: DecisionInput): Decision => {
    const view = views[(input as { subscriber_id: string }).subscriber_id] ?? "none";
    return { allow: view !== "none", view, redact: view === "redacted" ? ["subjects"] : [], reasons: [`test.${view}`], legal_basis: view === "none" ? "" : "Customs and Excise Act 2018, s 316", policy_revision: "rev" };
  };

const source = (event: IntelligenceEvent, offset = "7", topic = TOPIC): SourceRecord => ({ topic, partition: 1, offset, key: null, value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: {} });

/** Plan a sequence of events against one records table, as the exchange's shell does. */
function run(steps: { event: IntelligenceEvent; views?: Views; topic?: string }[]) {
  const table = new Map<string, RecordRecipients>();
  return steps.map(({ event, views = {}, topic }, i) => {
    const plan = planRecord(source(event, String(i), topic), subscribers, policy(views), {
      auditTopic: "t.audit",
      deadLetterTopic: "t.dlq",
      policyRevision: "rev",
      now: new Date("2026-12-01T00:00:00Z"),
      consumer: "g",
      recipients: (key) => table.get(key),
    });
    if (plan.kind === "disseminate" && plan.state) table.set(plan.state.key, RecordRecipients.decode(encodeRecipients(plan.state.value)));
    return plan;
  });
}

const disseminated = (p: Plan) => {
  if (p.kind !== "disseminate") throw new Error(`expected dissemination, got ${p.reason}`);
  return p;
};
const to = (p: Plan, topic: string) => disseminated(p).messages.filter((m) => m.topic === topic);
const decisionOf = (p: Plan, subscriber: string) => disseminated(p).decisions.find((d) => d.subscriberId === subscriber)!;
const header = (m: { headers: Record<string, string> }) => m.headers["event-type"];
const aggregates = (p: Plan, topic: string) => to(p, topic).filter((m) => header(m) === "aggregate.view").map((m) => AggregateView.decode(m.value));

const FIRST: Views = { police: "full", mbie: "redacted", "community-bay-of-plenty": "aggregate_only" };

describe("a record's first version", () => {
  it("is remembered with every partner that received it and every aggregate contribution, keyed by topic and id", () => {
    const [p] = run([{ event: original, views: FIRST }]);
    const state = disseminated(p!).state!;
    expect(state.key).toBe(`${TOPIC}/${ORIGINAL_ID}`);
    expect(state.value.partners).toEqual([
      { subscriberId: "police", eventId: ORIGINAL_ID },
      { subscriberId: "mbie", eventId: ORIGINAL_ID },
    ]);
    expect(state.value.community.map((c) => c.subscriberId)).toEqual(["community-bay-of-plenty"]);
    // Codes and numbers only: no delivery id is kept.
    expect(state.value.community[0]!.view.deliveryId).toBe("");
  });

  it("that nobody received leaves nothing to remember", () => {
    const [p] = run([{ event: original, views: {} }]);
    expect(disseminated(p!).state).toBeUndefined();
  });
});

describe("a correction", () => {
  it("goes to every partner the policy allows, naming the version each received last; a partner no longer allowed gets a withdrawal notice", () => {
    const [, p] = run([
      { event: original, views: FIRST },
      { event: correction(C1, ORIGINAL_ID), views: { police: "full", msd: "redacted", "community-bay-of-plenty": "aggregate_only" } },
    ]);
    const police = to(p!, "t.police").map((m) => IntelligenceEvent.decode(m.value));
    expect(police).toHaveLength(1);
    expect(police[0]).toMatchObject({ id: C1, supersedes: ORIGINAL_ID, originalEventId: ORIGINAL_ID, publisher: "" });
    // MSD never received the record: the correction is new to it, with nothing about earlier versions.
    const msd = to(p!, "t.msd").map((m) => IntelligenceEvent.decode(m.value));
    expect(msd).toHaveLength(1);
    expect(msd[0]).toMatchObject({ id: C1, supersedes: "", originalEventId: "" });
    // MBIE held the first version but may not see the correction: a notice, nothing of the correction.
    const mbie = to(p!, "t.mbie");
    expect(mbie.map(header)).toEqual([WITHDRAWAL_NOTICE_EVENT_TYPE]);
    const notice = WithdrawalNotice.decode(mbie[0]!.value);
    expect(notice).toMatchObject({ eventId: ORIGINAL_ID, eventType: "customs.border_seizure", cause: NoticeCause.NOTICE_CAUSE_NO_LONGER_RELEASABLE, explanation: "", reason: WithdrawalReason.WITHDRAWAL_REASON_UNSPECIFIED });
    expect(mbie[0]!.value.includes(Buffer.from(C1))).toBe(false);
    const d = decisionOf(p!, "mbie");
    expect(d).toMatchObject({ outcome: "OUTCOME_DENY", deliveryTopic: "t.mbie", deliveryId: notice.deliveryId });
    expect(d.reasons).toContain(REVISION_REASONS.NO_LONGER_RELEASABLE);
    expect(d.legalBasis).toMatch(/Privacy Act 2020/);
    expect(disseminated(p!).revision).toBe("correction");
    expect(disseminated(p!).state!.value.partners.map((x) => x.subscriberId)).toEqual(["police", "msd"]);
  });

  it("moves a community figure: the earlier contribution taken back, the new one added", () => {
    const [first, p] = run([
      { event: original, views: FIRST },
      { event: correction(C1, ORIGINAL_ID, { region: PoliceDistrict.POLICE_DISTRICT_EASTERN }), views: FIRST },
    ]);
    const before = aggregates(first!, "t.community");
    const after = aggregates(p!, "t.community");
    expect(after).toHaveLength(2);
    expect(after[0]).toMatchObject({ retraction: true, region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY, measures: before[0]!.measures });
    expect(after[1]).toMatchObject({ retraction: false, region: PoliceDistrict.POLICE_DISTRICT_EASTERN });
    // Each with its own random delivery id, neither the earlier one's.
    expect(new Set([before[0]!.deliveryId, after[0]!.deliveryId, after[1]!.deliveryId]).size).toBe(3);
    expect(decisionOf(p!, "community-bay-of-plenty").reasons).toContain(REVISION_REASONS.RETRACTED);
  });

  it("that leaves a community figure as it was sends the community nothing", () => {
    const [, p] = run([
      { event: original, views: FIRST },
      { event: correction(C1, ORIGINAL_ID, { operationRef: "Operation Kōwhai" }), views: FIRST },
    ]);
    expect(to(p!, "t.community")).toEqual([]);
    const d = decisionOf(p!, "community-bay-of-plenty");
    expect(d.reasons).toContain(REVISION_REASONS.UNCHANGED);
    expect(d.deliveryTopic).toBe("");
    expect(disseminated(p!).state!.value.community).toHaveLength(1);
  });

  it("of a correction names, to each partner, the version it holds", () => {
    const [, , p] = run([
      { event: original, views: { police: "full" } },
      { event: correction(C1, ORIGINAL_ID), views: { police: "full", mbie: "full" } },
      { event: correction(C2, C1), views: { police: "full", mbie: "full" } },
    ]);
    expect(IntelligenceEvent.decode(to(p!, "t.police")[0]!.value)).toMatchObject({ id: C2, supersedes: C1 });
    expect(IntelligenceEvent.decode(to(p!, "t.mbie")[0]!.value)).toMatchObject({ id: C2, supersedes: C1 });
  });

  it("of a withdrawn record is never decided: a dead letter", () => {
    const [, , p] = run([{ event: original, views: FIRST }, { event: withdrawal() }, { event: correction(C1, ORIGINAL_ID), views: FIRST }]);
    expect(p).toMatchObject({ kind: "dead-letter", reason: "RECORD_WITHDRAWN: the record was withdrawn before this correction" });
  });
});

describe("a withdrawal", () => {
  it("tells every partner holding the record, takes back every aggregate contribution, and records a decision for every subscriber", () => {
    const [, , p] = run([{ event: original, views: FIRST }, { event: correction(C1, ORIGINAL_ID), views: { police: "full", "community-bay-of-plenty": "aggregate_only" } }, { event: withdrawal() }]);
    const notices = to(p!, "t.police").map((m) => WithdrawalNotice.decode(m.value));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ eventId: C1, eventType: "customs.border_seizure", cause: NoticeCause.NOTICE_CAUSE_WITHDRAWN, reason: WithdrawalReason.WITHDRAWAL_REASON_NOT_SUBSTANTIATED, explanation: "Inquiries did not support the report." });
    // MBIE was told at the correction already; MSD never held it.
    expect(to(p!, "t.mbie")).toEqual([]);
    expect(to(p!, "t.msd")).toEqual([]);
    const [retraction] = aggregates(p!, "t.community");
    expect(retraction).toMatchObject({ retraction: true, eventType: "customs.border_seizure" });
    // The community output says nothing but codes and numbers: no explanation, no id.
    const community = to(p!, "t.community")[0]!.value;
    for (const text of ["Inquiries", ORIGINAL_ID, C1, W]) expect(community.includes(Buffer.from(text))).toBe(false);
    const decisions = disseminated(p!).decisions;
    expect(decisions.map((d) => [d.subscriberId, d.outcome, d.reasons[0]])).toEqual([
      ["police", "OUTCOME_ALLOW", REVISION_REASONS.WITHDRAWN_NOTICE],
      ["mbie", "OUTCOME_DENY", REVISION_REASONS.NOT_A_RECIPIENT],
      ["msd", "OUTCOME_DENY", REVISION_REASONS.NOT_A_RECIPIENT],
      ["community-bay-of-plenty", "OUTCOME_ALLOW", REVISION_REASONS.WITHDRAWN_RETRACTION],
    ]);
    expect(decisions.find((d) => d.subscriberId === "police")!.deliveryId).toBe(notices[0]!.deliveryId);
    // Every decision is on the audit topic.
    expect(to(p!, "t.audit").map((m) => DecisionRecord.decode(m.value).subscriberId)).toEqual(["police", "mbie", "msd", "community-bay-of-plenty"]);
    expect(disseminated(p!).state!.value).toMatchObject({ withdrawn: true, partners: [], community: [], latestEventId: W });
  });

  it("read again (a retried publish) changes nothing", () => {
    const [, , again] = run([{ event: original, views: FIRST }, { event: withdrawal() }, { event: withdrawal() }]);
    expect(disseminated(again!)).toMatchObject({ messages: [], decisions: [] });
  });

  it("on another agency's topic reaches nobody who received this record", () => {
    const [, p] = run([{ event: original, views: FIRST }, { event: withdrawal({ sourceAgency: "AGENCY_POLICE" as never }), topic: intelTopic("AGENCY_POLICE" as never) }]);
    expect(disseminated(p!).messages.filter((m) => m.topic !== "t.audit")).toEqual([]);
    expect(recordKeyOf(intelTopic("AGENCY_POLICE" as never), withdrawal())).not.toBe(recordKeyOf(TOPIC, withdrawal()));
  });
});

describe("malformed revisions are dead letters", () => {
  const cases: [string, IntelligenceEvent, string[]][] = [
    ["a first version naming an original", fullEvent("customs.border_seizure", { originalEventId: ORIGINAL_ID }), ["original_event_id"]],
    ["a correction without its original", correction(C1, ORIGINAL_ID, { originalEventId: "" }), ["original_event_id"]],
    ["a correction superseding itself", correction(C1, C1), ["supersedes"]],
    ["a correction naming a non-id", correction(C1, "NIC-2026-004217"), ["supersedes"]],
    ["a withdrawal without a reason", withdrawal({ payload: { $case: "recordWithdrawal", value: { withdrawnEventId: C1, reason: WithdrawalReason.WITHDRAWAL_REASON_UNSPECIFIED, explanation: "" } } }), ["record_withdrawal.reason"]],
    ["a withdrawal of another type", withdrawal({ eventType: "customs.border_seizure" }), ["event_type"]],
    ["a withdrawal-typed event without the payload", fullEvent("customs.border_seizure", { id: W, eventType: WITHDRAWAL_EVENT_TYPE, originalEventId: ORIGINAL_ID }), ["record_withdrawal"]],
  ];
  it.each(cases)("%s", (_name, event, problems) => {
    expect(revisionProblems(event)).toEqual(problems);
    const [p] = run([{ event, views: FIRST }]);
    expect(p).toMatchObject({ kind: "dead-letter" });
    expect((p as { reason: string }).reason).toMatch(/^INVALID_EVENT: missing or invalid /);
  });
  it("a complete correction and withdrawal have no problems", () => {
    expect(revisionProblems(correction(C1, ORIGINAL_ID))).toEqual([]);
    expect(revisionProblems(withdrawal())).toEqual([]);
    expect(revisionProblems(original)).toEqual([]);
  });
});

describe("property: whatever the policy decides at each version", () => {
  const view = fc.constantFrom<Decision["view"]>("none", "full", "redacted", "aggregate_only");
  const views = fc.record({ police: view, mbie: view, msd: view, "community-bay-of-plenty": fc.constantFrom<Decision["view"]>("none", "aggregate_only") });
  const region = fc.constantFrom(PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY, PoliceDistrict.POLICE_DISTRICT_EASTERN, PoliceDistrict.POLICE_DISTRICT_WAIKATO);
  it("every partner's last word on the record is its latest allowed version or a notice, and every figure nets to the latest contribution (none once withdrawn)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(views, region), { minLength: 1, maxLength: 5 }), fc.boolean(), (versions, withdraw) => {
        const ids = versions.map((_, i) => (i === 0 ? ORIGINAL_ID : `6b0c1a2e-1111-5000-8000-0000000001${String(i).padStart(2, "0")}`));
        const steps = versions.map(([v, r], i) => ({ event: i === 0 ? fullEvent("customs.border_seizure", { id: ORIGINAL_ID, region: r }) : correction(ids[i]!, ids[i - 1]!, { region: r }), views: v }));
        const plans = run([...steps, ...(withdraw ? [{ event: withdrawal({ payload: { $case: "recordWithdrawal", value: { withdrawnEventId: ids.at(-1)!, reason: WithdrawalReason.WITHDRAWAL_REASON_ENTERED_IN_ERROR, explanation: "" } } }) }] : [])]);
        const last = versions.at(-1)![0];
        for (const partner of ["police", "mbie", "msd"] as const) {
          const topic = `t.${partner}`;
          // Record-level messages: the versions and the notices (aggregate views are figures, below).
          const received = plans.flatMap((p) => to(p, topic)).filter((m) => header(m) !== "aggregate.view");
          const everHeld = received.some((m) => header(m) === "customs.border_seizure");
          const final = received.at(-1);
          const allowedNow = !withdraw && (last[partner] === "full" || last[partner] === "redacted");
          if (allowedNow) expect(final && IntelligenceEvent.decode(final.value).id).toBe(ids.at(-1));
          else if (everHeld) expect(final && header(final)).toBe(WITHDRAWAL_NOTICE_EVENT_TYPE);
        }
        // The community's net contributions per region and measure.
        const net = new Map<string, number>();
        for (const a of plans.flatMap((p) => aggregates(p, "t.community")))
          for (const m of a.measures) {
            const k = `${a.region}|${m.measure}|${m.category}`;
            net.set(k, (net.get(k) ?? 0) + (a.retraction ? -m.value : m.value));
          }
        const latest = [...plans].reverse().flatMap((p) => aggregates(p, "t.community").filter((a) => !a.retraction)).at(0);
        const expected = new Map<string, number>();
        if (!withdraw && last["community-bay-of-plenty"] === "aggregate_only" && latest)
          for (const m of latest.measures) expected.set(`${latest.region}|${m.measure}|${m.category}`, m.value);
        for (const [k, v] of net) expect([k, v]).toEqual([k, expected.get(k) ?? 0]);
        // No community output ever carries an event id or a word of personal information.
        for (const p of plans)
          for (const m of to(p, "t.community")) for (const text of [...ids, W, ...PERSONAL]) expect(m.value.includes(Buffer.from(text))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
