import { MemoryRecords } from "./records.fixture.js";
import { loadSharingPolicy, type SharingPolicy, type Subscriber } from "@takitini/policies";
import { Agency, Classification, DecisionRecord, HandlingCaveat, IntelligenceEvent, Outcome, SubmissionReceipt, SubmissionTopic, View } from "@takitini/proto";
import { createLogger, Registry } from "@takitini/runtime";
import type { EachBatchPayload, Kafka, KafkaMessage, TopicMessages } from "kafkajs";
import { beforeAll, describe, expect, it } from "vitest";
import { aggregateView, hasAggregateView } from "./aggregate.js";
import { communityAssessment } from "./assessment.js";
import { EVENT_TYPES, fullEvent, intelTopic, PERSONAL } from "./events.fixture.js";
import { Exchange } from "./exchange.js";
import { fakeConsumer } from "./kafka.fixture.js";
import { supportNotice } from "./notice.js";
import { admitEvent, planRecord, submissionProblem, type Decide, type Plan, type SourceRecord } from "./plan.js";
import { DEFAULT_RECEIPTS_TOPIC, receiptAgency, SUBMISSION_RECEIPT_EVENT_TYPE, submissionReceipt, type ReceiptOutcome } from "./receipt.js";

/**
 * A leader's submission's receipt: whom the policy shared it with, one per
 * submission decided, written with its decisions and deliveries in one
 * transaction, keyed by the submission's reference — and nothing of the
 * submission reaching any community topic.
 */

const SUBMISSION_TYPES = ["community.briefing_feedback", "community.observation", "community.support_need"];
const NOW = new Date("2026-11-20T03:04:05Z");

/** An observation on a topic (the fixture's is drug supply), as the briefing publishes it: IN-CONFIDENCE, no community release, no subjects. */
function observation(topic: SubmissionTopic = SubmissionTopic.SUBMISSION_TOPIC_DRUG_SUPPLY, fields: Partial<IntelligenceEvent> = {}): IntelligenceEvent {
  const base = submission("community.observation", fields);
  if (base.payload?.$case !== "communitySubmission") throw new Error("fixture");
  return { ...base, payload: { $case: "communitySubmission", value: { ...base.payload.value, topic } } };
}

function submission(type: string, fields: Partial<IntelligenceEvent> = {}): IntelligenceEvent {
  return fullEvent(type, {
    classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
    handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_NO_COMMUNITY_RELEASE], releasableTo: [], releasableToCountries: [] },
    operationRef: "",
    subjects: [],
    sourceRecordId: "",
    ...fields,
  });
}

const record = (event: IntelligenceEvent, topic = intelTopic(event.sourceAgency)): SourceRecord => ({
  topic,
  partition: 1,
  offset: "9",
  key: Buffer.from(event.id),
  value: Buffer.from(IntelligenceEvent.encode(event).finish()),
  headers: { traceparent: Buffer.from("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") },
});

const outcome = (tier: Subscriber["tier"], agency: string | undefined, allow: boolean, deliveryTopic: string): ReceiptOutcome => ({
  subscriber: { tier, ...(agency === undefined ? {} : { agency }) },
  decision: { outcome: allow ? Outcome.OUTCOME_ALLOW : Outcome.OUTCOME_DENY, deliveryTopic },
});

describe("receiptAgency", () => {
  it("names a partner's registry code as the proto's agency", () => {
    expect(["POLICE", "CUSTOMS", "MBIE", "MSD"].map(receiptAgency)).toEqual([Agency.AGENCY_POLICE, Agency.AGENCY_CUSTOMS, Agency.AGENCY_MBIE, Agency.AGENCY_MSD]);
  });

  it("names a code the contract does not know (a new partner), none, COMMUNITY or a prefixed one as another, unspecified agency", () => {
    for (const code of ["IR", undefined, "", "COMMUNITY", "UNSPECIFIED", "AGENCY_POLICE", "police"]) expect(receiptAgency(code), String(code)).toBe(Agency.AGENCY_UNSPECIFIED);
  });
});

