import { Counter, type Logger, type Registry } from "@takitini/runtime";
import type { Kafka, Producer } from "kafkajs";
import { accessMessage, briefingViewed, CHANNELS } from "./access.js";
import type { Audience } from "./audiences.js";
import { assembleBriefing } from "./briefing.js";
import { digestMessage, dueDigests } from "./digest.js";
import type { AggregateStore } from "./store.js";

/** The digest producer's transactional id: under the service's `takitini-briefing` prefix. Pure. */
export function digestTransactionalId(instanceId: string): string {
  return `takitini-briefing-digest-${instanceId}`;
}

/**
 * The consumer group of the reader that indexes the digest topic's keys at start:
 * fresh each time (it commits nothing), and prefixed by the service's GROUP_ID so
 * that one prefixed ACL covers every group the service creates. Pure.
 */
export function digestIndexGroupId(groupId: string, instanceId: string, startedAt: number): string {
  return `${groupId}-digest-index-${instanceId}-${startedAt}`;
}

/**
 * Publishes the weekly digest: each due (region, audience, period) once, with
 * its access record (on the access topic), in one Kafka transaction — no digest
 * without its access record, none twice. At start it reads the digest topic's
 * keys (read-committed) so a restart does not republish.
 */
export class DigestPublisher {
  private readonly producer: Producer;
  private readonly published = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private ready = false;
  private readonly count: Counter<"audience">;

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: {
      digestTopic: string;
      /** Where the access records go (the briefing's access topic, never the decisions topic). */
      accessTopic: string;
      /** The service's GROUP_ID: every consumer group created here begins with it. */
      groupId: string;
      instanceId: string;
      audiences: () => Audience[];
      store: (subscriberId: string) => AggregateStore;
      caughtUp: () => boolean;
      secret: Uint8Array;
      intervalMs: number;
      graceMs: number;
      lookback: number;
      logger: Logger;
      metrics: Registry;
      now?: () => Date;
    },
  ) {
    this.producer = kafka.producer({ transactionalId: digestTransactionalId(opts.instanceId), idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.count = new Counter({ name: "briefing_digests_published_total", help: "Digest messages published", labelNames: ["audience"], registers: [opts.metrics] });
  }

  isReady(): boolean {
    return this.ready;
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.loadKeys();
    this.ready = true;
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    void this.tick();
  }

  /** Publish whatever is due now (once the aggregates have caught up). */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.publishDue()
      .catch((err: Error) => this.opts.logger.error({ err: { message: err.message } }, "digest publication failed; will retry"))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async publishDue(): Promise<void> {
    if (!this.opts.caughtUp()) return;
    const now = (this.opts.now ?? (() => new Date()))();
    const due = dueDigests(this.opts.audiences(), this.published, now, { lookback: this.opts.lookback, graceMs: this.opts.graceMs });
    for (const d of due) {
      const briefing = assembleBriefing({ store: this.opts.store(d.audience.subscriberId), region: d.region, periodId: d.period, rules: d.audience.rules, secret: this.opts.secret, received: d.audience.received });
      const access = briefingViewed({ subscriberId: d.audience.subscriberId, channel: CHANNELS.DIGEST, resource: `${this.opts.digestTopic}/${d.key}`, regions: [d.region.code] }, now);
      const tx = await this.producer.transaction();
      try {
        await tx.send({ topic: this.opts.accessTopic, acks: -1, messages: [accessMessage(access)] });
        await tx.send({ topic: this.opts.digestTopic, acks: -1, messages: [digestMessage(d, briefing)] });
        await tx.commit();
      } catch (err) {
        await tx.abort().catch(() => undefined);
        throw err;
      }
      this.published.add(d.key);
      this.count.inc({ audience: d.audience.tier });
      this.opts.logger.info({ key: d.key }, "digest published");
    }
  }

  private async loadKeys(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = new Map<number, bigint>();
    try {
      for (const p of await admin.fetchTopicOffsets(this.opts.digestTopic)) if (BigInt(p.high) > BigInt(p.low)) ends.set(p.partition, BigInt(p.high));
    } finally {
      await admin.disconnect();
    }
    if (ends.size === 0) return;
    const consumer = this.kafka.consumer({ groupId: digestIndexGroupId(this.opts.groupId, this.opts.instanceId, Date.now()), readUncommitted: false });
    await consumer.connect();
    const done = new Promise<void>((resolve) => {
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const end = ends.get(payload.partition);
        if (end !== undefined && (payload.offsetLag === "0" || BigInt(payload.lastOffset) + 1n >= end)) ends.delete(payload.partition);
        if (ends.size === 0) resolve();
      });
    });
    await consumer.subscribe({ topics: [this.opts.digestTopic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void (message.key && this.published.add(message.key.toString("utf8"))) });
    const timeout = new Promise<void>((_, reject) => setTimeout(() => reject(new Error("timed out reading the digest topic's keys")), 120_000).unref());
    try {
      await Promise.race([done, timeout]);
    } finally {
      await consumer.disconnect();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.producer.disconnect();
  }
}
