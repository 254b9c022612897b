import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

/**
 * KIP-447 in the patched kafkajs (patches/kafkajs+2.2.4.patch): TxnOffsetCommit v3
 * carries the consumer's generation and member id, so the group coordinator refuses
 * offsets from a fenced member; OffsetFetch v7's require_stable makes it answer
 * UNSTABLE_OFFSET_COMMIT while a transaction holds pending offsets. Both are flexible
 * versions (KIP-482): request header v2 (v1 and a tagged-field byte), response header
 * v1 (correlation id and tagged fields), compact strings and arrays, tagged fields.
 * Here: the exact bytes on the wire, the decoding of hand-built responses, the version
 * lookup, and the producer's refusal to retry a fenced commit. On a real broker:
 * kafkajs-kip447.integration.test.ts.
 */
const require = createRequire(import.meta.url);

type Encoded = { buffer: Buffer };
type ProtocolRequest = { apiKey: number; apiVersion: number; apiName: string; encode: () => Promise<Encoded> };
type ProtocolResponse = { decode: (raw: Buffer) => Promise<Record<string, unknown>>; parse: (d: Record<string, unknown>) => Promise<unknown> };
type Definition = { versions: string[]; protocol: (o: { version: number }) => (args: Record<string, unknown>) => { request: ProtocolRequest; response: ProtocolResponse } };
type Versions = Record<number, { minVersion: number; maxVersion: number }>;

const { requests, lookup } = require("kafkajs/src/protocol/requests/index.js") as {
  requests: { TxnOffsetCommit: Definition; OffsetFetch: Definition };
  lookup: (v: Versions) => (apiKey: number, d: Definition) => (args: Record<string, unknown>) => { request: ProtocolRequest; response: ProtocolResponse };
};
const createRequest = require("kafkajs/src/protocol/request.js") as (o: { correlationId: number; clientId: string; request: ProtocolRequest }) => Promise<Encoded>;
const Encoder = require("kafkajs/src/protocol/encoder.js") as new () => {
  writeInt16(v: number): unknown;
  writeInt32(v: number): unknown;
  writeInt64(v: string | number): unknown;
  writeString(v: string | null): unknown;
  writeArray(a: unknown[]): unknown;
  buffer: Buffer;
};
const { KafkaJSProtocolError } = require("kafkajs/src/errors.js") as { KafkaJSProtocolError: new (...a: unknown[]) => Error };
const createEosManager = require("kafkajs/src/producer/eosManager/index.js") as (o: Record<string, unknown>) => {
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  sendOffsets(o: { consumerGroupId: string; topics: unknown[]; consumerGroupMetadata?: { generationId: number; memberId: string; groupInstanceId?: string | null } }): Promise<void>;
};
const { createErrorFromCode } = require("kafkajs/src/protocol/error.js") as { createErrorFromCode: (code: number) => Error & { type: string; retriable: boolean; code: number } };

const API = { OffsetFetch: 9, TxnOffsetCommit: 28 };
/** Kafka 3.9's ApiVersions answer for these two (TxnOffsetCommit 0-4, OffsetFetch 0-9). */
const KAFKA_3_9: Versions = { [API.TxnOffsetCommit]: { minVersion: 0, maxVersion: 4 }, [API.OffsetFetch]: { minVersion: 0, maxVersion: 9 } };

// Byte builders for the expected wire format, written out by hand (not with kafkajs's encoder).
const i8 = (n: number) => Buffer.from([n & 0xff]);
const i16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const i64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};
/** INT16-length STRING (the v1 request header's client id). */
const str = (s: string) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
/** COMPACT_STRING / COMPACT_NULLABLE_STRING: unsigned varint length+1 (0: null); lengths here are < 127. */
const cstr = (s: string | null) => (s === null ? i8(0) : Buffer.concat([i8(Buffer.byteLength(s) + 1), Buffer.from(s)]));
/** COMPACT_ARRAY length (n+1; null: 0). */
const carr = (n: number | null) => i8(n === null ? 0 : n + 1);
const TAGS = i8(0); // an empty TAG_BUFFER
const cat = (...parts: Buffer[]) => Buffer.concat(parts);
/** A whole request as it goes on the wire: INT32 size, then header v2 (api key, version, correlation id, client id, tagged fields), then the body. */
const framed = (apiKey: number, apiVersion: number, correlationId: number, clientId: string, body: Buffer) => {
  const rest = cat(i16(apiKey), i16(apiVersion), i32(correlationId), str(clientId), TAGS, body);
  return cat(i32(rest.length), rest);
};

