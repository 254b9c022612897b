import { RefusalRecord, RefusalSummary } from "@takitini/proto";
import fc from "fast-check";
import type { Kafka, Producer, ProducerRecord } from "kafkajs";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { createMetricsRegistry } from "./metrics.js";
import { REFUSAL_EVENT_TYPES, RefusalReporter, RefusalSummarizer, refusalRecord } from "./refusal-reporter.js";
import { OVERFLOW, RefusalWindows, UNMATCHED_ROUTE, type RefusalNote } from "./refusals.js";

const T0 = new Date("2026-11-19T09:40:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const silent = createLogger("t", "silent");
let n = 0;
const ids = () => `id-${++n}`;

describe("RefusalWindows", () => {
  it("counts refusals per door, code and route, with the distinct addresses, and summarises the window once it has lasted its length", () => {
    const w = new RefusalWindows({ service: "audit", windowMs: 60_000 }, T0);
    w.note({ door: "http", code: "OVERSIGHT_CREDENTIAL_REQUIRED", route: "/v1/records", address: "203.0.113.5" });
    w.note({ door: "http", code: "OVERSIGHT_CREDENTIAL_REQUIRED", route: "/v1/records", address: "203.0.113.5" });
    w.note({ door: "http", code: "OVERSIGHT_CREDENTIAL_REQUIRED", route: "/v1/records", address: "::ffff:203.0.113.6" });
    w.note({ door: "http", code: "SIGN_IN_THROTTLED", route: UNMATCHED_ROUTE, address: "2001:db8:1:2::1" });
    w.note({ door: "http", code: "SIGN_IN_THROTTLED", route: UNMATCHED_ROUTE, address: "2001:db8:1:2::ffff" });
    expect(w.pending).toBe(5);
    // Not yet: the window stays open.
    expect(w.drain(at(59_999))).toEqual([]);
    const out = w.drain(at(61_000), { newId: ids });
    expect(out).toEqual([
      RefusalSummary.fromPartial({ id: expect.any(String) as unknown as string, service: "audit", door: "http", code: "OVERSIGHT_CREDENTIAL_REQUIRED", route: "/v1/records", windowStart: T0, windowEnd: at(61_000), count: 3, distinctAddresses: 2, distinctAddressesCapped: false }),
      // One IPv6 /64 is one address.
      RefusalSummary.fromPartial({ id: expect.any(String) as unknown as string, service: "audit", door: "http", code: "SIGN_IN_THROTTLED", route: "unmatched", windowStart: T0, windowEnd: at(61_000), count: 2, distinctAddresses: 1, distinctAddressesCapped: false }),
    ]);
    expect(new Set(out.map((s) => s.id)).size).toBe(2);
    // The next window opens where that one closed; a quiet window summarises nothing.
    expect(w.pending).toBe(0);
    expect(w.openedAt).toEqual(at(61_000));
    expect(w.drain(at(200_000))).toEqual([]);
  });

  it("closes the open window at once when forced (a flush at shutdown)", () => {
    const w = new RefusalWindows({ service: "briefing", windowMs: 60_000 }, T0);
    w.note({ door: "http", code: "UNAUTHENTICATED", route: "/v1/briefings/:region", address: "198.51.100.1" });
    expect(w.drain(at(5), { force: true })).toEqual([expect.objectContaining({ count: 1, windowStart: T0, windowEnd: at(5) })]);
  });

  it("counts refusals beyond the key bound under the fixed overflow key", () => {
    const w = new RefusalWindows({ service: "audit", windowMs: 1000, maxKeys: 2 }, T0);
    for (const route of ["/a", "/b", "/c", "/d", "/a"]) w.note({ door: "http", code: "X", route, address: "192.0.2.1" });
    const out = w.drain(at(1000));
    expect(out.map((s) => [s.route, s.count])).toEqual([
      ["/a", 2],
      ["/b", 1],
      [OVERFLOW.route, 2],
    ]);
    expect(out[2]).toMatchObject({ door: OVERFLOW.door, code: OVERFLOW.code });
  });

  it("remembers a bounded number of addresses, and says when the count is a lower bound", () => {
    const w = new RefusalWindows({ service: "audit", windowMs: 1000, maxAddresses: 3 }, T0);
    for (let i = 0; i < 10; i++) w.note({ door: "grpc", code: "X", route: "/svc/M", address: `192.0.2.${i}` });
    expect(w.drain(at(1000))[0]).toMatchObject({ count: 10, distinctAddresses: 3, distinctAddressesCapped: true });
  });

  it("never carries the raw values it was given beyond their bounds", () => {
    const w = new RefusalWindows({ service: "audit", windowMs: 1000 }, T0);
    w.note({ door: "d".repeat(100), code: "c".repeat(100), route: "/r".repeat(500), address: "x".repeat(1000) });
    const [s] = w.drain(at(1000));
    expect([s!.door.length, s!.code.length, s!.route.length]).toEqual([32, 64, 200]);
  });

  const note = fc.record({
    door: fc.constantFrom("http", "grpc", "import"),
    code: fc.constantFrom("A", "B", "C", "D"),
    route: fc.oneof(fc.constantFrom("/v1/records", "/v1/records/:id", UNMATCHED_ROUTE), fc.string({ maxLength: 300 })),
    address: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 80 })),
  });
  const step = fc.oneof(
    { weight: 8, arbitrary: note.map((x) => ({ op: "note" as const, note: x })) },
    { weight: 1, arbitrary: fc.nat({ max: 3000 }).map((ms) => ({ op: "drain" as const, ms })) },
  );

  it("for any refusals and drains: every refusal counted exactly once, windows contiguous, keys and addresses within their bounds", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 20 }), (steps, maxKeys, maxAddresses) => {
        const w = new RefusalWindows({ service: "svc", windowMs: 1000, maxKeys, maxAddresses }, T0);
        let clock = T0.getTime();
        let noted = 0;
        const summaries: RefusalSummary[] = [];
        for (const s of steps) {
          if (s.op === "note") {
            w.note(s.note);
            noted += 1;
          } else {
            clock += s.ms;
            summaries.push(...w.drain(new Date(clock)));
          }
        }
        summaries.push(...w.drain(new Date(clock + 1000), { force: true }));
        expect(summaries.reduce((a, s) => a + s.count, 0)).toBe(noted);
        // Per window: at most maxKeys keys plus the overflow key, addresses at most maxAddresses in all.
        const byWindow = new Map<number, RefusalSummary[]>();
        for (const s of summaries) byWindow.set(s.windowStart!.getTime(), [...(byWindow.get(s.windowStart!.getTime()) ?? []), s]);
        for (const list of byWindow.values()) {
          expect(list.filter((s) => s.route !== OVERFLOW.route || s.door !== OVERFLOW.door).length).toBeLessThanOrEqual(maxKeys);
          expect(list.reduce((a, s) => a + s.distinctAddresses, 0)).toBeLessThanOrEqual(maxAddresses);
          for (const s of list) {
            expect(s.count).toBeGreaterThan(0);
            expect(s.distinctAddresses).toBeLessThanOrEqual(s.count);
            expect(s.windowEnd!.getTime() - s.windowStart!.getTime()).toBeGreaterThanOrEqual(0);
          }
        }
        // Contiguous: each window starts where the previous one ended.
        const windows = [...byWindow.values()].map((l) => [l[0]!.windowStart!.getTime(), l[0]!.windowEnd!.getTime()] as const).sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < windows.length; i++) expect(windows[i]![0]).toBeGreaterThanOrEqual(windows[i - 1]![1]);
        // No address is ever emitted.
        const text = JSON.stringify(summaries.map((s) => RefusalSummary.toJSON(s)));
        for (const st of steps) if (st.op === "note" && st.note.address.length > 6 && !["http", "grpc", "import", "svc"].some((k) => k.includes(st.note.address))) expect(text.includes(`"${st.note.address}"`)).toBe(false);
      }),
    );
  });
});

