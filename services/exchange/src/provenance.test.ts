import { MemoryRecords } from "./records.fixture.js";
import { Writable } from "node:stream";
import type { SharingPolicy, Subscriber } from "@takitini/policies";
import { Agency, DecisionRecord, IntelligenceEvent } from "@takitini/proto";
import { createLogger, Registry } from "@takitini/runtime";
import type { EachBatchPayload, Kafka, KafkaMessage, TopicMessages } from "kafkajs";
import { describe, expect, it } from "vitest";
import { AGENCIES, EVENT_TYPES, fullEvent, intelTopic, linkAlertEvent, PAYLOADS, PERSONAL } from "./events.fixture.js";
import { fakeConsumer } from "./kafka.fixture.js";
import { Exchange } from "./exchange.js";
import { ADVANCE_NOTICE_EVENT_TYPE } from "./notice.js";
import { admitEvent, DLQ_REASONS, planRecord, type Decide, type Plan, type SourceRecord } from "./plan.js";
import { agencyName, checkProvenance, topicAgency } from "./provenance.js";

/**
 * An event is decided only on its own agency's topic. One claiming another agency
 * is dead-lettered, never decided: no decision record, no delivery.
 */

const SEGMENT: Record<(typeof AGENCIES)[number], string> = {
  [Agency.AGENCY_POLICE]: "police",
  [Agency.AGENCY_CUSTOMS]: "customs",
  [Agency.AGENCY_MBIE]: "mbie",
  [Agency.AGENCY_MSD]: "msd",
  [Agency.AGENCY_COMMUNITY]: "community",
  [Agency.AGENCY_LINKAGE]: "linkage",
};

/** Both naming forms: the mesh's own, and a per-run name as the e2e tests create. */
const FORMS = [(a: Agency) => intelTopic(a), (a: Agency) => intelTopic(a, "takitini.e2e.run-7f3a")] as const;

describe("topicAgency", () => {
  it.each(AGENCIES)("reads %s from both naming forms", (agency) => {
    expect(topicAgency(`takitini.intel.${SEGMENT[agency]}.v1`)).toBe(agency);
    expect(topicAgency(`takitini.e2e.run-42.intel.${SEGMENT[agency]}.v1`)).toBe(agency);
    expect(topicAgency(`intel.${SEGMENT[agency]}.v12`)).toBe(agency);
  });

  it.each([
    ["an agency that does not publish", "takitini.intel.fbi.v1"],
    ["no version", "takitini.intel.police"],
    ["a version that is no number", "takitini.intel.police.vx"],
    ["a suffix after the version", "takitini.intel.police.v1.retry"],
    ["an uppercase agency", "takitini.intel.POLICE.v1"],
    ["a prefix not ending in a dot", "takitini.xintel.police.v1"],
    ["an agency segment with more in it", "takitini.intel.police-x.v1"],
    ["an inherited object property", "takitini.intel.constructor.v1"],
    ["another kind of topic", "takitini.audit.decisions.v1"],
    ["a delivery topic", "takitini.deliver.police.v1"],
    ["nothing", ""],
  ])("names no agency for %s (%s)", (_what, topic) => {
    expect(topicAgency(topic)).toBeUndefined();
  });

  it("names agencies without their enum prefix", () => {
    expect(AGENCIES.map(agencyName)).toEqual(["POLICE", "CUSTOMS", "MBIE", "MSD", "COMMUNITY", "LINKAGE"]);
    expect(agencyName(undefined)).toBe("NONE");
  });
});

const subscribers = [
  { id: "police", tier: "partner_agency", agency: "POLICE", delivery_topic: "t.police", agreements: [] },
  { id: "customs", tier: "partner_agency", agency: "CUSTOMS", delivery_topic: "t.customs", agreements: [] },
  { id: "community-eastern", tier: "community_leader", delivery_topic: "t.community", agreements: [] },
] as unknown as Subscriber[];
const ctx = { auditTopic: "t.audit", deadLetterTopic: "t.dlq", policyRevision: "rev", now: new Date("2026-11-20T00:00:00Z"), consumer: "g" };
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** A policy that shares everything in full, and counts how often it is asked. */
function allowAll(): { decide: Decide; asked: () => number } {
  let n = 0;
  const decide: Decide = () => (n++, { allow: true, view: "full", redact: [], reasons: ["sharing.x"], legal_basis: "b", policy_revision: "rev" });
  return { decide, asked: () => n };
}

