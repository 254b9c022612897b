import { IntelligenceEvent, INTEL_SCHEMA_VERSION } from "@takitini/proto";
import { HEADERS, logKafkaRefusal, PROTOBUF_CONTENT_TYPE, type Logger, type TraceContext } from "@takitini/runtime";
import { Partitioners, type Kafka, type PartitionMetadata, type Producer } from "kafkajs";
import { randomUUID } from "node:crypto";
import { CONTENT_HASH_HEADER, ContentIndex, contentFingerprint, differingPaths, type Placed } from "./content.js";

export interface PublishResult {
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
  /** True when the event id was already on the topic: nothing new was written. */
  duplicate: boolean;
  /**
   * Set when the id was already published with different content (see
   * content.ts): nothing was written, and the submission must be refused. `paths`
   * are the event's differing field paths, or null when the previous version is
   * no longer in the publisher's memory. Never the values.
   */
  conflict?: { paths: string[] | null };
}

/** Where accepted events go. The doors know only this interface. */
export interface EventPublisher {
  publish(event: IntelligenceEvent, trace: TraceContext): Promise<PublishResult>;
  /** Publish many in one request (bulk import); duplicates are skipped. */
  publishMany(items: { event: IntelligenceEvent; trace: TraceContext }[]): Promise<PublishResult[]>;
  isReady(): boolean;
  close(): Promise<void>;
}

export function eventHeaders(event: IntelligenceEvent, trace: TraceContext): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.EVENT_TYPE]: event.eventType,
    [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION,
    [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
    [HEADERS.TRACEPARENT]: trace.traceparent,
  };
  if (trace.tracestate) headers[HEADERS.TRACESTATE] = trace.tracestate;
  return headers;
}

type Item = { event: IntelligenceEvent; trace: TraceContext };
type Pending = { write: Promise<PublishResult>; fingerprint: string; event: IntelligenceEvent };

/** What a resubmission of an id being written gets, once the write lands: a duplicate, or a conflict with it. */
function against(pending: Pending, event: IntelligenceEvent, fingerprint: string): Promise<PublishResult> {
  return pending.write.then((r) => (pending.fingerprint === fingerprint ? { ...r, duplicate: true } : { ...r, duplicate: true, conflict: { paths: differingPaths(pending.event, event) } }));
}

export interface PublisherOptions {
  /**
   * Consumer groups of the index rebuild start with this: the adapter's Kafka
   * principal may use only groups under its own prefix (`takitini-<agency>-adapter`).
   */
  indexGroupPrefix?: string;
  /**
   * Bytes of recently published events kept to name the differing fields of a
   * conflict (default 16 MiB). A conflict with an older event is still refused,
   * without field paths.
   */
  contentMemoryBytes?: number;
}

/**
 * Publishes with kafkajs's idempotent producer (acks=all, one request in
 * flight) and an idempotency index of the event ids already on the topic with
 * the fingerprint of their content (content.ts), so a resubmitted native record
 * — same event id, same content — writes nothing new, and one with the same id
 * but different content is a conflict: nothing written, the caller told which
 * fields differ. The index is rebuilt from the topic at start (keys are event
 * ids; the fingerprint is the record's content-hash header, or recomputed from
 * its value), and concurrent submissions of one id share one write.
 *
 * One adapter instance per agency topic is the supported deployment: two
 * instances racing on the same new id could both write it (consumers dedupe on
 * the event id, and the exchange's decision ids are per event).
 */
