import { backoffDelay, bounded, Counter, type Backoff, type Logger, type Registry } from "@takitini/runtime";
import type { Kafka, Producer } from "kafkajs";
import { accessMessage, briefingViewed, CHANNELS } from "./access.js";
import type { Audience } from "./audiences.js";
import { assembleBriefing } from "./briefing.js";
import { digestMessage, dueDigests, type DueDigest } from "./digest.js";
import type { AggregateStore } from "./store.js";
import { lastStableOffsets, TopicTail } from "./tail.js";

/**
 * The digest writers' transactional id: one per digest topic, shared by every
 * instance, under the service's `takitini-briefing-` prefix. Pure.
 */
export function digestTransactionalId(digestTopic: string): string {
  return `takitini-briefing-digest.${digestTopic}`;
}

/**
 * The consumer group of the reader that indexes the digest topic's keys: this
 * instance's own (it commits nothing), fresh at each start, and prefixed by the
 * service's GROUP_ID so that one prefixed ACL covers every group the service
 * creates. Pure.
 */
export function digestIndexGroupId(groupId: string, instanceId: string, startedAt: number): string {
  return `${groupId}-digest-index-${instanceId}-${startedAt}`;
}

export interface DigestPublisherOptions {
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
  /** Counts restarts of the briefing's consumers (shared with the feed). */
  restarts: Counter<"tail" | "reason">;
  backoff?: Backoff;
  stallMs?: number;
  stopTimeoutMs?: number;
  /** Longest wait for the digest index to reach the topic's end before a publication run (default 60 s). */
  indexWaitMs?: number;
  now?: () => Date;
  /** When this process started (the index's fresh group). */
  startedAt?: number;
}

/**
 * Publishes the weekly digest: each due (region, audience, period) once, with
 * its access record (on the access topic), in one Kafka transaction — no digest
 * without its access record, none twice — however many instances run.
 *
 * Every instance keeps an index of the digest topic's keys (read-committed, a
 * tail of its own). When its index says something is due, a publication run:
 * 1. initialises the one transactional id every instance shares
 *    (digestTransactionalId): the broker bumps its epoch, fencing any other
 *    instance's writer, and completes or aborts the transaction it left open —
 *    so no digest transaction is open any more;
 * 2. reads where the digest topic ends now (its last stable offsets) and waits
 *    for the index to get there: every digest ever committed is then in it;
 * 3. publishes what is still due, each in its own transaction.
 * An instance fenced meanwhile fails its next transaction (it is aborted, and
 * the run ends); its next run fences in turn and finds the other's digests.
 * So of two instances racing for the same digest, one commits and the other
 * either is fenced before it commits or finds the digest in step 2.
 *
 * A fresh producer per run: a producer the broker fenced, or one cut off by a
 * broker restart, is never reused.
 */