describe("submissionReceipt", () => {
  it("names the distinct agencies of partners whose allowed view was delivered, sorted, with the submission's reference, account's subscriber and the decisions' time", () => {
    const receipt = submissionReceipt(
      observation(),
      [
        outcome("partner_agency", "POLICE", true, "t.police"),
        outcome("partner_agency", "MBIE", true, "t.mbie"),
        // A second Police desk: POLICE once.
        outcome("partner_agency", "POLICE", true, "t.police-2"),
        outcome("partner_agency", "MSD", false, ""),
        outcome("partner_agency", "CUSTOMS", false, ""),
      ],
      NOW,
    );
    expect(receipt).toEqual({ reference: "TK-7Q4M-2WXC", subscriberId: "community-bay-of-plenty", sharedWith: [Agency.AGENCY_MBIE, Agency.AGENCY_POLICE], decidedAt: NOW });
  });

  it("counts neither an allow that delivered nothing nor any community tier, whatever its decision", () => {
    const receipt = submissionReceipt(
      observation(),
      [
        outcome("partner_agency", "MSD", true, ""),
        outcome("community_leader", undefined, true, "t.community"),
        outcome("public", undefined, true, "t.public"),
        outcome("oversight", "IPCA", true, "t.oversight"),
      ],
      NOW,
    );
    expect(receipt?.sharedWith).toEqual([]);
  });

  it("says an agency the contract cannot name yet was shared with, as unspecified", () => {
    expect(submissionReceipt(observation(), [outcome("partner_agency", "IR", true, "t.ir"), outcome("partner_agency", "POLICE", true, "t.police")], NOW)?.sharedWith).toEqual([Agency.AGENCY_POLICE, Agency.AGENCY_UNSPECIFIED]);
  });

  it("is null for every event that is not a leader's submission", () => {
    for (const t of EVENT_TYPES.filter((x) => !SUBMISSION_TYPES.includes(x))) expect(submissionReceipt(fullEvent(t), [outcome("partner_agency", "POLICE", true, "t")], NOW), t).toBeNull();
    // A submission payload on an agency's event, and an event from COMMUNITY without one.
    expect(submissionReceipt(observation(undefined, { sourceAgency: Agency.AGENCY_POLICE }), [], NOW)).toBeNull();
    expect(submissionReceipt(fullEvent("police.firearms_seizure", { sourceAgency: Agency.AGENCY_COMMUNITY }), [], NOW)).toBeNull();
  });

  it("carries nothing the leader wrote, nor the event's id, organisation or locality", () => {
    const event = observation();
    const bytes = Buffer.from(SubmissionReceipt.encode(submissionReceipt(event, [outcome("partner_agency", "POLICE", true, "t")], NOW)!).finish());
    for (const s of [...PERSONAL, "selling from the house", "Ōpōtiki", "Eastern Bay Iwi Provider Alliance", event.id]) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
    expect(Object.keys(SubmissionReceipt.toJSON(SubmissionReceipt.decode(bytes)) as object).sort()).toEqual(["decidedAt", "reference", "sharedWith", "subscriberId"]);
  });
});

describe("a submission has no community form", () => {
  it.each(SUBMISSION_TYPES)("%s: no aggregate view, no support notice, no community assessment", (type) => {
    const event = fullEvent(type);
    expect(hasAggregateView(event)).toBe(false);
    expect(aggregateView(event, { decisionId: "", deliveryId: "d" })).toBeNull();
    expect(supportNotice(event, { deliveryId: "d", agreementId: "a" })).toBeNull();
    expect(communityAssessment(event, { deliveryId: "d", agreementId: "a" })).toBeNull();
  });
});