const tx = (args: Record<string, unknown>, versions: Versions = KAFKA_3_9) => lookup(versions)(API.TxnOffsetCommit, requests.TxnOffsetCommit)(args);
const of = (args: Record<string, unknown>, versions: Versions = KAFKA_3_9) => lookup(versions)(API.OffsetFetch, requests.OffsetFetch)(args);
const wire = async (request: ProtocolRequest) => (await createRequest({ correlationId: 7, clientId: "ab", request })).buffer;
const thrown = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as Error & { type?: string; retriable?: boolean; code?: number };
  }
  throw new Error("it did not throw");
};

describe("TxnOffsetCommit v3 (KIP-447) in the patched kafkajs", () => {
  const commit = { transactionalId: "tx", groupId: "grp", producerId: 4097, producerEpoch: 2, topics: [{ topic: "t", partitions: [{ partition: 1, offset: "42" }, { partition: 3, offset: "9", metadata: "m" }] }] };

  it("is the version asked of a Kafka 3.9 broker, and encodes the consumer group metadata to the schema's exact bytes", async () => {
    const { request } = tx({ ...commit, generationId: 5, memberId: "mem-1", groupInstanceId: "i-0" });
    expect([request.apiKey, request.apiVersion, request.apiName]).toEqual([28, 3, "TxnOffsetCommit"]);
    const body = cat(
      cstr("tx"),
      cstr("grp"),
      i64(4097n),
      i16(2),
      i32(5),
      cstr("mem-1"),
      cstr("i-0"),
      carr(1),
      cstr("t"),
      carr(2),
      cat(i32(1), i64(42n), i32(-1), cstr(null), TAGS),
      cat(i32(3), i64(9n), i32(-1), cstr("m"), TAGS),
      TAGS, // the topic's
      TAGS, // the request's
    );
    expect((await wire(request)).toString("hex")).toBe(framed(28, 3, 7, "ab", body).toString("hex"));
  });

  it("sends generation -1, member '' and no instance id when given none (the coordinator then checks nothing, as before)", async () => {
    const { request } = tx({ ...commit, topics: [{ topic: "t", partitions: [{ partition: 0, offset: "1" }] }] });
    const body = cat(cstr("tx"), cstr("grp"), i64(4097n), i16(2), i32(-1), cstr(""), cstr(null), carr(1), cstr("t"), carr(1), i32(0), i64(1n), i32(-1), cstr(null), TAGS, TAGS, TAGS);
    expect((await wire(request)).toString("hex")).toBe(framed(28, 3, 7, "ab", body).toString("hex"));
  });

  it("decodes a hand-built response to versions 0-1's shape", async () => {
    const raw = cat(TAGS /* response header */, i32(12), carr(1), cstr("t"), carr(2), i32(1), i16(0), TAGS, i32(3), i16(0), TAGS, TAGS, TAGS);
    const { response } = tx(commit);
    const decoded = await response.decode(raw);
    expect(decoded).toEqual({ throttleTime: 0, clientSideThrottleTime: 12, topics: [{ topic: "t", partitions: [{ partition: 1, errorCode: 0 }, { partition: 3, errorCode: 0 }] }] });
    // the same answer in version 1's encoding decodes to the same
    const v1 = lookup({ [API.TxnOffsetCommit]: { minVersion: 0, maxVersion: 1 } })(API.TxnOffsetCommit, requests.TxnOffsetCommit)(commit);
    const e = new Encoder();
    e.writeInt32(12);
    const topic = new Encoder();
    topic.writeString("t");
    const p1 = new Encoder();
    p1.writeInt32(1);
    p1.writeInt16(0);
    const p3 = new Encoder();
    p3.writeInt32(3);
    p3.writeInt16(0);
    topic.writeArray([p1, p3]);
    e.writeArray([topic]);
    expect(await v1.response.decode(e.buffer)).toEqual(decoded);
    expect(await response.parse(decoded)).toEqual(decoded);
  });

  it("skips tagged fields it does not know (stock kafkajs read each one byte short), and throws the first partition's error (a fenced member's)", async () => {
    const unknownTag = cat(i8(1), i8(7), i8(2), Buffer.from([0xab, 0xcd])); // one field: tag 7, size 2 (its length, not length+1), 2 bytes
    const raw = cat(unknownTag, i32(0), carr(1), cstr("t"), carr(2), i32(1), i16(0), TAGS, i32(3), i16(22), unknownTag, TAGS, TAGS);
    const { response } = tx(commit);
    const decoded = await response.decode(raw);
    expect(decoded).toEqual({ throttleTime: 0, clientSideThrottleTime: 0, topics: [{ topic: "t", partitions: [{ partition: 1, errorCode: 0 }, { partition: 3, errorCode: 22 }] }] });
    const err = await thrown(response.parse(decoded));
    expect(err).toBeInstanceOf(KafkaJSProtocolError);
    expect([err.type, err.retriable]).toEqual(["ILLEGAL_GENERATION", false]);
    for (const [code, type] of [
      [25, "UNKNOWN_MEMBER_ID"],
      [82, "FENCED_INSTANCE_ID"],
    ] as const) {
      const one = cat(TAGS, i32(0), carr(1), cstr("t"), carr(1), i32(0), i16(code), TAGS, TAGS, TAGS);
      expect((await thrown(response.parse(await response.decode(one)))).type).toBe(type);
    }
  });

  it("asks a broker without version 3 for version 2 (no gap in the versions), and refuses group metadata there rather than commit it unchecked", async () => {
    const upTo2: Versions = { [API.TxnOffsetCommit]: { minVersion: 0, maxVersion: 2 } };
    const { request } = tx(commit, upTo2);
    expect(request.apiVersion).toBe(2);
    const v2Body = cat(str("tx"), str("grp"), i64(4097n), i16(2), i32(1), str("t"), i32(2), i32(1), i64(42n), i32(-1), i16(-1), i32(3), i64(9n), i32(-1), str("m"));
    const rest = cat(i16(28), i16(2), i32(7), str("ab"), v2Body); // header v1: no tagged fields
    expect((await wire(request)).toString("hex")).toBe(cat(i32(rest.length), rest).toString("hex"));
    expect(() => tx({ ...commit, generationId: 5, memberId: "mem-1" }, upTo2)).toThrow(/TxnOffsetCommit version 3/);
    expect(() => tx({ ...commit, generationId: -1, memberId: "" }, upTo2)).not.toThrow();
  });
});

