import { IntelligenceEvent, type DecisionRecord } from "@takitini/proto";
import { backoffDelay, Counter, Gauge, HEADERS, headerValue, logKafkaRefusal, sleep, type Backoff, type Logger, type Registry } from "@takitini/runtime";
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer, TopicPartitionOffset } from "kafkajs";
import { GroupCommit } from "./group.js";
import { CONFLICT_KIND } from "./ledger/conflict.js";
import type { BatchOutcome, Ledger, SqlSession } from "./ledger/index.js";
import { indexRowOf } from "./oversight/derive.js";
import { fromAccess, fromDecision, fromPublish, fromRefusal, fromRefusalSummary, publishRecord, revisionsOf, type Appendable } from "./oversight/records.js";
import { writeIndex } from "./oversight/store.js";
import { presealRecords, sealRecords, type Presealed } from "./subjects/store.js";
import { decodeAuditRecord, type AuditRecord } from "./records.js";
import { isTransientDatabaseError } from "./recovery.js";

/** What one Kafka record becomes: records to append, or a reason to dead-letter it. */
export type Ingested = { ok: true; records: Appendable[]; decisions: DecisionRecord[] } | { ok: false; reason: string };

/** Which topic is read in which role; any other topic is an agency topic. */
export interface IngestTopics {
  /** The decisions topic, written by the exchange only: decision records and partners' access records. */
  auditTopic: string;
  /** Access-only topics, each written by another service (the briefing's): access records only. */
  accessTopics: readonly string[];
  /** Refusal topics, written by the adapters and the briefing: refusals and refusal summaries only. */
  refusalTopics?: readonly string[];
}

/** The dead-letter reason's code for a record on a topic whose writer may not write its kind. */
export const PROVENANCE_MISMATCH = "PROVENANCE_MISMATCH";

/** Whether a dead-letter reason is a provenance mismatch. */
export function isProvenanceMismatch(reason: string): boolean {
  return reason.startsWith(`${PROVENANCE_MISMATCH}:`);
}

/** The kinds each role of topic may carry (its writers' ACLs decide what they could write). */
const CARRIES = {
  decisions: ["decision", "access"],
  access: ["access"],
  refusals: ["refusal", "refusal_summary"],
} as const satisfies Record<string, readonly AuditRecord["kind"][]>;

const ROLE_NAME = { decisions: "decisions topic", access: "access topic", refusals: "refusals topic" } as const;
const KIND_NAME: Record<AuditRecord["kind"], string> = { decision: "decision record", access: "access record", refusal: "refusal record", refusal_summary: "refusal summary" };

function appendable(r: AuditRecord, now: Date): Ingested {
  switch (r.kind) {
    case "decision":
      return { ok: true, records: [fromDecision(r.record, now)], decisions: [r.record] };
    case "access":
      return { ok: true, records: [fromAccess(r.record, now)], decisions: [] };
    case "refusal":
      return { ok: true, records: [fromRefusal(r.record, now)], decisions: [] };
    case "refusal_summary":
      return { ok: true, records: [fromRefusalSummary(r.record, now)], decisions: [] };
  }
}

/**
 * Turn one record of the decisions topic, an access topic, a refusals topic or
 * an agency topic into ledger records. Pure: decisions, access records and
 * refusals are kept as written (their bytes are the leaf payload); an agency
 * event becomes a PublishRecord — metadata and a hash of its bytes, never its
 * content.
 *
 * Provenance: a topic's writer is known from its ACLs, so what a topic may carry
 * is fixed by the topic. An access topic carries access records only; a
 * refusals topic (written by the adapters and the briefing) refusals and
 * refusal summaries only; the decisions topic decisions and access records, as
 * the exchange writes them. A record of any other kind — one its writer may not
 * make — is refused with a stable `PROVENANCE_MISMATCH` reason (anything that
 * does not decode at all is refused with its decoding reason, as on any topic).
 */
