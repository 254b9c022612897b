import { Counter, Gauge, HEADERS, headerValue, type Logger, type Registry } from "@takitini/runtime";
import type { Consumer, Kafka, Producer } from "kafkajs";
import { decodeAuditRecord } from "./records.js";
import type { DecisionStore, MemoryAccessLog } from "./store.js";

/**
 * Reads the audit topic (read-committed, so only decisions whose transaction
 * committed) into the stores: decision records, and access records from the
 * partner delivery door. Invalid records are dead-lettered with the reason,
 * never silently dropped.
 */
export class AuditProjection {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private joined = false;
  private readonly appended: Counter<"kind">;
  private readonly duplicates: Counter;
  private readonly deadLetters: Counter<"reason">;

  constructor(
    kafka: Kafka,
    private readonly store: DecisionStore,
    private readonly access: MemoryAccessLog,
    private readonly opts: { auditTopic: string; deadLetterTopic: string; groupId: string; logger: Logger; metrics: Registry },
  ) {
    this.consumer = kafka.consumer({ groupId: opts.groupId, readUncommitted: false, allowAutoTopicCreation: false });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
    this.consumer.on(this.consumer.events.CRASH, () => (this.joined = false));
    const registers = [opts.metrics];
    this.appended = new Counter({ name: "audit_records_appended_total", help: "Audit records stored, by kind", labelNames: ["kind"], registers });
    this.duplicates = new Counter({ name: "audit_records_duplicate_total", help: "Redelivered audit records ignored (same id)", registers });
    this.deadLetters = new Counter({ name: "audit_dead_letters_total", help: "Audit records dead-lettered, by reason", labelNames: ["reason"], registers });
    new Gauge({ name: "audit_records_stored", help: "Decision records held", registers, collect() { this.set(store.size()); } });
    new Gauge({ name: "audit_access_records_stored", help: "Access records (partner streams granted, refused, delivered) held", registers, collect() { this.set(access.size()); } });
  }

  isReady(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.opts.auditTopic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const decoded = decodeAuditRecord(message.value, message.headers);
        if (!decoded.ok) {
          await this.producer.send({
            topic: this.opts.deadLetterTopic,
            acks: -1,
            messages: [
              {
                key: `${topic}/${partition}/${message.offset}`,
                value: message.value ?? Buffer.alloc(0),
                headers: {
                  [HEADERS.DLQ_REASON]: decoded.reason,
                  [HEADERS.DLQ_SOURCE_TOPIC]: topic,
                  [HEADERS.DLQ_SOURCE_PARTITION]: String(partition),
                  [HEADERS.DLQ_SOURCE_OFFSET]: message.offset,
                  [HEADERS.DLQ_CONSUMER]: this.opts.groupId,
                  ...(headerValue(message.headers, HEADERS.TRACEPARENT) ? { [HEADERS.TRACEPARENT]: headerValue(message.headers, HEADERS.TRACEPARENT)! } : {}),
                },
              },
            ],
          });
          this.deadLetters.inc({ reason: decoded.reason.split(":")[0] ?? decoded.reason });
          this.opts.logger.warn({ topic, partition, offset: message.offset, reason: decoded.reason }, "audit record dead-lettered");
          return;
        }
        const fresh = decoded.value.kind === "decision" ? this.store.append(decoded.value.record) : this.access.append(decoded.value.record);
        if (fresh) this.appended.inc({ kind: decoded.value.kind });
        else this.duplicates.inc();
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
