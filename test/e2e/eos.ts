/**
 * Support for the exactly-once tests: an isolated set of topics per run, a
 * 10,000-event stream from the adapters' own generators and mappers, a paced
 * producer, and the reconciliation of what the exchange wrote against the policy.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingest, seededRandom, type AgencyAdapter } from "@takitini/adapter-kit";
import { loadSharingPolicy, type SharingPolicy } from "@takitini/policies";
import { DecisionRecord, IntelligenceEvent, INTEL_SCHEMA_VERSION } from "@takitini/proto";
import { HEADERS, PROTOBUF_CONTENT_TYPE } from "@takitini/runtime";
import type { Kafka, Message } from "kafkajs";
import { customsAdapter } from "../../services/customs-adapter/dist/adapter.js";
import { hasAggregateView } from "../../services/exchange/dist/aggregate.js";
import { communityAssessment } from "../../services/exchange/dist/assessment.js";
import { isCommunityTier, supportNotice } from "../../services/exchange/dist/notice.js";
import { policyInput } from "../../services/exchange/dist/projection.js";
import { mbieAdapter } from "../../services/mbie-adapter/dist/adapter.js";
import { msdAdapter } from "../../services/msd-adapter/dist/adapter.js";
import { policeAdapter } from "../../services/police-adapter/dist/adapter.js";
import { createRunTopics, header, readTopic, registryWith } from "./kafka.js";
import { suiteEventIdKey } from "./publishers.js";
import { ROOT } from "./stack.js";

const ADAPTERS: AgencyAdapter[] = [policeAdapter, customsAdapter, mbieAdapter, msdAdapter];

export interface RunTopics {
  intel: Record<string, string>;
  audit: string;
  deadLetter: string;
  /** subscriber id → delivery topic of this run */
  deliver: Record<string, string>;
  /** POLICY_DATA_DIR: the shipped registry with this run's delivery topics. */
  dataDir: string;
}

/**
 * Topics of their own for one run, so nothing else reads or writes them, with
 * the ACLs the shipped generator derives for them (the services run as their
 * own principals on the secured broker).
 */
export async function isolatedTopics(_kafka: Kafka, run: string, partitions = 3): Promise<RunTopics> {
  const deliver: Record<string, string> = {};
  const dataDir = mkdtempSync(join(tmpdir(), `takitini-eos-${run}-`));
  const registryFile = registryWith(dataDir, (id) => (deliver[id] = `e2e-eos-${run}.deliver.${id}.v1`), ROOT);
  const intel = Object.fromEntries(ADAPTERS.map((a) => [a.agency, `e2e-eos-${run}.intel.${a.agency.toLowerCase()}.v1`]));
  const topics: RunTopics = { intel, audit: `e2e-eos-${run}.audit.v1`, deadLetter: `e2e-eos-${run}.deadletter.v1`, deliver, dataDir };
  await createRunTopics(
    [
      ...Object.values(intel).map((name) => ({ name, role: "intel" as const, partitions })),
      { name: topics.audit, role: "decisions" },
      { name: topics.deadLetter, role: "dead-letter" },
      ...Object.values(deliver).map((name) => ({ name, role: "delivery" as const })),
    ],
    registryFile,
  );
  return topics;
}

export function exchangeEnv(brokers: string[], run: string, topics: RunTopics, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers.join(","),
    GROUP_ID: `takitini-exchange-e2e-eos-${run}`,
    INTEL_TOPICS: Object.values(topics.intel).join(","),
    AUDIT_TOPIC: topics.audit,
    DEADLETTER_TOPIC: topics.deadLetter,
    POLICY_DATA_DIR: topics.dataDir,
    // A killed instance's partitions move on after 6 s (the broker's minimum).
    SESSION_TIMEOUT_MS: "6000",
    ...extra,
  };
}

export interface Stream {
  messages: { topic: string; message: Message }[];
  events: Map<string, IntelligenceEvent>;
  /** Keys of the undecodable records planted in the stream. */
  garbage: Set<string>;
}

/**
 * `count` events of every kind of every adapter (round robin), made by the
 * adapters' own synthetic generators and mappers, plus a few undecodable records.
 */
