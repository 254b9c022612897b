import { randomUUID } from "node:crypto";
import { HEADERS, headerValue, type Logger } from "@takitini/runtime";
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import { prepareDelivery } from "../subscribe/delivery.js";
import type { ForeignPartner } from "./resources.js";
import { REVISION_LEGAL_BASIS } from "../revision.js";
import { revokeStix, toStix } from "./stix.js";
import type { CollectionStore, Entry } from "./store.js";

/**
 * A delivery record of a foreign partner's topic, as a collection entry. Pure.
 * A raw view (full or redacted) becomes its STIX objects (a correction the partner
 * receives: new versions of the record's objects, whose ids name the record). A
 * withdrawal notice becomes the revocation of the objects of the version it names
 * (`prior` finds that version's entry), recorded under the revision's legal basis.
 * Anything else (an aggregate or link-alert view, a record the exchange did not
 * write) is skipped with the reason.
 */
export function entryOf(
  partner: ForeignPartner,
  record: { topic: string; partition: number; offset: string; timestamp: string; value: Buffer | null; headers: Parameters<typeof prepareDelivery>[0]["headers"] },
  prior: (eventId: string) => Entry | undefined = () => undefined,
): { ok: true; entry: Entry } | { ok: false; reason: string } {
  const prepared = prepareDelivery(record);
  if (!prepared.ok) return prepared;
  const { response, view } = prepared;
  const dateAddedMs = Number(record.timestamp);
  if (!Number.isSafeInteger(dateAddedMs) || dateAddedMs <= 0) return { ok: false, reason: "NO_TIMESTAMP" };
  const common = { subscriberId: partner.id, dateAddedMs, topic: record.topic, partition: record.partition, offset: record.offset, decisionId: view.decisionId, traceId: view.traceId };
  if (response.withdrawalNotice) {
    const notice = response.withdrawalNotice;
    const held = prior(notice.eventId);
    // A version this collection never held (or no longer holds: past the topic's retention): nothing to revoke here.
    if (!held) return { ok: false, reason: "WITHDRAWN_VERSION_NOT_HELD" };
    const objects = revokeStix(held.objects, notice.noticedAt ?? new Date(dateAddedMs));
    return { ok: true, entry: { ...common, eventId: notice.eventId, legalBasis: headerValue(record.headers, HEADERS.LEGAL_BASIS) ?? REVISION_LEGAL_BASIS, objects } };
  }
  if (!response.event || (response.view !== "full" && response.view !== "redacted")) return { ok: false, reason: "NOT_A_RAW_VIEW" };
  const legalBasis = headerValue(record.headers, HEADERS.LEGAL_BASIS) ?? "";
  // Nothing leaves without the agreement it was released under.
  if (legalBasis === "") return { ok: false, reason: "NO_LEGAL_BASIS" };
  const objects = toStix({
    partner: { id: partner.id, country: partner.country },
    decisionId: view.decisionId,
    policyRevision: response.policyRevision,
    view: response.view,
    legalBasis,
    event: response.event,
    dateAdded: new Date(dateAddedMs),
  });
  return { ok: true, entry: { ...common, eventId: view.eventId, legalBasis, objects } };
}

export interface FeedOptions {
  kafka: Kafka;
  logger: Logger;
  store: CollectionStore;
  partners: ForeignPartner[];
  groupPrefix: string;
  sessionTimeoutMs: number;
  /** Counted per entry added. */
  onEntry?: (subscriberId: string) => void;
  /** With no batch for this long after joining, partitions still short of their start offsets are taken as read (their tail was aborted records or markers only). */
  quietMs?: number;
}

/**
 * Reads every foreign partner's delivery topic, read-committed, from the oldest
 * retained record, into the collection store, and keeps reading. A throwaway
 * consumer group that never commits: the topics are the state. `caughtUp()` once
 * every partition has been read to where it ended when the feed started — until
 * then the server answers 503, so a partner polling by added_after never passes an
 * older delivery not yet read.
 */
