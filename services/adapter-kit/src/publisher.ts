import { IntelligenceEvent, INTEL_SCHEMA_VERSION } from "@takitini/proto";
import { HEADERS, logKafkaRefusal, PROTOBUF_CONTENT_TYPE, type EventIdKey, type Logger, type TraceContext } from "@takitini/runtime";
import { Partitioners, type Admin, type Kafka, type PartitionMetadata } from "kafkajs";
import { ClaimIndex, claimsTopicFor, type ClaimedRevision } from "./claims.js";
import { ClaimsTail } from "./claims-tail.js";
import { ClaimWriter, PublishTimeout, type Job } from "./claim-writer.js";
export { PublishTimeout } from "./claim-writer.js";
import { contentFingerprint, differingPaths, type Placed } from "./content.js";

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
  /** What the index knows of a claimed event id: its record's first version and its type (revisions.ts); undefined when not claimed. */
  revision(id: string): ClaimedRevision | undefined;
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

/** The partition key of an event: its record's first version's id (a correction's or withdrawal's `original_event_id`), else its own. */
export function recordKey(event: IntelligenceEvent): string {
  return event.originalEventId || event.id;
}
type Pending = { write: Promise<PublishResult>; fingerprint: string; event: IntelligenceEvent };

/** What a resubmission of an id being written gets, once the write lands: a duplicate, or a conflict with it. */
function against(pending: Pending, event: IntelligenceEvent, fingerprint: string): Promise<PublishResult> {
  return pending.write.then((r) => (pending.fingerprint === fingerprint ? { ...r, duplicate: true } : { ...r, duplicate: true, conflict: { paths: differingPaths(pending.event, event) } }));
}

export interface PublisherOptions {
  /** The adapters' shared event-id key: it keys the claims' content digests (claims.ts). */
  eventIdKey: EventIdKey;
  /**
   * Consumer groups (the claims tail) and transactional ids (the claim writers)
   * start with this: the adapter's principal may use only its own prefix
   * (`takitini-<agency>-adapter`).
   */
  prefix?: string;
  /** The compacted claims topic (default: the intelligence topic's, `takitini.claims.<agency>.v1`). */
  claimsTopic?: string;
  /** Bytes of recent claims kept to name the differing fields of a conflict (default 16 MiB). */
  contentMemoryBytes?: number;
  /** How often the broker is asked for metadata to tell readiness (default 1000 ms). */
  probeIntervalMs?: number;
}

/**
 * Publishes each event id exactly once however many instances of the agency's
 * adapter run (claims.ts): an event and its claim are written in one Kafka
 * transaction by the transactional id of their claims partition, after that id
 * has fenced any other instance and the claims tail has read the partition to
 * its last stable offset (claim-writer.ts). A resubmitted record — same event
 * id, same content — writes nothing new; one with the same id but different
 * content is a conflict: nothing written, the caller told which fields differ
 * (from the claim's digests, whichever instance wrote it). The index comes from
 * the compacted claims topic; the intelligence topic is never read.
 *
 * Every publish is bounded by `timeoutMs`: it rejects with `PublishTimeout` at
 * the deadline, and a transaction holding an expired record is aborted, never
 * committed. While the broker does not answer the metadata probe the publisher
 * is not ready and publishes fail at once.
 */
