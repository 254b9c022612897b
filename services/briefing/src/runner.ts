import { bounded, type Backoff, type Counter, type Logger, type Registry } from "@takitini/runtime";
import type { Kafka, KafkaMessage, Producer } from "kafkajs";
import { lastStableOffsets, readToEnd, tailRecovery, TopicTail } from "./tail.js";

export interface IndexedRunOptions {
  /** The tail's name (logs, restart metric), its topics and its group (this instance's own). */
  name: string;
  topics: string[];
  groupId: string;
  /** What the index reads, in logs: "the digest topic". */
  what: string;
  intervalMs: number;
  logger: Logger;
  restarts: Counter<"tail" | "reason">;
  /** Counts runs that ended early, by error name. */
  runFailures: Counter<"reason">;
  /** Logged when a run fails: "digest publication failed; will retry". */
  failureMessage: string;
  backoff?: Backoff | undefined;
  stallMs?: number | undefined;
  stopTimeoutMs?: number | undefined;
  indexWaitMs?: number | undefined;
}

/** What the owner of an IndexedRun (the digest publisher, the mailer) is given besides its own work. */
export interface IndexedRunSettings {
  /** The service's GROUP_ID: every consumer group created here begins with it. */
  groupId: string;
  instanceId: string;
  /** How often a run looks for what is due. */
  intervalMs: number;
  logger: Logger;
  metrics: Registry;
  /** Counts restarts of the briefing's consumers (shared with the feed). */
  restarts: Counter<"tail" | "reason">;
  backoff?: Backoff;
  stallMs?: number;
  stopTimeoutMs?: number;
  /** Longest wait for the index to reach its topics' end before a run (default 60 s). */
  indexWaitMs?: number;
  now?: () => Date;
  /** When this process started (the index's fresh group). */
  startedAt?: number;
}

/** The settings an IndexedRun takes as its owner was given them. Pure. */
export function runSettings(o: Pick<IndexedRunOptions, "intervalMs" | "logger" | "restarts" | "backoff" | "stallMs" | "stopTimeoutMs" | "indexWaitMs">) {
  return { intervalMs: o.intervalMs, logger: o.logger, restarts: o.restarts, backoff: o.backoff, stallMs: o.stallMs, stopTimeoutMs: o.stopTimeoutMs, indexWaitMs: o.indexWaitMs };
}

/**
 * What the digest publisher and the mailer share: an index of topics (a
 * read-committed tail of this instance's own, read to its end at start), and
 * a run every interval, one at a time, whose work is done under the one
 * transactional id every instance shares (fencedRun).
 */
export abstract class IndexedRun {
  protected readonly tail: TopicTail;
  protected started = false;
  protected loaded = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    protected readonly kafka: Kafka,
    private readonly base: IndexedRunOptions,
  ) {
    this.tail = new TopicTail(kafka, { name: base.name, topics: base.topics, groupId: base.groupId, logger: base.logger, restarts: base.restarts, ...tailRecovery(base), onMessage: (t, p, m) => this.onMessage(t, p, m) });
  }

  /** One record of the index's topics (read-committed, in order per partition). */
  protected abstract onMessage(topic: string, partition: number, message: KafkaMessage): void;
  /** One run: whatever is due now. */
  protected abstract run(): Promise<void>;

  /** The index has read its topics to where they ended at start, and is reading now. */
  isReady(now = Date.now()): boolean {
    return this.loaded && this.tail.isConsuming(now);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.tail.start();
    const loading = (async () => void (this.loaded = await readToEnd(this.kafka, this.tail, this.base.topics, { running: () => this.started, backoff: this.base.backoff, logger: this.base.logger, what: this.base.what })))();
    this.timer = setInterval(() => void this.tick(), this.base.intervalMs);
    void loading.then(() => this.tick());
  }

  /** Run now (or join the run in progress). */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.run()
      .catch((err: Error) => {
        this.base.runFailures.inc({ reason: err?.name ?? "Error" });
        this.base.logger.error({ err: { type: err?.name, message: err?.message } }, this.base.failureMessage);
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * A fresh producer with the transactional id every instance shares: its
   * initialisation fences every other instance's writer (and ends the
   * transaction that one left open); then the index is read to the last stable
   * offsets of `topics`, so everything ever committed there is in it; then `work`.
   */
  protected async fencedRun(transactionalId: string, topics: readonly string[], work: (producer: Producer) => Promise<void>): Promise<void> {
    const producer = this.kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30_000, allowAutoTopicCreation: false });
    try {
      await producer.connect();
      await (await producer.transaction()).abort();
      const ends = await lastStableOffsets(this.kafka, topics);
      if (!(await this.tail.waitFor(ends, this.base.indexWaitMs ?? 60_000))) throw Object.assign(new Error(`the index did not reach the end of ${this.base.what} in time`), { name: "IndexBehind" });
      await work(producer);
    } finally {
      await bounded(producer.disconnect(), this.base.stopTimeoutMs ?? 10_000);
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.tail.stop();
  }
}