const record = (topic: string, event: IntelligenceEvent): SourceRecord => ({
  topic,
  partition: 3,
  offset: "1207",
  key: Buffer.from(event.id),
  value: Buffer.from(IntelligenceEvent.encode(event).finish()),
  headers: { traceparent: Buffer.from(TRACEPARENT) },
});

/** Every event type with its own agency, and a link alert (the linkage service's), each claiming the agency. */
const claiming = (agency: Agency) => [...EVENT_TYPES.map((type) => fullEvent(type, { sourceAgency: agency })), linkAlertEvent({ sourceAgency: agency })];

describe("the planner checks provenance", () => {
  it.each(AGENCIES)("decides a %s event on its agency's topic as before, in both naming forms", (agency) => {
    for (const topic of FORMS.map((f) => f(agency))) {
      for (const type of EVENT_TYPES.filter((t) => PAYLOADS[t]!.agency === agency)) {
        const { decide, asked } = allowAll();
        const plan = planRecord(record(topic, fullEvent(type)), subscribers, decide, ctx);
        if (plan.kind !== "disseminate") throw new Error(`expected dissemination, got ${plan.reason}`);
        expect(asked()).toBe(subscribers.length);
        expect(plan.decisions.map((d) => [d.subscriberId, d.outcome, d.sourceTopic, d.sourceAgency])).toEqual(
          subscribers.map((s) => [s.id, "OUTCOME_ALLOW", topic, agency]),
        );
        expect(plan.messages.filter((m) => m.topic === "t.audit")).toHaveLength(subscribers.length);
        // A community tier is never delivered an event, whatever view a policy names: only partners are —
        // and no one a Police support advance notice as the event (a partner's is a SupportNotice from a redacted decision).
        const delivered = type === ADVANCE_NOTICE_EVENT_TYPE ? 0 : subscribers.filter((s) => s.tier === "partner_agency").length;
        expect(plan.messages.filter((m) => m.topic.startsWith("t.") && m.topic !== "t.audit")).toHaveLength(delivered);
      }
    }
  });

  const pairs = AGENCIES.flatMap((topicAgency_) => AGENCIES.filter((a) => a !== topicAgency_).map((claimed) => [topicAgency_, claimed] as const));
  it("covers every ordered pair of distinct agencies, community leaders' and the linkage topics included", () => expect(pairs).toHaveLength(30));

  it("decides a link alert on the linkage topic only: the linkage service is its one writer", () => {
    for (const topic of FORMS.map((f) => f(Agency.AGENCY_LINKAGE))) {
      const { decide, asked } = allowAll();
      const plan = planRecord(record(topic, linkAlertEvent()), subscribers, decide, ctx);
      if (plan.kind !== "disseminate") throw new Error(`expected dissemination, got ${plan.reason}`);
      expect(asked()).toBe(subscribers.length);
      expect(plan.decisions.map((d) => d.sourceAgency)).toEqual(subscribers.map(() => Agency.AGENCY_LINKAGE));
    }
    // The same alert on any agency's topic, or an agency's event on the linkage topic, is never decided.
    for (const other of AGENCIES.filter((a) => a !== Agency.AGENCY_LINKAGE)) {
      expect(planRecord(record(intelTopic(other), linkAlertEvent()), subscribers, allowAll().decide, ctx)).toMatchObject({ kind: "dead-letter", reason: `PROVENANCE_MISMATCH: event agency LINKAGE on topic ${intelTopic(other)}` });
    }
    expect(planRecord(record(intelTopic(Agency.AGENCY_LINKAGE), fullEvent("police.firearms_seizure")), subscribers, allowAll().decide, ctx)).toMatchObject({
      kind: "dead-letter",
      reason: `PROVENANCE_MISMATCH: event agency POLICE on topic ${intelTopic(Agency.AGENCY_LINKAGE)}`,
    });
  });

  it.each(pairs)("dead-letters, undecided, any event claiming another agency on %s's topic (claim: %s)", (onTopicOf, claimed) => {
    for (const topic of FORMS.map((f) => f(onTopicOf))) {
      for (const event of claiming(claimed)) {
        const { decide, asked } = allowAll();
        const source = record(topic, event);
        const plan: Plan = planRecord(source, subscribers, decide, ctx);
        if (plan.kind !== "dead-letter") throw new Error(`expected a dead letter for ${event.eventType} claiming ${claimed} on ${topic}`);
        const reason = `PROVENANCE_MISMATCH: event agency ${agencyName(claimed)} on topic ${topic}`;
        expect(plan.reason).toBe(reason);
        expect(plan.reason.startsWith(`${DLQ_REASONS.PROVENANCE}:`)).toBe(true);
        expect(plan.provenance).toEqual({ topic, topicAgency: onTopicOf, eventAgency: claimed });
        // Exactly one message, to the dead-letter topic: the record as read, where it was, and why.
        expect(plan).not.toHaveProperty("messages");
        expect(plan).not.toHaveProperty("decisions");
        expect(plan.message).toEqual({
          topic: "t.dlq",
          key: `${topic}/3/1207`,
          value: source.value,
          headers: {
            "dlq-reason": reason,
            "dlq-source-topic": topic,
            "dlq-source-partition": "3",
            "dlq-source-offset": "1207",
            "dlq-consumer": "g",
            traceparent: TRACEPARENT,
          },
        });
        // Never decided: the policy was not asked about any subscriber.
        expect(asked()).toBe(0);
        // The reason names agencies and the topic only, never the event.
        const said = JSON.stringify({ reason: plan.reason, provenance: plan.provenance });
        for (const content of [...PERSONAL, event.id, event.eventType, event.sourceRecordId]) expect(said).not.toContain(content);
      }
    }
  });

  it("fails closed on a topic that names no agency: nothing on it is decided", () => {
    const { decide, asked } = allowAll();
    const plan = planRecord(record("takitini.intel.prop.v1", fullEvent("police.firearms_seizure")), subscribers, decide, ctx);
    expect(plan).toMatchObject({ kind: "dead-letter", reason: "PROVENANCE_MISMATCH: event agency POLICE on topic takitini.intel.prop.v1", provenance: { topicAgency: undefined, eventAgency: Agency.AGENCY_POLICE } });
    expect(asked()).toBe(0);
  });

  it("checks provenance only of events it can read: an unreadable record keeps its own reason", () => {
    const plan = planRecord({ ...record(intelTopic(Agency.AGENCY_POLICE), fullEvent("customs.border_seizure")), value: Buffer.from([0xff]) }, subscribers, allowAll().decide, ctx);
    expect(plan.kind === "dead-letter" && plan.reason).toMatch(/^DECODE_FAILED/);
    expect(plan).not.toHaveProperty("provenance");
    const unspecified = admitEvent(record(intelTopic(Agency.AGENCY_POLICE), fullEvent("police.firearms_seizure", { sourceAgency: Agency.AGENCY_UNSPECIFIED })));
    expect(!unspecified.ok && unspecified.reason).toMatch(/^INVALID_EVENT: missing or invalid source_agency/);
  });

  it("checkProvenance is the same comparison on its own", () => {
    expect(checkProvenance("takitini.intel.msd.v1", { sourceAgency: Agency.AGENCY_MSD })).toBeUndefined();
    expect(checkProvenance("takitini.intel.msd.v1", { sourceAgency: Agency.AGENCY_MBIE })).toEqual({ topic: "takitini.intel.msd.v1", topicAgency: Agency.AGENCY_MSD, eventAgency: Agency.AGENCY_MBIE });
  });
});