export function makeStream(run: string, topics: RunTopics, count: number, garbageEvery = 1000): Stream {
  const kinds = ADAPTERS.flatMap((adapter) => adapter.kinds.map((kind) => ({ adapter, kind })));
  const rng = seededRandom(`eos/${run}`);
  const messages: Stream["messages"] = [];
  const events = new Map<string, IntelligenceEvent>();
  const garbage = new Set<string>();
  for (let i = 0; messages.length - garbage.size < count; i++) {
    const { adapter, kind } = kinds[i % kinds.length]!;
    const topic = topics.intel[adapter.agency]!;
    if (i > 0 && i % garbageEvery === 0) {
      const key = `garbage-${run}-${i}`;
      garbage.add(key);
      messages.push({ topic, message: { key, value: Buffer.concat([Buffer.from([0xff, 0x01]), Buffer.from(key)]), headers: { [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION } } });
    }
    const native = kind.synthesize(rng, i);
    const r = ingest(adapter, kind.recordType, native, new Date(), { eventIdKey: suiteEventIdKey() });
    if (!r.ok) throw new Error(`synthetic ${kind.recordType} #${i} invalid: ${JSON.stringify(r.issues)}`);
    if (events.has(r.event.id)) continue; // the generator repeated a native id: keep the stream's ids unique
    events.set(r.event.id, r.event);
    const traceId = Buffer.from(r.event.id.replaceAll("-", ""), "hex").toString("hex").padEnd(32, "0").slice(0, 32);
    messages.push({
      topic,
      message: {
        key: r.event.id,
        value: Buffer.from(IntelligenceEvent.encode(r.event).finish()),
        headers: {
          [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION,
          [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
          [HEADERS.EVENT_TYPE]: r.event.eventType,
          [HEADERS.TRACEPARENT]: `00-${traceId}-${"ab".repeat(8)}-01`,
        },
      },
    });
  }
  return { messages, events, garbage };
}

/** Produce the stream at about `perSecond`, in small batches, acks=all and idempotent. */
export async function produceStream(kafka: Kafka, stream: Stream, perSecond: number, onProgress?: (sent: number) => void): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const batch = 50;
  const started = Date.now();
  try {
    for (let i = 0; i < stream.messages.length; i += batch) {
      const slice = stream.messages.slice(i, i + batch);
      const byTopic = new Map<string, Message[]>();
      for (const m of slice) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m.message]);
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      onProgress?.(i + slice.length);
      const due = started + ((i + slice.length) / perSecond) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  } finally {
    await producer.disconnect();
  }
}

/** Records the group has committed past, summed over the run's agency topics, and the total there is. */
export async function groupProgress(kafka: Kafka, groupId: string, topics: string[]): Promise<{ committed: number; end: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let committed = 0;
    let end = 0;
    const offsets = await admin.fetchOffsets({ groupId, topics });
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) end += Number(p.high);
      for (const p of offsets.find((o) => o.topic === topic)?.partitions ?? []) committed += Math.max(0, Number(p.offset));
    }
    return { committed, end };
  } finally {
    await admin.disconnect();
  }
}

/** Wait until the group has committed every record of its topics (at least `expected` of them). */
export async function waitCaughtUp(kafka: Kafka, groupId: string, topics: string[], expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = { committed: 0, end: 0 };
  while (Date.now() < deadline) {
    last = await groupProgress(kafka, groupId, topics);
    if (last.end >= expected && last.committed === last.end) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`group ${groupId} not caught up in ${timeoutMs} ms: committed ${last.committed} of ${last.end}`);
}

export interface Reconciliation {
  pairs: number;
  allowed: number;
  delivered: number;
  /** Every discrepancy found; empty when the run was exactly-once. */
  problems: string[];
}

/**
 * What the exchange wrote, against what it must have written:
 * - the audit holds exactly one decision per (event, subscriber), nothing else;
 * - each decision agrees with the policy evaluated here, independently;
 * - every allowed raw view is on its subscriber's topic exactly once, carrying
 *   its decision id; nothing else is on any delivery topic;
 * - every undecodable record is on the dead-letter topic exactly once.
 *
 * `scoped`: the topics are shared with other runs (the fault suite's one mesh):
 * records of events outside `stream` are not this run's and are passed over,
 * but everything about the stream's events is held to the same rules.
 */