export function ingestRecord(topic: string, partition: number, message: Pick<KafkaMessage, "value" | "headers" | "offset">, topics: IngestTopics, now: Date): Ingested {
  const role = topics.accessTopics.includes(topic) ? "access" : (topics.refusalTopics ?? []).includes(topic) ? "refusals" : topic === topics.auditTopic ? "decisions" : undefined;
  if (role !== undefined) {
    const decoded = decodeAuditRecord(message.value, message.headers);
    if (!decoded.ok) return decoded;
    if (!(CARRIES[role] as readonly string[]).includes(decoded.value.kind)) return { ok: false, reason: `${PROVENANCE_MISMATCH}: ${KIND_NAME[decoded.value.kind]} on ${ROLE_NAME[role]} ${topic}` };
    return appendable(decoded.value, now);
  }
  if (!message.value || message.value.length === 0) return { ok: false, reason: "EMPTY_VALUE" };
  let event: IntelligenceEvent;
  try {
    event = IntelligenceEvent.decode(message.value);
  } catch (err) {
    return { ok: false, reason: `DECODE_FAILED: ${(err as Error).message.slice(0, 200)}` };
  }
  if (!/^[0-9a-f-]{36}$/.test(event.id)) return { ok: false, reason: "INVALID_EVENT: missing or invalid id" };
  return { ok: true, records: [fromPublish(publishRecord(event, message.value, { topic, partition, offset: message.offset }), now)], decisions: [] };
}

/**
 * Append records to the ledger and, in the same PostgreSQL transaction, to the
 * oversight index, every subject id they name sealed (subjects/) — the keys
 * made for them in that transaction too. Idempotent per record id. `inTransaction`
 * runs in the transaction once leaves were added: with the writer's fence
 * (writer/lock.ts) the transaction commits only while this instance is the
 * active writer; the purge (subjects/purge.ts) destroys the keys its record names.
 */
export async function appendRecords(ledger: Ledger, records: readonly Appendable[], inTransaction?: (tx: SqlSession) => Promise<void>): Promise<BatchOutcome> {
  let presealed: Presealed | undefined;
  return ledger.appendBatch(
    // Subject ids sealed under their subjects' keys, under the append lock: no leaf, index row or conflict record
    // holds a subject id in the clear, and a key made here commits with the leaves naming it or not at all.
    async (tx) => (await sealRecords(tx, records, presealed)).map((r) => r.ledger),
    async (tx, added) => {
      if (inTransaction) await inTransaction(tx);
      // Each row from its leaf alone (kind, id, bytes, append time) — a conflict record the ledger made included — by the
      // derivation the verifier recomputes the index with (oversight/derive.ts): never from when the batch was read.
      await writeIndex(tx, added.map((a) => ({ index: a.index, row: indexRowOf({ ...a.record, appendedAtMs: a.appendedAtMs }) })));
    },
    // Before the lock: records whose subjects already have keys are sealed while another append holds it (checked again under it).
    async (tx) => {
      presealed = await presealRecords(tx, records);
    },
  );
}

export interface LedgerIngestOptions {
  auditTopic: string;
  accessTopics: string[];
  refusalTopics?: string[];
  intelTopics: string[];
  deadLetterTopic: string;
  groupId: string;
  logger: Logger;
  metrics: Registry;
  maxPerTransaction: number;
  /**
   * Partitions' batches handled at once (kafkajs partitionsConsumedConcurrently, default 1). Their chunks
   * share PostgreSQL transactions (group commit, up to maxPerTransaction records each) and OffsetCommit requests.
   */
  partitionsConcurrently?: number;
  /** Fails an append's transaction unless this instance is the active writer (PgWriterLock.fence). */
  fence?: (tx: SqlSession) => Promise<void>;
  /** Delays between consumer restarts and between retries of a batch the database refused. Default 1 s to 30 s. */
  backoff?: Backoff;
  /** The consumer's group session: a member silent this long is dropped from the group (default 10 s). */
  sessionTimeoutMs?: number;
  /** Not ingesting when neither a fetch completed nor a batch was appended within this long (default 15 s). */
  stallMs?: number;
  /** Longest wait for the consumer to leave the group when stopping (default 10 s). */
  stopTimeoutMs?: number;
}

const DEFAULT_BACKOFF: Backoff = { baseMs: 1000, maxMs: 30_000 };

/**
 * Reads the decisions topic, the access topics, the refusals topics and the
 * agency topics (read-committed) into the ledger.
 * Each fetched batch is appended in PostgreSQL transactions of at most
 * maxPerTransaction records — leaves, tree nodes and the oversight index
 * together — and only then are its Kafka offsets committed: a crash in between
 * redelivers the batch, and appends are idempotent per record id, so nothing
 * acknowledged is lost and nothing counts twice. Partitions handled at once
 * (partitionsConcurrently) share those transactions and their offsets commits
 * (group commit, group.ts): a partition's offsets still go only after its own
 * records are committed in PostgreSQL. Records that fail validation are dead-lettered, not dropped.
 *
 * Recovery: a batch the database refuses for a transient reason (the server
 * restarting, a broken connection) is retried with backoff, heartbeating, and
 * its offsets committed only once it is appended. The consumer never restarts
 * itself (kafkajs's restartOnFailure says no); every crash — retriable or
 * NonRetriable (e.g. "Failed to find group coordinator") — gives a new consumer
 * after a backoff, logged (INGEST_RESTARTING) and counted
 * (audit_ingest_restarts_total), for as long as the ingest is started. The
 * service's watchdog bounds how long it may stay not ready (main.ts).
 */