describe("OffsetFetch v7 (require_stable, KIP-447) in the patched kafkajs", () => {
  const fetch = { groupId: "grp", topics: [{ topic: "t", partitions: [{ partition: 0 }, { partition: 2 }] }] };
  const body = (requireStable: boolean) => cat(cstr("grp"), carr(1), cstr("t"), carr(2), i32(0), i32(2), TAGS, i8(requireStable ? 1 : 0), TAGS);

  it("is the version asked of a Kafka 3.9 broker and encodes require_stable to the schema's exact bytes", async () => {
    const { request } = of({ ...fetch, requireStable: true });
    expect([request.apiKey, request.apiVersion, request.apiName]).toEqual([9, 7, "OffsetFetch"]);
    expect((await wire(request)).toString("hex")).toBe(framed(9, 7, 7, "ab", body(true)).toString("hex"));
  });

  it("does not log UNSTABLE_OFFSET_COMMIT answers as errors when they are asked for (admin.fetchOffsets waits on them), and logs as before otherwise", () => {
    const withLog = (args: Record<string, unknown>) => (of(args) as unknown as { logResponseError?: boolean }).logResponseError;
    expect(withLog({ ...fetch, requireStable: true })).toBe(false);
    expect(withLog(fetch)).toBe(true);
  });

  it("sends require_stable false unless asked (the consumer's own fetch: as before), and no topics as a null array (every topic, as in v2-v4)", async () => {
    expect((await wire(of(fetch).request)).toString("hex")).toBe(framed(9, 7, 7, "ab", body(false)).toString("hex"));
    const all = cat(cstr("grp"), carr(null), i8(0), TAGS);
    expect((await wire(of({ groupId: "grp", topics: [] }).request)).toString("hex")).toBe(framed(9, 7, 7, "ab", all).toString("hex"));
  });

  it("decodes a hand-built response to versions 1-4's shape", async () => {
    const raw = cat(
      TAGS,
      i32(3),
      carr(1),
      cstr("t"),
      carr(2),
      cat(i32(0), i64(17n), i32(4), cstr("meta"), i16(0), TAGS),
      cat(i32(2), i64(-1n), i32(-1), cstr(null), i16(0), TAGS),
      TAGS,
      i16(0),
      TAGS,
    );
    const { response } = of(fetch);
    const decoded = await response.decode(raw);
    expect(decoded).toEqual({
      throttleTime: 0,
      clientSideThrottleTime: 3,
      errorCode: 0,
      responses: [{ topic: "t", partitions: [{ partition: 0, offset: "17", metadata: "meta", errorCode: 0 }, { partition: 2, offset: "-1", metadata: null, errorCode: 0 }] }],
    });
    // version 4's encoding of the same answer decodes to the same
    const v4 = lookup({ [API.OffsetFetch]: { minVersion: 0, maxVersion: 4 } })(API.OffsetFetch, requests.OffsetFetch)(fetch);
    const partition = (p: number, offset: string, metadata: string | null) => {
      const e = new Encoder();
      e.writeInt32(p);
      e.writeInt64(offset);
      e.writeString(metadata);
      e.writeInt16(0);
      return e;
    };
    const topic = new Encoder();
    topic.writeString("t");
    topic.writeArray([partition(0, "17", "meta"), partition(2, "-1", null)]);
    const e = new Encoder();
    e.writeInt32(3);
    e.writeArray([topic]);
    e.writeInt16(0);
    expect(await v4.response.decode(e.buffer)).toEqual(decoded);
    expect(await response.parse(decoded)).toEqual(decoded);
  });

  it("throws UNSTABLE_OFFSET_COMMIT (88, retriable) for a partition a transaction holds, and a group-level error", async () => {
    const { response } = of({ ...fetch, requireStable: true });
    const unstable = cat(TAGS, i32(0), carr(1), cstr("t"), carr(1), cat(i32(0), i64(-1n), i32(-1), cstr(""), i16(88), TAGS), TAGS, i16(0), TAGS);
    const err = await thrown(response.parse(await response.decode(unstable)));
    expect(err).toBeInstanceOf(KafkaJSProtocolError);
    expect([err.type, err.code, err.retriable]).toEqual(["UNSTABLE_OFFSET_COMMIT", 88, true]);
    const groupError = cat(TAGS, i32(0), carr(0), i16(16), TAGS);
    expect((await thrown(response.parse(await response.decode(groupError)))).type).toBe("NOT_COORDINATOR_FOR_GROUP");
  });

  it("fills the gap to v7 (v5, v6) for older brokers, and refuses requireStable where v7 is not known", async () => {
    const upTo = (n: number): Versions => ({ [API.OffsetFetch]: { minVersion: 0, maxVersion: n } });
    const v6 = of(fetch, upTo(6));
    expect(v6.request.apiVersion).toBe(6);
    const v6Body = cat(cstr("grp"), carr(1), cstr("t"), carr(2), i32(0), i32(2), TAGS, TAGS); // no require_stable
    expect((await wire(v6.request)).toString("hex")).toBe(framed(9, 6, 7, "ab", v6Body).toString("hex"));
    const v5 = of(fetch, upTo(5));
    expect(v5.request.apiVersion).toBe(5);
    const v5Raw = cat(i32(0), i32(1), str("t"), i32(1), i32(0), i64(17n), i32(4), str("meta"), i16(0), i16(0));
    expect(await v5.response.decode(v5Raw)).toEqual({ throttleTime: 0, clientSideThrottleTime: 0, errorCode: 0, responses: [{ topic: "t", partitions: [{ partition: 0, offset: "17", metadata: "meta", errorCode: 0 }] }] });
    for (const n of [4, 5, 6]) expect(() => of({ ...fetch, requireStable: true }, upTo(n))).toThrow(/OffsetFetch version 7/);
    expect(of({ ...fetch, requireStable: false }, upTo(4)).request.apiVersion).toBe(4);
  });
});

