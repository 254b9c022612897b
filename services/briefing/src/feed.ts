import { backoffDelay, Counter, Gauge, type Backoff, type Logger, type Registry } from "@takitini/runtime";
import type { Kafka } from "kafkajs";
import { decodeInput } from "./inputs.js";
import { AggregateStore } from "./store.js";
import { lastStableOffsets, TopicTail } from "./tail.js";

/**
 * The community feed's consumer group: this process's own (it commits nothing),
 * under the service's GROUP_ID so one prefixed ACL covers it. Pure.
 */
export function feedGroupId(groupId: string, instanceId: string, startedAt: number, nonce: string): string {
  return `${groupId}-feed-${instanceId}-${startedAt}-${nonce}`;
}

export interface FeedOptions {
  /** This instance's own consumer group (every instance reads every partition; nothing is committed). */
  groupId: string;
  logger: Logger;
  metrics: Registry;
  /** Counts restarts of the briefing's consumers (shared with the digest index). */
  restarts: Counter<"tail" | "reason">;
  backoff?: Backoff;
  stallMs?: number;
  stopTimeoutMs?: number;
}

/**
 * Reads the community tiers' topics from the beginning (read-committed: only
 * what the exchange's transactions committed) into one aggregate store per
 * subscriber. It commits no offsets: the topics are the source of truth and
 * the stores are rebuilt from them at every start, idempotently per decision
 * id, by a consumer group of this instance's own (so several instances each
 * hold every aggregate). Rebuilt once every partition has been read up to where
 * it ended at start; a crashed consumer is replaced and resumes where it was
 * (tail.ts). Ready: rebuilt, and consuming now.
 */
export class CommunityFeed {
  readonly stores = new Map<string, AggregateStore>();
  private readonly topicOwner = new Map<string, string>();
  private readonly tail: TopicTail;
  private rebuilt = false;
  private running = false;
  private rebuilding: Promise<void> | undefined;
  private readonly applied: Counter<"subscriber">;
  private readonly duplicates: Counter<"subscriber">;
  private readonly ignored: Counter<"reason">;
  private readonly unmatched: Counter<"subscriber">;

  constructor(
    private readonly kafka: Kafka,
    topics: ReadonlyMap<string, string>,
    private readonly opts: FeedOptions,
  ) {
    for (const [subscriberId, topic] of topics) {
      this.topicOwner.set(topic, subscriberId);
      this.stores.set(subscriberId, new AggregateStore());
    }
    this.tail = new TopicTail(kafka, {
      name: "community",
      topics: [...this.topicOwner.keys()],
      groupId: opts.groupId,
      logger: opts.logger,
      restarts: opts.restarts,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.stallMs ? { stallMs: opts.stallMs } : {}),
      ...(opts.stopTimeoutMs ? { stopTimeoutMs: opts.stopTimeoutMs } : {}),
      onMessage: (topic, _partition, message) => {
        const subscriber = this.topicOwner.get(topic)!;
        const decoded = decodeInput(message.value, message.headers);
        if (!decoded.ok) {
          this.ignored.inc({ reason: decoded.reason });
          this.opts.logger.warn({ topic, offset: message.offset, reason: decoded.reason }, "community record not used");
          return;
        }
        const store = this.store(subscriber);
        const unmatched = store.unmatchedRetractions;
        if (store.apply(decoded.input)) this.applied.inc({ subscriber });
        else this.duplicates.inc({ subscriber });
        // A retraction that found a figure short (clamped at zero): its contribution was never counted here.
        if (store.unmatchedRetractions > unmatched) this.unmatched.inc({ subscriber });
      },
    });
    const registers = [opts.metrics];
    this.applied = new Counter({ name: "briefing_records_applied_total", help: "Community-topic records added to the aggregates", labelNames: ["subscriber"], registers });
    this.duplicates = new Counter({ name: "briefing_records_duplicate_total", help: "Redelivered records ignored (decision already counted)", labelNames: ["subscriber"], registers });
    this.ignored = new Counter({ name: "briefing_records_ignored_total", help: "Community-topic records not used, by reason", labelNames: ["reason"], registers });
    this.unmatched = new Counter({ name: "briefing_retractions_unmatched_total", help: "Retractions that found a figure they take back short (a cell, week, site or locality below zero), clamped at zero", labelNames: ["subscriber"], registers });
    const stores = this.stores;
    new Gauge({ name: "briefing_decisions_held", help: "Decisions counted in the aggregates", registers, collect() { this.set([...stores.values()].reduce((s, x) => s + x.size, 0)); } });
  }

  store(subscriberId: string): AggregateStore {
    const s = this.stores.get(subscriberId);
    if (!s) throw new Error(`no aggregates for subscriber ${subscriberId}`);
    return s;
  }

  /** The aggregates hold every community record committed before the start: pages may be served (they stay so). */
  caughtUp(): boolean {
    return this.rebuilt;
  }

  /** Rebuilt and reading what arrives now. */
  isReady(now = Date.now()): boolean {
    return this.rebuilt && this.tail.isConsuming(now);
  }

  /** Start reading; the rebuild's target is asked of the broker until it answers (never throws for the broker's sake). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.tail.start();
    this.rebuilding = this.rebuild();
  }

  private async rebuild(): Promise<void> {
    for (let attempt = 0; this.running && !this.rebuilt; attempt++) {
      try {
        const ends = await lastStableOffsets(this.kafka, [...this.topicOwner.keys()]);
        while (this.running && !(await this.tail.waitFor(ends, 5000)));
        if (!this.running) return;
        this.rebuilt = true;
        this.opts.logger.info({ decisions: [...this.stores.values()].reduce((s, x) => s + x.size, 0) }, "aggregates rebuilt from the community topics");
      } catch (err) {
        const delayMs = backoffDelay(attempt, this.opts.backoff ?? { baseMs: 1000, maxMs: 30_000 });
        this.opts.logger.warn({ err: { message: (err as Error).message }, delayMs }, "cannot read where the community topics end; retrying");
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.tail.stop();
    // The rebuild loop sees running = false within its next wait; it is not awaited (a backoff may be long).
    void this.rebuilding;
  }
}