export class LedgerIngest {
  private consumer: Consumer | undefined;
  private readonly producer: Producer;
  private running = false;
  private joined = false;
  private lastProgressAt = 0;
  private restartAttempt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private launching: Promise<void> | undefined;
  private databaseFailing = false;
  private readonly appended: Counter<"kind">;
  private readonly duplicates: Counter;
  private readonly conflicts: Counter<"kind">;
  private readonly deadLetters: Counter<"reason">;
  private readonly provenanceMismatches: Counter<"topic">;
  private readonly restarts: Counter<"reason">;
  private readonly databaseRetries: Counter;
  private readonly topics: IngestTopics;
  private readonly backoff: Backoff;
  private readonly stallMs: number;
  /** Chunks from partitions handled at once, appended together (group.ts). */
  private readonly appends: GroupCommit<Appendable[], BatchOutcome>;

  constructor(
    private readonly kafka: Kafka,
    private readonly ledger: Ledger,
    private readonly opts: LedgerIngestOptions,
  ) {
    this.topics = { auditTopic: opts.auditTopic, accessTopics: [...opts.accessTopics], refusalTopics: [...(opts.refusalTopics ?? [])] };
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.stallMs = opts.stallMs ?? 15_000;
    this.appends = new GroupCommit(
      async (chunks) => {
        const out = await appendRecords(this.ledger, chunks.flat(), this.opts.fence);
        // One outcome per record, in order: each chunk gets its own, and its own counts (the tree's size and root are the group's).
        let at = 0;
        return chunks.map((c) => {
          const outcomes = out.outcomes.slice(at, (at += c.length));
          const conflicts = outcomes.filter((o) => o.conflict?.appended).length;
          return { ...out, outcomes, appended: outcomes.filter((o) => o.appended).length + conflicts, conflicts };
        });
      },
      // Two at once: one group seals its records (presealRecords) while the one before it holds the append lock.
      { maxWeight: opts.maxPerTransaction, weightOf: (c) => c.length, concurrency: 2 },
    );
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    const registers = [opts.metrics];
    this.appended = new Counter({ name: "audit_records_appended_total", help: "Records appended to the ledger, by kind", labelNames: ["kind"], registers });
    this.duplicates = new Counter({ name: "audit_records_duplicate_total", help: "Redelivered records already in the ledger (same id and bytes, or a conflict already kept)", registers });
    this.conflicts = new Counter({ name: "audit_record_conflicts_total", help: "Record ids that arrived again with different bytes, kept as conflict records, by the record's kind", labelNames: ["kind"], registers });
    this.deadLetters = new Counter({ name: "audit_dead_letters_total", help: "Records dead-lettered, by reason", labelNames: ["reason"], registers });
    this.provenanceMismatches = new Counter({ name: "audit_provenance_mismatches_total", help: "Records dead-lettered because their topic's writer may not write their kind (a decision on an access or refusals topic), by topic", labelNames: ["topic"], registers });
    this.restarts = new Counter({ name: "audit_ingest_restarts_total", help: "Times the ingest's Kafka consumer was restarted after a crash or a failed start, by the error's name", labelNames: ["reason"], registers });
    this.databaseRetries = new Counter({ name: "audit_ingest_database_retries_total", help: "Batches retried because the database failed transiently (restarting, connection lost)", registers });
    // Each access and refusals topic's series exists from the start (at 0), so an alert can rely on it.
    for (const topic of [...opts.accessTopics, ...(opts.refusalTopics ?? [])]) this.provenanceMismatches.inc({ topic }, 0);
    new Gauge({
      name: "audit_ledger_tree_size",
      help: "Leaves in the ledger",
      registers,
      collect: async function () {
        this.set((await ledger.state()).treeSize);
      },
    });
  }