describe("admitting a submission", () => {
  it("decides a complete one from the community topic", () => {
    expect(submissionProblem(observation())).toBeUndefined();
    expect(admitEvent(record(observation())).ok).toBe(true);
  });

  it("dead-letters one without its reference (the receipt's key) or without a submission payload, undecided", () => {
    const blank = observation();
    if (blank.payload?.$case !== "communitySubmission") throw new Error("fixture");
    blank.payload.value.reference = "  ";
    const noPayload = fullEvent("police.firearms_seizure", { sourceAgency: Agency.AGENCY_COMMUNITY });
    expect(admitEvent(record(blank))).toEqual({ ok: false, reason: "INVALID_EVENT: missing or invalid community_submission.reference" });
    expect(admitEvent(record(noPayload))).toEqual({ ok: false, reason: "INVALID_EVENT: missing or invalid community_submission" });
    const plan = planRecord(record(blank), [], () => { throw new Error("never asked"); }, { auditTopic: "a", deadLetterTopic: "dlq", policyRevision: "r", now: NOW, consumer: "g" });
    expect(plan).toMatchObject({ kind: "dead-letter", message: { topic: "dlq", headers: { "dlq-reason": "INVALID_EVENT: missing or invalid community_submission.reference" } } });
  });

  it("names a submission on an agency's topic (or an agency's event on the community topic) a provenance mismatch first", () => {
    expect(admitEvent(record(observation(), intelTopic(Agency.AGENCY_POLICE)))).toMatchObject({ ok: false, reason: "PROVENANCE_MISMATCH: event agency COMMUNITY on topic takitini.intel.police.v1" });
    expect(admitEvent(record(fullEvent("police.organised_crime_noting"), intelTopic(Agency.AGENCY_COMMUNITY)))).toMatchObject({ ok: false, reason: "PROVENANCE_MISMATCH: event agency POLICE on topic takitini.intel.community.v1" });
  });
});

const subscribers = [
  { id: "police", tier: "partner_agency", agency: "POLICE", delivery_topic: "t.police", agreements: [] },
  { id: "mbie", tier: "partner_agency", agency: "MBIE", delivery_topic: "t.mbie", agreements: [] },
  { id: "community-bay-of-plenty", tier: "community_leader", delivery_topic: "t.community", agreements: [] },
] as unknown as Subscriber[];
const ctx = { auditTopic: "t.audit", deadLetterTopic: "t.dlq", policyRevision: "rev", now: NOW, consumer: "g" };
/** Police and the community leaders allowed in full (the planner must still send the community nothing), MBIE denied. */
const decide: Decide = (input) =>
  input.subscriber_id === "mbie"
    ? { allow: false, view: "none", redact: [], reasons: ["sharing.default_deny"], legal_basis: "", policy_revision: "rev" }
    : { allow: true, view: "full", redact: [], reasons: ["sharing.x"], legal_basis: "basis", policy_revision: "rev" };

const disseminated = (p: Plan) => {
  if (p.kind !== "disseminate") throw new Error(`expected dissemination, got ${p.reason}`);
  return p;
};

