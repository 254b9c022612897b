import { loadSharingPolicy } from "@takitini/policies";
import { CommunityAssessment, DecisionRecord, Outcome, PoliceDistrict } from "@takitini/proto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startCommunityRun, type CommunityRun } from "./community-run.js";
import { client, header, readTopic, type Seen } from "./kafka.js";
import { publish, publisherOf } from "./publishers.js";
import type { RunningService } from "./stack.js";

/**
 * Agency assessments on the real broker: a Police assessment for Bay of Plenty's
 * leaders goes in at the Police adapter's door with its approval, another without
 * (pending); the real exchange decides both for every subscriber with the shipped
 * policy. The approved one reaches community-bay-of-plenty's topic only, as a
 * CommunityAssessment (never the event); the unapproved one reaches no community
 * topic, and its decisions say why. The run has its own topics.
 */

const brokers = inject("brokers");
const kafka = client(brokers);
let mesh: CommunityRun;
let run: string;
let T: CommunityRun["T"];
let police: RunningService;
/** Every community topic of the run: each district's leaders' and the public's. */
let COMMUNITY_TOPICS: string[];

const assessment = (id: string, approval: Record<string, unknown>) => ({
  assessment_id: `POLICE-RA-E2E-${run}-${id}`,
  title: `Methamphetamine harm in the eastern Bay of Plenty (${id})`,
  region: "Bay of Plenty",
  period_start: "2026-07-01",
  period_end: "2026-09-30",
  body: "Use fell over the quarter, and the local supply network was disrupted in August.",
  key_points: ["Use fell in Ōpōtiki."],
  recommended_actions: ["Share where whānau can find support."],
  approval,
});

beforeAll(async () => {
  mesh = await startCommunityRun("assessments", brokers);
  ({ run, T, police } = mesh);
  COMMUNITY_TOPICS = [...mesh.communityTopics, T.public];
});

afterAll(async () => {
  const codes = await Promise.all((mesh?.services ?? []).map((s) => s.stop("SIGTERM")));
  expect(codes.every((c) => c === 0)).toBe(true);
});

describe("agency assessments, on the real broker", () => {
  it("an approved assessment for Bay of Plenty reaches only its leaders' topic; an unapproved one reaches no community", async () => {
    const approved = await publish(`${police.url}/v1/regional-assessments`, assessment("approved", { status: "approved", approver_role: "District Commander", approval_ref: `POLICE-RA-APP-${run}`, approved_at: "2026-10-06T21:30:00Z" }), { publisher: publisherOf("police-adapter") });
    expect(approved.status, approved.text).toBe(202);
    const pending = await publish(`${police.url}/v1/regional-assessments`, assessment("pending", { status: "pending" }), { publisher: publisherOf("police-adapter") });
    expect(pending.status, pending.text).toBe(202);
    const missing = await publish(`${police.url}/v1/regional-assessments`, { ...assessment("missing", {}), approval: undefined }, { publisher: publisherOf("police-adapter") });
    expect([missing.status, missing.json().error.issues.map((i: { path: string }) => i.path)]).toEqual([400, ["approval"]]);
    const ids = [approved.json().event_id as string, pending.json().event_id as string];

    const expected = ids.length * (await loadSharingPolicy()).subscribers().length;
    const decisions = (await readTopic(kafka, T.decisions, { until: countTo(expected), timeoutMs: 90_000 }))
      .map((s) => DecisionRecord.decode(s.message.value!))
      .filter((d) => ids.includes(d.eventId));
    const allowedCommunity = (id: string) => decisions.filter((d) => d.eventId === id && d.subscriberId.startsWith("community-") && d.outcome === Outcome.OUTCOME_ALLOW).map((d) => d.subscriberId);
    expect(allowedCommunity(ids[0]!)).toEqual(["community-bay-of-plenty"]);
    expect(allowedCommunity(ids[1]!)).toEqual([]);
    expect(decisions.find((d) => d.eventId === ids[1] && d.subscriberId === "community-bay-of-plenty")!.reasons).toEqual(["sharing.assessment_not_approved"]);

    await readTopic(kafka, COMMUNITY_TOPICS, { until: countTo(1), timeoutMs: 90_000 });
    const held: Seen[] = await readTopic(kafka, COMMUNITY_TOPICS, { idleMs: 3000 });
    expect(held.map((s) => [s.topic, header(s.message, "event-type")])).toEqual([[T.community("bay-of-plenty"), "community.assessment"]]);
    const a = CommunityAssessment.decode(held[0]!.message.value!);
    expect([a.region, a.title, a.approvalRef]).toEqual([PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY, "Methamphetamine harm in the eastern Bay of Plenty (approved)", `POLICE-RA-APP-${run}`]);
    expect(held[0]!.message.value!.includes(Buffer.from(ids[0]!))).toBe(false);
    expect(held[0]!.message.value!.includes(Buffer.from(`POLICE-RA-E2E-${run}`))).toBe(false);
  });
});

/** An `until` that is satisfied once `n` messages have been seen. */
function countTo(n: number): (s: Seen) => boolean {
  let seen = 0;
  return () => ++seen >= n;
}