  private get allTopics(): string[] {
    return [...new Set([this.opts.auditTopic, ...this.opts.accessTopics, ...(this.opts.refusalTopics ?? []), ...this.opts.intelTopics])];
  }

  /** Ingesting: the consumer is in its group and fetched or appended within the stall window, and the database takes the appends. */
  isReady(now = Date.now()): boolean {
    return this.running && this.joined && !this.databaseFailing && now - this.lastProgressAt <= this.stallMs;
  }

  /** Start consuming; a consumer that cannot start now is retried with backoff (never throws for the broker's sake). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.restartAttempt = 0;
    await this.launch();
  }

  private newConsumer(): Consumer {
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      sessionTimeout: this.opts.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.min(3000, Math.floor((this.opts.sessionTimeoutMs ?? 10_000) / 3)),
      // This class restarts a crashed consumer itself, whatever the error, with its own backoff.
      retry: { retries: 5, restartOnFailure: async () => false },
    });
    const mine = () => this.consumer === consumer;
    const progress = () => {
      if (mine()) this.lastProgressAt = Date.now();
    };
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (!mine()) return;
      this.joined = true;
      this.restartAttempt = 0;
      progress();
    });
    consumer.on(consumer.events.FETCH, progress);
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!mine()) return;
      this.joined = false;
      logKafkaRefusal(this.opts.logger, payload.error, { operation: "consume", topics: this.allTopics, group: this.opts.groupId });
      this.scheduleRestart(payload.error);
    });
    return consumer;
  }

  private async launch(): Promise<void> {
    if (!this.running) return;
    const consumer = this.newConsumer();
    this.consumer = consumer;
    this.joined = false;
    this.launching = (async () => {
      try {
        await this.producer.connect();
        await consumer.connect();
        await consumer.subscribe({ topics: this.allTopics, fromBeginning: true });
        // Offsets of partitions handled at once go in one OffsetCommit request, each partition's highest.
        const offsets = new GroupCommit<TopicPartitionOffset, void>(
          async (items) => {
            const highest = new Map<string, TopicPartitionOffset>();
            for (const o of items) {
              const key = `${o.partition}/${o.topic}`;
              const held = highest.get(key);
              if (!held || BigInt(o.offset) > BigInt(held.offset)) highest.set(key, o);
            }
            await consumer.commitOffsets([...highest.values()]);
            return items.map(() => undefined);
          },
          { maxWeight: Number.MAX_SAFE_INTEGER },
        );
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.opts.partitionsConcurrently ?? 1,
          eachBatch: (p) => this.onBatch(consumer, offsets, p),
        });
      } catch (err) {
        if (this.consumer !== consumer) return;
        await consumer.disconnect().catch(() => undefined);
        this.scheduleRestart(err as Error);
      }
    })();
    await this.launching;
  }

  private scheduleRestart(err: Error): void {
    if (!this.running || this.restartTimer) return;
    const delayMs = backoffDelay(this.restartAttempt++, this.backoff);
    this.restarts.inc({ reason: err?.name ?? "Error" });
    this.opts.logger.warn(
      // (`name` is a redacted log key: the error's class goes as kafkaError.)
      { code: "INGEST_RESTARTING", attempt: this.restartAttempt, delayMs, kafkaError: { type: err?.name, message: err?.message, retriable: (err as { retriable?: boolean })?.retriable } },
      "the ingest's Kafka consumer stopped; starting a new one after a backoff",
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      const old = this.consumer;
      this.consumer = undefined;
      void (async () => {
        await old?.disconnect().catch(() => undefined);
        await this.launch();
      })();
    }, delayMs);
  }

  private async onBatch(consumer: Consumer, offsets: GroupCommit<TopicPartitionOffset, void>, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const live = () => this.running && this.consumer === consumer && isRunning() && !isStale();
    for (let i = 0; i < batch.messages.length; i += this.opts.maxPerTransaction) {
      if (!live()) return;
      const chunk = batch.messages.slice(i, i + this.opts.maxPerTransaction);
      const now = new Date();
      const records: Appendable[] = [];
      const decisions: DecisionRecord[] = [];
      for (const m of chunk) {
        const r = ingestRecord(topic, partition, m, this.topics, now);
        if (r.ok) {
          records.push(...r.records);
          decisions.push(...r.decisions);
        } else {
          await this.deadLetter(topic, partition, m, r.reason);
          if (isProvenanceMismatch(r.reason)) this.provenanceMismatches.inc({ topic });
        }
      }
      records.push(...revisionsOf(decisions, now));
      if (records.length > 0) {
        const out = await this.appendRetrying(records, live, heartbeat);
        // Stopped while the database was away: nothing appended, nothing committed; redelivered to the next writer.
        if (!out) return;
        const kinds = new Map(records.map((r) => [r.ledger.recordId, r.ledger.kind]));
        for (const o of out.outcomes) {
          const kind = kinds.get(o.recordId) ?? "unknown";
          if (o.appended) this.appended.inc({ kind });
          else if (o.conflict?.appended) {
            // The same id with different bytes: kept as a linked conflict record. Ids, indices and hashes only — never the bytes.
            this.appended.inc({ kind: CONFLICT_KIND });
            this.conflicts.inc({ kind });
            this.opts.logger.warn(
              { code: "RECORD_CONFLICT", kind, recordId: o.recordId, originalIndex: o.index, conflictRecordId: o.conflict.recordId, conflictIndex: o.conflict.index },
              "a record id arrived again with different bytes: appended as a conflict record linked to the original",
            );
          } else this.duplicates.inc();
        }
      }
      const last = chunk[chunk.length - 1]!;
      resolveOffset(last.offset);
      // Committed only now that PostgreSQL has the records.
      await offsets.submit({ topic, partition, offset: (BigInt(last.offset) + 1n).toString() });
      this.lastProgressAt = Date.now();
      await heartbeat();
    }
  }

  /**
   * Append, retrying while the database fails transiently (and the consumer is
   * still ours and running): an append that committed before its connection was
   * lost is found on the next try by its record ids, so it is not appended twice.
   * Undefined when stopped before the append succeeded.
   */
  private async appendRetrying(records: Appendable[], live: () => boolean, heartbeat: () => Promise<void>): Promise<BatchOutcome | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await this.appends.submit(records);
        if (this.databaseFailing) this.opts.logger.info({ code: "INGEST_DATABASE_RECOVERED", attempts: attempt + 1 }, "the ledger's database takes appends again");
        this.databaseFailing = false;
        return out;
      } catch (err) {
        if (!isTransientDatabaseError(err)) throw err;
        if (!this.databaseFailing) this.opts.logger.error({ code: "INGEST_DATABASE_UNAVAILABLE", err: { message: (err as Error).message, code: (err as { code?: string }).code } }, "the ledger's database failed; retrying the batch (offsets stay uncommitted)");
        this.databaseFailing = true;
        this.databaseRetries.inc();
        if (!live()) return undefined;
        await sleep(backoffDelay(Math.min(attempt, 3), { baseMs: Math.min(500, this.backoff.baseMs), maxMs: 5000 }));
        if (!live()) return undefined;
        await heartbeat();
      }
    }
  }

  private async deadLetter(topic: string, partition: number, m: KafkaMessage, reason: string): Promise<void> {
    const traceparent = headerValue(m.headers, HEADERS.TRACEPARENT);
    await this.producer.send({
      topic: this.opts.deadLetterTopic,
      acks: -1,
      messages: [
        {
          key: `${topic}/${partition}/${m.offset}`,
          value: m.value ?? Buffer.alloc(0),
          headers: {
            [HEADERS.DLQ_REASON]: reason,
            [HEADERS.DLQ_SOURCE_TOPIC]: topic,
            [HEADERS.DLQ_SOURCE_PARTITION]: String(partition),
            [HEADERS.DLQ_SOURCE_OFFSET]: m.offset,
            [HEADERS.DLQ_CONSUMER]: this.opts.groupId,
            ...(traceparent ? { [HEADERS.TRACEPARENT]: traceparent } : {}),
          },
        },
      ],
    });
    this.deadLetters.inc({ reason: reason.split(":")[0] ?? reason });
    this.opts.logger.warn({ topic, partition, offset: m.offset, reason }, "record dead-lettered");
  }

  /** Stop consuming (leaving the group, bounded by stopTimeoutMs) and close the producer. The ingest can be started again. */
  async stop(): Promise<void> {
    this.running = false;
    this.joined = false;
    this.databaseFailing = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const consumer = this.consumer;
    this.consumer = undefined;
    const bounded = (p: Promise<unknown>) => Promise.race([p.catch(() => undefined), sleep(this.opts.stopTimeoutMs ?? 10_000)]);
    await bounded((async () => {
      await this.launching?.catch(() => undefined);
      await consumer?.disconnect();
    })());
    await bounded(this.producer.disconnect());
  }
}
