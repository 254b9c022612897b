import { Counter, Gauge, type Logger, type Registry } from "@takitini/runtime";
import type { Consumer, Kafka } from "kafkajs";
import { decodeInput } from "./inputs.js";
import { AggregateStore } from "./store.js";

/**
 * Reads the community tiers' topics from the beginning (read-committed: only
 * what the exchange's transactions committed) into one aggregate store per
 * subscriber. It commits no offsets: the topics are the source of truth and
 * the stores are rebuilt from them at every start, idempotently per decision
 * id. Ready once every partition has been read up to where it ended at start.
 */
export class CommunityFeed {
  private readonly consumer: Consumer;
  readonly stores = new Map<string, AggregateStore>();
  private readonly topicOwner = new Map<string, string>();
  private pending = new Set<string>();
  private ends = new Map<string, bigint>();
  private started = false;
  private readonly applied: Counter<"subscriber">;
  private readonly duplicates: Counter<"subscriber">;
  private readonly ignored: Counter<"reason">;

  constructor(
    private readonly kafka: Kafka,
    topics: ReadonlyMap<string, string>,
    private readonly opts: { groupId: string; logger: Logger; metrics: Registry },
  ) {
    for (const [subscriberId, topic] of topics) {
      this.topicOwner.set(topic, subscriberId);
      this.stores.set(subscriberId, new AggregateStore());
    }
    this.consumer = kafka.consumer({ groupId: opts.groupId, readUncommitted: false, allowAutoTopicCreation: false });
    const registers = [opts.metrics];
    this.applied = new Counter({ name: "briefing_records_applied_total", help: "Community-topic records added to the aggregates", labelNames: ["subscriber"], registers });
    this.duplicates = new Counter({ name: "briefing_records_duplicate_total", help: "Redelivered records ignored (decision already counted)", labelNames: ["subscriber"], registers });
    this.ignored = new Counter({ name: "briefing_records_ignored_total", help: "Community-topic records not used, by reason", labelNames: ["reason"], registers });
    const stores = this.stores;
    new Gauge({ name: "briefing_decisions_held", help: "Decisions counted in the aggregates", registers, collect() { this.set([...stores.values()].reduce((s, x) => s + x.size, 0)); } });
  }

  store(subscriberId: string): AggregateStore {
    const s = this.stores.get(subscriberId);
    if (!s) throw new Error(`no aggregates for subscriber ${subscriberId}`);
    return s;
  }

  caughtUp(): boolean {
    return this.started && this.pending.size === 0;
  }

  async start(): Promise<void> {
    const topics = [...this.topicOwner.keys()];
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const topic of topics) {
        for (const p of await admin.fetchTopicOffsets(topic)) {
          if (BigInt(p.high) > BigInt(p.low)) {
            this.ends.set(`${topic}/${p.partition}`, BigInt(p.high));
            this.pending.add(`${topic}/${p.partition}`);
          }
        }
      }
    } finally {
      await admin.disconnect();
    }
    // Batches of transaction markers alone never reach eachMessage; their end-of-batch event still tells where the reader is.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => this.progress(payload.topic, payload.partition, payload.offsetLag, payload.lastOffset));
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, message }) => {
        const subscriber = this.topicOwner.get(topic)!;
        const decoded = decodeInput(message.value, message.headers);
        if (!decoded.ok) {
          this.ignored.inc({ reason: decoded.reason });
          this.opts.logger.warn({ topic, offset: message.offset, reason: decoded.reason }, "community record not used");
          return;
        }
        if (this.store(subscriber).apply(decoded.input)) this.applied.inc({ subscriber });
        else this.duplicates.inc({ subscriber });
      },
    });
    this.started = true;
  }

  private progress(topic: string, partition: number, offsetLag: string, lastOffset: string): void {
    const key = `${topic}/${partition}`;
    if (!this.pending.has(key)) return;
    if (offsetLag === "0" || BigInt(lastOffset) + 1n >= (this.ends.get(key) ?? 0n)) {
      this.pending.delete(key);
      if (this.pending.size === 0) this.opts.logger.info({ decisions: [...this.stores.values()].reduce((s, x) => s + x.size, 0) }, "aggregates rebuilt from the community topics");
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
