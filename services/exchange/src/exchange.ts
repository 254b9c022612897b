import { backoffDelay, bounded, Counter, Gauge, Histogram, isConsuming, logKafkaRefusal, type Backoff, type Logger, type Registry } from "@takitini/runtime";
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer, TopicMessages } from "kafkajs";
import type { RecordRecipients } from "@takitini/proto";
import { admissible, offsetsToCommit, type ChunkToCommit } from "./commit.js";
import { planRecord, type OutMessage, type Plan, type SourceRecord } from "./plan.js";
import { DEFAULT_RECORDS_TOPIC, RecordsTable, type Records } from "./records.js";
import { encodeRecipients } from "./revision.js";
import { agencyName } from "./provenance.js";
import type { PolicySource } from "./policy/reloading.js";

export interface ExchangeOptions {
  kafka: Kafka;
  /** Read once per transaction: a hot reload swaps the policy between chunks, never within one. */
  policy: PolicySource;
  logger: Logger;
  metrics: Registry;
  intelTopics: string[];
  auditTopic: string;
  deadLetterTopic: string;
  /** Where a leader's submission's receipt goes, in the transaction of its decisions. Default takitini.community-receipts.v1. */
  receiptsTopic?: string;
  /** The exchange's compacted records topic: who holds each record (records.ts). Default takitini.exchange-records.v1. */
  recordsTopic?: string;
  /** The records table itself (tests of the shell on a fake Kafka); default a RecordsTable on recordsTopic. */
  records?: Records;
  groupId: string;
  instanceId: string;
  maxEventsPerTransaction: number;
  sessionTimeoutMs?: number;
  partitionsConcurrently?: number;
  /** Delays between restarts of a crashed consumer (doubling, jittered). Default 1 s to 30 s. */
  backoff?: Backoff;
  /** Not consuming (not ready) when no fetch completed and no chunk committed within this long. Default 20 s. */
  stallMs?: number;
  /** Longest wait for the consumer to leave the group, and each client to close, when stopping or restarting. Default 10 s. */
  stopTimeoutMs?: number;
}

function groupByTopic(messages: OutMessage[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const m of messages) {
    let entry = byTopic.get(m.topic);
    if (!entry) byTopic.set(m.topic, (entry = { topic: m.topic, messages: [] }));
    entry.messages.push({ key: m.key, value: m.value, headers: m.headers });
  }
  return [...byTopic.values()];
}

/**
 * The broker refuses a record batch over its `max.message.bytes` (1 MiB by
 * default), and kafkajs sends each partition's share of a send as one batch. A
 * chunk's output grows with the subscribers (one decision per event and
 * subscriber), so it is sent in groups of at most this many bytes, in order,
 * inside the chunk's one transaction.
 */
export const MAX_SEND_BYTES = 512 * 1024;

/** Approximate bytes a message takes in a record batch: key, value, headers and per-record overhead. */
const approxBytes = (m: OutMessage) => Buffer.byteLength(m.key) + m.value.length + Object.entries(m.headers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v) + 8, 0) + 32;

