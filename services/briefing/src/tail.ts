import { backoffDelay, bounded, Counter, isConsuming, logKafkaRefusal, type Backoff, type Logger } from "@takitini/runtime";
import type { Consumer, Kafka, KafkaMessage } from "kafkajs";

/** `topic/partition`: a partition's key in a tail's positions and ends. */
export const partitionKey = (topic: string, partition: number) => `${topic}/${partition}`;

/**
 * Where a reader is after a batch: past its last offset (for a batch of
 * transaction markers or aborted records alone — which never reach eachMessage —
 * kafkajs reports the offset it moved past). Never back. Pure.
 */
export function positionAfter(current: bigint | undefined, lastOffset: string): bigint {
  const next = BigInt(lastOffset) + 1n;
  return current !== undefined && current > next ? current : next;
}

/** Whether the reader has read every partition up to its end. Pure. */
export function reached(positions: ReadonlyMap<string, bigint>, ends: ReadonlyMap<string, bigint>): boolean {
  for (const [key, end] of ends) if ((positions.get(key) ?? -1n) < end) return false;
  return true;
}

/**
 * The ends of the topics' non-empty partitions: the last stable offsets (kafkajs's
 * admin lists offsets read-committed), below which no transaction is open.
 */
export async function lastStableOffsets(kafka: Kafka, topics: readonly string[]): Promise<Map<string, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, bigint>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) ends.set(partitionKey(topic, p.partition), BigInt(p.high));
    }
    return ends;
  } finally {
    await bounded(admin.disconnect(), 5000);
  }
}

export interface TopicTailOptions {
  /** What the tail is, in logs and in its restarts' metric label. */
  name: string;
  topics: string[];
  /** This instance's own group (it commits nothing): every instance reads every partition. */
  groupId: string;
  logger: Logger;
  /** Counts restarts, labelled by tail and error name. */
  restarts: Counter<"tail" | "reason">;
  onMessage: (topic: string, partition: number, message: KafkaMessage) => void;
  /** Delays between restarts of a crashed consumer; default 1 s to 30 s. */
  backoff?: Backoff;
  /** Not consuming when no fetch completed within this long; default 20 s. */
  stallMs?: number;
  /** Bound on leaving the group when stopping or restarting; default 10 s. */
  stopTimeoutMs?: number;
}

/**
 * A read-committed reader of whole topics, from the beginning, into memory: a
 * consumer group of this instance's own that never commits, so every instance
 * reads every partition. It keeps where it is in each partition; a crashed
 * consumer — any error, NonRetriable included (kafkajs never restarts it) — is
 * replaced after a backoff (logged TAIL_RESTARTING, counted), and the new one
 * resumes from those positions rather than from the beginning.
 */
