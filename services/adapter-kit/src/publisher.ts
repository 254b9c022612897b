import { IntelligenceEvent, INTEL_SCHEMA_VERSION } from "@takitini/proto";
import { HEADERS, logKafkaRefusal, PROTOBUF_CONTENT_TYPE, type Logger, type TraceContext } from "@takitini/runtime";
import { Partitioners, type Kafka, type PartitionMetadata, type Producer } from "kafkajs";
import { randomUUID } from "node:crypto";

export interface PublishResult {
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
  /** True when the event id was already on the topic: nothing new was written. */
  duplicate: boolean;
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

interface Placed {
  partition: number;
  offset: string;
}

/**
 * Publishes with kafkajs's idempotent producer (acks=all, one request in
 * flight) and an idempotency index of the event ids already on the topic, so a
 * resubmitted native record — same event id — writes nothing new. The index is
 * rebuilt from the topic at start (keys are event ids), and concurrent
 * submissions of one id share one write.
 *
 * One adapter instance per agency topic is the supported deployment: two
 * instances racing on the same new id could both write it (consumers dedupe on
 * the event id, and the exchange's decision ids are per event).
 */
export class IdempotentKafkaPublisher implements EventPublisher {
  private readonly producer: Producer;
  private readonly placed = new Map<string, Placed>();
  private readonly inFlight = new Map<string, Promise<PublishResult>>();
  private connected = false;
  private indexed = false;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private partitionMetadata: PartitionMetadata[] = [];

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    /**
     * Consumer groups of the index rebuild start with this: the adapter's Kafka
     * principal may use only groups under its own prefix (`takitini-<agency>-adapter`).
     */
    private readonly indexGroupPrefix = "takitini-adapter",
  ) {
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
        this.logger.info({ topic: this.topic, known: this.placed.size }, "publisher ready");
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

  /** Read every key on the topic up to its current end: the ids already published. */
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
                if (m.key) this.placed.set(m.key.toString(), { partition: batch.partition, offset: m.offset });
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
    const known = this.placed.get(event.id);
    if (known) return Promise.resolve({ eventId: event.id, topic: this.topic, ...known, duplicate: true });
    const pending = this.inFlight.get(event.id);
    if (pending) return pending.then((r) => ({ ...r, duplicate: true }));
    const write = this.write([{ event, trace }]).then((r) => r[0]!);
    this.inFlight.set(event.id, write);
    return write.finally(() => this.inFlight.delete(event.id));
  }

  async publishMany(items: { event: IntelligenceEvent; trace: TraceContext }[]): Promise<PublishResult[]> {
    const fresh: typeof items = [];
    const seen = new Set<string>();
    for (const item of items) {
      if (!this.placed.has(item.event.id) && !this.inFlight.has(item.event.id) && !seen.has(item.event.id)) {
        fresh.push(item);
        seen.add(item.event.id);
      }
    }
    const written = fresh.length > 0 ? await this.write(fresh) : [];
    const byId = new Map(written.map((r) => [r.eventId, r]));
    return Promise.all(
      items.map(async (item) => {
        const own = byId.get(item.event.id);
        if (own && fresh.includes(item)) return own;
        const pending = this.inFlight.get(item.event.id);
        if (pending) return { ...(await pending), duplicate: true };
        const known = this.placed.get(item.event.id)!;
        return { eventId: item.event.id, topic: this.topic, ...known, duplicate: true };
      }),
    );
  }

  private async write(items: { event: IntelligenceEvent; trace: TraceContext }[]): Promise<PublishResult[]> {
    // Partitions are chosen here, with kafkajs's own default (murmur2) partitioner,
    // so each record's offset is known: records to one partition are contiguous.
    const partitions = items.map(({ event }) => this.partitioner({ topic: this.topic, partitionMetadata: this.partitionMetadata, message: { key: event.id, value: null } }));
    const meta = await this.producer
      .send({
        topic: this.topic,
        acks: -1,
        timeout: this.timeoutMs,
        messages: items.map(({ event, trace }, i) => ({
          key: event.id,
          partition: partitions[i]!,
          value: Buffer.from(IntelligenceEvent.encode(event).finish()),
          headers: eventHeaders(event, trace),
        })),
      })
      .catch((err: unknown) => {
        logKafkaRefusal(this.logger, err, { operation: "write to", topics: [this.topic] });
        throw err;
      });
    const next = new Map(meta.map((m) => [m.partition, BigInt(m.baseOffset ?? "0")]));
    return items.map(({ event }, i) => {
      const partition = partitions[i]!;
      const offset = next.get(partition) ?? 0n;
      next.set(partition, offset + 1n);
      const placed = { partition, offset: offset.toString() };
      this.placed.set(event.id, placed);
      return { eventId: event.id, topic: this.topic, ...placed, duplicate: false };
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
