import { IntelligenceEvent } from "@takitini/proto";
import { logKafkaRefusal, sleep, type EventIdKey, type Logger, type TraceContext } from "@takitini/runtime";
import type { Kafka, Producer } from "kafkajs";
import { claimRevision, claimTransactionalId, contentDigests, encodeClaim, type ClaimIndex } from "./claims.js";
import type { ClaimsTail } from "./claims-tail.js";
import { CONTENT_HASH_HEADER } from "./content.js";
import { eventHeaders, type PublishResult } from "./publisher.js";

/**
 * A publish that did not complete within its deadline (or with the broker unreachable).
 * Nothing is committed after the deadline, but a commit the broker applied whose answer was
 * lost (the connection dropped mid-commit) is in doubt: the caller retries the same record,
 * which then answers duplicate.
 */
export class PublishTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PublishTimeout";
  }
}

/** One event waiting for its partition's writer; `settle` answers the caller (an Error: not published). */
export interface Job {
  event: IntelligenceEvent;
  trace: TraceContext;
  fingerprint: string;
  deadline: number;
  settle: (r: PublishResult | Error) => void;
}

/** Most events in one transaction. */
const MAX_BATCH = 500;

/**
 * The writer of one claims partition (and the same partition of the
 * intelligence topic). Jobs queue; each turn takes every live one (a group
 * commit) and, in one Kafka transaction, writes the new events and their
 * claims. Its transactional producer is initialised once and reused while it
 * stays the partition's owner (the fast path). Initialising fences any other
 * instance's producer on the partition and aborts its open transaction; the
 * writer then waits until the claims tail has read the partition to its last
 * stable offset, so every claim any instance committed is in the index before it
 * decides what is new. A commit can therefore succeed only if nobody claimed the
 * partition since: a fenced or failed transaction is dropped with its producer,
 * and the turn starts over from the check, until the jobs' deadline.
 */
export class ClaimWriter {
  private queue: Job[] = [];
  private running = false;
  private producer: Producer | undefined;
  private readonly transactionalId: string;
  /** How long taking the partition (fence, then read the claims) has taken lately, in ms. */
  private takeoverMs = 100;

  constructor(
    private readonly o: {
      kafka: Kafka;
      topic: string;
      claimsTopic: string;
      partition: number;
      prefix: string;
      index: ClaimIndex;
      tail: ClaimsTail;
      key: EventIdKey;
      logger: Logger;
    },
  ) {
    this.transactionalId = claimTransactionalId(o.prefix, o.claimsTopic, o.partition);
  }

