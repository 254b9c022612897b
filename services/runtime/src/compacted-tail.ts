import { randomUUID } from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import { logKafkaRefusal } from "./kafka.js";
import type { Logger } from "./logger.js";

/**
 * Follows a compacted topic (read_committed, from the beginning) into a table,
 * and knows how far it has read each partition, so a writer can wait until
 * every committed entry of a partition up to its last stable offset is in the
 * table (`reachEnd`). Its consumer groups are throwaway (`<groupPrefix>-<uuid>`),
 * never committing; one that crashes is replaced by a fresh one (from the
 * beginning: learning an entry twice is harmless, as entries arrive in
 * partition order) with backoff. `learn` gets each entry in offset order per
 * partition; a null value is a tombstone.
 */
export class CompactedTopicTail {
  /** Next offset to read, per partition (everything before it is learnt). */
  private readonly position = new Map<number, bigint>();
  private waiters: { partition: number; offset: bigint; resolve: () => void; reject: (err: Error) => void }[] = [];
  private consumer: Consumer | undefined;
  private closed = false;
  private restarts = 0;
  private started = false;

  constructor(
    private readonly o: {
      kafka: Kafka;
      topic: string;
      /** Consumer groups start with this (the principal's ACLs allow it). */
      groupPrefix: string;
      learn: (key: string, value: Buffer | null, partition: number) => void;
      logger: Logger;
      /** What the table is, in log lines: "the exchange's record recipients". */
      what: string;
    },
  ) {}

  get topic(): string {
    return this.o.topic;
  }

  /** Read every partition up to its last stable offset at start, then keep following. */
  async start(): Promise<void> {
    this.closed = false;
    const ends = await this.ends();
    for (const [partition, { low }] of ends) if (!this.position.has(partition)) this.position.set(partition, low);
    await this.run();
    this.started = true;
    await Promise.all([...ends].map(([partition, { high }]) => this.reach(partition, high)));
  }

  isStarted(): boolean {
    return this.started && !this.closed;
  }

  private async ends(): Promise<Map<number, { low: bigint; high: bigint }>> {
    const admin = this.o.kafka.admin();
    await admin.connect();
    try {
      // ListOffsets at read_committed: each partition's last stable offset.
      const offsets = await admin.fetchTopicOffsets(this.o.topic);
      return new Map(offsets.map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async run(): Promise<void> {
    const consumer = this.o.kafka.consumer({ groupId: `${this.o.groupPrefix}-${randomUUID()}`, maxWaitTimeInMs: 100, readUncommitted: false, retry: { retries: 8 } });
    this.consumer = consumer;
    // Every batch, control-only ones (transaction markers) included, moves the position.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === this.o.topic) this.advance(payload.partition, BigInt(payload.lastOffset) + 1n);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.closed || this.consumer !== consumer) return;
      logKafkaRefusal(this.o.logger, payload.error, { operation: "read", topics: [this.o.topic] });
      this.o.logger.error({ err: payload.error, topic: this.o.topic }, `the tail of ${this.o.what} crashed; starting a fresh consumer`);
      void this.replace(consumer);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.o.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (m.key) this.o.learn(m.key.toString(), m.value, batch.partition);
      },
    });
  }

  private async replace(old: Consumer): Promise<void> {
    await old.disconnect().catch(() => undefined);
    while (!this.closed) {
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(this.restarts++, 5))));
      try {
        await this.run();
        this.restarts = 0;
        return;
      } catch (err) {
        this.o.logger.warn({ err, topic: this.o.topic }, `the tail of ${this.o.what} not restarted yet; retrying`);
        await this.consumer?.disconnect().catch(() => undefined);
      }
    }
  }

  private advance(partition: number, next: bigint): void {
    if (next <= (this.position.get(partition) ?? -1n)) return;
    this.position.set(partition, next);
    this.waiters = this.waiters.filter((w) => {
      if (w.partition !== partition || w.offset > next) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolve once the tail has read `partition` up to `offset` (a last stable offset). */
  reach(partition: number, offset: bigint): Promise<void> {
    if ((this.position.get(partition) ?? -1n) >= offset) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`the tail of ${this.o.what} is closed`));
    return new Promise((resolve, reject) => this.waiters.push({ partition, offset, resolve, reject }));
  }

  /** Resolve once the tail has read `partition` up to its last stable offset now: every entry committed before this call is learnt. */
  async reachEnd(partition: number): Promise<void> {
    const end = (await this.ends()).get(partition);
    if (!end) throw new Error(`${this.o.topic} has no partition ${partition}`);
    await this.reach(partition, end.high);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters) w.reject(new Error(`the tail of ${this.o.what} is closed`));
    this.waiters = [];
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
