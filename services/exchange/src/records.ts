import { RecordRecipients } from "@takitini/proto";
import { CompactedTopicTail, type Logger } from "@takitini/runtime";
import { Partitioners, type Kafka, type PartitionMetadata } from "kafkajs";

/** The exchange's compacted records topic (revision.ts): who holds each record. */
export const DEFAULT_RECORDS_TOPIC = "takitini.exchange-records.v1";

/** What the exchange needs of its records table (RecordsTable; tests of the shell use an in-memory one). */
export interface Records {
  readonly topic: string;
  start(): Promise<void>;
  isStarted(): boolean;
  partitionOf(key: string): number;
  catchUp(keys: Iterable<string>): Promise<void>;
  get(key: string): RecordRecipients | undefined;
  wrote(entries: Iterable<[string, Buffer]>): void;
  close(): Promise<void>;
}

/**
 * The exchange's memory of who received each record (RecordRecipients, keyed by
 * source topic and first event id: revision.ts recordKeyOf), so a correction or a
 * withdrawal reaches everyone who was told. Its entries are written by the
 * partition writers in the same transactions as the deliveries they describe,
 * and read back by every instance through a read-committed tail from the
 * beginning of the compacted topic.
 *
 * Before a correction or a withdrawal is decided, `current(key)` waits until the
 * tail has read the entry's partition up to its last stable offset: every
 * transaction committed before that (by this instance, or by whichever instance
 * held the source partition before a crash or a rebalance — its successor fenced
 * it first) is then in the table. Entries are held encoded; a record nobody
 * received has none.
 */
export class RecordsTable implements Records {
  private readonly entries = new Map<string, Buffer>();
  /** Entries this instance committed that the tail has not read back yet (then they are dropped here). */
  private readonly pending = new Map<string, Buffer>();
  private readonly tail: CompactedTopicTail;
  private partitions: PartitionMetadata[] = [];
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    groupPrefix: string,
    logger: Logger,
  ) {
    this.tail = new CompactedTopicTail({
      kafka,
      topic,
      groupPrefix,
      logger,
      what: "the exchange's record recipients",
      learn: (key, value) => {
        if (value === null || value.length === 0) this.entries.delete(key);
        else this.entries.set(key, value);
        const mine = this.pending.get(key);
        if (mine && value && mine.equals(value)) this.pending.delete(key);
      },
    });
  }

  /** Read the topic's partitions and every entry up to the last stable offset. */
  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [this.topic] });
      this.partitions = meta.topics[0]?.partitions ?? [];
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (this.partitions.length === 0) throw new Error(`the records topic ${this.topic} has no partitions`);
    await this.tail.start();
  }

  isStarted(): boolean {
    return this.tail.isStarted();
  }

  get size(): number {
    return this.entries.size;
  }

  /** The partition an entry's key is written to (the default partitioner, as the producer uses). */
  partitionOf(key: string): number {
    return this.partitioner({ topic: this.topic, partitionMetadata: this.partitions, message: { key, value: null } });
  }

  /** Wait until every committed entry of these keys' partitions is read. */
  async catchUp(keys: Iterable<string>): Promise<void> {
    const partitions = new Set([...keys].map((k) => this.partitionOf(k)));
    await Promise.all([...partitions].map((p) => this.tail.reachEnd(p)));
  }

  /**
   * The entry as last committed by this instance or read by the tail. A
   * decision that depends on it calls `catchUp` first, once per partition
   * writer generation: after that, only this instance writes the entries of
   * the source partition it holds, and `wrote` keeps them current.
   */
  get(key: string): RecordRecipients | undefined {
    const bytes = this.pending.get(key) ?? this.entries.get(key);
    return bytes ? RecordRecipients.decode(bytes) : undefined;
  }

  /** Entries this instance has just committed (not before the commit: an aborted write never happened). */
  wrote(entries: Iterable<[string, Buffer]>): void {
    for (const [key, bytes] of entries) this.pending.set(key, bytes);
  }

  async close(): Promise<void> {
    await this.tail.close();
  }
}
