import { bounded, Counter, type Logger, type Registry } from "@takitini/runtime";
import type { Kafka, Message, Producer } from "kafkajs";

/** One topic's messages of a submission's transaction. */
export interface TopicMessages {
  topic: string;
  messages: Message[];
}

export interface SubmissionWriterOptions {
  /** This instance's own (`takitini-briefing-submissions-<INSTANCE_ID>`): a second process with the same one fences the first. */
  transactionalId: string;
  /** How long one submission's transaction may take before the leader is told to try again. */
  timeoutMs: number;
  logger: Logger;
  metrics: Registry;
}

export class SubmitTimeout extends Error {
  constructor(ms: number) {
    super(`the submission's transaction did not complete within ${ms} ms`);
    this.name = "SubmitTimeout";
  }
}

/**
 * Writes each submission's records — the event on the community intelligence
 * topic, the briefing's note for the leader's status page, the access record —
 * in one Kafka transaction: all of them or none is ever read (every reader is
 * read-committed). One transaction at a time per instance (kafkajs allows one
 * per producer); a producer that failed, was fenced or timed out is replaced,
 * never reused. The leader is acknowledged only after the commit.
 */
export class SubmissionWriter {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private connected = false;
  private stopped = false;
  private readonly failures: Counter<"reason">;

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: SubmissionWriterOptions,
  ) {
    this.failures = new Counter({ name: "briefing_submission_writes_failed_total", help: "Submissions whose transaction failed or timed out (the leader was told to try again), by the error's name", labelNames: ["reason"], registers: [opts.metrics] });
  }

  /** Whether a transactional producer is connected (readiness). */
  isReady(): boolean {
    return this.connected && !this.stopped;
  }

  /** Connect now, retrying with backoff until it works or the writer stops; never throws. */
  async start(): Promise<void> {
    for (let attempt = 0; !this.stopped && !this.connected; attempt++) {
      try {
        await this.get();
      } catch (err) {
        this.opts.logger.warn({ err: { message: (err as Error).message } }, "the submissions producer cannot connect; retrying");
        await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** Math.min(attempt, 6))));
      }
    }
  }

  /** Commit every message in one transaction, or throw having made none of them visible. */
  write(records: TopicMessages[]): Promise<void> {
    const run = this.queue.then(() => this.writeNow(records));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
    await this.drop();
  }

  private async writeNow(records: TopicMessages[]): Promise<void> {
    if (this.stopped) throw new Error("the submissions writer is stopped");
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SubmitTimeout(this.opts.timeoutMs)), this.opts.timeoutMs);
    });
    try {
      await Promise.race([this.transact(records), deadline]);
    } catch (err) {
      this.failures.inc({ reason: (err as Error).name ?? "Error" });
      // Never reuse a producer whose transaction is in doubt: the broker aborts what it left open (transaction timeout) or fences it.
      await this.drop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async transact(records: TopicMessages[]): Promise<void> {
    const producer = await this.get();
    const tx = await producer.transaction();
    try {
      for (const r of records) await tx.send({ topic: r.topic, acks: -1, messages: r.messages });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
  }

  private get(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({
        transactionalId: this.opts.transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        transactionTimeout: Math.max(10_000, this.opts.timeoutMs * 2),
      });
      try {
        await producer.connect();
      } catch (err) {
        await bounded(producer.disconnect(), 5000).catch(() => undefined);
        throw err;
      }
      this.producer = producer;
      this.connected = true;
      return producer;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async drop(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    this.connected = false;
    if (p) await bounded(p.disconnect(), 5000).catch(() => undefined);
    // Reconnect in the background, so readiness reflects whether the next submission can be written.
    if (!this.stopped) void this.start();
  }
}
