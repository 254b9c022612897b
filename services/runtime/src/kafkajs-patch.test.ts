import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertKafkajsPatched, KAFKAJS_PATCHED, KafkajsUnpatchedError, kafkajsPatchProblems, kafkajsRoot } from "./kafkajs-patch.js";

/**
 * kafkajs 2.2.4 lets messages of aborted transactions through to read_committed
 * consumers when the broker's list of aborted transactions is not in first-offset
 * order or several begin before one message — the normal case with many
 * transactional writers on one partition, as the exchange has. patches/ fixes its
 * filter (applied by patch-package on npm install); this checks the fix is there.
 */
const require = createRequire(import.meta.url);
const filter = require("kafkajs/src/consumer/filterAbortedMessages.js") as (a: { messages: unknown[]; abortedTransactions: { producerId: string; firstOffset: string }[] }) => { offset: string; isControlRecord?: boolean }[];

const record = (offset: number, producerId: number) => ({ offset: String(offset), key: Buffer.from("k"), batchContext: { producerId: String(producerId), inTransaction: true } });
const marker = (offset: number, producerId: number, commit: boolean) => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, commit ? 1 : 0]),
  isControlRecord: true,
  batchContext: { producerId: String(producerId), inTransaction: true },
});
const visible = (out: { offset: string; isControlRecord?: boolean }[]) => out.filter((m) => !m.isControlRecord).map((m) => Number(m.offset));

describe("kafkajs read_committed filtering (patched)", () => {
  it("drops every message of interleaved aborted transactions listed out of order", () => {
    const messages = [record(10, 1), record(11, 2), record(12, 1), record(13, 2), marker(14, 2, false), marker(15, 1, false), record(16, 3)];
    const out = filter({ messages, abortedTransactions: [{ producerId: "2", firstOffset: "11" }, { producerId: "1", firstOffset: "10" }] });
    expect(visible(out)).toEqual([16]);
  });

  it("keeps a producer's committed transactions around its aborted one", () => {
    const messages = [record(1, 7), marker(2, 7, true), record(3, 7), marker(4, 7, false), record(5, 7), marker(6, 7, true)];
    expect(visible(filter({ messages, abortedTransactions: [{ producerId: "7", firstOffset: "3" }] }))).toEqual([1, 5]);
  });

  it("does not mistake a message keyed like an abort marker for one", () => {
    const lookalike = { ...record(3, 1), key: Buffer.from([0, 0, 0, 0]) };
    const messages = [record(1, 1), lookalike, marker(4, 1, false), record(5, 2)];
    expect(visible(filter({ messages, abortedTransactions: [{ producerId: "1", firstOffset: "1" }] }))).toEqual([5]);
  });
});

/**
 * kafkajs 2.2.4's producer retry tracked progress per broker, not per partition:
 * after a leader moved between attempts it skipped partitions whose new leader had
 * already answered (records lost from a send that resolved, so from a committed
 * transaction) and re-sent partitions already written to a new leader that had not
 * (new sequence numbers: duplicates the broker cannot recognise). And it rejected
 * while produce requests of the failed attempt were still on their way. The patched
 * sendMessages sends each partition until its leader acknowledges it, exactly once.
 * Below: a fake cluster whose partitions' leaders move between attempts and whose
 * brokers deduplicate by sequence number like Kafka's.
 */
type Message = { key: string; value: string; partition: number };
type PartitionData = { partition: number; firstSequence: number; messages: Message[] };
type Produce = { topicData: { topic: string; partitions: PartitionData[] }[] };
const sendMessagesOf = require("kafkajs/src/producer/sendMessages.js") as (deps: unknown) => (req: { acks: number; timeout: number; topicMessages: { topic: string; messages: Message[] }[] }) => Promise<{ topicName: string; partition: number }[]>;
const createRetry = require("kafkajs/src/retry/index.js") as (o: object) => (fn: (bail: (e: Error) => void, n: number) => Promise<unknown>) => Promise<unknown>;
const { createErrorFromCode } = require("kafkajs/src/protocol/error.js") as { createErrorFromCode: (code: number) => Error };