/**
 * The Kafka shell over fakes: what one batch's transaction writes, the counters
 * after it commits, and the warning — with no broker.
 */
describe("the exchange on a provenance mismatch", () => {
  const TOPICS = AGENCIES.map((a) => intelTopic(a));

  function harness() {
    const sent: TopicMessages[] = [];
    let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
    const kafka = {
      consumer: () => fakeConsumer((run) => (eachBatch = run)),
      admin: () => ({ connect: async () => undefined, disconnect: async () => undefined, fetchOffsets: async () => [] }),
      producer: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        transaction: async () => ({
          sendBatch: async ({ topicMessages }: { topicMessages: TopicMessages[] }) => void sent.push(...topicMessages),
          sendOffsets: async () => undefined,
          commit: async () => undefined,
          abort: async () => undefined,
        }),
      }),
    } as unknown as Kafka;
    const { decide, asked } = allowAll();
    const policy = { revision: "rev", decide, subscribers: () => subscribers } as unknown as SharingPolicy;
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>), done()) });
    const metrics = new Registry();
    const exchange = new Exchange({
      kafka,
      policy: { current: () => policy },
      logger: createLogger("exchange-test", "info", sink),
      metrics,
      intelTopics: TOPICS,
      auditTopic: "t.audit",
      deadLetterTopic: "t.dlq",
      groupId: "g",
      instanceId: "i",
      maxEventsPerTransaction: 100,
      records: new MemoryRecords(),
    });
    const batch = async (topic: string, events: IntelligenceEvent[]) => {
      if (!eachBatch) throw new Error("not started");
      const messages: KafkaMessage[] = events.map((e, i) => ({ ...record(topic, e), offset: String(i), timestamp: "0", attributes: 0, size: 0 }) as KafkaMessage);
      await eachBatch({
        batch: { topic, partition: 3, messages, highWatermark: String(events.length), firstOffset: () => "0" },
        resolveOffset: () => undefined,
        heartbeat: async () => undefined,
        isRunning: () => true,
        isStale: () => false,
      } as unknown as EachBatchPayload);
    };
    const counted = async (name: string) => (await metrics.getSingleMetric(name)!.get()).values.map((v) => [v.labels, v.value]);
    return { exchange, batch, sent, asked, lines, counted };
  }

  it("writes one dead letter and nothing else, counts it by topic and reason, and warns with both agencies and no content", async () => {
    const h = harness();
    await h.exchange.start();
    expect(await h.counted("exchange_provenance_mismatches_total")).toEqual(TOPICS.map((topic) => [{ topic }, 0]));

    const police = intelTopic(Agency.AGENCY_POLICE);
    const forged = fullEvent("customs.border_seizure");
    await h.batch(police, [forged, fullEvent("police.firearms_seizure", { id: "6b0c1a2e-2222-5000-8000-000000000002" })]);

    // The forged record: one dead letter. The genuine one beside it: decided as ever.
    expect(h.sent.find((t) => t.topic === "t.dlq")?.messages.map((m) => m.headers?.["dlq-reason"])).toEqual([`PROVENANCE_MISMATCH: event agency CUSTOMS on topic ${police}`]);
    const audit = h.sent.filter((t) => t.topic === "t.audit").flatMap((t) => t.messages.map((m) => DecisionRecord.decode(m.value as Buffer)));
    expect(audit.map((d) => d.eventType)).toEqual(subscribers.map(() => "police.firearms_seizure"));
    expect(h.asked()).toBe(subscribers.length);
    expect(h.sent.flatMap((t) => t.messages).filter((m) => m.key === forged.id)).toEqual([]);

    expect(await h.counted("exchange_provenance_mismatches_total")).toEqual(TOPICS.map((topic) => [{ topic }, topic === police ? 1 : 0]));
    expect(await h.counted("exchange_dead_letters_total")).toEqual([[{ reason: "PROVENANCE_MISMATCH" }, 1]]);

    const warning = h.lines.find((l) => l.msg === "record dead-lettered: its agency is not its topic's");
    expect(warning).toMatchObject({ level: "warn", topic: police, partition: 3, offset: "0", topicAgency: "POLICE", eventAgency: "CUSTOMS" });
    const logged = JSON.stringify(h.lines);
    for (const content of [...PERSONAL, forged.id, forged.sourceRecordId, "CUS-2026-0042"]) expect(logged).not.toContain(content);
    await h.exchange.stop();
  });
});