export class TopicTail {
  readonly positions = new Map<string, bigint>();
  private consumer: Consumer | undefined;
  private running = false;
  private joined = false;
  private lastFetchAt = 0;
  private restartAttempt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private launching: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: TopicTailOptions,
  ) {}

  /** In its group and fetching within the stall window. */
  isConsuming(now = Date.now()): boolean {
    return isConsuming({ running: this.running, joined: this.joined, lastProgressAt: this.lastFetchAt }, now, this.opts.stallMs ?? 20_000);
  }

  /** Start reading; a consumer that cannot start now is retried with backoff (never throws for the broker's sake). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.restartAttempt = 0;
    await this.launch();
  }

  /** Resolves true once every partition is read up to `ends`, false after `timeoutMs`. */
  async waitFor(ends: ReadonlyMap<string, bigint>, timeoutMs: number): Promise<boolean> {
    if (reached(this.positions, ends)) return true;
    return new Promise<boolean>((resolve) => {
      const check = () => {
        if (!reached(this.positions, ends)) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      this.waiters.add(check);
    });
  }

  private moved(topic: string, partition: number, next: bigint): void {
    const key = partitionKey(topic, partition);
    if ((this.positions.get(key) ?? -1n) >= next) return;
    this.positions.set(key, next);
    for (const w of [...this.waiters]) w();
  }

  private newConsumer(): Consumer {
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      // A replaced consumer that could not leave (the broker was away) holds up the new one's join until its session ends: keep it short.
      sessionTimeout: 10_000,
      heartbeatInterval: 3000,
      // This class replaces a crashed consumer itself, with its own backoff.
      retry: { retries: 5, restartOnFailure: async () => false },
    });
    const mine = () => this.consumer === consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (!mine()) return;
      this.joined = true;
      this.restartAttempt = 0;
      this.lastFetchAt = Date.now();
      // A new consumer (or a rejoin) starts where this tail is, not at the oldest record.
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const at = this.positions.get(partitionKey(topic, partition));
          if (at !== undefined) consumer.seek({ topic, partition, offset: at.toString() });
        }
      }
    });
    consumer.on(consumer.events.FETCH, () => {
      if (mine()) this.lastFetchAt = Date.now();
    });
    // Batches of transaction markers (or aborted records) alone never reach eachMessage; their end-of-batch event still moves the reader.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (mine()) this.moved(payload.topic, payload.partition, positionAfter(this.positions.get(partitionKey(payload.topic, payload.partition)), payload.lastOffset));
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!mine()) return;
      this.joined = false;
      logKafkaRefusal(this.opts.logger, payload.error, { operation: "consume", topics: this.opts.topics, group: this.opts.groupId });
      this.scheduleRestart(payload.error);
    });
    return consumer;
  }

  private async launch(): Promise<void> {
    if (!this.running) return;
    const consumer = this.newConsumer();
    this.consumer = consumer;
    this.joined = false;
    const mine = () => this.consumer === consumer;
    this.launching = (async () => {
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: this.opts.topics, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            if (!mine()) return;
            this.opts.onMessage(topic, partition, message);
            this.moved(topic, partition, BigInt(message.offset) + 1n);
          },
        });
      } catch (err) {
        if (this.consumer !== consumer) return;
        this.scheduleRestart(err as Error);
      }
    })();
    await this.launching;
  }

  private scheduleRestart(err: Error): void {
    if (!this.running || this.restartTimer) return;
    this.joined = false;
    const delayMs = backoffDelay(this.restartAttempt++, this.opts.backoff ?? { baseMs: 1000, maxMs: 30_000 });
    this.opts.restarts.inc({ tail: this.opts.name, reason: err?.name ?? "Error" });
    this.opts.logger.warn(
      { code: "TAIL_RESTARTING", tail: this.opts.name, attempt: this.restartAttempt, delayMs, kafkaError: { type: err?.name, message: err?.message, retriable: (err as { retriable?: boolean })?.retriable } },
      "a Kafka consumer of the briefing stopped; starting a new one after a backoff",
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void (async () => {
        await this.leave();
        await this.launch();
      })();
    }, delayMs);
  }

  private async leave(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    this.joined = false;
    await bounded((async () => {
      await this.launching?.catch(() => undefined);
      await consumer?.disconnect();
    })(), this.opts.stopTimeoutMs ?? 10_000);
  }

  /** Stop reading (leaving the group, bounded). Positions are kept: a start resumes from them. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.leave();
  }
}

/** The recovery settings a tail's owner was given, without the unset ones (exactOptionalPropertyTypes). Pure. */
export function tailRecovery(o: { backoff?: Backoff | undefined; stallMs?: number | undefined; stopTimeoutMs?: number | undefined }): Pick<TopicTailOptions, "backoff" | "stallMs" | "stopTimeoutMs"> {
  return { ...(o.backoff ? { backoff: o.backoff } : {}), ...(o.stallMs ? { stallMs: o.stallMs } : {}), ...(o.stopTimeoutMs ? { stopTimeoutMs: o.stopTimeoutMs } : {}) };
}

/**
 * Read a tail up to where its topics end now (their last stable offsets),
 * retrying with backoff while the broker cannot say. Resolves true once there,
 * false if `running()` turned false first.
 */
export async function readToEnd(kafka: Kafka, tail: TopicTail, topics: readonly string[], o: { running: () => boolean; backoff?: Backoff | undefined; logger: Logger; what: string }): Promise<boolean> {
  for (let attempt = 0; o.running(); attempt++) {
    try {
      const ends = await lastStableOffsets(kafka, topics);
      while (o.running() && !(await tail.waitFor(ends, 5000)));
      return o.running();
    } catch (err) {
      const delayMs = backoffDelay(attempt, o.backoff ?? { baseMs: 1000, maxMs: 30_000 });
      o.logger.warn({ err: { message: (err as Error).message }, delayMs }, `cannot read where ${o.what} ends; retrying`);
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  return false;
}
