/**
 * The two Kafka requests kafkajs does not expose and a fault test needs —
 * FindCoordinator for a transactional id or group (v1) and DescribeQuorum (v0, the
 * KRaft controller quorum) — encoded and decoded here (pure), sent over one TLS
 * (or plaintext) connection as the caller's principal (`kafkaRequest`).
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { type KafkaAccess } from "./client.js";

export const API_KEYS = { FIND_COORDINATOR: 10, DESCRIBE_QUORUM: 55 } as const;

/** Kafka's error codes met here, by number. */
export const KAFKA_ERRORS: Record<number, string> = {
  0: "NONE",
  14: "COORDINATOR_LOAD_IN_PROGRESS",
  15: "COORDINATOR_NOT_AVAILABLE",
  16: "NOT_COORDINATOR",
  29: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  30: "GROUP_AUTHORIZATION_FAILED",
  31: "CLUSTER_AUTHORIZATION_FAILED",
  35: "UNSUPPORTED_VERSION",
  41: "NOT_CONTROLLER",
  6: "NOT_LEADER_OR_FOLLOWER",
  5: "LEADER_NOT_AVAILABLE",
};

export const errorName = (code: number) => KAFKA_ERRORS[code] ?? `error ${code}`;

/** A writer of Kafka's primitive types. */
class Writer {
  private readonly parts: Buffer[] = [];
  private fixed(size: number, write: (b: Buffer) => void) {
    const b = Buffer.alloc(size);
    write(b);
    this.parts.push(b);
    return this;
  }
  int8(n: number) {
    return this.fixed(1, (b) => b.writeInt8(n));
  }
  int16(n: number) {
    return this.fixed(2, (b) => b.writeInt16BE(n));
  }
  int32(n: number) {
    return this.fixed(4, (b) => b.writeInt32BE(n));
  }
  uvarint(n: number) {
    const bytes: number[] = [];
    let v = n >>> 0;
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  /** STRING / NULLABLE_STRING: int16 length (-1 for null). */
  string(s: string | null) {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, "utf8");
    this.int16(b.length);
    this.parts.push(b);
    return this;
  }
  /** COMPACT_STRING: uvarint length + 1. */
  compactString(s: string) {
    const b = Buffer.from(s, "utf8");
    this.uvarint(b.length + 1);
    this.parts.push(b);
    return this;
  }
  /** Empty tagged fields. */
  tags() {
    return this.uvarint(0);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A reader of Kafka's primitive types; throws on truncated input. */
export class Reader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number) {
    if (this.offset + n > this.buf.length) throw new RangeError(`truncated Kafka response: need ${n} bytes at ${this.offset} of ${this.buf.length}`);
  }
  private fixed<T>(size: number, read: (offset: number) => T): T {
    this.need(size);
    const v = read(this.offset);
    this.offset += size;
    return v;
  }
  int8() {
    return this.fixed(1, (o) => this.buf.readInt8(o));
  }
  int16() {
    return this.fixed(2, (o) => this.buf.readInt16BE(o));
  }
  int32() {
    return this.fixed(4, (o) => this.buf.readInt32BE(o));
  }
  int64() {
    return this.fixed(8, (o) => this.buf.readBigInt64BE(o));
  }
  uvarint() {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.int8() & 0xff;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
    }
    throw new RangeError("malformed varint in Kafka response");
  }
  private text(n: number) {
    this.need(n);
    const s = this.buf.toString("utf8", this.offset, this.offset + n);
    this.offset += n;
    return s;
  }
  nullableString(): string | null {
    const n = this.int16();
    return n < 0 ? null : this.text(n);
  }
  string(): string {
    return this.nullableString() ?? "";
  }
  compactString(): string {
    const n = this.uvarint();
    return n === 0 ? "" : this.text(n - 1);
  }
  /** COMPACT_ARRAY of `item`. */
  compactArray<T>(item: (r: Reader) => T): T[] {
    const n = this.uvarint();
    return Array.from({ length: Math.max(0, n - 1) }, () => item(this));
  }
  /** Skip tagged fields. */
  tags() {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      const size = this.uvarint();
      this.need(size);
      this.offset += size;
    }
  }
}

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string;
  /** Request header v2 (flexible versions): with tagged fields. */
  flexible: boolean;
}