export async function reconcile(kafka: Kafka, topics: RunTopics, stream: Pick<Stream, "events" | "garbage">, opts: { scoped?: boolean } = {}): Promise<Reconciliation> {
  const policy: SharingPolicy = await loadSharingPolicy({ dataDir: topics.dataDir });
  const subscribers = policy.subscribers();
  const problems: string[] = [];
  const note = (p: string) => {
    if (problems.length < 50) problems.push(p);
  };
  const expectedPairs = stream.events.size * subscribers.length;

  // Every topic the reconciliation needs, with one consumer: one group join and one
  // idle wait, not one per topic.
  const deliveryTopics = [...new Set(Object.values(topics.deliver))];
  const all = await readTopic(kafka, [topics.audit, ...deliveryTopics, topics.deadLetter], { idleMs: 5000, timeoutMs: 180_000 });
  const on = (topic: string) => all.filter((s) => s.topic === topic);
  const audit = on(topics.audit);
  const decisions = new Map<string, DecisionRecord>();
  const where = new Map<string, string>();
  for (const { message, partition } of audit) {
    const d = DecisionRecord.decode(message.value!);
    if (opts.scoped && !stream.events.has(d.eventId)) continue;
    const pair = `${d.eventId}|${d.subscriberId}`;
    const at = `audit ${partition}@${message.offset} decided ${d.decidedAt?.toISOString()} from ${d.sourceTopic}/${d.sourcePartition}@${d.sourceOffset}`;
    if (decisions.has(pair)) note(`second decision for ${pair}: ${where.get(pair)}; again ${at}`);
    decisions.set(pair, d);
    where.set(pair, at);
    if (!stream.events.has(d.eventId)) note(`decision for an event not in the stream: ${d.eventId}`);
  }
  if (!opts.scoped && audit.length !== expectedPairs) note(`audit holds ${audit.length} decisions, expected ${expectedPairs}`);

  const expectedDeliveries = new Map<string, string>(); // decision id → topic
  const byDeliveryId = new Map<string, string>(); // a community output's delivery id → its decision id
  for (const [eventId, event] of stream.events) {
    for (const s of subscribers) {
      const d = decisions.get(`${eventId}|${s.id}`);
      if (!d) {
        note(`no decision for ${eventId}|${s.id}`);
        continue;
      }
      const want = policy.decide(policyInput(event, s.id));
      const allowed = d.outcome === "OUTCOME_ALLOW";
      if (allowed !== want.allow) note(`decision ${d.id} says ${d.outcome}, the policy says allow=${want.allow}`);
      // Partners' raw views are delivered as the event; aggregate-only ones as an
      // AggregateView where the event type has one; a community tier's redacted view
      // as a SupportNotice where the event has one, or an agency's approved assessment
      // as a CommunityAssessment — never the event.
      const community = isCommunityTier(s.tier);
      const raw = !community && want.allow && (want.view === "full" || want.view === "redacted");
      const communityView = { deliveryId: "", agreementId: "" };
      const notice =
        community && want.allow && want.view === "redacted" && (supportNotice(event, communityView) !== null || communityAssessment(event, communityView) !== null);
      const aggregate = want.allow && want.view === "aggregate_only" && hasAggregateView(event);
      if (community && (notice || aggregate) && d.deliveryId === "") note(`decision ${d.id} names no delivery id for a community output`);
      if (d.deliveryId !== "") byDeliveryId.set(d.deliveryId, d.id);
      if (raw || notice || aggregate) {
        if (d.deliveryTopic !== s.delivery_topic) note(`decision ${d.id} names delivery topic "${d.deliveryTopic}", expected ${s.delivery_topic}`);
        expectedDeliveries.set(d.id, s.delivery_topic);
      } else if (d.deliveryTopic !== "") {
        note(`decision ${d.id} names a delivery topic for a view that is not delivered`);
      }
    }
  }

  const seen = new Map<string, number>();
  let delivered = 0;
  for (const topic of deliveryTopics) {
    for (const { message } of on(topic)) {
      // A community output names only its random delivery id; its decision record links it.
      const deliveryId = header(message, HEADERS.DELIVERY_ID);
      const decisionId = deliveryId !== undefined ? (byDeliveryId.get(deliveryId) ?? `delivery ${deliveryId}`) : (header(message, HEADERS.DECISION_ID) ?? "");
      const want = expectedDeliveries.get(decisionId);
      if (opts.scoped && want === undefined && !stream.events.has(message.key?.toString() ?? "")) continue;
      delivered++;
      if (want !== topic) note(`delivery on ${topic} for decision "${decisionId}" (key ${message.key?.toString()}) that allowed no delivery there`);
      seen.set(decisionId, (seen.get(decisionId) ?? 0) + 1);
    }
  }
  for (const [decisionId, topic] of expectedDeliveries) {
    const n = seen.get(decisionId) ?? 0;
    if (n !== 1) note(`decision ${decisionId} delivered ${n} times to ${topic}`);
  }

  // An undecodable record starts with an invalid protobuf tag and then carries its key.
  const dead = on(topics.deadLetter);
  const deadCounts = new Map<string, number>();
  for (const { message } of dead) {
    const key = message.value?.subarray(2).toString("utf8") ?? "";
    if (opts.scoped && !stream.garbage.has(key)) continue;
    deadCounts.set(key, (deadCounts.get(key) ?? 0) + 1);
    if (!stream.garbage.has(key)) note(`dead-lettered a record that is not one of the planted undecodable ones (${key.slice(0, 60)})`);
  }
  for (const key of stream.garbage) {
    const n = deadCounts.get(key) ?? 0;
    if (n !== 1) note(`undecodable record ${key} dead-lettered ${n} times`);
  }

  return { pairs: decisions.size, allowed: expectedDeliveries.size, delivered, problems };
}
