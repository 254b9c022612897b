import { IntelligenceEvent } from "@takitini/proto";
import { continueTrace, createLogger, eventIdFor } from "@takitini/runtime";
import type { Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { CONTENT_HASH_HEADER, contentFingerprint } from "./content.js";
import { envelope, type AgencyDefaults } from "./fields.js";
import { IdempotentKafkaPublisher } from "./publisher.js";
import { TEST_EVENT_ID_KEY } from "./testing.js";

/*
 * The publisher's idempotency and conflict logic over a fake kafkajs client: one
 * partition, records already on the topic replayed to the index rebuild, sends
 * recorded. (The real broker round trip is the end-to-end suite's.)
 */

const defaults: AgencyDefaults = { classification: "RESTRICTED", caveats: [], legalBasis: { instrument: "Test Act", provision: "s 1", description: "" } };
const event = (ref: string, summary = "seen", at = new Date("2026-11-20T00:00:00Z")): IntelligenceEvent => ({
  ...envelope({ agency: "POLICE", eventType: "police.organised_crime_noting", nativeId: ref, occurredAt: "2026-11-01T00:00:00Z", publishedAt: at, district: "Eastern", defaults, payload: { $case: "policeNoting", value: { groupName: "Mob", activity: "ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY" as never, commodities: [], summary, reportingUnit: "NIC", locality: "" } } }),
  id: eventIdFor(TEST_EVENT_ID_KEY, "POLICE", ref),
});
const trace = continueTrace({});

type Stored = { key: Buffer; value: Buffer | null; headers?: Record<string, Buffer | string> };

function fakeKafka(onTopic: Stored[] = [], opts: { slowSend?: Promise<void> } = {}) {
  const sent: { key: string; headers: Record<string, string> }[][] = [];
  let offset = onTopic.length;
  const handlers = new Map<string, () => void>();
  const kafka = {
    producer: () => ({
      events: { CONNECT: "connect", DISCONNECT: "disconnect" },
      on: (name: string, fn: () => void) => handlers.set(name, fn),
      connect: async () => handlers.get("connect")?.(),
      disconnect: async () => handlers.get("disconnect")?.(),
      send: async ({ messages }: { messages: { key: string; headers: Record<string, string> }[] }) => {
        await opts.slowSend;
        sent.push(messages.map((m) => ({ key: m.key, headers: m.headers })));
        const base = offset;
        offset += messages.length;
        return [{ topicName: "t", partition: 0, errorCode: 0, baseOffset: String(base) }];
      },
    }),
    admin: () => ({
      connect: async () => {},
      disconnect: async () => {},
      fetchTopicOffsets: async () => [{ partition: 0, offset: String(onTopic.length), high: String(onTopic.length), low: "0" }],
      fetchTopicMetadata: async () => ({ topics: [{ name: "t", partitions: [{ partitionId: 0, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }] }] }),
    }),
    consumer: () => ({
      connect: async () => {},
      disconnect: async () => {},
      subscribe: async () => {},
      run: async ({ eachBatch }: { eachBatch: (p: unknown) => Promise<void> }) => {
        const messages = onTopic.map((m, i) => ({ ...m, offset: String(i) }));
        await eachBatch({ batch: { partition: 0, messages, highWatermark: String(onTopic.length), lastOffset: () => String(onTopic.length - 1) } });
      },
    }),
  };
  return { kafka: kafka as unknown as Kafka, sent };
}

async function started(onTopic: Stored[] = [], opts: { contentMemoryBytes?: number; slowSend?: Promise<void> } = {}) {
  const { kafka, sent } = fakeKafka(onTopic, opts);
  const publisher = new IdempotentKafkaPublisher(kafka, "t", 1000, createLogger("t", "silent"), { contentMemoryBytes: opts.contentMemoryBytes ?? 1024 * 1024 });
  await publisher.start(new AbortController().signal);
  return { publisher, sent };
}

const stored = (e: IntelligenceEvent, header?: string): Stored => ({ key: Buffer.from(e.id), value: Buffer.from(IntelligenceEvent.encode(e).finish()), ...(header ? { headers: { [CONTENT_HASH_HEADER]: Buffer.from(header) } } : {}) });

describe("IdempotentKafkaPublisher", () => {
  it("writes each event with its content fingerprint in a header", async () => {
    const { publisher, sent } = await started();
    const e = event("N-1");
    const r = await publisher.publish(e, trace);
    expect(r).toEqual({ eventId: e.id, topic: "t", partition: 0, offset: "0", duplicate: false });
    expect(sent[0]![0]!.headers[CONTENT_HASH_HEADER]).toBe(contentFingerprint(e));
  });

  it("rebuilds its index from the topic: records with the header and without it, and undecodable ones", async () => {
    const withHeader = event("N-1");
    const legacy = event("N-2");
    const garbage: Stored = { key: Buffer.from(event("N-3").id), value: Buffer.from([0xff, 0x01]) };
    const { publisher, sent } = await started([stored(withHeader, contentFingerprint(withHeader)), stored(legacy), garbage]);
    const later = new Date("2026-12-01T00:00:00Z");
    expect(await publisher.publish(event("N-1", "seen", later), trace)).toMatchObject({ duplicate: true, offset: "0" });
    expect(await publisher.publish(event("N-2", "seen", later), trace)).toMatchObject({ duplicate: true, offset: "1" });
    expect(await publisher.publish(event("N-3", "anything"), trace)).toMatchObject({ duplicate: true, offset: "2" });
    expect(await publisher.publish(event("N-2", "changed"), trace)).toMatchObject({ duplicate: true, conflict: { paths: ["payload.policeNoting.summary"] } });
    expect(sent).toEqual([]);
  });

  it("answers a conflict without paths once the previous version is out of memory", async () => {
    const { publisher, sent } = await started([stored(event("N-1"))], { contentMemoryBytes: 0 });
    expect(await publisher.publish(event("N-1", "changed"), trace)).toMatchObject({ duplicate: true, conflict: { paths: null } });
    expect(sent).toEqual([]);
  });

  it("shares one write among concurrent submissions of an id, and finds a conflicting one among them", async () => {
    let release!: () => void;
    const slowSend = new Promise<void>((r) => (release = r));
    const { publisher, sent } = await started([], { slowSend });
    const first = publisher.publish(event("N-1"), trace);
    const same = publisher.publish(event("N-1", "seen", new Date("2026-12-01T00:00:00Z")), trace);
    const other = publisher.publish(event("N-1", "changed"), trace);
    release();
    expect(await first).toMatchObject({ duplicate: false });
    expect(await same).toMatchObject({ duplicate: true, offset: "0" });
    expect(await other).toMatchObject({ duplicate: true, conflict: { paths: ["payload.policeNoting.summary"] } });
    expect(sent.flat()).toHaveLength(1);
  });

  it("publishes a batch once per id: a repeat within it is a duplicate, a changed repeat a conflict", async () => {
    const { publisher, sent } = await started([stored(event("N-0"))]);
    const results = await publisher.publishMany([event("N-1"), event("N-2"), event("N-1"), event("N-2", "changed"), event("N-0"), event("N-0", "changed")].map((e) => ({ event: e, trace })));
    expect(results.map((r) => [r.offset, r.duplicate, r.conflict?.paths ?? null])).toEqual([
      ["1", false, null],
      ["2", false, null],
      ["1", true, null],
      ["2", true, ["payload.policeNoting.summary"]],
      ["0", true, null],
      ["0", true, ["payload.policeNoting.summary"]],
    ]);
    expect(sent.map((batch) => batch.length)).toEqual([2]);
  });

  it("lets a single publish share a batch's write of the same id", async () => {
    let release!: () => void;
    const slowSend = new Promise<void>((r) => (release = r));
    const { publisher, sent } = await started([], { slowSend });
    const batch = publisher.publishMany([{ event: event("N-1"), trace }]);
    const single = publisher.publish(event("N-1", "changed"), trace);
    release();
    expect((await batch)[0]).toMatchObject({ duplicate: false });
    expect(await single).toMatchObject({ duplicate: true, conflict: { paths: ["payload.policeNoting.summary"] } });
    expect(sent.flat()).toHaveLength(1);
  });
});