describe("the planner writes one receipt per submission", () => {
  it("to RECEIPTS_TOPIC, keyed by the reference, after the decisions it reports on, with the output headers", () => {
    const p = disseminated(planRecord(record(observation()), subscribers, decide, { ...ctx, receiptsTopic: "t.receipts" }));
    const receipts = p.messages.filter((m) => m.topic === "t.receipts");
    expect(receipts).toHaveLength(1);
    expect(p.messages.at(-1)).toBe(receipts[0]);
    expect(receipts[0]).toMatchObject({
      key: "TK-7Q4M-2WXC",
      headers: {
        "event-type": SUBMISSION_RECEIPT_EVENT_TYPE,
        "schema-version": "takitini.intel.v1",
        "content-type": "application/x-protobuf",
        traceparent: expect.stringMatching(/^00-4bf92f3577b34da6a3ce929d0e0e4736-/),
        "policy-revision": "rev",
      },
    });
    expect(Object.keys(receipts[0]!.headers).sort()).toEqual(["content-type", "event-type", "policy-revision", "schema-version", "traceparent"]);
    const receipt = SubmissionReceipt.decode(receipts[0]!.value);
    expect(receipt).toEqual({ reference: "TK-7Q4M-2WXC", subscriberId: "community-bay-of-plenty", sharedWith: [Agency.AGENCY_POLICE], decidedAt: NOW });
    expect(p.receipt).toEqual(receipt);
    expect(p.decisions.map((d) => d.decidedAt)).toEqual(subscribers.map(() => NOW));
    // The community tier's "allow" delivered nothing (a submission has no community form) and is no sharing.
    expect(p.messages.filter((m) => m.topic === "t.community")).toEqual([]);
  });

  it("to takitini.community-receipts.v1 when no topic is given", () => {
    expect(disseminated(planRecord(record(observation()), subscribers, decide, ctx)).messages.filter((m) => m.topic === DEFAULT_RECEIPTS_TOPIC)).toHaveLength(1);
  });

  it("with an empty shared_with when the policy shares it with no one", () => {
    const none: Decide = () => ({ allow: false, view: "none", redact: [], reasons: ["sharing.default_deny"], legal_basis: "", policy_revision: "rev" });
    const p = disseminated(planRecord(record(observation()), subscribers, none, ctx));
    expect(p.messages.map((m) => m.topic)).toEqual(["t.audit", "t.audit", "t.audit", DEFAULT_RECEIPTS_TOPIC]);
    expect(p.receipt?.sharedWith).toEqual([]);
  });

  it("and none for any other event", () => {
    for (const t of EVENT_TYPES.filter((x) => !SUBMISSION_TYPES.includes(x))) {
      const p = disseminated(planRecord(record(fullEvent(t)), subscribers, decide, ctx));
      expect(p.receipt, t).toBeNull();
      expect(p.messages.filter((m) => m.headers["event-type"] === SUBMISSION_RECEIPT_EVENT_TYPE), t).toEqual([]);
    }
  });
});

describe("the planner with the shipped policy", () => {
  let policy: SharingPolicy;
  beforeAll(async () => {
    policy = await loadSharingPolicy();
  });
  const plan = (event: IntelligenceEvent) => disseminated(planRecord(record(event), policy.subscribers(), policy.decide, { ...ctx, auditTopic: "takitini.audit.decisions.v1", policyRevision: policy.revision }));
  const community = () => policy.subscribers().filter((s) => s.tier === "community_leader" || s.tier === "public");
  const deliveredTo = (p: ReturnType<typeof plan>) => p.messages.filter((m) => m.topic.startsWith("takitini.deliver.")).map((m) => m.topic);

  it.each([
    ["an observation of drug supply", observation(), ["takitini.deliver.police.v1"], [Agency.AGENCY_POLICE]],
    ["an observation of gang activity", observation(SubmissionTopic.SUBMISSION_TOPIC_GANG_ACTIVITY), ["takitini.deliver.police.v1"], [Agency.AGENCY_POLICE]],
    ["an observation of exploitation", observation(SubmissionTopic.SUBMISSION_TOPIC_EXPLOITATION), ["takitini.deliver.mbie.v1", "takitini.deliver.police.v1"], [Agency.AGENCY_MBIE, Agency.AGENCY_POLICE]],
    ["a support need", submission("community.support_need"), ["takitini.deliver.msd.v1"], [Agency.AGENCY_MSD]],
    ["feedback on a briefing", submission("community.briefing_feedback"), ["takitini.deliver.msd.v1", "takitini.deliver.police.v1"], [Agency.AGENCY_MSD, Agency.AGENCY_POLICE]],
  ] as const)("%s reaches the agencies that act on it, in full, and the receipt names them", (_what, event, topics, agencies) => {
    const p = plan(event);
    expect(deliveredTo(p).sort()).toEqual([...topics]);
    for (const m of p.messages.filter((x) => x.topic.startsWith("takitini.deliver."))) {
      const delivered = IntelligenceEvent.decode(m.value);
      expect(delivered.payload?.$case === "communitySubmission" && delivered.payload.value.text).toContain("Hēmi Tāwhiri");
      expect(m.headers.view).toBe("full");
    }
    for (const d of p.decisions.filter((x) => x.outcome === Outcome.OUTCOME_ALLOW)) {
      expect([d.view, d.legalBasis.startsWith("Privacy Act 2020, IPP 11(1)(a) and (c)")]).toEqual([View.VIEW_FULL, true]);
    }
    expect(p.receipt?.sharedWith).toEqual([...agencies]);
  });

  it.each(SUBMISSION_TYPES)("%s: nothing reaches a community topic, and every community decision says why", (type) => {
    const p = plan(type === "community.observation" ? observation() : submission(type));
    const topics = new Set(community().map((s) => s.delivery_topic));
    expect(p.messages.filter((m) => topics.has(m.topic))).toEqual([]);
    const ids = new Set(community().map((s) => s.id));
    const decisions = p.decisions.filter((d) => ids.has(d.subscriberId));
    expect(decisions).toHaveLength(13);
    for (const d of decisions) {
      expect([d.outcome, d.deliveryTopic, d.deliveryId], d.subscriberId).toEqual([Outcome.OUTCOME_DENY, "", ""]);
      expect(d.reasons, d.subscriberId).toEqual(expect.arrayContaining(["sharing.community_submission_not_for_community", "sharing.no_community_release"]));
    }
  });
});