/** A whole request on the wire: size, header (v1 or v2), body. Pure. */
export function encodeRequest(h: RequestHeader, body: Buffer): Buffer {
  const w = new Writer().int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId).string(h.clientId);
  if (h.flexible) w.tags();
  const payload = Buffer.concat([w.bytes(), body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

/** Split a response (without its size prefix) into its correlation id and body; header v1 (flexible) skips tagged fields. Pure. */
export function decodeResponseHeader(frame: Buffer, flexible: boolean): { correlationId: number; body: Reader } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (flexible) r.tags();
  return { correlationId, body: r };
}

/** FindCoordinator's key types. */
export const COORDINATOR_TYPES = { group: 0, transaction: 1 } as const;
export type CoordinatorType = keyof typeof COORDINATOR_TYPES;

/** FindCoordinator v1 body: key, key type. Pure. */
export function encodeFindCoordinatorV1(key: string, type: CoordinatorType): Buffer {
  return new Writer().string(key).int8(COORDINATOR_TYPES[type]).bytes();
}

export interface FindCoordinatorResult {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

/** FindCoordinator v1 response body. Pure. */
export function decodeFindCoordinatorV1(r: Reader): FindCoordinatorResult {
  r.int32(); // throttle_time_ms
  const errorCode = r.int16();
  const errorMessage = r.nullableString();
  const nodeId = r.int32();
  const host = r.string();
  const port = r.int32();
  return { errorCode, errorMessage, nodeId, host, port };
}

/** The KRaft metadata log: the topic-partition DescribeQuorum describes. */
export const METADATA_TOPIC = "__cluster_metadata";

/** DescribeQuorum v0 body: one topic, one partition. Pure. */
export function encodeDescribeQuorumV0(topic = METADATA_TOPIC, partition = 0): Buffer {
  return new Writer().uvarint(2).compactString(topic).uvarint(2).int32(partition).tags().tags().tags().bytes();
}

export interface QuorumReplica {
  replicaId: number;
  logEndOffset: bigint;
}

export interface QuorumPartition {
  partitionIndex: number;
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  highWatermark: bigint;
  currentVoters: QuorumReplica[];
  observers: QuorumReplica[];
}

export interface DescribeQuorumResult {
  errorCode: number;
  topics: { topicName: string; partitions: QuorumPartition[] }[];
}

/** DescribeQuorum v0 response body. Pure. */
export function decodeDescribeQuorumV0(r: Reader): DescribeQuorumResult {
  const replica = (x: Reader): QuorumReplica => {
    const replicaId = x.int32();
    const logEndOffset = x.int64();
    x.tags();
    return { replicaId, logEndOffset };
  };
  const errorCode = r.int16();
  const topics = r.compactArray((t) => {
    const topicName = t.compactString();
    const partitions = t.compactArray((p): QuorumPartition => {
      const partitionIndex = p.int32();
      const errorCode = p.int16();
      const leaderId = p.int32();
      const leaderEpoch = p.int32();
      const highWatermark = p.int64();
      const currentVoters = p.compactArray(replica);
      const observers = p.compactArray(replica);
      p.tags();
      return { partitionIndex, errorCode, leaderId, leaderEpoch, highWatermark, currentVoters, observers };
    });
    t.tags();
    return { topicName, partitions };
  });
  r.tags();
  return { errorCode, topics };
}

let nextCorrelationId = 1;

/** Split `host:port`. Pure. */
export function parseAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a host:port address: ${address}`);
  return { host: address.slice(0, i).replace(/^\[(.*)\]$/, "$1"), port };
}

/**
 * Send one request to the broker at `address` as `access`'s principal and return
 * the response body. One connection per call (these are rare admin questions).
 */
export async function kafkaRequest(access: KafkaAccess, address: string, req: { apiKey: number; apiVersion: number; flexible: boolean; body: Buffer }, timeoutMs = 5000): Promise<Reader> {
  const { host, port } = parseAddress(address);
  const correlationId = nextCorrelationId++ & 0x7fffffff;
  const frame = encodeRequest({ apiKey: req.apiKey, apiVersion: req.apiVersion, correlationId, clientId: "takitini-infra", flexible: req.flexible }, req.body);
  const security = access.security;
  return new Promise<Reader>((resolve, reject) => {
    const socket: Socket =
      security.mode === "mtls"
        ? tlsConnect({ host, port, ca: security.ssl.ca, cert: security.ssl.cert, key: security.ssl.key, rejectUnauthorized: true })
        : netConnect({ host, port });
    let received = Buffer.alloc(0);
    const done = (err: Error | undefined, value?: Reader) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${address} within ${timeoutMs} ms`)), timeoutMs);
    socket.once(security.mode === "mtls" ? "secureConnect" : "connect", () => socket.write(frame));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (received.length < 4 + size) return;
      try {
        // Response header v1 for flexible versions, v0 otherwise.
        const { correlationId: got, body } = decodeResponseHeader(received.subarray(4, 4 + size), req.flexible);
        if (got !== correlationId) throw new Error(`correlation id ${got} from ${address}, expected ${correlationId}`);
        done(undefined, body);
      } catch (err) {
        done(err as Error);
      }
    });
    socket.once("error", (err) => done(new Error(`${address}: ${err.message}`)));
    socket.once("close", () => done(new Error(`${address} closed the connection before answering`)));
  });
}