  enqueue(job: Job): void {
    this.queue.push(job);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (;;) {
        const now = Date.now();
        for (const j of this.queue) if (j.deadline <= now) j.settle(new PublishTimeout("deadline passed before the write"));
        this.queue = this.queue.filter((j) => j.deadline > now);
        if (this.queue.length === 0) return;
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.turn(batch);
      }
    } finally {
      this.running = false;
    }
  }

  /** Until every job is answered or past its deadline. */
  private async turn(jobs: Job[]): Promise<void> {
    for (let attempt = 0; jobs.length > 0; attempt++) {
      try {
        await this.own(earliest(jobs));
        jobs = await this.transaction(jobs);
      } catch (err) {
        logKafkaRefusal(this.o.logger, err, { operation: "write to", topics: [this.o.topic, this.o.claimsTopic] });
        this.o.logger.warn({ err: (err as Error).message, partition: this.o.partition, attempt }, "claim transaction failed; starting over from the check");
        await this.drop();
        jobs = this.expire(jobs, err);
        if (jobs.length === 0) break;
        // Another instance fencing this one is most likely writing the same records (a client
        // that sent one to both, or retried at the other): stand back for longer than a
        // takeover takes, so one of the two finishes, then answer from the claims it committed
        // before taking the partition back for whatever is still new.
        await sleep(Math.min(contentionPause(attempt, this.takeoverMs, Math.random()), Math.max(0, earliest(jobs) - Date.now())));
        jobs = await this.answerFromClaims(this.expire(jobs, err));
      }
    }
  }

  /** Settle the jobs past their deadline (with a PublishTimeout naming `err`); the rest. */
  private expire(jobs: Job[], err: unknown): Job[] {
    const now = Date.now();
    for (const j of jobs) if (j.deadline <= now) j.settle(err instanceof PublishTimeout ? err : new PublishTimeout((err as Error).message));
    return jobs.filter((j) => j.deadline > now);
  }

  /**
   * Without taking the partition: read the claims to the last stable offset and answer every
   * job a committed claim decides (duplicate or conflict). Deciding that a record is new needs
   * the fence, so those are left for the next turn. A slow read leaves every job to it.
   */
  private async answerFromClaims(jobs: Job[]): Promise<Job[]> {
    if (jobs.length === 0) return jobs;
    try {
      await bounded(this.o.tail.reachEnd(this.o.partition), earliest(jobs), "reading the claims");
    } catch {
      return jobs;
    }
    return jobs.filter((j) => !this.settleKnown(j));
  }

  /** Answer `j` if a committed claim decides it (duplicate, or conflict with the differing paths). */
  private settleKnown(j: Job): boolean {
    const verdict = this.o.index.judge(j.event, j.fingerprint);
    if (verdict.kind === "new") return false;
    const base = { eventId: j.event.id, topic: this.o.topic, ...verdict.placed, duplicate: true };
    j.settle(verdict.kind === "conflict" ? { ...base, conflict: { paths: verdict.paths } } : base);
    return true;
  }

  /** Be the partition's writer: initialise (fencing others), then read every committed claim on it. */
  private async own(deadline: number): Promise<void> {
    if (this.producer) return;
    const started = Date.now();
    const producer = this.o.kafka.producer({ transactionalId: this.transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, transactionTimeout: 60_000,
      // A transaction begun while the last one's markers are still being written is
      // answered CONCURRENT_TRANSACTIONS: retry within milliseconds (the Java client's
      // 20 ms), not the mesh's default 200 ms, or every transaction waits that long.
      retry: { initialRetryTime: 10, maxRetryTime: 2000, retries: 12 },
    });
    this.producer = producer;
    await bounded(producer.connect(), deadline, "connecting the claim writer");
    // kafkajs initialises the transactional id (InitProducerId: the fence) at the
    // first transaction, not at connect: begin an empty one, which sends nothing.
    const fence = await bounded(producer.transaction(), deadline, "initialising the claim writer (fencing)");
    await bounded(fence.abort(), deadline, "initialising the claim writer");
    const admin = this.o.kafka.admin();
    await bounded(admin.connect(), deadline, "connecting");
    try {
      // ListOffsets at read_committed: the partition's last stable offset.
      const ends = await bounded(admin.fetchTopicOffsets(this.o.claimsTopic), deadline, "reading the claims' last stable offset");
      const end = ends.find((p) => p.partition === this.o.partition);
      if (!end) throw new Error(`claims partition ${this.o.partition} not found`);
      await bounded(this.o.tail.reach(this.o.partition, BigInt(end.high)), deadline, "reading the claims");
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    // A moving average of how long taking the partition takes here: the contention pause's scale.
    this.takeoverMs = Math.round(0.7 * this.takeoverMs + 0.3 * (Date.now() - started));
  }

  /** One transaction: the new events and their claims. Returns the jobs still to do (none). */
  private async transaction(jobs: Job[]): Promise<Job[]> {
    const fresh: Job[] = [];
    const firstOf = new Map<string, Job>();
    const later: Job[] = [];
    for (const j of jobs) {
      if (this.settleKnown(j)) continue;
      if (firstOf.has(j.event.id)) later.push(j);
      else {
        firstOf.set(j.event.id, j);
        fresh.push(j);
      }
    }
    if (fresh.length === 0) return later;
    const producer = this.producer!;
    const deadline = earliest(fresh);
    const tx = await bounded(producer.transaction(), deadline, "beginning a transaction");
    const partition = this.o.partition;
    try {
      const meta = await bounded(
        tx.send({
          topic: this.o.topic,
          acks: -1,
          messages: fresh.map(({ event, trace, fingerprint }) => ({
            key: event.id,
            partition,
            value: Buffer.from(IntelligenceEvent.encode(event).finish()),
            headers: { ...eventHeaders(event, trace), [CONTENT_HASH_HEADER]: fingerprint },
          })),
        }),
        deadline,
        "writing the events",
      );
      const base = BigInt(meta.find((m) => m.partition === partition)?.baseOffset ?? "0");
      const claims = fresh.map(({ event, fingerprint }, i) => encodeClaim({ partition, offset: (base + BigInt(i)).toString(), fingerprint, digests: contentDigests(event, this.o.key), ...claimRevision(event) }));
      await bounded(tx.send({ topic: this.o.claimsTopic, acks: -1, messages: fresh.map(({ event }, i) => ({ key: event.id, partition, value: claims[i]! })) }), deadline, "writing the claims");
      // A record whose caller has been answered 503 is never committed.
      if (Date.now() >= deadline) throw new PublishTimeout("deadline passed before the commit");
      await tx.commit();
      fresh.forEach(({ event }, i) => this.o.index.learn(event.id, claims[i]!));
      fresh.forEach((j, i) => j.settle({ eventId: j.event.id, topic: this.o.topic, partition, offset: (base + BigInt(i)).toString(), duplicate: false }));
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
    // Resubmissions within the batch answer against the claims just committed.
    return later;
  }

  /** Forget the producer: the next turn initialises a new one (which aborts anything it left open). */
  private async drop(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => undefined);
  }

  async close(): Promise<void> {
    const waiting = this.queue;
    this.queue = [];
    for (const j of waiting) j.settle(new PublishTimeout("the publisher is closing"));
    await this.drop();
  }
}

/**
 * How long a writer that lost its partition to another instance waits before trying again:
 * uniformly random up to twice the recent takeover time, doubling with each consecutive loss
 * (at most eight times), the window between 50 ms and 5 s. A pause shorter than a takeover would let the
 * two instances fence each other in turn until every caller's deadline passed.
 */
export function contentionPause(attempt: number, takeoverMs: number, random: number): number {
  const window = Math.min(5_000, Math.max(50, 2 * takeoverMs) * 2 ** Math.min(Math.max(0, attempt), 3));
  return Math.floor(random * window);
}

/** The earliest deadline among `jobs`. */
const earliest = (jobs: readonly Job[]) => Math.min(...jobs.map((j) => j.deadline));

/** `promise`, or a PublishTimeout at `deadline` naming what was under way. */
function bounded<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => undefined);
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new PublishTimeout(`${what}: deadline passed`)), Math.max(0, deadline - Date.now()))))]).finally(() => clearTimeout(timer));
}