/** The Kafka shell over fakes: a submission's deliveries, decisions and receipt go in the one transaction that commits its offset. */
describe("the exchange writes the receipt in the submission's transaction", () => {
  it("one transaction: the deliveries, every decision and the receipt, then the offset, then the commit; counted once committed", async () => {
    const calls: string[] = [];
    const sent: TopicMessages[] = [];
    let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
    let transactions = 0;
    const kafka = {
      consumer: () => fakeConsumer((run) => (eachBatch = run)),
      admin: () => ({ connect: async () => undefined, disconnect: async () => undefined, fetchOffsets: async () => [] }),
      producer: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        transaction: async () => {
          const n = ++transactions;
          return {
            sendBatch: async ({ topicMessages }: { topicMessages: TopicMessages[] }) => {
              calls.push(`${n}:send`);
              sent.push(...topicMessages);
            },
            sendOffsets: async () => void calls.push(`${n}:offsets`),
            commit: async () => void calls.push(`${n}:commit`),
            abort: async () => void calls.push(`${n}:abort`),
          };
        },
      }),
    } as unknown as Kafka;
    const metrics = new Registry();
    const policy = { revision: "rev", decide, subscribers: () => subscribers } as unknown as SharingPolicy;
    const topic = intelTopic(Agency.AGENCY_COMMUNITY);
    const exchange = new Exchange({
      kafka,
      policy: { current: () => policy },
      logger: createLogger("exchange-test", "silent"),
      metrics,
      intelTopics: [topic],
      auditTopic: "t.audit",
      deadLetterTopic: "t.dlq",
      receiptsTopic: "t.receipts",
      groupId: "g",
      instanceId: "i",
      maxEventsPerTransaction: 100,
      records: new MemoryRecords(),
    });
    await exchange.start();
    const message = { ...record(observation()), offset: "0", timestamp: "0", attributes: 0, size: 0 } as unknown as KafkaMessage;
    await eachBatch!({
      batch: { topic, partition: 1, messages: [message], highWatermark: "1", firstOffset: () => "0" },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
    // Transaction 1 is the writer's fencing (an empty abort); the chunk is transaction 2.
    expect(calls).toEqual(["1:abort", "2:send", "2:offsets", "2:commit"]);
    expect(sent.map((t) => [t.topic, t.messages.length]).sort()).toEqual([["t.audit", 3], ["t.police", 1], ["t.receipts", 1], ["t.records", 1]]);
    expect(SubmissionReceipt.decode(sent.find((t) => t.topic === "t.receipts")!.messages[0]!.value as Buffer).sharedWith).toEqual([Agency.AGENCY_POLICE]);
    expect(sent.find((t) => t.topic === "t.audit")!.messages.map((m) => DecisionRecord.decode(m.value as Buffer).subscriberId)).toEqual(subscribers.map((s) => s.id));
    expect((await metrics.getSingleMetric("exchange_submission_receipts_total")!.get()).values.map((v) => v.value)).toEqual([1]);
    await exchange.stop();
  });
});
