import { Counter, Gauge, type Logger, type Registry } from "@takitini/runtime";
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer, TopicMessages } from "kafkajs";
import { planRecord, type OutMessage, type SourceRecord } from "./plan.js";
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
  groupId: string;
  instanceId: string;
  maxEventsPerTransaction: number;
  sessionTimeoutMs?: number;
  partitionsConcurrently?: number;
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
 * The Kafka shell around the pure planner. Each chunk of a fetched batch is
 * handled in ONE Kafka transaction holding the subscriber deliveries, the
 * decision records and the consumed offsets: either all become visible to
 * read-committed consumers, or none do. So there is no disclosure without its
 * audit record, and no audit record of a disclosure that did not happen.
 */
export class Exchange {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private joined = false;
  private producerConnected = false;
  private readonly eventsIn: Counter<"topic">;
  private readonly decisions: Counter<"outcome" | "subscriber">;
  private readonly deliveries: Counter<"subscriber">;
  private readonly deadLetters: Counter<"reason">;
  private readonly aborts: Counter;
  private readonly lag: Gauge<"topic" | "partition">;

  constructor(private readonly opts: ExchangeOptions) {
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      readUncommitted: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      allowAutoTopicCreation: false,
    });
    this.producer = opts.kafka.producer({
      transactionalId: `takitini-exchange-${opts.instanceId}`,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
    this.consumer.on(this.consumer.events.CRASH, () => (this.joined = false));
    this.consumer.on(this.consumer.events.STOP, () => (this.joined = false));
    this.producer.on(this.producer.events.CONNECT, () => (this.producerConnected = true));
    this.producer.on(this.producer.events.DISCONNECT, () => (this.producerConnected = false));

    const registers = [opts.metrics];
    this.eventsIn = new Counter({ name: "exchange_events_in_total", help: "Records consumed from agency topics", labelNames: ["topic"], registers });
    this.decisions = new Counter({ name: "exchange_decisions_total", help: "Policy decisions by outcome and subscriber", labelNames: ["outcome", "subscriber"], registers });
    this.deliveries = new Counter({ name: "exchange_deliveries_total", help: "Views delivered to subscriber topics", labelNames: ["subscriber"], registers });
    this.deadLetters = new Counter({ name: "exchange_dead_letters_total", help: "Records sent to the dead-letter topic, by reason", labelNames: ["reason"], registers });
    this.aborts = new Counter({ name: "exchange_transaction_aborts_total", help: "Kafka transactions aborted", registers });
    this.lag = new Gauge({ name: "exchange_consumer_lag", help: "Records behind the partition's high watermark at the last fetch", labelNames: ["topic", "partition"], registers });
  }

  isReady(): boolean {
    return this.joined && this.producerConnected;
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.intelTopics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.opts.logger.info(
      { topics: this.opts.intelTopics, subscribers: this.opts.policy.current().subscribers().map((s) => s.id), policyRevision: this.opts.policy.current().revision },
      "exchange consuming",
    );
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    for (let i = 0; i < batch.messages.length; i += this.opts.maxEventsPerTransaction) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + this.opts.maxEventsPerTransaction);
      await this.processChunk(topic, partition, chunk);
      const last = chunk[chunk.length - 1];
      if (last) resolveOffset(last.offset);
      await heartbeat();
    }
    this.lag.set({ topic, partition: String(partition) }, Number(batch.offsetLag()));
  }

  private async processChunk(topic: string, partition: number, chunk: KafkaMessage[]): Promise<void> {
    // One policy for the whole chunk: its subscribers, its decisions, its revision.
    const policy = this.opts.policy.current();
    const subscribers = policy.subscribers();
    const decide = policy.decide;
    const now = new Date();
    const out: OutMessage[] = [];
    const tallies: (() => void)[] = [];
    for (const m of chunk) {
      const record: SourceRecord = { topic, partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers };
      const plan = planRecord(record, subscribers, decide, {
        auditTopic: this.opts.auditTopic,
        deadLetterTopic: this.opts.deadLetterTopic,
        policyRevision: policy.revision,
        now,
        consumer: this.opts.groupId,
      });
      if (plan.kind === "dead-letter") {
        out.push(plan.message);
        this.opts.logger.warn({ topic, partition, offset: m.offset, reason: plan.reason }, "record dead-lettered");
        tallies.push(() => this.deadLetters.inc({ reason: plan.reason.split(":")[0] ?? plan.reason }));
      } else {
        out.push(...plan.messages);
        tallies.push(() => {
          for (const d of plan.decisions) {
            this.decisions.inc({ outcome: d.outcome === "OUTCOME_ALLOW" ? "allow" : "deny", subscriber: d.subscriberId });
            if (d.deliveryTopic !== "") this.deliveries.inc({ subscriber: d.subscriberId });
          }
        });
      }
    }
    const last = chunk[chunk.length - 1];
    if (!last) return;

    const txn = await this.producer.transaction();
    try {
      if (out.length > 0) await txn.sendBatch({ topicMessages: groupByTopic(out), acks: -1 });
      await txn.sendOffsets({
        consumerGroupId: this.opts.groupId,
        topics: [{ topic, partitions: [{ partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
      });
      await txn.commit();
    } catch (err) {
      this.aborts.inc();
      this.opts.logger.error({ err, topic, partition, fromOffset: chunk[0]?.offset, toOffset: last.offset }, "transaction failed; aborting");
      await txn.abort().catch((abortErr: unknown) => this.opts.logger.error({ err: abortErr }, "abort failed"));
      throw err;
    }
    this.eventsIn.inc({ topic }, chunk.length);
    for (const t of tallies) t();
  }

  /** Leave the group (finishing the in-flight batch) and close the producer. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