describe("a transaction's sendOffsets with the consumer group metadata (patched)", () => {
  function eos(answers: (Error | undefined)[]) {
    const calls: Record<string, unknown>[] = [];
    let lookups = 0;
    const coordinator = {
      initProducerId: async () => ({ producerId: 11, producerEpoch: 1 }),
      addOffsetsToTxn: async () => undefined,
      txnOffsetCommit: async (req: Record<string, unknown>) => {
        calls.push(req);
        const answer = answers.shift();
        if (answer) throw answer;
      },
    };
    const cluster = {
      retry: { retries: 5, initialRetryTime: 1, maxRetryTime: 5 },
      refreshMetadataIfNecessary: async () => undefined,
      findGroupCoordinator: async () => {
        lookups += 1;
        return coordinator;
      },
    };
    const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const manager = createEosManager({ logger, cluster, transactional: true, transactionalId: "tx" });
    return { manager, calls, lookups: () => lookups };
  }
  const topics = [{ topic: "t", partitions: [{ partition: 0, offset: "5" }] }];

  it("forwards the generation, member and instance id to the group coordinator", async () => {
    const { manager, calls } = eos([]);
    await manager.initProducerId();
    manager.beginTransaction();
    await manager.sendOffsets({ consumerGroupId: "grp", topics, consumerGroupMetadata: { generationId: 9, memberId: "m-9", groupInstanceId: "i-1" } });
    expect(calls).toEqual([{ transactionalId: "tx", producerId: 11, producerEpoch: 1, groupId: "grp", generationId: 9, memberId: "m-9", groupInstanceId: "i-1", topics }]);
  });

  it("sends -1, '' and null without it (as before)", async () => {
    const { manager, calls } = eos([]);
    await manager.initProducerId();
    manager.beginTransaction();
    await manager.sendOffsets({ consumerGroupId: "grp", topics });
    expect(calls[0]).toMatchObject({ generationId: -1, memberId: "", groupInstanceId: null });
  });

  it.each(["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "FENCED_INSTANCE_ID", "REBALANCE_IN_PROGRESS"])("rejects at once with %s, never retrying it", async (type) => {
    const code = { ILLEGAL_GENERATION: 22, UNKNOWN_MEMBER_ID: 25, FENCED_INSTANCE_ID: 82, REBALANCE_IN_PROGRESS: 27 }[type]!;
    const { manager, calls } = eos([createErrorFromCode(code), undefined, undefined]);
    await manager.initProducerId();
    manager.beginTransaction();
    const err = await thrown(manager.sendOffsets({ consumerGroupId: "grp", topics, consumerGroupMetadata: { generationId: 1, memberId: "old" } }));
    expect(err.type).toBe(type);
    expect(calls).toHaveLength(1);
  });

  it("retries a group coordinator that is loading (14: stock kafkajs bailed, its list naming the error COORDINATOR_LOAD_IN_PROGRESS, not GROUP_LOAD_IN_PROGRESS as kafkajs's table does)", async () => {
    const { manager, calls } = eos([createErrorFromCode(14), undefined]);
    await manager.initProducerId();
    manager.beginTransaction();
    await manager.sendOffsets({ consumerGroupId: "grp", topics, consumerGroupMetadata: { generationId: 1, memberId: "m" } });
    expect(calls).toHaveLength(2);
  });

  it.each([15, 16])("finds the group coordinator again and retries on error %i (stock kafkajs bailed: its list named them otherwise)", async (code) => {
    const { manager, calls, lookups } = eos([createErrorFromCode(code), undefined]);
    await manager.initProducerId();
    manager.beginTransaction();
    const before = lookups();
    await manager.sendOffsets({ consumerGroupId: "grp", topics, consumerGroupMetadata: { generationId: 1, memberId: "m" } });
    expect(calls).toHaveLength(2);
    // once for the transaction coordinator, once for the group's, once more after the error
    expect(lookups() - before).toBe(3);
  });
});
