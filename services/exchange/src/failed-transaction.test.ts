/**
 * What the exchange does with a transaction that fails, and with one whose writer
 * is closed under it (the consumer replaced), over fake kafkajs clients: no abort
 * on the failed producer's epoch (a late produce request would land after its
 * markers and hang the partition), the writer replaced at once (its
 * initialisation aborts with a bumped epoch), and a closed writer never commits.
 * And group commit: chunks of several partitions that wait while a transaction is
 * in flight go in the next one together, their offsets committed with the
 * member's generation (KIP-447); a chunk of an ended generation never commits.
 */
import { MemoryRecords } from "./records.fixture.js";
import type { SharingPolicy, Subscriber } from "@takitini/policies";
import { Agency, IntelligenceEvent } from "@takitini/proto";
import { createLogger, Registry } from "@takitini/runtime";
import type { EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import { fullEvent, intelTopic } from "./events.fixture.js";
import { FAKE_MEMBER, fakeConsumer } from "./kafka.fixture.js";
import { Exchange, WriterClosedError } from "./exchange.js";

const TOPIC = intelTopic(Agency.AGENCY_POLICE);
const SUBSCRIBERS = [{ id: "customs", tier: "partner_agency", delivery_topic: "t.customs" }] as Subscriber[];

interface FakeTxn {
  /** What happened to this transaction, in order. */
  steps: string[];
  /** What each sendOffsets was given. */
  offsets: unknown[];
}

/** Fake clients: each producer's transactions record their steps; `sendBatch` runs `onSend` (to fail or to hold). */
function fakes(onSend: (txnIndex: number) => Promise<void>) {
  const producers: { transactions: FakeTxn[]; disconnected: boolean; options: unknown }[] = [];
  const offsetReads: unknown[] = [];
  let eachBatch: ((p: EachBatchPayload) => Promise<void>) | undefined;
  let sends = 0;
  const kafka = {
    consumer: () => fakeConsumer((run) => (eachBatch = run), { [TOPIC]: [0, 1, 2] }),
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchOffsets: async (args: unknown) => {
        offsetReads.push(args);
        return [];
      },
    }),
    producer: (options: unknown) => {
      const p = { transactions: [] as FakeTxn[], disconnected: false, options };
      producers.push(p);
      return {
        connect: async () => undefined,
        disconnect: async () => void (p.disconnected = true),
        transaction: async () => {
          const txn: FakeTxn = { steps: [], offsets: [] };
          p.transactions.push(txn);
          return {
            sendBatch: async () => {
              txn.steps.push("send");
              await onSend(sends++);
            },
            sendOffsets: async (args: unknown) => {
              txn.steps.push("offsets");
              txn.offsets.push(args);
            },
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
  /** One batch of one record at `offset` of `partition`, handled as kafkajs would hand it over. */
  const batch = (partition = 0, offset = 0) => {
    if (!eachBatch) throw new Error("not started");
    const event = fullEvent("police.firearms_seizure");
    const message = { key: Buffer.from(event.id), value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: {}, offset: String(offset), timestamp: String(Date.now() - 250), attributes: 0, size: 0 } as unknown as KafkaMessage;
    return eachBatch({
      batch: { topic: TOPIC, partition, messages: [message], highWatermark: String(offset + 1), firstOffset: () => String(offset) },
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
  return { exchange, batch, producers, dataTransactions, phase, offsetReads, metrics };
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

/** The exchange's private queue of planned chunks, to wait until chunks are waiting behind a transaction in flight. */
const waitingChunks = (exchange: Exchange) => (exchange as unknown as { pending: unknown[] }).pending.length;
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error("timed out");
};

describe("group commit (KIP-447)", () => {
  it("commits the chunks of several partitions that waited behind a transaction in one transaction, with every partition's offset and the member's generation, on the instance's one writer", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const f = fakes((n) => (n === 0 ? held : Promise.resolve()));
    await f.exchange.start();
    const first = f.batch(0, 4);
    await until(() => f.dataTransactions()[0]?.length === 1);
    const others = [f.batch(1, 9), f.batch(2, 0)];
    await until(() => waitingChunks(f.exchange) === 2);
    release();
    await Promise.all([first, ...others]);

    expect(f.producers).toHaveLength(1);
    expect(f.producers[0]!.options).toMatchObject({ transactionalId: "takitini-exchange.g.i", idempotent: true, maxInFlightRequests: 1 });
    const [one, two] = f.dataTransactions()[0]!;
    expect(one!.steps).toEqual(["send", "offsets", "commit"]);
    expect(one!.offsets).toEqual([{ consumerGroupId: "g", topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: "5" }] }], consumerGroupMetadata: FAKE_MEMBER }]);
    // The two waiting chunks: one send (both fit in one group), one offset commit naming both partitions, one commit.
    expect(two!.steps).toEqual(["send", "offsets", "commit"]);
    expect(two!.offsets).toEqual([
      {
        consumerGroupId: "g",
        topics: [{ topic: TOPIC, partitions: [{ partition: 1, offset: "10" }, { partition: 2, offset: "1" }] }],
        consumerGroupMetadata: FAKE_MEMBER,
      },
    ]);
    expect(f.dataTransactions()[0]).toHaveLength(2);
    // Each partition's committed offset was read stable (waiting for another member's open transaction).
    expect(f.offsetReads).toHaveLength(3);
    for (const read of f.offsetReads) expect(read).toEqual({ groupId: "g", topics: [TOPIC], requireStable: true });
    const chunks = (await f.metrics.getSingleMetric("exchange_transaction_chunks")!.get()).values;
    expect(chunks.find((v) => v.metricName === "exchange_transaction_chunks_count")?.value).toBe(2);
    expect(chunks.find((v) => v.metricName === "exchange_transaction_chunks_sum")?.value).toBe(3);
    await f.exchange.stop();
  });

  it("never commits a chunk planned in a generation that has ended; the transaction in flight, whose offsets the group took, still commits", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const f = fakes((n) => (n === 0 ? held : Promise.resolve()));
    await f.exchange.start();
    const first = f.batch(0, 0);
    await until(() => f.dataTransactions()[0]?.length === 1);
    const stale = f.batch(1, 0).then(
      () => "committed",
      (err: unknown) => (err instanceof WriterClosedError ? "refused" : String(err)),
    );
    await until(() => waitingChunks(f.exchange) === 1);
    // A rebalance: this member joins the next generation, assigned partition 0 only.
    (f.exchange as unknown as { onJoin(p: unknown): void }).onJoin({ memberId: FAKE_MEMBER.memberId, generationId: FAKE_MEMBER.generationId + 1, memberAssignment: { [TOPIC]: [0] } });
    release();
    await first;
    expect(await stale).toBe("refused");
    expect(f.dataTransactions()[0]!.map((t) => t.steps)).toEqual([["send", "offsets", "commit"]]);
    // The next chunk of a partition still ours reads its offset again, and commits with the new generation.
    await f.batch(0, 1);
    expect(f.offsetReads).toHaveLength(3);
    expect(f.dataTransactions()[0]![1]!.offsets).toEqual([
      { consumerGroupId: "g", topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: "2" }] }], consumerGroupMetadata: { memberId: FAKE_MEMBER.memberId, generationId: FAKE_MEMBER.generationId + 1 } },
    ]);
    await f.exchange.stop();
  });

  it("fails every chunk of a failed transaction, and reads every partition's offset again under the next writer", async () => {
    let fail = true;
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const f = fakes(async (n) => {
      if (n === 0) await held;
      if (n === 1 && fail) throw new Error("send failed");
    });
    await f.exchange.start();
    const first = f.batch(0, 0);
    await until(() => f.dataTransactions()[0]?.length === 1);
    const together = [f.batch(1, 0), f.batch(2, 0)].map((p) => p.then(() => "committed", (err: unknown) => String(err)));
    await until(() => waitingChunks(f.exchange) === 2);
    release();
    await first;
    expect(await Promise.all(together)).toEqual(["Error: send failed", "Error: send failed"]);
    fail = false;
    const readsBefore = f.offsetReads.length;
    await f.batch(1, 0);
    // A new writer, and partition 1's offset read again under it (the failed commit may have landed).
    expect(f.producers).toHaveLength(2);
    expect(f.offsetReads.length).toBe(readsBefore + 1);
    expect(f.dataTransactions()[1]!.map((t) => t.steps)).toEqual([["send", "offsets", "commit"]]);
    await f.exchange.stop();
  });
});
