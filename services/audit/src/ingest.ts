import { IntelligenceEvent, type DecisionRecord } from "@takitini/proto";
import { Counter, Gauge, HEADERS, headerValue, logKafkaRefusal, type Logger, type Registry } from "@takitini/runtime";
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import type { BatchOutcome, Ledger } from "./ledger/index.js";
import { fromAccess, fromDecision, fromPublish, fromRefusal, fromRefusalSummary, publishRecord, revisionsOf, type Appendable } from "./oversight/records.js";
import { writeIndex } from "./oversight/store.js";
import { decodeAuditRecord, type AuditRecord } from "./records.js";

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
 * oversight index. Idempotent per record id.
 */
export async function appendRecords(ledger: Ledger, records: readonly Appendable[]): Promise<BatchOutcome> {
  const byId = new Map(records.map((r) => [r.ledger.recordId, r.index]));
  return ledger.appendBatch(
    records.map((r) => r.ledger),
    (tx, added) => writeIndex(tx, added.map((a) => ({ index: a.index, row: byId.get(a.record.recordId)! }))),
  );
}

/**
 * Reads the decisions topic, the access topics, the refusals topics and the
 * agency topics (read-committed) into the ledger.
 * Each fetched batch is appended in one PostgreSQL transaction — leaves, tree
 * nodes and the oversight index together — and only then are the Kafka offsets
 * committed: a crash in between redelivers the batch, and appends are
 * idempotent per record id, so nothing acknowledged is lost and nothing counts
 * twice. Records that fail validation are dead-lettered, not dropped.
 */
export class LedgerIngest {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private joined = false;
  private readonly appended: Counter<"kind">;
  private readonly duplicates: Counter;
  private readonly deadLetters: Counter<"reason">;
  private readonly provenanceMismatches: Counter<"topic">;
  private readonly topics: IngestTopics;

  constructor(
    kafka: Kafka,
    private readonly ledger: Ledger,
    private readonly opts: { auditTopic: string; accessTopics: string[]; refusalTopics?: string[]; intelTopics: string[]; deadLetterTopic: string; groupId: string; logger: Logger; metrics: Registry; maxPerTransaction: number },
  ) {
    this.topics = { auditTopic: opts.auditTopic, accessTopics: [...opts.accessTopics], refusalTopics: [...(opts.refusalTopics ?? [])] };
    this.consumer = kafka.consumer({ groupId: opts.groupId, readUncommitted: false, allowAutoTopicCreation: false });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      logKafkaRefusal(opts.logger, payload.error, { operation: "consume", topics: [opts.auditTopic, ...opts.accessTopics, ...(opts.refusalTopics ?? []), ...opts.intelTopics], group: opts.groupId });
    });
    const registers = [opts.metrics];
    this.appended = new Counter({ name: "audit_records_appended_total", help: "Records appended to the ledger, by kind", labelNames: ["kind"], registers });
    this.duplicates = new Counter({ name: "audit_records_duplicate_total", help: "Redelivered records already in the ledger (same id)", registers });
    this.deadLetters = new Counter({ name: "audit_dead_letters_total", help: "Records dead-lettered, by reason", labelNames: ["reason"], registers });
    this.provenanceMismatches = new Counter({ name: "audit_provenance_mismatches_total", help: "Records dead-lettered because their topic's writer may not write their kind (a decision on an access or refusals topic), by topic", labelNames: ["topic"], registers });
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

  isReady(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...new Set([this.opts.auditTopic, ...this.opts.accessTopics, ...(this.opts.refusalTopics ?? []), ...this.opts.intelTopics])], fromBeginning: true });
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (p) => this.onBatch(p) });
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    for (let i = 0; i < batch.messages.length; i += this.opts.maxPerTransaction) {
      if (!isRunning() || isStale()) return;
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
        const out = await appendRecords(this.ledger, records);
        const kinds = new Map(records.map((r) => [r.ledger.recordId, r.index.kind]));
        for (const o of out.outcomes) {
          if (o.appended) this.appended.inc({ kind: kinds.get(o.recordId) ?? "unknown" });
          else this.duplicates.inc();
        }
      }
      const last = chunk[chunk.length - 1]!;
      resolveOffset(last.offset);
      // Committed only now that PostgreSQL has the records.
      await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      await heartbeat();
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

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