/** Split messages, in order, into groups of at most `maxBytes` (a larger message goes alone). Pure. */
export function byteBoundedGroups(messages: readonly OutMessage[], maxBytes = MAX_SEND_BYTES): OutMessage[][] {
  const groups: OutMessage[][] = [];
  let current: OutMessage[] = [];
  let size = 0;
  for (const m of messages) {
    const b = approxBytes(m);
    if (current.length > 0 && size + b > maxBytes) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += b;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}


/**
 * The transactional id of an instance's writer: the group's and the instance's
 * (KIP-447). It is the same across the instance's restarts, so a restarted
 * process fences the one it replaces and finishes what that one left open at
 * once; two instances running at the same time must have different INSTANCE_IDs,
 * or each would fence the other's every transaction.
 */
export function transactionalIdFor(groupId: string, instanceId: string): string {
  return `takitini-exchange.${groupId}.${instanceId}`;
}

/** Messages of a fetched batch that the group has not yet committed past. Pure. */
export function uncommitted<M extends { offset: string }>(messages: M[], committed: bigint | null): M[] {
  if (committed === null) return messages;
  return messages.filter((m) => BigInt(m.offset) >= committed);
}

/**
 * The instance's transactional writer. Its transactional id is the instance's
 * (transactionalIdFor): initialising it fences the instance's earlier
 * incarnations and completes or aborts whatever transaction they left open.
 * Other members are fenced by the group instead (KIP-447): every transaction
 * commits its offsets with this member's generation, which the group coordinator
 * refuses once the group has moved on, so an instance that lost a partition in a
 * rebalance and has not noticed yet cannot commit anything after it.
 */
interface Writer {
  producer: Producer;
  /**
   * Set when the writer is closed (consumer replaced, transaction failed). A chunk
   * still in its hands never commits after that: kafkajs would otherwise
   * reconnect a closed producer inside its send retry and carry on.
   */
  closed: boolean;
}

/**
 * What this member knows of one source partition in one generation, under one
 * writer: the group's committed offset, read with require_stable after the
 * partition was assigned — so it waits for any transaction of another member
 * (or of this writer's predecessor) that holds offsets for it, and is final —
 * and which records-table partitions were read to their end since.
 */
interface PartitionState {
  writer: Writer;
  generation: number;
  /** Next offset the group has committed for the partition, as read (then as this member committed). */
  committed: bigint | null;
  /** Partitions of the records topic read to their last stable offset since this state was read. */
  synced: Set<number>;
}

/** A planned chunk waiting for its transaction (group commit). */
interface PendingChunk extends ChunkToCommit<Writer> {
  out: OutMessage[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Thrown instead of committing a chunk whose writer was closed, or whose generation ended, while it waited or was in flight. */
export class WriterClosedError extends Error {
  override readonly name = "WriterClosedError";
}

/**
 * The Kafka shell around the pure planner. Each chunk of a fetched batch is
 * committed in ONE Kafka transaction holding its subscriber deliveries, its
 * decision records and its consumed offsets: either all become visible to
 * read-committed consumers, or none do. So there is no disclosure without its
 * audit record, and no audit record of a disclosure that did not happen —
 * across crashes (the restarted instance's writer fences the dead one's) and
 * rebalances (the group refuses a stale generation's offsets, KIP-447).
 *
 * Group commit: chunks of several source partitions (PARTITIONS_CONCURRENTLY
 * handled at once) that are planned while a transaction is in flight wait, and
 * the next transaction takes them all. A transaction's cost to the broker
 * (AddPartitionsToTxn, the markers on every partition written, the coordinator's
 * log) is paid per transaction, not per partition's chunk.
 *
 * Recovery: kafkajs never restarts the consumer itself (restartOnFailure says
 * no). Every crash — retriable or NonRetriable ("Failed to find group
 * coordinator" after a broker restart) — and every failed start gives a new
 * consumer and admin after a backoff, logged (CONSUMER_RESTARTING) and counted
 * (exchange_consumer_restarts_total), for as long as the exchange is started.
 * The old writer is closed and a new one initialised (fencing it); the new
 * consumer's first join is a new generation, so each partition's committed
 * offset is read again, stable, before its next transaction. Ready means
 * consuming: in the group and fetching (isConsuming); main.ts exits the process
 * after EXCHANGE_MAX_UNREADY_MS not ready.
 */
export class Exchange {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  /** The instance's writer, once initialised; undefined or closed: the next chunk initialises one. */
  private writer: Writer | undefined;
  private initialising: Promise<Writer> | undefined;
  private readonly partitions = new Map<string, PartitionState>();
  /** This member in the group, from its last join: what every transaction's offsets are committed with. */
  private member: { generationId: number; memberId: string } | undefined;
  /** Chunks planned and waiting for the next transaction. */
  private pending: PendingChunk[] = [];
  private committing = false;
  private generation = 0;
  private running = false;
  private joined = false;
  private lastProgressAt = 0;
  private restartAttempt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private launching: Promise<void> | undefined;
  private readonly backoff: Backoff;
  private readonly stallMs: number;
  private readonly stopTimeoutMs: number;
  private readonly restarts: Counter<"reason">;
  private readonly eventsIn: Counter<"topic">;
  private readonly decisions: Counter<"outcome" | "subscriber">;
  private readonly deliveries: Counter<"subscriber">;
  private readonly deadLetters: Counter<"reason">;
  private readonly receipts: Counter;
  private readonly provenanceMismatches: Counter<"topic">;
  private readonly aborts: Counter;
  private readonly skipped: Counter<"topic">;
  private readonly fencings: Counter;
  private readonly chunksPerTransaction: Histogram;
  private readonly lag: Gauge<"topic" | "partition">;
  private readonly assigned: Gauge;
  private readonly revisions: Counter<"kind">;
  private readonly phases: Histogram<"phase">;
  readonly records: Records;

  constructor(private readonly opts: ExchangeOptions) {
    this.records = opts.records ?? new RecordsTable(opts.kafka, opts.recordsTopic ?? DEFAULT_RECORDS_TOPIC, `${opts.groupId}-records`, opts.logger);
    this.backoff = opts.backoff ?? { baseMs: 1000, maxMs: 30_000 };
    this.stallMs = opts.stallMs ?? 20_000;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 10_000;
    const registers = [opts.metrics];
    this.restarts = new Counter({ name: "exchange_consumer_restarts_total", help: "Times the exchange's Kafka consumer was replaced after a crash or a failed start, by the error's name", labelNames: ["reason"], registers });
    this.eventsIn = new Counter({ name: "exchange_events_in_total", help: "Records consumed from agency topics", labelNames: ["topic"], registers });
    this.decisions = new Counter({ name: "exchange_decisions_total", help: "Policy decisions by outcome and subscriber", labelNames: ["outcome", "subscriber"], registers });
    this.deliveries = new Counter({ name: "exchange_deliveries_total", help: "Views delivered to subscriber topics", labelNames: ["subscriber"], registers });
    this.deadLetters = new Counter({ name: "exchange_dead_letters_total", help: "Records sent to the dead-letter topic, by reason", labelNames: ["reason"], registers });
    this.receipts = new Counter({ name: "exchange_submission_receipts_total", help: "Receipts of leaders' submissions written (one per submission decided)", registers });
    this.provenanceMismatches = new Counter({ name: "exchange_provenance_mismatches_total", help: "Events dead-lettered for claiming another agency than their topic's", labelNames: ["topic"], registers });
    // One series per configured topic (the only topics consumed, so the label is
    // bounded), present at zero from the start so an alert on any increase works
    // before the first mismatch.
    for (const topic of opts.intelTopics) this.provenanceMismatches.inc({ topic }, 0);
    this.aborts = new Counter({ name: "exchange_transaction_aborts_total", help: "Kafka transactions aborted", registers });
    this.skipped = new Counter({ name: "exchange_already_committed_skipped_total", help: "Fetched records skipped because the group had already committed past them (after a crash or rebalance)", labelNames: ["topic"], registers });
    this.fencings = new Counter({ name: "exchange_writers_initialised_total", help: "The instance's transactional writer initialised (at start, after a consumer restart or a failed transaction), each fencing its predecessors", registers });
    this.chunksPerTransaction = new Histogram({
      name: "exchange_transaction_chunks",
      help: "Source partitions' chunks committed together in one transaction (group commit)",
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    });
    this.lag = new Gauge({ name: "exchange_consumer_lag", help: "Records behind the partition's high watermark at the last fetch", labelNames: ["topic", "partition"], registers });
    this.revisions = new Counter({ name: "exchange_revisions_total", help: "Corrections and withdrawals decided (committed), by kind", labelNames: ["kind"], registers });
    this.phases = new Histogram({
      name: "exchange_chunk_phase_seconds",
      help:
        "Where a committed chunk's time goes: plan (policy decisions, views), send (AddPartitionsToTxn and produce, CONCURRENT_TRANSACTIONS retries included), " +
        "offsets (AddOffsetsToTxn, TxnOffsetCommit), commit (EndTxn); and fetched (a chunk's newest record's CreateTime to its batch's handling: the adapter's commit, the fetch, the queue behind other partitions)",
      labelNames: ["phase"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.assigned = new Gauge({ name: "exchange_assigned_partitions", help: "Source partitions assigned to this instance", registers });
  }

  /** Consuming: started, in the group, and fetching (a fetch or a commit within the stall window). */
  isReady(now = Date.now()): boolean {
    return isConsuming({ running: this.running, joined: this.joined, lastProgressAt: this.lastProgressAt }, now, this.stallMs);
  }

  /**
   * A new group generation: every partition may have had another member's
   * transactions since this member last read it, so each one's committed offset is
   * read again (stable) before its next chunk; what is known of partitions no
   * longer ours is dropped. Chunks of the ended generation never commit
   * (admissible), and its transaction in flight commits only if the group took its
   * offsets before the generation ended: the new owner's stable read waits for it.
   */
  private onJoin(payload: { memberAssignment: Record<string, number[]>; memberId: string; generationId: number }): void {
    this.joined = true;
    this.restartAttempt = 0;
    this.lastProgressAt = Date.now();
    this.generation += 1;
    this.member = { generationId: payload.generationId, memberId: payload.memberId };
    const mine = new Set(Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}:${p}`)));
    this.assigned.set(mine.size);
    for (const key of this.partitions.keys()) if (!mine.has(key)) this.partitions.delete(key);
    this.opts.logger.info({ generation: this.generation, groupGeneration: payload.generationId, partitions: mine.size }, "partitions assigned");
  }

  /** Start consuming. A consumer that cannot start now (the broker away) is retried with backoff: this never throws for the broker's sake. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.restartAttempt = 0;
    await this.launch();
  }

  private newConsumer(): Consumer {
    const sessionTimeout = this.opts.sessionTimeoutMs ?? 30_000;
    const consumer = this.opts.kafka.consumer({
      groupId: this.opts.groupId,
      readUncommitted: false,
      sessionTimeout,
      rebalanceTimeout: Math.max(60_000, 2 * sessionTimeout),
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
      allowAutoTopicCreation: false,
      // This class replaces a crashed consumer itself, whatever the error, with its own backoff.
      retry: { retries: 5, restartOnFailure: async () => false },
    });
    const mine = () => this.consumer === consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (mine()) this.onJoin(e.payload);
    });
    consumer.on(consumer.events.FETCH, () => {
      if (mine()) this.lastProgressAt = Date.now();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!mine()) return;
      this.joined = false;
      logKafkaRefusal(this.opts.logger, payload.error, { operation: "consume", topics: this.opts.intelTopics, group: this.opts.groupId });
      this.scheduleRestart(payload.error);
    });
    consumer.on(consumer.events.STOP, () => {
      if (mine()) this.joined = false;
    });
    return consumer;
  }

  /** A new admin and consumer; any failure to start them schedules the next attempt. */
  private async launch(): Promise<void> {
    if (!this.running) return;
    const consumer = this.newConsumer();
    const admin = this.opts.kafka.admin();
    this.consumer = consumer;
    this.admin = admin;
    this.joined = false;
    this.launching = (async () => {
      try {
        await admin.connect();
        // Who holds each record, read before any correction or withdrawal is decided.
        if (!this.records.isStarted()) await this.records.start();
        await consumer.connect();
        await consumer.subscribe({ topics: this.opts.intelTopics, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.opts.partitionsConcurrently ?? 1,
          eachBatch: (payload) => this.handleBatch(consumer, payload),
        });
        this.opts.logger.info(
          { topics: this.opts.intelTopics, subscribers: this.opts.policy.current().subscribers().map((s) => s.id), policyRevision: this.opts.policy.current().revision },
          "exchange consuming",
        );
      } catch (err) {
        if (this.consumer !== consumer) return;
        this.scheduleRestart(err as Error);
      }
    })();
    await this.launching;
  }

  /**
   * After a backoff: the old consumer leaves (bounded), the old admin and every
   * partition writer close, and a new consumer and admin start. The writers are
   * initialised again at the new consumer's first join (a new generation), which
   * fences whatever the old ones left open before anything more is written.
   */
  private scheduleRestart(err: Error): void {
    if (!this.running || this.restartTimer) return;
    this.joined = false;
    const delayMs = backoffDelay(this.restartAttempt++, this.backoff);
    this.restarts.inc({ reason: err?.name ?? "Error" });
    this.opts.logger.warn(
      // (`name` is a redacted log key: the error's class goes as kafkaError.)
      { code: "CONSUMER_RESTARTING", attempt: this.restartAttempt, delayMs, kafkaError: { type: err?.name, message: err?.message, retriable: (err as { retriable?: boolean })?.retriable } },
      "the exchange's Kafka consumer stopped; starting a new one after a backoff",
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void (async () => {
        await this.closeClients();
        await this.launch();
      })();
    }, delayMs);
  }

  /** Leave the group and close the admin and the writers, each bounded by stopTimeoutMs. */
  private async closeClients(): Promise<void> {
    const consumer = this.consumer;
    const admin = this.admin;
    this.consumer = undefined;
    this.admin = undefined;
    this.joined = false;
    await bounded((async () => {
      await this.launching?.catch(() => undefined);
      await consumer?.disconnect();
    })(), this.stopTimeoutMs);
    const writer = this.writer;
    this.writer = undefined;
    this.partitions.clear();
    this.member = undefined;
    if (writer) writer.closed = true;
    await Promise.all([bounded(writer?.producer.disconnect() ?? Promise.resolve(), this.stopTimeoutMs), bounded(admin?.disconnect() ?? Promise.resolve(), this.stopTimeoutMs)]);
  }

  /** The instance's writer: the current one, or a new one initialised (one at a time). */
  private currentWriter(): Promise<Writer> {
    if (this.writer && !this.writer.closed) return Promise.resolve(this.writer);
    this.initialising ??= this.initialiseWriter().finally(() => (this.initialising = undefined));
    return this.initialising;
  }

  private async initialiseWriter(): Promise<Writer> {
    const producer = this.opts.kafka.producer({
      transactionalId: transactionalIdFor(this.opts.groupId, this.opts.instanceId),
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      allowAutoTopicCreation: false,
    });
    try {
      await producer.connect();
      // Initialise the transactional id now: the broker bumps its epoch (fencing
      // this instance's earlier incarnations) and completes or aborts any
      // transaction they left open. (kafkajs only does this on a producer's first
      // transaction(); an empty one sends nothing else.)
      await (await producer.transaction()).abort();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    this.fencings.inc();
    if (!this.running) {
      // Stopped meanwhile (a batch still in hand when stop() closed the clients): no writer outlives the exchange.
      await producer.disconnect().catch(() => undefined);
      throw new WriterClosedError("the exchange stopped while its writer was being initialised");
    }
    const writer: Writer = { producer, closed: false };
    this.writer = writer;
    return writer;
  }

  /**
   * What this member knows of a source partition in this generation under this
   * writer; read afresh — the group's committed offset, stable — when either has
   * changed since. The stable read waits while a transaction of another member, or
   * of a closed writer of this instance, holds offsets for the partition, so the
   * offset read is final.
   */
  private async partitionState(topic: string, partition: number, writer: Writer): Promise<PartitionState> {
    const key = `${topic}:${partition}`;
    const known = this.partitions.get(key);
    if (known && known.generation === this.generation && known.writer === writer) return known;
    const generation = this.generation;
    if (!this.admin) throw new Error("the exchange's admin client is closed (restarting)");
    const offsets = await this.admin.fetchOffsets({ groupId: this.opts.groupId, topics: [topic], requireStable: true });
    const entry = offsets.find((o) => o.topic === topic)?.partitions.find((p) => p.partition === partition);
    const committed = entry && entry.offset !== "-1" && entry.offset !== "" ? BigInt(entry.offset) : null;
    const state: PartitionState = { writer, generation, committed, synced: new Set() };
    if (generation === this.generation) this.partitions.set(key, state);
    return state;
  }

  /** Close a writer whose transaction failed; its successor's initialisation aborts that transaction. */
  private async dropWriter(writer: Writer): Promise<void> {
    if (this.writer === writer) this.writer = undefined;
    writer.closed = true;
    await writer.producer.disconnect().catch(() => undefined);
  }

  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    // A batch of a consumer already replaced: leave it to the new one.
    if (this.consumer !== consumer) return;
    const newest = batch.messages.reduce((t, m) => Math.max(t, Number(m.timestamp)), 0);
    if (newest > 0) this.phases.observe({ phase: "fetched" }, Math.max(0, Date.now() - newest) / 1000);
    const writer = await this.currentWriter();
    const state = await this.partitionState(topic, partition, writer);
    const fresh = uncommitted(batch.messages, state.committed);
    if (fresh.length < batch.messages.length) {
      this.skipped.inc({ topic }, batch.messages.length - fresh.length);
      const lastSkipped = batch.messages[batch.messages.length - fresh.length - 1];
      if (lastSkipped) resolveOffset(lastSkipped.offset);
    }
    for (let i = 0; i < fresh.length; i += this.opts.maxEventsPerTransaction) {
      if (!isRunning() || isStale() || this.consumer !== consumer) return;
      const chunk = fresh.slice(i, i + this.opts.maxEventsPerTransaction);
      await this.processChunk(state, topic, partition, chunk);
      const last = chunk[chunk.length - 1];
      if (last) {
        resolveOffset(last.offset);
        state.committed = BigInt(last.offset) + 1n;
      }
      this.lastProgressAt = Date.now();
      await heartbeat();
    }
    // Behind the high watermark after this batch: 0 when caught up, not the stale pre-batch lag.
    const next = state.committed ?? BigInt(batch.firstOffset() ?? "0");
    this.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - next)));
  }

  private async processChunk(state: PartitionState, topic: string, partition: number, chunk: KafkaMessage[]): Promise<void> {
    const began = performance.now();
    // One policy for the whole chunk: its subscribers, its decisions, its revision.
    const policy = this.opts.policy.current();
    const subscribers = policy.subscribers();
    const decide = policy.decide;
    const now = new Date();
    // Plan the chunk; a correction or a withdrawal whose record's entry may not be
    // read yet (first use of its records partition since the partition's state was
    // read) makes the chunk wait for the tail to reach that partition's last stable
    // offset, then plan again.
    let plans = this.planChunk(state, topic, partition, chunk, subscribers, decide, policy.revision, now);
    if (plans.unread.size > 0) {
      await this.records.catchUp(plans.unread);
      for (const k of plans.unread) state.synced.add(this.records.partitionOf(k));
      plans = this.planChunk(state, topic, partition, chunk, subscribers, decide, policy.revision, now);
    }
    const out: OutMessage[] = [];
    const tallies: (() => void)[] = [];
    const written = new Map<string, Buffer>();
    for (const plan of plans.plans) {
      const m = { offset: plan.offset };
      if (plan.kind === "dead-letter") {
        out.push(plan.message);
        this.logDeadLetter(plan, topic, partition, m.offset);
        tallies.push(() => this.deadLetters.inc({ reason: plan.reason.split(":")[0] ?? plan.reason }));
        if (plan.provenance) tallies.push(() => this.provenanceMismatches.inc({ topic }));
      } else {
        out.push(...plan.messages);
        if (plan.state) {
          const bytes = encodeRecipients(plan.state.value);
          written.set(plan.state.key, bytes);
          out.push({ topic: this.records.topic, key: plan.state.key, value: bytes, headers: {} });
        }
        const revision = plan.revision;
        if (revision) tallies.push(() => this.revisions.inc({ kind: revision }));
        tallies.push(() => {
          for (const d of plan.decisions) {
            this.decisions.inc({ outcome: d.outcome === "OUTCOME_ALLOW" ? "allow" : "deny", subscriber: d.subscriberId });
            if (d.deliveryTopic !== "") this.deliveries.inc({ subscriber: d.subscriberId });
          }
          if (plan.receipt) this.receipts.inc();
        });
      }
    }
    const last = chunk[chunk.length - 1];
    if (!last) return;
    const planned = performance.now();
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ writer: state.writer, generation: state.generation, topic, partition, nextOffset: BigInt(last.offset) + 1n, events: chunk.length, out, resolve, reject });
      this.commitPending();
    });
    this.phases.observe({ phase: "plan" }, (planned - began) / 1000);
    this.records.wrote(written);
    this.eventsIn.inc({ topic }, chunk.length);
    for (const t of tallies) t();
  }

  /**
   * Group commit: when no transaction is in flight, the next one takes every chunk
   * waiting; chunks planned meanwhile wait for the one after. No timer and no
   * added wait: a lone chunk is committed at once.
   */
  private commitPending(): void {
    if (this.committing || this.pending.length === 0) return;
    const waiting = this.pending;
    this.pending = [];
    this.committing = true;
    void this.commitTogether(waiting)
      .catch((err: unknown) => {
        // commitTogether settles every chunk itself; this is a bug's last resort, so no chunk waits for ever.
        this.opts.logger.error({ err }, "group commit failed unexpectedly");
        for (const c of waiting) c.reject(err);
      })
      .finally(() => {
        this.committing = false;
        this.commitPending();
      });
  }

  /** One transaction for these chunks: all their messages and all their offsets, committed with this member's generation; each chunk settles with it. */
  private async commitTogether(waiting: PendingChunk[]): Promise<void> {
    const writer = this.writer && !this.writer.closed ? this.writer : undefined;
    const member = this.member;
    const { now: chunks, never } = admissible(waiting, { writer, generation: this.generation });
    for (const c of never) c.reject(new WriterClosedError(`the chunk of ${c.topic}[${c.partition}] was planned under a writer since closed or in a generation since ended; its partition's offset is read again first`));
    if (!writer || chunks.length === 0) return;
    if (!member) {
      for (const c of chunks) c.reject(new WriterClosedError("no group membership to commit offsets with"));
      return;
    }
    const began = performance.now();
    const at = { send: 0, offsets: 0 };
    const out = chunks.flatMap((c) => c.out);
    const open = () => {
      if (writer.closed) throw new WriterClosedError("the writer was closed under this transaction (consumer replaced); its successor's initialisation aborts it");
    };
    try {
      open();
      const txn = await writer.producer.transaction();
      for (const group of byteBoundedGroups(out)) {
        await txn.sendBatch({ topicMessages: groupByTopic(group), acks: -1 });
        open();
      }
      at.send = performance.now();
      // KIP-447: the group coordinator takes these offsets only from the member of
      // the current generation, so a member that has lost a partition in a
      // rebalance cannot commit this transaction.
      await txn.sendOffsets({ consumerGroupId: this.opts.groupId, topics: offsetsToCommit(chunks), consumerGroupMetadata: member });
      // Never commit with a closed writer: the consumer has been replaced.
      open();
      at.offsets = performance.now();
      await txn.commit();
    } catch (err) {
      this.aborts.inc();
      logKafkaRefusal(this.opts.logger, err, { operation: "write to", topics: [...new Set(out.map((m) => m.topic))] });
      this.opts.logger.error(
        { err, chunks: chunks.map((c) => ({ topic: c.topic, partition: c.partition, toOffset: (c.nextOffset - 1n).toString(), events: c.events })) },
        "transaction failed; the writer is re-initialised, which aborts it",
      );
      // Never abort on this producer's epoch: a produce request of this
      // transaction that the broker has not handled yet (one the client gave up
      // waiting for) would land after an abort's markers and open a transaction
      // no coordinator knows of, holding the partition's last stable offset back
      // for good. The writer is closed instead; the next one's initialisation
      // bumps the epoch and aborts this transaction with markers of the new
      // epoch, so a late request is refused as fenced (and an unattended one is
      // aborted by the coordinator after transactionTimeout). Every partition's
      // committed offset is read again under the next writer — a commit that
      // failed ambiguously may have landed — so a chunk is never written twice.
      await this.dropWriter(writer);
      // The successor now, not at the next batch (which may be a consumer restart
      // away), so the open transaction does not hold the output partitions' last
      // stable offset meanwhile. Not for a writer closed by a restart: the new
      // consumer's first batch initialises one.
      if (!(err instanceof WriterClosedError) && this.running && this.admin) {
        // Bounded, and a failure is left to the next batch (the broker away, say).
        await bounded(this.currentWriter(), this.stopTimeoutMs).catch(() => undefined);
      }
      for (const c of chunks) c.reject(err);
      return;
    }
    const done = performance.now();
    this.phases.observe({ phase: "send" }, (at.send - began) / 1000);
    this.phases.observe({ phase: "offsets" }, (at.offsets - at.send) / 1000);
    this.phases.observe({ phase: "commit" }, (done - at.offsets) / 1000);
    this.chunksPerTransaction.observe(chunks.length);
    for (const c of chunks) c.resolve();
  }

  /**
   * Plan every record of a chunk (pure planRecord), with the records table as
   * this member knows it; `unread`: keys of entries a correction or withdrawal
   * asked for whose records partition has not been read to its end since the
   * partition's state was read.
   */
  private planChunk(
    state: PartitionState,
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
    subscribers: ReturnType<ReturnType<PolicySource["current"]>["subscribers"]>,
    decide: ReturnType<PolicySource["current"]>["decide"],
    policyRevision: string,
    now: Date,
  ): { plans: (Plan & { offset: string })[]; unread: Set<string> } {
    const planned = new Map<string, RecordRecipients>();
    const unread = new Set<string>();
    const recipients = (key: string): RecordRecipients | undefined => {
      const inChunk = planned.get(key);
      if (inChunk) return inChunk;
      if (!state.synced.has(this.records.partitionOf(key))) unread.add(key);
      return this.records.get(key);
    };
    const plans = chunk.map((m) => {
      const record: SourceRecord = { topic, partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers };
      const plan = planRecord(record, subscribers, decide, {
        auditTopic: this.opts.auditTopic,
        deadLetterTopic: this.opts.deadLetterTopic,
        ...(this.opts.receiptsTopic ? { receiptsTopic: this.opts.receiptsTopic } : {}),
        policyRevision,
        now,
        consumer: this.opts.groupId,
        recipients,
      });
      if (plan.kind === "disseminate" && plan.state) planned.set(plan.state.key, plan.state.value);
      return { ...plan, offset: m.offset };
    });
    return { plans, unread };
  }

  /** A dead letter's warning: where it was and why; for a provenance mismatch, both agencies. Never the record's content. */
  private logDeadLetter(plan: Extract<Plan, { kind: "dead-letter" }>, topic: string, partition: number, offset: string): void {
    if (plan.provenance) {
      const { topicAgency, eventAgency } = plan.provenance;
      this.opts.logger.warn(
        { topic, partition, offset, topicAgency: agencyName(topicAgency), eventAgency: agencyName(eventAgency), reason: plan.reason },
        "record dead-lettered: its agency is not its topic's",
      );
    } else {
      this.opts.logger.warn({ topic, partition, offset, reason: plan.reason }, "record dead-lettered");
    }
  }

  /** Leave the group (finishing the in-flight batch), then close the writers and the admin; each bounded by stopTimeoutMs. The exchange can be started again. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.closeClients();
    await this.records.close();
  }
}