function fakeCluster(leaders: Record<number, number>) {
  /** What each partition's log holds: batches by first sequence (a broker's idempotence: a batch seen before is not appended again). */
  const log = new Map<number, { firstSequence: number; keys: string[] }[]>();
  const sequences = new Map<number, number>();
  let inFlight = 0;
  const failures: ((nodeId: number, req: Produce) => Promise<void> | void)[] = [];
  // Broker objects by node id; a disconnect (the exchange closing a writer mid-send) drops them and a reconnect makes new ones, as kafkajs's broker pool does.
  let brokers = new Map<number, { nodeId: number; produce: (r: Produce) => Promise<unknown> }>();
  const brokerOf = (nodeId: number) => {
    if (!brokers.has(nodeId)) {
      brokers.set(nodeId, {
        nodeId,
        produce: async (req: Produce) => {
          inFlight += 1;
          try {
            await new Promise((r) => setTimeout(r, 5));
            for (const f of failures.splice(0, 1)) await f(nodeId, req);
            for (const { partitions } of req.topicData) {
              for (const p of partitions) if (leaders[p.partition] !== nodeId) throw createErrorFromCode(6);
              for (const p of partitions) {
                const batches = log.get(p.partition) ?? [];
                if (!batches.some((b) => b.firstSequence === p.firstSequence)) batches.push({ firstSequence: p.firstSequence, keys: p.messages.map((m) => m.key) });
                log.set(p.partition, batches);
              }
            }
            return { topics: req.topicData.map(({ topic, partitions }) => ({ topicName: topic, partitions: partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: "0" })) })) };
          } finally {
            inFlight -= 1;
          }
        },
      });
    }
    return brokers.get(nodeId)!;
  };
  const cluster = {
    targetTopics: new Set<string>(),
    refreshMetadataIfNecessary: async () => undefined,
    refreshMetadata: async () => undefined,
    addMultipleTargetTopics: async () => undefined,
    isConnected: () => true,
    connect: async () => undefined,
    removeBroker: () => undefined,
    findTopicPartitionMetadata: () => Object.entries(leaders).map(([p, leader]) => ({ partitionId: Number(p), leader })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const out: Record<number, number[]> = {};
      for (const p of partitions) (out[leaders[Number(p)]!] ??= []).push(Number(p));
      return out;
    },
    findBroker: async ({ nodeId }: { nodeId: string }) => brokerOf(Number(nodeId)),
  };
  const eosManager = {
    isTransactional: () => false,
    acquireBrokerLock: async () => undefined,
    releaseBrokerLock: async () => undefined,
    getProducerId: () => 1,
    getProducerEpoch: () => 0,
    getSequence: (_t: string, p: number) => sequences.get(p) ?? 0,
    updateSequence: (_t: string, p: number, n: number) => sequences.set(p, (sequences.get(p) ?? 0) + n),
  };
  const logger = { debug: () => undefined, error: () => undefined, info: () => undefined, warn: () => undefined };
  const send = sendMessagesOf({ logger, cluster, eosManager, partitioner: ({ message }: { message: Message }) => message.partition, retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }) });
  const messages = Object.keys(leaders).map((p) => ({ key: `k${p}`, value: "v", partition: Number(p) }));
  return {
    send: () => send({ acks: -1, timeout: 1000, topicMessages: [{ topic: "t", messages }] }),
    written: (p: number) => (log.get(p) ?? []).flatMap((b) => b.keys),
    failNext: (f: (nodeId: number, req: Produce) => Promise<void> | void) => failures.push(f),
    inFlight: () => inFlight,
    disconnect: () => {
      brokers = new Map();
    },
    leaders,
  };
}

