import type { Logger } from "@takitini/runtime";
import { logKafkaRefusal } from "@takitini/runtime";
import type { Consumer, Kafka } from "kafkajs";
import { randomUUID } from "node:crypto";
import type { ClaimIndex } from "./claims.js";

/**
 * Tails the agency's compacted claims topic (read_committed) into the index, and
 * knows how far it has read each partition, so a writer that has just fenced a
 * partition can wait until every committed claim on it is in the index
 * (`reach`). Never reads the intelligence topic. A consumer that crashes is
 * replaced by a fresh one (new throwaway group, from the beginning; learning a
 * claim twice is harmless) with backoff.
 */
export class ClaimsTail {
  /** Next offset to read, per partition (everything before it is in the index). */
  private readonly position = new Map<number, bigint>();
  private waiters: { partition: number; offset: bigint; resolve: () => void }[] = [];
  private consumer: Consumer | undefined;
  private closed = false;
  private restarts = 0;

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly groupPrefix: string,
    private readonly index: ClaimIndex,
    private readonly logger: Logger,
  ) {}

  /** Start consuming and resolve once every partition is read up to its last stable offset at start. */
  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    let ends;
    try {
      ends = await admin.fetchTopicOffsets(this.topic);
    } finally {
      await admin.disconnect();
    }
    for (const p of ends) if (!this.position.has(p.partition)) this.position.set(p.partition, BigInt(p.low));
    await this.run();
    await Promise.all(ends.map((p) => this.reach(p.partition, BigInt(p.high))));
  }

  private async run(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: `${this.groupPrefix}-claims-${randomUUID()}`, maxWaitTimeInMs: 500, retry: { retries: 8 } });
    this.consumer = consumer;
    // Every batch, control-only ones (transaction markers) included, moves the position.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic !== this.topic) return;
      this.advance(payload.partition, BigInt(payload.lastOffset) + 1n);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.closed || this.consumer !== consumer) return;
      logKafkaRefusal(this.logger, payload.error, { operation: "read", topics: [this.topic] });
      this.logger.error({ err: payload.error }, "claims tail crashed; starting a fresh consumer");
      void this.replace(consumer);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (m.key) this.index.learn(m.key.toString(), m.value);
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
        this.logger.warn({ err }, "claims tail not restarted yet; retrying");
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
    return new Promise((resolve) => this.waiters.push({ partition, offset, resolve }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
