/**
 * What the exchange does with a transaction that fails, and with one whose writer
 * is closed under it (the consumer replaced), over fake kafkajs clients: no abort
 * on the failed producer's epoch (a late produce request would land after its
 * markers and hang the partition), the writer replaced at once (its
 * initialisation aborts with a bumped epoch), and a closed writer never commits.
 */
import { MemoryRecords } from "./records.fixture.js";
import type { SharingPolicy, Subscriber } from "@takitini/policies";
import { Agency, IntelligenceEvent } from "@takitini/proto";
import { createLogger, Registry } from "@takitini/runtime";
import type { EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { fullEvent, intelTopic } from "./events.fixture.js";
import { fakeConsumer } from "./kafka.fixture.js";
import { Exchange, WriterClosedError } from "./exchange.js";

const TOPIC = intelTopic(Agency.AGENCY_POLICE);
const SUBSCRIBERS = [{ id: "customs", tier: "partner_agency", delivery_topic: "t.customs" }] as Subscriber[];

interface FakeTxn {
  /** What happened to this transaction, in order. */
  steps: string[];
}

/** Fake clients: each producer's transactions record their steps; `sendBatch` runs `onSend` (to fail or to hold). */
function fakes(onSend: (txnIndex: number) => Promise<void>) {
  const producers: { transactions: FakeTxn[]; disconnected: boolean; options: unknown }[] = [];
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  let sends = 0;
  const kafka = {
    consumer: () => fakeConsumer((run) => (eachBatch = run)),
    admin: () => ({ connect: async () => undefined, disconnect: async () => undefined, fetchOffsets: async () => [] }),
    producer: (options: unknown) => {
      const p = { transactions: [] as FakeTxn[], disconnected: false, options };
      producers.push(p);
      return {
        connect: async () => undefined,
        disconnect: async () => void (p.disconnected = true),
        transaction: async () => {
          const txn: FakeTxn = { steps: [] };
          p.transactions.push(txn);
          return {
            sendBatch: async () => {
              txn.steps.push("send");
              await onSend(sends++);
            },
            sendOffsets: async () => void txn.steps.push("offsets"),
            commit: async () => void txn.steps.push("commit"),
            abort: async () => void txn.steps.push("abort"),
          };
        },
      };
    },
  } as unknown as Kafka;
  const policy = {
    revision: "rev",
    subscribers: () => SUBSCRIBERS,
    decide: () => ({ allow: true, view: "full", redact: [], reasons: ["sharing.x"], legal_basis: "b", policy_revision: "rev" }),
  } as unknown as SharingPolicy;
  const metrics = new Registry();
  const exchange = new Exchange({
    kafka,
    policy: { current: () => policy },
    logger: createLogger("exchange-test", "silent"),
    metrics,
    intelTopics: [TOPIC],
    auditTopic: "t.audit",
    deadLetterTopic: "t.dlq",
    groupId: "g",
    instanceId: "i",
    maxEventsPerTransaction: 100,
    records: new MemoryRecords(),
    stopTimeoutMs: 200,
  });
  const batch = () => {
    if (!eachBatch) throw new Error("not started");
    const event = fullEvent("police.firearms_seizure");
    const message = { key: Buffer.from(event.id), value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: {}, offset: "0", timestamp: String(Date.now() - 250), attributes: 0, size: 0 } as unknown as KafkaMessage;
    return eachBatch({
      batch: { topic: TOPIC, partition: 0, messages: [message], highWatermark: "1", firstOffset: () => "0" },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
  };
  /** The data transactions (not the empty one each writer's initialisation begins and aborts). */
  const dataTransactions = () => producers.map((p) => p.transactions.filter((t) => t.steps[0] !== "abort"));
  /** `exchange_chunk_phase_seconds`'s observation count and sum for a phase. */
  const phase = async (name: string) => {
    const values = (await metrics.getSingleMetric("exchange_chunk_phase_seconds")!.get()).values;
    const of = (suffix: string) => values.find((v) => v.metricName === `exchange_chunk_phase_seconds_${suffix}` && v.labels.phase === name)?.value ?? 0;
    return { count: of("count"), sum: of("sum") };
  };
  return { exchange, batch, producers, dataTransactions, phase };
}

describe("a failed transaction", () => {
  it("is never aborted on its own epoch: the writer is closed and a new one initialised at once (which aborts it, fenced)", async () => {
    const f = fakes(async () => {
      throw new Error("send failed");
    });
    await f.exchange.start();
    await expect(f.batch()).rejects.toThrow("send failed");
    // The failed producer: initialised (its empty transaction aborted), then one data transaction that was sent and never aborted.
    expect(f.producers[0]!.transactions.map((t) => t.steps)).toEqual([["abort"], ["send"]]);
    expect(f.producers[0]!.disconnected).toBe(true);
    // Its successor is already initialised, before any next batch.
    expect(f.producers).toHaveLength(2);
    expect(f.producers[1]!.transactions.map((t) => t.steps)).toEqual([["abort"]]);
    expect(f.producers[1]!.disconnected).toBe(false);
    await f.exchange.stop();
  });
});

describe("a writer closed under a chunk in flight (the consumer replaced)", () => {
  it("never commits that chunk", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const f = fakes(() => held);
    await f.exchange.start();
    const inFlight = f.batch();
    const outcome = inFlight.then(
      () => "committed",
      (err: unknown) => (err instanceof WriterClosedError ? "refused" : String(err)),
    );
    while (f.dataTransactions()[0]?.length !== 1) await new Promise((r) => setTimeout(r, 5));
    // The exchange stops (as a restart does): the writers are closed while the send is held.
    const stopping = f.exchange.stop();
    await new Promise((r) => setTimeout(r, 20));
    release();
    await stopping;
    expect(await outcome).toBe("refused");
    expect(f.dataTransactions()[0]!.map((t) => t.steps)).toEqual([["send"]]);
  });
});

describe("a committed chunk", () => {
  it("is timed phase by phase (plan, send, offsets, commit, and how old its newest record was when fetched); a failed one is not", async () => {
    const ok = fakes(async () => undefined);
    await ok.exchange.start();
    await ok.batch();
    for (const p of ["plan", "send", "offsets", "commit"]) expect((await ok.phase(p)).count, p).toBe(1);
    // The fixture's record was written 250 ms before it was handled.
    const fetched = await ok.phase("fetched");
    expect(fetched.count).toBe(1);
    expect(fetched.sum).toBeGreaterThanOrEqual(0.25);
    expect(fetched.sum).toBeLessThan(5);
    await ok.exchange.stop();

    const failing = fakes(async () => {
      throw new Error("send failed");
    });
    await failing.exchange.start();
    await expect(failing.batch()).rejects.toThrow("send failed");
    for (const p of ["plan", "send", "offsets", "commit"]) expect((await failing.phase(p)).count, p).toBe(0);
    await failing.exchange.stop();
  });
});