describe("RefusalSummarizer", () => {
  it("hands each closed window to its sink, and keeps the summaries for the next tick when the sink fails", async () => {
    let clock = T0.getTime();
    const delivered: RefusalSummary[][] = [];
    let failing = true;
    const s = new RefusalSummarizer({
      service: "audit",
      windowMs: 1000,
      logger: silent,
      now: () => new Date(clock),
      sink: async (batch) => {
        if (failing) throw new Error("database away");
        delivered.push(batch);
      },
    });
    s.note({ door: "http", code: "X", route: "/r", address: "192.0.2.1" });
    expect(await s.tick()).toBe(0);
    clock += 1000;
    expect(await s.tick()).toBe(0);
    expect(s.heldCount).toBe(1);
    s.note({ door: "http", code: "X", route: "/r", address: "192.0.2.1" });
    failing = false;
    clock += 1000;
    expect(await s.tick()).toBe(2);
    expect(delivered[0]!.map((x) => x.count)).toEqual([1, 1]);
    expect(s.heldCount).toBe(0);
  });

  it("drops the oldest held summaries beyond its bound, and says how many", async () => {
    let dropped = 0;
    const s = new RefusalSummarizer({ service: "a", windowMs: 1000, logger: silent, maxHeld: 2, onDropped: (k) => (dropped += k), sink: () => Promise.reject(new Error("no")) });
    for (let i = 0; i < 3; i++) {
      for (const route of ["/a", "/b"]) s.note({ door: "http", code: "X", route, address: "192.0.2.1" });
      await s.flush();
    }
    expect(s.heldCount).toBe(2);
    expect(dropped).toBe(4);
  });
});