describe("kafkajs producer retry after a leader moved (patched)", () => {
  it("writes a partition whose new leader had already answered (stock kafkajs dropped it)", async () => {
    const c = fakeCluster({ 0: 1, 1: 2 });
    // Node 1 answers first; node 2 is told it no longer leads partition 1, which moved to node 1.
    c.failNext(() => undefined);
    c.failNext((nodeId) => {
      if (nodeId === 2) c.leaders[1] = 1;
    });
    await c.send();
    expect([c.written(0), c.written(1)]).toEqual([["k0"], ["k1"]]);
  });

  it("does not re-send a partition already written when it moves to a leader that had not answered (stock kafkajs duplicated it)", async () => {
    const c = fakeCluster({ 0: 1, 1: 2 });
    c.failNext(() => undefined); // node 1 writes partition 0
    c.failNext(() => {
      // node 2 fails; meanwhile both partitions move to node 3
      c.leaders[0] = 3;
      c.leaders[1] = 3;
      throw createErrorFromCode(6);
    });
    await c.send();
    expect([c.written(0), c.written(1)]).toEqual([["k0"], ["k1"]]);
  });

  it("does not re-send a partition already written when the producer was disconnected and reconnected mid-send (stock kafkajs duplicated every one)", async () => {
    const c = fakeCluster({ 0: 1, 1: 2 });
    c.failNext(() => undefined); // node 1 writes partition 0
    c.failNext(() => {
      c.disconnect();
      throw Object.assign(new Error("Closed connection"), { name: "KafkaJSConnectionClosedError", retriable: true });
    });
    await c.send();
    expect([c.written(0), c.written(1)]).toEqual([["k0"], ["k1"]]);
  });

  it("has no produce request on its way when the send rejects", async () => {
    const c = fakeCluster({ 0: 1, 1: 2 });
    c.failNext(() => {
      throw Object.assign(new Error("refused"), { name: "KafkaJSNonRetriableError", retriable: false });
    });
    c.failNext(() => new Promise((r) => setTimeout(r, 50)));
    await expect(c.send()).rejects.toThrow("refused");
    expect(c.inFlight()).toBe(0);
  });
});

describe("the start-up check that the patched kafkajs is the one loaded", () => {
  const root = kafkajsRoot();
  const installed = (path: string) => readFileSync(path);

  it("finds the installed kafkajs patched (npm install applied patches/kafkajs+2.2.4.patch)", () => {
    expect(kafkajsPatchProblems(root)).toEqual([]);
    expect(() => assertKafkajsPatched(root)).not.toThrow();
  });

  it("refuses kafkajs whose read_committed filter is not the patched one, naming the file", () => {
    const filterFile = join(root, "src/consumer/filterAbortedMessages.js");
    const unpatched = (path: string) => (path === filterFile ? Buffer.concat([installed(path), Buffer.from("\n")]) : installed(path));
    expect(kafkajsPatchProblems(root, unpatched)).toEqual(["src/consumer/filterAbortedMessages.js is not the patched file"]);
  });

  it("refuses another kafkajs version and a missing file", () => {
    const other = (path: string) => (path.endsWith("package.json") ? Buffer.from(JSON.stringify({ version: "2.2.5" })) : installed(path));
    expect(kafkajsPatchProblems(root, other)).toEqual(["version 2.2.5, expected 2.2.4"]);
    const missing = (path: string) => {
      if (path.endsWith("sendMessages.js")) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      return installed(path);
    };
    expect(kafkajsPatchProblems(root, missing)).toEqual(["src/producer/sendMessages.js missing"]);
  });

  it("stops a service at start with KAFKAJS_UNPATCHED when the patch is not in place", () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkajs-unpatched-"));
    try {
      writeFileSync(join(dir, "package.json"), JSON.stringify({ version: "2.2.4" }));
      const err = (() => {
        try {
          assertKafkajsPatched(dir);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(KafkajsUnpatchedError);
      expect((err as KafkajsUnpatchedError).code).toBe("KAFKAJS_UNPATCHED");
      expect((err as KafkajsUnpatchedError).problems).toEqual(Object.keys(KAFKAJS_PATCHED.files).map((f) => `${f} missing`));
      expect((err as KafkajsUnpatchedError).problems).toEqual(expect.arrayContaining(["src/consumer/filterAbortedMessages.js missing", "src/producer/sendMessages.js missing", "src/protocol/requests/txnOffsetCommit/v3/request.js missing", "src/protocol/requests/offsetFetch/v7/request.js missing"]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