export class IdempotentKafkaPublisher implements EventPublisher {
  private readonly index: ClaimIndex;
  private readonly tail: ClaimsTail;
  private readonly writers = new Map<number, ClaimWriter>();
  private readonly inFlight = new Map<string, Pending>();
  private readonly prefix: string;
  readonly claimsTopic: string;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private partitionMetadata: PartitionMetadata[] = [];
  private indexed = false;
  private reachable = false;
  private probe: NodeJS.Timeout | undefined;
  private probeAdmin: Admin | undefined;
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly opts: PublisherOptions,
  ) {
    this.prefix = opts.prefix ?? "takitini-adapter";
    this.claimsTopic = opts.claimsTopic ?? claimsTopicFor(topic);
    this.index = new ClaimIndex(opts.contentMemoryBytes ?? 16 * 1024 * 1024, opts.eventIdKey);
    this.tail = new ClaimsTail(kafka, this.claimsTopic, this.prefix, this.index, logger);
  }

  /** Read the claims and start probing the broker, retrying until it answers or `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.loadPartitions();
        await this.tail.start();
        this.indexed = true;
        this.reachable = true;
        this.probe = setInterval(() => void this.probeBroker(), this.opts.probeIntervalMs ?? 1000);
        this.logger.info({ topic: this.topic, claims: this.claimsTopic, known: this.index.size }, "publisher ready");
        return;
      } catch (err) {
        // Refused by the broker's ACLs: say which topic, and keep trying (an operator may fix the grant).
        if (!logKafkaRefusal(this.logger, err, { operation: "read and write", topics: [this.topic, this.claimsTopic], group: `${this.prefix}-claims-*` })) {
          this.logger.warn({ err, attempt }, "publisher not ready; retrying");
        }
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
      }
    }
  }

  /** Both topics' partitions: the claims topic must be partitioned like the intelligence topic. */
  private async loadPartitions(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [this.topic, this.claimsTopic] });
      const count = (name: string) => metadata.topics.find((t) => t.name === name)?.partitions ?? [];
      this.partitionMetadata = count(this.topic);
      const claims = count(this.claimsTopic).length;
      if (this.partitionMetadata.length === 0) throw new Error(`topic ${this.topic} has no partitions`);
      if (claims !== this.partitionMetadata.length) throw new Error(`claims topic ${this.claimsTopic} has ${claims} partitions, ${this.topic} has ${this.partitionMetadata.length}: they must match`);
    } finally {
      await admin.disconnect();
    }
  }

  /** One cheap metadata request, bounded: readiness says whether the broker answers. */
  private async probeBroker(): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      this.probeAdmin ??= this.kafka.admin({ retry: { retries: 0 } });
      const admin = this.probeAdmin;
      await Promise.race([
        (async () => {
          await admin.connect();
          await admin.fetchTopicMetadata({ topics: [this.topic] });
        })(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("broker metadata probe timed out")), Math.max(1000, this.opts.probeIntervalMs ?? 1000)))),
      ]);
      if (!this.reachable) this.logger.info({ topic: this.topic }, "broker reachable again");
      this.reachable = true;
    } catch (err) {
      if (this.reachable) this.logger.warn({ err: (err as Error).message }, "broker unreachable; not ready");
      this.reachable = false;
      const admin = this.probeAdmin;
      this.probeAdmin = undefined;
      void admin?.disconnect().catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  isReady(): boolean {
    return this.indexed && this.reachable;
  }

  revision(id: string): ClaimedRevision | undefined {
    return this.index.revision(id);
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
    // The first item of each id that is neither claimed nor being written is
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

  /** The answer for a claimed id: a duplicate, or a conflict; undefined for a new one. */
  private known(event: IntelligenceEvent, fingerprint: string): PublishResult | undefined {
    const verdict = this.index.judge(event, fingerprint);
    if (verdict.kind === "new") return undefined;
    const placed: Placed = verdict.placed;
    const result: PublishResult = { eventId: event.id, topic: this.topic, ...placed, duplicate: true };
    return verdict.kind === "conflict" ? { ...result, conflict: { paths: verdict.paths } } : result;
  }

  private writer(partition: number): ClaimWriter {
    let w = this.writers.get(partition);
    if (!w) {
      w = new ClaimWriter({ kafka: this.kafka, topic: this.topic, claimsTopic: this.claimsTopic, partition, prefix: this.prefix, index: this.index, tail: this.tail, key: this.opts.eventIdKey, logger: this.logger });
      this.writers.set(partition, w);
    }
    return w;
  }

  /** Each item through its partition's writer, all within the deadline; a batch's answers in order. */
  private async write(items: (Item & { fingerprint: string })[]): Promise<PublishResult[]> {
    if (!this.isReady()) throw new PublishTimeout("the broker is not reachable");
    const deadline = Date.now() + this.timeoutMs;
    const jobs: Promise<PublishResult>[] = items.map((item) => {
      // A record's versions and its withdrawal go where its first version went (key: the
      // first version's id), so one partition, and one claim writer, holds its history in order.
      const partition = this.partitioner({ topic: this.topic, partitionMetadata: this.partitionMetadata, message: { key: recordKey(item.event), value: null } });
      const job: Job = { ...item, deadline, settle: undefined as never };
      const answer = new Promise<PublishResult>((resolve, reject) => (job.settle = (r) => (r instanceof Error ? reject(r) : resolve(r))));
      this.writer(partition).enqueue(job);
      return answer;
    });
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new PublishTimeout(`not acknowledged within ${this.timeoutMs} ms`)), this.timeoutMs)));
    try {
      return await Promise.race([Promise.all(jobs), expiry]);
    } finally {
      clearTimeout(timer);
      for (const j of jobs) j.catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probe);
    await Promise.all([...this.writers.values()].map((w) => w.close()));
    await this.tail.close();
    await this.probeAdmin?.disconnect().catch(() => undefined);
  }
}
