/**
 * Publishing signed tree heads outside the database: the active writer puts
 * the ledger's latest signed head on the heads topic (HEADS_TOPIC), where the
 * oversight body's witness (tools/witness.ts) reads it as its own principal.
 *
 * The head is in PostgreSQL before it is published, so publishing never stands
 * in the way of an append or a signing: a poll every HEAD_PUBLISH_POLL_MS
 * reads the latest head and publishes it if it is not the one last published.
 * While Kafka is away the poll keeps failing (counted, logged once) and
 * `audit_heads_unpublished` counts the heads signed since the last published
 * one; when Kafka is back the latest head goes out, which attests every leaf
 * the skipped ones did. A new active writer publishes the latest head at once
 * (the witness takes a repeat as a duplicate).
 *
 * Message: key DATABASE_SCHEMA (the ledger), value one JSON line
 * (verify/witness.ts `formatHeadLine`), header `event-type: audit.tree_head`.
 */
import { Counter, Gauge, type Logger, type Registry } from "@takitini/runtime";
import type { Kafka, Producer } from "kafkajs";
import type { Ledger } from "../ledger/index.js";
import type { SqlSession } from "../ledger/sql.js";
import type { SignedTreeHead } from "../merkle/index.js";
import { formatHeadLine } from "../verify/witness.js";

export const HEAD_EVENT_TYPE = "audit.tree_head";

export interface HeadPublisherOptions {
  kafka: Kafka;
  ledger: Ledger;
  db: SqlSession;
  topic: string;
  /** The message key: the ledger's schema, so ledgers sharing a topic stay apart. */
  ledgerName: string;
  pollMs: number;
  /** Publish only while this instance is the active writer. */
  isActive: () => boolean;
  logger: Logger;
  metrics?: Registry;
  /** Longest wait for one send (connect and produce). */
  sendTimeoutMs?: number;
}

/** Whether `latest` still has to be published after `published`. Pure. */
export function needsPublishing(published: SignedTreeHead | undefined, latest: SignedTreeHead | undefined): latest is SignedTreeHead {
  if (latest === undefined) return false;
  if (published === undefined) return true;
  return published.treeSize !== latest.treeSize || published.timestampMs !== latest.timestampMs || !published.rootHash.equals(latest.rootHash);
}

export class HeadPublisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private producer: Producer | undefined;
  private connected = false;
  private published: SignedTreeHead | undefined;
  /** Before the first publication: heads issued after this count as unpublished (the latest at start included). */
  private baselineMs: number | undefined;
  private failing = false;
  private unpublishedCount = 0;
  private readonly publishedTotal?: Counter;
  private readonly failures?: Counter;

  constructor(private readonly opts: HeadPublisherOptions) {
    const registers = opts.metrics ? [opts.metrics] : undefined;
    if (registers) {
      const self = this;
      new Gauge({
        name: "audit_heads_unpublished",
        help: "Signed tree heads not yet published to the heads topic (signed since the last one published; 0 once the latest is out)",
        registers,
        collect() {
          this.set(self.unpublishedCount);
        },
      });
      this.publishedTotal = new Counter({ name: "audit_heads_published_total", help: "Signed tree heads published to the heads topic", registers });
      this.failures = new Counter({ name: "audit_head_publish_failures_total", help: "Attempts to publish a tree head that Kafka did not take (retried on the next poll)", registers });
    }
  }

  /** Heads signed but not yet published, as of the last poll. */
  get unpublished(): number {
    return this.unpublishedCount;
  }

  /** The last head this process published. */
  get lastPublished(): SignedTreeHead | undefined {
    return this.published;
  }

  start(): this {
    this.timer ??= setInterval(() => {
      this.running = this.running.then(() => this.poll());
    }, this.opts.pollMs);
    this.timer.unref();
    return this;
  }

  /** One poll: publish the latest head if this instance is the active writer and it is not out yet. Never throws. */
  async poll(force = false): Promise<void> {
    if (!force && !this.opts.isActive()) return;
    try {
      const latest = await this.opts.ledger.latestHead();
      if (!needsPublishing(this.published, latest)) {
        this.unpublishedCount = 0;
        return;
      }
      this.baselineMs ??= latest.timestampMs - 1;
      await this.countUnpublished();
      await this.send(latest);
      this.published = latest;
      this.unpublishedCount = 0;
      this.publishedTotal?.inc();
      if (this.failing) this.opts.logger.info({ code: "HEADS_PUBLISHING_AGAIN", treeSize: latest.treeSize }, "tree heads are published to Kafka again");
      this.failing = false;
    } catch (err) {
      this.failures?.inc();
      if (!this.failing) this.opts.logger.warn({ err, code: "HEAD_PUBLISH_FAILED", topic: this.opts.topic, unpublished: this.unpublishedCount }, "a signed tree head could not be published; retrying (it is kept in the ledger)");
      this.failing = true;
      await this.dropProducer();
    }
  }

  /** Stop polling, then publish the latest head (the final one the writer signed at shutdown) and disconnect. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.poll(true);
    await this.dropProducer();
  }

  private async countUnpublished(): Promise<void> {
    const since = this.published?.timestampMs ?? this.baselineMs!;
    const { rows } = await this.opts.db.query<{ n: string | number }>("select count(*) as n from ledger_heads where issued_at_ms > $1", [String(since)]);
    this.unpublishedCount = Number(rows[0]?.n ?? 0);
  }

  private async send(head: SignedTreeHead): Promise<void> {
    const timeoutMs = this.opts.sendTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`publishing the tree head took longer than ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([
        (async () => {
          // Held before it connects, so a timed-out connect is disconnected by dropProducer, not leaked.
          const producer = (this.producer ??= this.opts.kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 2 } }));
          if (!this.connected) {
            await producer.connect();
            this.connected = true;
          }
          await producer.send({
            topic: this.opts.topic,
            acks: -1,
            messages: [{ key: this.opts.ledgerName, value: formatHeadLine(head), headers: { "event-type": HEAD_EVENT_TYPE } }],
          });
        })(),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async dropProducer(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    this.connected = false;
    await p?.disconnect().catch(() => undefined);
  }
}