export class CollectionFeed {
  private readonly consumer: Consumer | undefined;
  private readonly byTopic: Map<string, ForeignPartner>;
  /** "topic/partition" → the offset reading must reach (the start's high watermark - 1, markers included). */
  private readonly targets = new Map<string, bigint>();
  private caught = false;
  private running = false;
  private joinedAt: number | undefined;
  private lastBatchAt = 0;
  private quiet: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: FeedOptions) {
    this.log = opts.logger.child({ component: "taxii-feed" });
    this.byTopic = new Map(opts.partners.map((p) => [p.deliveryTopic, p]));
    if (opts.partners.length === 0) {
      this.caught = true;
      return;
    }
    this.consumer = opts.kafka.consumer({
      groupId: `${opts.groupPrefix}-taxii-${randomUUID()}`,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      sessionTimeout: opts.sessionTimeoutMs,
      maxWaitTimeInMs: 500,
    });
  }

  caughtUp(): boolean {
    return this.caught;
  }

  isRunning(): boolean {
    return this.consumer === undefined || this.running;
  }

  async start(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    const topics = [...this.byTopic.keys()];
    const admin = this.opts.kafka.admin();
    await admin.connect();
    try {
      for (const topic of topics) {
        for (const p of await admin.fetchTopicOffsets(topic)) {
          const high = BigInt(p.high);
          if (high > BigInt(p.low)) this.targets.set(`${topic}/${p.partition}`, high - 1n);
        }
      }
    } finally {
      await admin.disconnect();
    }
    if (this.targets.size === 0) this.markCaughtUp();
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joinedAt = Date.now();
      this.lastBatchAt = Date.now();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.log.warn({ err: payload.error, restart: payload.restart }, "TAXII feed consumer crashed");
      if (!payload.restart) this.running = false;
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch: (b) => this.onBatch(b) });
    this.running = true;
    const quietMs = this.opts.quietMs ?? 5_000;
    this.quiet = setInterval(() => {
      if (this.caught || this.joinedAt === undefined) return;
      if (Date.now() - this.lastBatchAt >= quietMs) {
        this.log.info({ short: [...this.targets.keys()] }, "TAXII feed: no batch for a while after joining; taking the partitions' tails as read");
        this.markCaughtUp();
      }
    }, 250);
    this.quiet.unref();
    this.log.info({ topics }, "TAXII feed reading the foreign partners' delivery topics");
  }

  private markCaughtUp(): void {
    if (this.caught) return;
    this.caught = true;
    this.log.info("TAXII feed caught up");
  }

  private async onBatch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    this.lastBatchAt = Date.now();
    const partner = this.byTopic.get(batch.topic);
    for (const message of batch.messages) {
      if (partner) {
        const got = entryOf(partner, { topic: batch.topic, partition: batch.partition, offset: message.offset, timestamp: message.timestamp, value: message.value, headers: message.headers }, (eventId) =>
          this.opts.store.latestFor(partner.id, eventId),
        );
        if (got.ok) {
          if (this.opts.store.add(got.entry)) this.opts.onEntry?.(partner.id);
        } else if (got.reason !== "NOT_A_RAW_VIEW") {
          // Logged by position and reason only: never the content.
          this.log.warn({ topic: batch.topic, partition: batch.partition, offset: message.offset, reason: got.reason }, "TAXII feed skipping a delivery");
        }
      }
      resolveOffset(message.offset);
    }
    const key = `${batch.topic}/${batch.partition}`;
    const target = this.targets.get(key);
    if (target !== undefined && BigInt(batch.lastOffset()) >= target - 1n) {
      // Reached the start's end (the last slot may be the transaction's marker, never a view).
      this.targets.delete(key);
      if (this.targets.size === 0) this.markCaughtUp();
    }
    await heartbeat();
  }

  async stop(): Promise<void> {
    clearInterval(this.quiet);
    this.running = false;
    await this.consumer?.disconnect();
  }
}