export class IdempotentKafkaPublisher implements EventPublisher {
  private readonly producer: Producer;
  private readonly index: ContentIndex;
  private readonly inFlight = new Map<string, Pending>();
  private readonly indexGroupPrefix: string;
  private connected = false;
  private indexed = false;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private partitionMetadata: PartitionMetadata[] = [];

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    opts: PublisherOptions = {},
  ) {
    this.indexGroupPrefix = opts.indexGroupPrefix ?? "takitini-adapter";
    this.index = new ContentIndex(opts.contentMemoryBytes ?? 16 * 1024 * 1024);
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.producer.on(this.producer.events.CONNECT, () => (this.connected = true));
    this.producer.on(this.producer.events.DISCONNECT, () => (this.connected = false));
  }

  /** Connect and load the index, retrying until the broker answers or `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.producer.connect();
        await this.loadIndex();
        this.logger.info({ topic: this.topic, known: this.index.size, remembered: this.index.memory.size }, "publisher ready");
        return;
      } catch (err) {
        // Refused by the broker's ACLs: say which topic, and keep trying (an operator may fix the grant).
        if (!logKafkaRefusal(this.logger, err, { operation: "read and write", topics: [this.topic], group: `${this.indexGroupPrefix}-index-*` })) {
          this.logger.warn({ err, attempt }, "publisher not ready; retrying");
        }
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
      }
    }
  }

  /** Read every record on the topic up to its current end: the ids already published, and their content. */
  private async loadIndex(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(this.topic);
    const metadata = await admin.fetchTopicMetadata({ topics: [this.topic] });
    this.partitionMetadata = metadata.topics[0]?.partitions ?? [];
    await admin.disconnect();
    if (this.partitionMetadata.length === 0) throw new Error(`topic ${this.topic} has no partitions`);
    const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    if (remaining.size > 0) {
      const consumer = this.kafka.consumer({ groupId: `${this.indexGroupPrefix}-index-${randomUUID()}`, readUncommitted: true });
      await consumer.connect();
      await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) {
                if (!m.key) continue;
                const header = m.headers?.[CONTENT_HASH_HEADER];
                const fingerprint = header === undefined ? undefined : String(Array.isArray(header) ? header[0] : header);
                this.index.learn(m.key.toString(), { partition: batch.partition, offset: m.offset }, m.value, fingerprint);
              }
              const end = remaining.get(batch.partition);
              if (end !== undefined && BigInt(batch.highWatermark) >= end && BigInt(batch.lastOffset()) + 1n >= end) remaining.delete(batch.partition);
              if (remaining.size === 0) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
    }
    this.indexed = true;
  }

  isReady(): boolean {
    return this.connected && this.indexed;
  }

  publish(event: IntelligenceEvent, trace: TraceContext): Promise<PublishResult> {
    const fingerprint = contentFingerprint(event);
    const known = this.known(event, fingerprint);
    if (known) return Promise.resolve(known);
    const pending = this.inFlight.get(event.id);
    if (pending) return against(pending, event, fingerprint);
    const write = this.write([{ event, trace, fingerprint }]).then((r) => r[0]!);
    this.inFlight.set(event.id, { write, fingerprint, event });
    return write.finally(() => this.inFlight.delete(event.id));
  }

  async publishMany(items: Item[]): Promise<PublishResult[]> {
    const fingerprints = items.map(({ event }) => contentFingerprint(event));
    // The first item of each id that is neither on the topic nor being written is
    // written; later items of that id answer against it.
    const firstOf = new Map<string, { item: number; slot: number }>();
    const fresh: (Item & { fingerprint: string })[] = [];
    items.forEach((item, i) => {
      const id = item.event.id;
      if (this.index.has(id) || this.inFlight.has(id) || firstOf.has(id)) return;
      firstOf.set(id, { item: i, slot: fresh.length });
      fresh.push({ ...item, fingerprint: fingerprints[i]! });
    });
    const batch = fresh.length > 0 ? this.write(fresh) : Promise.resolve([]);
    // Single publishes of these ids meanwhile share this write.
    fresh.forEach((f, slot) => {
      const write = batch.then((r) => r[slot]!);
      write.catch(() => undefined); // the batch's rejection reaches the caller below
      this.inFlight.set(f.event.id, { write, fingerprint: f.fingerprint, event: f.event });
    });
    let written: PublishResult[];
    try {
      written = await batch;
    } finally {
      for (const f of fresh) this.inFlight.delete(f.event.id);
    }
    return Promise.all(
      items.map(async ({ event }, i): Promise<PublishResult> => {
        const first = firstOf.get(event.id);
        if (first) {
          const own = written[first.slot]!;
          if (first.item === i) return own;
          return fingerprints[first.item] === fingerprints[i] ? { ...own, duplicate: true } : { ...own, duplicate: true, conflict: { paths: differingPaths(items[first.item]!.event, event) } };
        }
        const pending = this.inFlight.get(event.id);
        if (pending) return against(pending, event, fingerprints[i]!);
        return this.known(event, fingerprints[i]!)!;
      }),
    );
  }

  /** The answer for an id already on the topic: a duplicate, or a conflict; undefined for a new one. */
  private known(event: IntelligenceEvent, fingerprint: string): PublishResult | undefined {
    const verdict = this.index.judge(event, fingerprint);
    if (verdict.kind === "new") return undefined;
    const placed: Placed = verdict.placed;
    const result: PublishResult = { eventId: event.id, topic: this.topic, ...placed, duplicate: true };
    return verdict.kind === "conflict" ? { ...result, conflict: { paths: verdict.paths } } : result;
  }

  private async write(items: (Item & { fingerprint: string })[]): Promise<PublishResult[]> {
    // Partitions are chosen here, with kafkajs's own default (murmur2) partitioner,
    // so each record's offset is known: records to one partition are contiguous.
    const partitions = items.map(({ event }) => this.partitioner({ topic: this.topic, partitionMetadata: this.partitionMetadata, message: { key: event.id, value: null } }));
    const values = items.map(({ event }) => Buffer.from(IntelligenceEvent.encode(event).finish()));
    const meta = await this.producer
      .send({
        topic: this.topic,
        acks: -1,
        timeout: this.timeoutMs,
        messages: items.map(({ event, trace, fingerprint }, i) => ({
          key: event.id,
          partition: partitions[i]!,
          value: values[i]!,
          headers: { ...eventHeaders(event, trace), [CONTENT_HASH_HEADER]: fingerprint },
        })),
      })
      .catch((err: unknown) => {
        logKafkaRefusal(this.logger, err, { operation: "write to", topics: [this.topic] });
        throw err;
      });
    const next = new Map(meta.map((m) => [m.partition, BigInt(m.baseOffset ?? "0")]));
    return items.map(({ event, fingerprint }, i) => {
      const partition = partitions[i]!;
      const offset = next.get(partition) ?? 0n;
      next.set(partition, offset + 1n);
      const placed = { partition, offset: offset.toString() };
      this.index.placed(event.id, placed, fingerprint, values[i]!);
      return { eventId: event.id, topic: this.topic, ...placed, duplicate: false };
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
