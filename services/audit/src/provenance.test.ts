import { AccessAction, AccessRecord, DecisionRecord, RefusalRecord, RefusalSummary } from "@takitini/proto";
import { createLogger, createMetricsRegistry, refusalMessage, refusalSummaryMessage } from "@takitini/runtime";
import type { EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { configSchema } from "./config.js";
import { ingestRecord, isProvenanceMismatch, LedgerIngest, type IngestTopics } from "./ingest.js";
import type { Ledger } from "./ledger/index.js";
import { decision } from "./oversight/decisions.fixture.js";

/**
 * Provenance: the decisions topic is written by the exchange alone; an access
 * topic by one other service (the briefing), which may write access records and
 * nothing else. What a topic may carry is fixed by the topic, not by the record.
 */

const DECISIONS = "takitini.audit.decisions.v1";
const BRIEFING_ACCESS = "takitini.audit.briefing-access.v1";
const TOPICS: IngestTopics = { auditTopic: DECISIONS, accessTopics: [BRIEFING_ACCESS] };
const EVENT = "0b8a4f4e-6f0e-5c1a-9d0e-1f2a3b4c5d6e";
const at = new Date("2026-11-25T00:00:00Z");

const briefingViewed = AccessRecord.fromPartial({
  id: "7d0c2b1e-3a4f-4b5c-8d6e-7f8091a2b3c4",
  action: AccessAction.ACCESS_ACTION_BRIEFING_VIEWED,
  subscriberId: "community-eastern",
  requestedSubscriberId: "community-eastern",
  channel: "briefing.http",
  sessionId: "7d0c2b1e-3a4f-4b5c-8d6e-7f8091a2b3c4",
  occurredAt: at,
  resource: "/v1/briefings/eastern?week=2026-W47",
  regions: ["EASTERN"],
});
const subscribeGranted = AccessRecord.fromPartial({ id: "s-1", action: AccessAction.ACCESS_ACTION_SUBSCRIBE_GRANTED, subscriberId: "customs", requestedSubscriberId: "customs", channel: "grpc.subscribe", sessionId: "s-1", occurredAt: at });

const accessMessage = (r: AccessRecord, offset = "0") => ({ value: Buffer.from(AccessRecord.encode(r).finish()), headers: { "event-type": "audit.access", "schema-version": "takitini.audit.v1" }, offset });
const decisionMessage = (d: DecisionRecord, headers: Record<string, string> = { "event-type": "audit.decision" }, offset = "0") => ({ value: Buffer.from(DecisionRecord.encode(d).finish()), headers, offset });

describe("records on an access topic", () => {
  it("are ingested when they are access records", () => {
    const r = ingestRecord(BRIEFING_ACCESS, 2, accessMessage(briefingViewed), TOPICS, at);
    if (!r.ok) throw new Error(r.reason);
    expect(r.decisions).toEqual([]);
    expect(r.records).toHaveLength(1);
    expect(r.records[0]!.index.kind).toBe("access");
    expect(r.records[0]!.ledger.recordId).toBe(briefingViewed.id);
  });

  it("are dead-lettered as a provenance mismatch when they are decision records, with or without the header", () => {
    const reason = `PROVENANCE_MISMATCH: decision record on access topic ${BRIEFING_ACCESS}`;
    expect(ingestRecord(BRIEFING_ACCESS, 0, decisionMessage(decision(EVENT, "customs", true)), TOPICS, at)).toEqual({ ok: false, reason });
    // The exchange's first format (no event-type header) is a decision too.
    expect(ingestRecord(BRIEFING_ACCESS, 0, decisionMessage(decision(EVENT, "public", false), {}), TOPICS, at)).toEqual({ ok: false, reason });
    expect(isProvenanceMismatch(reason)).toBe(true);
  });

  it("are dead-lettered with their own reason when they do not decode at all", () => {
    const gossip = ingestRecord(BRIEFING_ACCESS, 0, { value: Buffer.from([1]), headers: { "event-type": "audit.gossip" }, offset: "0" }, TOPICS, at);
    expect(gossip).toEqual({ ok: false, reason: "UNKNOWN_RECORD_TYPE: audit.gossip" });
    const incomplete = ingestRecord(BRIEFING_ACCESS, 0, accessMessage(AccessRecord.fromPartial({ id: "x" })), TOPICS, at);
    expect(incomplete.ok || isProvenanceMismatch(incomplete.reason)).toBe(false);
    expect(!incomplete.ok && incomplete.reason).toMatch(/^INVALID_ACCESS: missing /);
    expect(ingestRecord(BRIEFING_ACCESS, 0, { value: null, headers: {}, offset: "0" }, TOPICS, at)).toEqual({ ok: false, reason: "EMPTY_VALUE" });
  });
});

describe("records on the decisions topic", () => {
  it("keep being ingested, decisions and access records alike", () => {
    const d = decision(EVENT, "customs", true);
    const dr = ingestRecord(DECISIONS, 0, decisionMessage(d), TOPICS, at);
    if (!dr.ok) throw new Error(dr.reason);
    expect(dr.decisions).toEqual([d]);
    expect(dr.records.map((r) => r.index.kind)).toEqual(["decision"]);
    const legacy = ingestRecord(DECISIONS, 0, decisionMessage(decision(EVENT, "msd", false), {}), TOPICS, at);
    expect(legacy.ok).toBe(true);
    // The exchange writes partners' Subscribe access records here.
    const ar = ingestRecord(DECISIONS, 0, accessMessage(subscribeGranted), TOPICS, at);
    expect(ar.ok && ar.records.map((r) => r.index.kind)).toEqual(["access"]);
    // A briefing access record on the decisions topic is still read (as before the split).
    expect(ingestRecord(DECISIONS, 0, accessMessage(briefingViewed), TOPICS, at).ok).toBe(true);
  });

  it("are ingested as before when no access topic is configured", () => {
    expect(ingestRecord(DECISIONS, 0, decisionMessage(decision(EVENT, "customs", true)), { auditTopic: DECISIONS, accessTopics: [] }, at).ok).toBe(true);
  });
});

const REFUSALS = "takitini.audit.refusals.v1";
const WITH_REFUSALS: IngestTopics = { ...TOPICS, refusalTopics: [REFUSALS] };
const markingRefused = RefusalRecord.fromPartial({
  id: "5b1f7c2e-0d3a-4e5f-9a6b-1c2d3e4f5a6b",
  service: "police-adapter",
  door: "http",
  code: "MARKING_BELOW_FLOOR",
  principal: "spiffe://takitini.local/publisher/police/nia",
  recordType: "police.firearms_seizure",
  route: "/v1/records/:recordType",
  fieldPaths: ["caveats"],
  occurredAt: at,
  status: 400,
});
const unauthenticated = RefusalSummary.fromPartial({
  id: "6c2a8d3f-1e4b-4f60-8b7c-2d3e4f5a6b7c",
  service: "briefing",
  door: "http",
  code: "UNAUTHENTICATED",
  route: "/v1/briefings/:region",
  windowStart: at,
  windowEnd: new Date(at.getTime() + 60_000),
  count: 12,
  distinctAddresses: 3,
});
const asKafka = (m: { value: Buffer | string | null; headers?: Record<string, unknown> }, offset = "0") => ({ value: m.value as Buffer, headers: m.headers as Record<string, string>, offset });

describe("records on a refusals topic", () => {
  it("are ingested when they are refusals or refusal summaries, under prefixed ids", () => {
    const r = ingestRecord(REFUSALS, 0, asKafka(refusalMessage(markingRefused)), WITH_REFUSALS, at);
    if (!r.ok) throw new Error(r.reason);
    expect(r.records.map((x) => [x.index.kind, x.ledger.recordId, x.index.agency, x.index.eventType, x.index.action])).toEqual([
      ["refusal", `refusal:${markingRefused.id}`, "police", "police.firearms_seizure", "police-adapter http MARKING_BELOW_FLOOR"],
    ]);
    expect(r.records[0]!.index.doc).toMatchObject({ principal: "spiffe://takitini.local/publisher/police/nia", field_paths: ["caveats"], status: 400 });
    const s = ingestRecord(REFUSALS, 1, asKafka(refusalSummaryMessage(unauthenticated)), WITH_REFUSALS, at);
    if (!s.ok) throw new Error(s.reason);
    expect(s.records.map((x) => [x.index.kind, x.ledger.recordId, x.index.occurredAt])).toEqual([["refusal_summary", `refusal-summary:${unauthenticated.id}`, unauthenticated.windowEnd]]);
    expect(s.records[0]!.index.doc).toMatchObject({ count: 12, distinct_addresses: 3, route: "/v1/briefings/:region" });
  });

  it("are dead-lettered as a provenance mismatch when they are decisions or access records", () => {
    expect(ingestRecord(REFUSALS, 0, decisionMessage(decision(EVENT, "customs", true)), WITH_REFUSALS, at)).toEqual({ ok: false, reason: `PROVENANCE_MISMATCH: decision record on refusals topic ${REFUSALS}` });
    expect(ingestRecord(REFUSALS, 0, accessMessage(briefingViewed), WITH_REFUSALS, at)).toEqual({ ok: false, reason: `PROVENANCE_MISMATCH: access record on refusals topic ${REFUSALS}` });
  });

  it("may not appear on the decisions or an access topic", () => {
    expect(ingestRecord(DECISIONS, 0, asKafka(refusalMessage(markingRefused)), WITH_REFUSALS, at)).toEqual({ ok: false, reason: `PROVENANCE_MISMATCH: refusal record on decisions topic ${DECISIONS}` });
    expect(ingestRecord(BRIEFING_ACCESS, 0, asKafka(refusalSummaryMessage(unauthenticated)), WITH_REFUSALS, at)).toEqual({ ok: false, reason: `PROVENANCE_MISMATCH: refusal summary on access topic ${BRIEFING_ACCESS}` });
  });

  it("are refused, naming what is missing or out of bounds", () => {
    const bad = (r: Partial<RefusalRecord>) => ingestRecord(REFUSALS, 0, asKafka(refusalMessage(RefusalRecord.fromPartial({ ...markingRefused, ...r }))), WITH_REFUSALS, at);
    expect(bad({ id: "", service: "Police Adapter!" })).toEqual({ ok: false, reason: "INVALID_REFUSAL: missing or out of bounds id, service" });
    expect(bad({ fieldPaths: Array.from({ length: 101 }, (_, i) => `f${i}`) })).toEqual({ ok: false, reason: "INVALID_REFUSAL: missing or out of bounds field_paths" });
    const summary = (s: Partial<RefusalSummary>) => ingestRecord(REFUSALS, 0, asKafka(refusalSummaryMessage(RefusalSummary.fromPartial({ ...unauthenticated, ...s }))), WITH_REFUSALS, at);
    expect(summary({ count: 0, windowEnd: new Date(at.getTime() - 1) })).toEqual({ ok: false, reason: "INVALID_REFUSAL_SUMMARY: missing or out of bounds window_end, count, distinct_addresses" });
  });
});

describe("REFUSAL_TOPICS", () => {
  const env = { AUDIT_OVERSIGHT_TOKENS_FILE: "/t.json" };
  it("defaults to the refusals topic, with a window of a minute, and refuses a topic read in another role", () => {
    expect(configSchema.parse(env)).toMatchObject({ REFUSAL_TOPICS: [REFUSALS], REFUSAL_WINDOW_MS: 60_000, REFUSAL_MAX_KEYS: 256, REFUSAL_MAX_ADDRESSES: 4096 });
    expect(configSchema.safeParse({ ...env, REFUSAL_TOPICS: BRIEFING_ACCESS }).error?.issues.map((i) => i.path.join("."))).toEqual(["REFUSAL_TOPICS"]);
    expect(configSchema.safeParse({ ...env, REFUSAL_TOPICS: DECISIONS }).success).toBe(false);
    expect(configSchema.safeParse({ ...env, REFUSAL_WINDOW_MS: "10" }).error?.issues.map((i) => i.path.join("."))).toEqual(["REFUSAL_WINDOW_MS"]);
  });
});

describe("ACCESS_TOPICS", () => {
  const env = { AUDIT_OVERSIGHT_TOKENS_FILE: "/t.json" };

  it("defaults to the briefing's access topic, and takes a comma list (or none)", () => {
    expect(configSchema.parse(env).ACCESS_TOPICS).toEqual([BRIEFING_ACCESS]);
    expect(configSchema.parse({ ...env, ACCESS_TOPICS: " a.access.v1, b.access.v1 ," }).ACCESS_TOPICS).toEqual(["a.access.v1", "b.access.v1"]);
    expect(configSchema.parse({ ...env, ACCESS_TOPICS: "" }).ACCESS_TOPICS).toEqual([]);
  });

  it("refuses a topic that is read in another role", () => {
    const asDecisions = configSchema.safeParse({ ...env, ACCESS_TOPICS: `${BRIEFING_ACCESS},${DECISIONS}` });
    expect(asDecisions.success).toBe(false);
    expect(asDecisions.error?.issues.map((i) => i.path.join("."))).toEqual(["ACCESS_TOPICS"]);
    expect(configSchema.safeParse({ ...env, ACCESS_TOPICS: "takitini.intel.police.v1" }).success).toBe(false);
    expect(configSchema.safeParse({ ...env, ACCESS_TOPICS: "not a topic" }).success).toBe(false);
  });
});

describe("the ingest", () => {
  it("subscribes to the access topics, and dead-letters and counts a decision there", async () => {
    const k = fakeKafka();
    const metrics = createMetricsRegistry("audit-test");
    const ingest = new LedgerIngest(k.kafka, {} as Ledger, {
      auditTopic: DECISIONS,
      accessTopics: [BRIEFING_ACCESS],
      refusalTopics: [REFUSALS],
      intelTopics: ["takitini.intel.police.v1"],
      deadLetterTopic: "takitini.deadletter.v1",
      groupId: "takitini-audit-ledger",
      logger: createLogger("audit-test", "silent"),
      metrics,
      maxPerTransaction: 500,
    });
    await ingest.start();
    expect(k.subscribed).toEqual([DECISIONS, BRIEFING_ACCESS, REFUSALS, "takitini.intel.police.v1"]);

    await k.batch(BRIEFING_ACCESS, 1, [decisionMessage(decision(EVENT, "customs", true), {}, "41") as KafkaMessage]);
    expect(k.deadLettered).toEqual([
      expect.objectContaining({ key: `${BRIEFING_ACCESS}/1/41`, headers: expect.objectContaining({ "dlq-reason": `PROVENANCE_MISMATCH: decision record on access topic ${BRIEFING_ACCESS}`, "dlq-source-topic": BRIEFING_ACCESS }) }),
    ]);
    expect(k.committed).toEqual([{ topic: BRIEFING_ACCESS, partition: 1, offset: "42" }]);
    const counted = await metrics.getSingleMetric("audit_provenance_mismatches_total")!.get();
    expect(counted.values.map((v) => [v.labels.topic, v.value])).toEqual([
      [BRIEFING_ACCESS, 1],
      [REFUSALS, 0],
    ]);
    const dead = await metrics.getSingleMetric("audit_dead_letters_total")!.get();
    expect(dead.values.map((v) => [v.labels.reason, v.value])).toEqual([["PROVENANCE_MISMATCH", 1]]);
  });
});

/** Just enough of kafkajs for the ingest: what it subscribes to, dead-letters and commits, and a way to hand it a batch. */
function fakeKafka() {
  const subscribed: string[] = [];
  const deadLettered: { key: string; headers: Record<string, string> }[] = [];
  const committed: { topic: string; partition: number; offset: string }[] = [];
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  const ok = async () => undefined;
  const kafka = {
    consumer: () => ({
      events: { GROUP_JOIN: "consumer.group_join", CRASH: "consumer.crash" },
      on: () => undefined,
      connect: ok,
      disconnect: ok,
      subscribe: async (s: { topics: string[] }) => void subscribed.push(...s.topics),
      run: async (r: { eachBatch: typeof eachBatch }) => void (eachBatch = r.eachBatch),
      commitOffsets: async (o: typeof committed) => void committed.push(...o),
    }),
    producer: () => ({
      connect: ok,
      disconnect: ok,
      send: async (r: { messages: { key: string; headers: Record<string, string> }[] }) => void deadLettered.push(...r.messages),
    }),
  };
  return {
    kafka: kafka as unknown as Kafka,
    subscribed,
    deadLettered,
    committed,
    batch: (topic: string, partition: number, messages: KafkaMessage[]) =>
      eachBatch!({ batch: { topic, partition, messages }, resolveOffset: () => undefined, heartbeat: ok, isRunning: () => true, isStale: () => false } as unknown as EachBatchPayload),
  };
}