export class DigestPublisher {
  private readonly published = new Set<string>();
  private readonly index: TopicTail;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;
  private loaded = false;
  private loading: Promise<void> | undefined;
  private readonly count: Counter<"audience">;
  private readonly foundPublished: Counter;
  private readonly runFailures: Counter<"reason">;

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: DigestPublisherOptions,
  ) {
    this.index = new TopicTail(kafka, {
      name: "digest-index",
      topics: [opts.digestTopic],
      groupId: digestIndexGroupId(opts.groupId, opts.instanceId, opts.startedAt ?? Date.now()),
      logger: opts.logger,
      restarts: opts.restarts,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.stallMs ? { stallMs: opts.stallMs } : {}),
      ...(opts.stopTimeoutMs ? { stopTimeoutMs: opts.stopTimeoutMs } : {}),
      onMessage: (_topic, _partition, message) => void (message.key && this.published.add(message.key.toString("utf8"))),
    });
    const registers = [opts.metrics];
    this.count = new Counter({ name: "briefing_digests_published_total", help: "Digest messages published", labelNames: ["audience"], registers });
    this.foundPublished = new Counter({ name: "briefing_digests_found_published_total", help: "Due digests found already published (by another instance) once the index had read the topic to its end", registers });
    this.runFailures = new Counter({ name: "briefing_digest_runs_failed_total", help: "Publication runs that ended early (fenced by another instance, broker away, index behind), by the error's name; retried at the next interval", labelNames: ["reason"], registers });
  }

  /** The index has read the digest topic to where it ended at start, and is reading now. */
  isReady(now = Date.now()): boolean {
    return this.loaded && this.index.isConsuming(now);
  }

  /** Whether the index holds this digest key (published by any instance). */
  has(key: string): boolean {
    return this.published.has(key);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.index.start();
    this.loading = this.loadKeys();
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    void this.loading.then(() => this.tick());
  }

  /** Read the digest topic's keys up to where it ends (retrying while the broker cannot say). */
  private async loadKeys(): Promise<void> {
    for (let attempt = 0; this.started && !this.loaded; attempt++) {
      try {
        const ends = await lastStableOffsets(this.kafka, [this.opts.digestTopic]);
        while (this.started && !(await this.index.waitFor(ends, 5000)));
        this.loaded = this.started;
      } catch (err) {
        const delayMs = backoffDelay(attempt, this.opts.backoff ?? { baseMs: 1000, maxMs: 30_000 });
        this.opts.logger.warn({ err: { message: (err as Error).message }, delayMs }, "cannot read where the digest topic ends; retrying");
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  /** Publish whatever is due now (once the aggregates have caught up and the index is loaded). */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.publishDue()
      .catch((err: Error) => {
        this.runFailures.inc({ reason: err?.name ?? "Error" });
        this.opts.logger.error({ err: { type: err?.name, message: err?.message } }, "digest publication failed; will retry");
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private due(now: Date) {
    return dueDigests(this.opts.audiences(), this.published, now, { lookback: this.opts.lookback, graceMs: this.opts.graceMs });
  }

  private async publishDue(): Promise<void> {
    if (!this.opts.caughtUp() || !this.loaded) return;
    const now = (this.opts.now ?? (() => new Date()))();
    const candidates = this.due(now);
    if (candidates.length === 0) return;
    const producer = this.kafka.producer({ transactionalId: digestTransactionalId(this.opts.digestTopic), idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30_000, allowAutoTopicCreation: false });
    try {
      await producer.connect();
      // 1. Fence: every other instance's writer, and its open transaction, is done with.
      await (await producer.transaction()).abort();
      // 2. Everything committed to the digest topic is below its last stable offset now; the index reads up to it.
      const ends = await lastStableOffsets(this.kafka, [this.opts.digestTopic]);
      if (!(await this.index.waitFor(ends, this.opts.indexWaitMs ?? 60_000))) throw Object.assign(new Error("the digest index did not reach the topic's end in time"), { name: "DigestIndexBehind" });
      const due = this.due(now);
      const found = candidates.length - due.length;
      if (found > 0) {
        this.foundPublished.inc(found);
        this.opts.logger.info({ found }, "due digests already published by another instance");
      }
      // 3. Publish what is still due.
      for (const d of due) await this.publishOne(producer, d, now);
    } finally {
      await bounded(producer.disconnect(), this.opts.stopTimeoutMs ?? 10_000);
    }
  }

  private async publishOne(producer: Producer, d: DueDigest, now: Date): Promise<void> {
    const briefing = assembleBriefing({ store: this.opts.store(d.audience.subscriberId), region: d.region, periodId: d.period, rules: d.audience.rules, secret: this.opts.secret, received: d.audience.received });
    const access = briefingViewed({ subscriberId: d.audience.subscriberId, channel: CHANNELS.DIGEST, resource: `${this.opts.digestTopic}/${d.key}`, regions: [d.region.code] }, now);
    const tx = await producer.transaction();
    try {
      await tx.send({ topic: this.opts.accessTopic, acks: -1, messages: [accessMessage(access)] });
      await tx.send({ topic: this.opts.digestTopic, acks: -1, messages: [digestMessage(d, briefing)] });
      await tx.commit();
    } catch (err) {
      // Fenced by another instance, or the broker went away: nothing of this digest is visible.
      await tx.abort().catch(() => undefined);
      throw err;
    }
    this.published.add(d.key);
    this.count.inc({ audience: d.audience.tier });
    this.opts.logger.info({ key: d.key }, "digest published");
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.index.stop();
  }
}
