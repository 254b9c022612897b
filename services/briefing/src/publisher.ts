import { Counter } from "@takitini/runtime";
import type { Kafka, KafkaMessage, Producer } from "kafkajs";
import { accessMessage, briefingViewed, CHANNELS } from "./access.js";
import type { Audience } from "./audiences.js";
import { assembleBriefing } from "./briefing.js";
import { digestMessage, dueDigests, type DueDigest } from "./digest.js";
import type { AggregateStore } from "./store.js";
import { IndexedRun, runSettings, type IndexedRunSettings } from "./runner.js";

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

export interface DigestPublisherOptions extends IndexedRunSettings {
  digestTopic: string;
  /** Where the access records go (the briefing's access topic, never the decisions topic). */
  accessTopic: string;
  audiences: () => Audience[];
  store: (subscriberId: string) => AggregateStore;
  caughtUp: () => boolean;
  secret: Uint8Array;
  graceMs: number;
  lookback: number;
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
export class DigestPublisher extends IndexedRun {
  private readonly published = new Set<string>();
  private readonly count: Counter<"audience">;
  private readonly foundPublished: Counter;

  constructor(
    kafka: Kafka,
    private readonly opts: DigestPublisherOptions,
  ) {
    const registers = [opts.metrics];
    super(kafka, {
      name: "digest-index",
      topics: [opts.digestTopic],
      groupId: digestIndexGroupId(opts.groupId, opts.instanceId, opts.startedAt ?? Date.now()),
      what: "the digest topic",
      runFailures: new Counter({ name: "briefing_digest_runs_failed_total", help: "Publication runs that ended early (fenced by another instance, broker away, index behind), by the error's name; retried at the next interval", labelNames: ["reason"], registers }),
      failureMessage: "digest publication failed; will retry",
      ...runSettings(opts),
    });
    this.count = new Counter({ name: "briefing_digests_published_total", help: "Digest messages published", labelNames: ["audience"], registers });
    this.foundPublished = new Counter({ name: "briefing_digests_found_published_total", help: "Due digests found already published (by another instance) once the index had read the topic to its end", registers });
  }

  protected onMessage(_topic: string, _partition: number, message: KafkaMessage): void {
    if (message.key) this.published.add(message.key.toString("utf8"));
  }

  /** Whether the index holds this digest key (published by any instance). */
  has(key: string): boolean {
    return this.published.has(key);
  }

  private due(now: Date) {
    return dueDigests(this.opts.audiences(), this.published, now, { lookback: this.opts.lookback, graceMs: this.opts.graceMs });
  }

  /** Publish whatever is due now (once the aggregates have caught up and the index is loaded). */
  protected async run(): Promise<void> {
    if (!this.opts.caughtUp() || !this.loaded) return;
    const now = (this.opts.now ?? (() => new Date()))();
    const candidates = this.due(now);
    if (candidates.length === 0) return;
    // 1. Fence every other instance's writer; 2. read the digest topic to its last stable offset; 3. publish what is still due.
    await this.fencedRun(digestTransactionalId(this.opts.digestTopic), [this.opts.digestTopic], async (producer) => {
      const due = this.due(now);
      const found = candidates.length - due.length;
      if (found > 0) {
        this.foundPublished.inc(found);
        this.opts.logger.info({ found }, "due digests already published by another instance");
      }
      for (const d of due) await this.publishOne(producer, d, now);
    });
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
}