/** A kafkajs stand-in whose producer records what it is sent, and fails while `down`. */
function fakeKafka() {
  const sent: ProducerRecord[] = [];
  const state = { down: false, connects: 0 };
  const producer = {
    connect: async () => {
      state.connects += 1;
      if (state.down) throw Object.assign(new Error("Connection error: ECONNREFUSED"), { name: "KafkaJSConnectionError" });
    },
    send: async (r: ProducerRecord) => {
      if (state.down) throw Object.assign(new Error("broker away"), { name: "KafkaJSNumberOfRetriesExceeded" });
      sent.push(r);
      return [];
    },
    disconnect: async () => undefined,
  } as unknown as Producer;
  const opts: unknown[] = [];
  const kafka = { producer: (o: unknown) => (opts.push(o), producer) } as unknown as Pick<Kafka, "producer">;
  return { kafka, sent, state, opts };
}

function logs() {
  const lines: string[] = [];
  return { lines, logger: createLogger("t", "info", new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) })) };
}

describe("RefusalReporter (Kafka stand-in; the real broker is test/e2e/refusals.test.ts)", () => {
  it("writes one RefusalRecord per refusal with an idempotent producer, keyed by its id, field paths and no values", async () => {
    const { kafka, sent, opts } = fakeKafka();
    const r = new RefusalReporter(kafka, { topic: "refusals", service: "police-adapter", logger: silent, metrics: createMetricsRegistry("t"), now: () => T0 }).start();
    const id = r.refused({ door: "http", code: "MARKING_BELOW_FLOOR", principal: "spiffe://takitini.local/publisher/police/nia", recordType: "police.firearms_seizure", route: "/v1/records/:recordType", fieldPaths: ["caveats", "caveats", "classification"], status: 400 });
    expect(await r.flush()).toBe(true);
    expect(opts[0]).toMatchObject({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ topic: "refusals", acks: -1 });
    const m = sent[0]!.messages[0]!;
    expect(m.key).toBe(id);
    expect(m.headers).toMatchObject({ "event-type": REFUSAL_EVENT_TYPES.REFUSAL, "schema-version": "takitini.audit.v1" });
    expect(RefusalRecord.decode(m.value as Buffer)).toMatchObject({ id, service: "police-adapter", door: "http", code: "MARKING_BELOW_FLOOR", fieldPaths: ["caveats", "classification"], status: 400, occurredAt: T0 });
    await r.close();
  });

  it("publishes the window's summary on close, and counts unauthenticated refusals without a message each", async () => {
    const { kafka, sent } = fakeKafka();
    const metrics = createMetricsRegistry("t");
    const r = new RefusalReporter(kafka, { topic: "refusals", service: "briefing", windowMs: 60_000, logger: silent, metrics }).start();
    for (let i = 0; i < 50; i++) r.unauthenticated({ door: "http", code: "UNAUTHENTICATED", route: "/v1/briefings/:region", address: `192.0.2.${i % 5}` });
    await new Promise((res) => setTimeout(res, 50));
    expect(sent).toHaveLength(0);
    await r.close();
    const messages = sent.flatMap((s) => s.messages);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.headers).toMatchObject({ "event-type": REFUSAL_EVENT_TYPES.SUMMARY });
    expect(RefusalSummary.decode(messages[0]!.value as Buffer)).toMatchObject({ service: "briefing", code: "UNAUTHENTICATED", route: "/v1/briefings/:region", count: 50, distinctAddresses: 5 });
    expect(await metrics.metrics()).toMatch(/refusals_unauthenticated_total\{service="t"\} 50/);
  });

  it("never blocks or throws while Kafka is down: a bounded queue, the excess dropped and counted, the log without personal information, sent once Kafka is back", async () => {
    const { kafka, sent, state } = fakeKafka();
    state.down = true;
    const metrics = createMetricsRegistry("t");
    const { lines, logger } = logs();
    const r = new RefusalReporter(kafka, { topic: "refusals", service: "customs-adapter", queueMax: 10, logger, metrics, closeTimeoutMs: 3000 }).start();
    const started = Date.now();
    for (let i = 0; i < 25; i++) r.refused({ door: "grpc", code: "PUBLISHER_NOT_AUTHORISED", principal: `spiffe://takitini.local/publisher/police/rogue-${i}`, fieldPaths: ["x"] });
    expect(Date.now() - started).toBeLessThan(200);
    expect(r.queued).toBe(10);
    await new Promise((res) => setTimeout(res, 100));
    expect(await metrics.metrics()).toMatch(/refusals_dropped_total\{kind="refusal",reason="queue_full",service="t"\} 15/);
    const warned = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l["code"] === "REFUSALS_NOT_SENT");
    expect(warned).toMatchObject({ topic: "refusals", queued: 10 });
    expect(lines.join("\n")).not.toContain("spiffe://");
    state.down = false;
    expect(await r.flush()).toBe(true);
    expect(sent.flatMap((s) => s.messages)).toHaveLength(10);
    expect(await metrics.metrics()).toMatch(/refusals_reported_total\{kind="refusal",service="t"\} 10/);
    await r.close();
  });

  it("counts what it could not send before shutdown as dropped, and closes within its bound", async () => {
    const { kafka, state } = fakeKafka();
    state.down = true;
    const metrics = createMetricsRegistry("t");
    const r = new RefusalReporter(kafka, { topic: "refusals", service: "msd-adapter", logger: silent, metrics, closeTimeoutMs: 200 }).start();
    r.refused({ door: "import", code: "CONFLICT" });
    r.unauthenticated({ door: "http", code: "PUBLISHER_CERTIFICATE_REQUIRED", route: "/v1/records/:recordType", address: "192.0.2.9" });
    const started = Date.now();
    await r.close();
    expect(Date.now() - started).toBeLessThan(3000);
    const text = await metrics.metrics();
    expect(text).toMatch(/refusals_dropped_total\{kind="refusal",reason="shutdown",service="t"\} 1/);
    expect(text).toMatch(/refusals_dropped_total\{kind="summary",reason="shutdown",service="t"\} 1/);
  });

  it("bounds what a refusal record carries", () => {
    const rec = refusalRecord("svc", { door: "http", code: "X", fieldPaths: Array.from({ length: 500 }, (_, i) => `f${i}`), principal: "p".repeat(1000), id: "" }, T0, () => "fresh");
    expect(rec.fieldPaths).toHaveLength(100);
    expect(rec.principal).toHaveLength(300);
    expect(rec.id).toBe("fresh");
  });
});
