import { IntelligenceEvent, LinkageIndexEntry, type LinkedRecordFacts } from "@takitini/proto";
import { backoffDelay, bounded, Counter, Gauge, intelTopicAgency, isConsuming, logKafkaRefusal, type Backoff, type Logger, type Registry } from "@takitini/runtime";
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import { alertMessage, linkAlertEvent, type FoundLink } from "./alert.js";
import { allToOneAssigner } from "./assigner.js";
import { readIndexTopic } from "./index-topic.js";

/** What the Kafka shell needs of the linkage core (services/linkage/src/core), nothing more. */
export interface LinkerCore {
  /** Forget everything: before a rebuild. */
  clear(): void;
  /** Learn an entry read back from the index topic (its links were raised when it was first indexed). */
  restore(entry: LinkageIndexEntry): void;
  /**
   * Index a consumed record: the entry to persist (null when the record has
   * nothing to match on, or was indexed before) and the links it makes with
   * records of other agencies already indexed.
   */
  index(event: IntelligenceEvent): { entry: LinkageIndexEntry | null; links: FoundLink[] };
  /** The policy facts of an indexed record. */
  facts(eventId: string): LinkedRecordFacts | undefined;
  /** Records indexed. */
  size(): number;
}

export interface LinkerOptions {
  kafka: Kafka;
  core: LinkerCore;
  logger: Logger;
  metrics: Registry;
  intelTopics: string[];
  linksTopic: string;
  indexTopic: string;
  groupId: string;
  transactionalId: string;
  maxEventsPerTransaction: number;
  sessionTimeoutMs?: number;
  backoff?: Backoff;
  stallMs?: number;
  stopTimeoutMs?: number;
  now?: () => Date;
}

/** Why a consumed record was not indexed (metric label; never content). */
type Skip = "undecodable" | "provenance" | "not_agency_event";

/** Messages of a fetched batch that the group has not yet committed past. Pure. */
export function uncommitted<M extends { offset: string }>(messages: M[], committed: bigint | undefined): M[] {
  return committed === undefined ? messages : messages.filter((m) => BigInt(m.offset) >= committed);
}

/**
 * The Kafka shell around the linkage core. One instance of the group is active
 * (assigner.ts gives it every partition); the others stand by. The active one:
 *
 * 1. initialises the transactional id (fencing any earlier active one and
 *    completing or aborting what it left open), then reads the group's committed
 *    offsets — final now — and rebuilds the index from the index topic, which
 *    holds exactly the entries of the records below those offsets;
 * 2. then, per chunk of a fetched batch, ONE transaction holds the chunk's index
 *    entries, the alerts its records raised and the consumed offsets: a record is
 *    indexed, alerted on and consumed together or not at all. A failed
 *    transaction leaves the in-memory index ahead of the topic, so the consumer
 *    is replaced and the index rebuilt before anything more is written.
 *
 * Recovery is the exchange's: every crash and failed start gives a new consumer
 * after a backoff (LINKAGE_CONSUMER_RESTARTING, linkage_consumer_restarts_total);
 * main.ts exits after LINKAGE_MAX_UNREADY_MS not ready.
 */
export class Linker {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private producer: Producer | undefined;
  private readonly startedAt = Date.now();
  private running = false;
  private joined = false;
  private active = false;
  /** The generation whose writer is fenced and whose index is rebuilt; behind `generation` means prepare first. */
  private prepared = -1;
  private generation = 0;
  private committed = new Map<string, bigint>();
  private lastProgressAt = 0;
  private restartAttempt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private launching: Promise<void> | undefined;
  /** The current generation's fencing, offsets read and index rebuild. */
  private preparing: Promise<void> | undefined;
  private readonly backoff: Backoff;
  private readonly stallMs: number;
  private readonly stopTimeoutMs: number;
  private readonly restarts: Counter<"reason">;
  private readonly consumed: Counter<"topic">;
  private readonly skipped: Counter<"reason">;
  private readonly links: Counter<"rule">;
  private readonly aborts: Counter;
  private readonly rebuilds: Counter;
  private readonly indexed: Gauge;
  private readonly role: Gauge;
  private readonly rebuildSeconds: Gauge;

  constructor(private readonly o: LinkerOptions) {
    this.backoff = o.backoff ?? { baseMs: 1000, maxMs: 30_000 };
    this.stallMs = o.stallMs ?? 20_000;
    this.stopTimeoutMs = o.stopTimeoutMs ?? 10_000;
    const registers = [o.metrics];
    this.restarts = new Counter({ name: "linkage_consumer_restarts_total", help: "Times the linkage consumer was replaced after a crash, a failed start or a failed transaction, by the error's name", labelNames: ["reason"], registers });
    this.consumed = new Counter({ name: "linkage_records_consumed_total", help: "Agency records consumed", labelNames: ["topic"], registers });
    this.skipped = new Counter({ name: "linkage_records_skipped_total", help: "Consumed records not indexed, by why (the exchange dead-letters the same ones)", labelNames: ["reason"], registers });
    this.links = new Counter({ name: "linkage_links_total", help: "Links found between records of different agencies (each published as one alert), by rule", labelNames: ["rule"], registers });
    this.aborts = new Counter({ name: "linkage_transaction_aborts_total", help: "Kafka transactions aborted (the index is rebuilt after each)", registers });
    this.rebuilds = new Counter({ name: "linkage_index_rebuilds_total", help: "Times the index was rebuilt from the index topic (on becoming active)", registers });
    this.indexed = new Gauge({ name: "linkage_index_records", help: "Records in the in-memory index", registers, collect: () => this.indexed.set(this.o.core.size()) });
    this.role = new Gauge({ name: "linkage_active", help: "1 while this instance is the active linker, 0 while it stands by", registers });
    this.rebuildSeconds = new Gauge({ name: "linkage_index_rebuild_seconds", help: "How long the last rebuild of the index took", registers });
  }

  /** Ready: in the group and either standing by, or active with the index rebuilt and fetching. */
  isReady(now = Date.now()): boolean {
    if (!this.running || !this.joined) return false;
    if (!this.active) return true;
    return this.prepared === this.generation && isConsuming({ running: this.running, joined: this.joined, lastProgressAt: this.lastProgressAt }, now, this.stallMs);
  }

  isActive(): boolean {
    return this.active;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.launch();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.closeClients();
  }

  private onJoin(assignment: Record<string, number[]>): void {
    this.joined = true;
    this.restartAttempt = 0;
    this.lastProgressAt = Date.now();
    this.generation += 1;
    const partitions = Object.values(assignment).reduce((n, ps) => n + ps.length, 0);
    const wasActive = this.active;
    this.active = partitions > 0;
    this.role.set(this.active ? 1 : 0);
    if (this.active !== wasActive) this.o.logger.info({ active: this.active, partitions, generation: this.generation }, this.active ? "active: this instance links every partition" : "standing by");
    if (!this.active) {
      this.preparing = undefined;
      void this.closeProducer();
      return;
    }
    // Still the active one, ready in the generation before: no one else can have been active in
    // between (generations follow one another), so the writer, the offsets and the index still hold.
    if (wasActive && this.prepared === this.generation - 1) {
      this.prepared = this.generation;
      return;
    }
    // Become ready now, not at the first record: fence, read the offsets, rebuild.
    const consumer = this.consumer;
    const preparing = this.prepare(this.generation);
    this.preparing = preparing;
    preparing.catch((err: unknown) => {
      if (this.preparing !== preparing || this.consumer !== consumer) return;
      this.o.logger.error({ err }, "could not become the active linker (fencing, offsets or the index rebuild failed)");
      this.scheduleRestart(err as Error);
    });
  }

  private newConsumer(): Consumer {
    const sessionTimeout = this.o.sessionTimeoutMs ?? 30_000;
    const consumer = this.o.kafka.consumer({
      groupId: this.o.groupId,
      partitionAssigners: [allToOneAssigner(this.startedAt)],
      readUncommitted: false,
      sessionTimeout,
      rebalanceTimeout: Math.max(60_000, 2 * sessionTimeout),
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 10)),
      allowAutoTopicCreation: false,
      retry: { retries: 5, restartOnFailure: async () => false },
    });
    const mine = () => this.consumer === consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (mine()) this.onJoin(e.payload.memberAssignment);
    });
    consumer.on(consumer.events.FETCH, () => {
      if (mine()) this.lastProgressAt = Date.now();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!mine()) return;
      this.joined = false;
      logKafkaRefusal(this.o.logger, payload.error, { operation: "consume", topics: this.o.intelTopics, group: this.o.groupId });
      this.scheduleRestart(payload.error);
    });
    consumer.on(consumer.events.STOP, () => {
      if (mine()) this.joined = false;
    });
    return consumer;
  }

  private async launch(): Promise<void> {
    if (!this.running) return;
    const consumer = this.newConsumer();
    const admin = this.o.kafka.admin();
    this.consumer = consumer;
    this.admin = admin;
    this.joined = false;
    this.launching = (async () => {
      try {
        await admin.connect();
        await consumer.connect();
        await consumer.subscribe({ topics: this.o.intelTopics, fromBeginning: true });
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: (p) => this.handleBatch(consumer, p) });
        this.o.logger.info({ topics: this.o.intelTopics }, "linkage consuming");
      } catch (err) {
        if (this.consumer === consumer) this.scheduleRestart(err as Error);
      }
    })();
    await this.launching;
  }

  private scheduleRestart(err: Error): void {
    if (!this.running || this.restartTimer) return;
    this.joined = false;
    const delayMs = backoffDelay(this.restartAttempt++, this.backoff);
    this.restarts.inc({ reason: err?.name ?? "Error" });
    this.o.logger.warn(
      { code: "LINKAGE_CONSUMER_RESTARTING", attempt: this.restartAttempt, delayMs, kafkaError: { type: err?.name, message: err?.message } },
      "the linkage consumer stopped; starting a new one after a backoff (the index is rebuilt)",
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void (async () => {
        await this.closeClients();
        await this.launch();
      })();
    }, delayMs);
  }

  private async closeProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.prepared = -1;
    if (producer) await bounded(producer.disconnect(), this.stopTimeoutMs);
  }

  private async closeClients(): Promise<void> {
    const consumer = this.consumer;
    const admin = this.admin;
    this.consumer = undefined;
    this.admin = undefined;
    this.joined = false;
    this.active = false;
    this.role.set(0);
    await bounded(
      (async () => {
        await this.launching?.catch(() => undefined);
        await consumer?.disconnect();
      })(),
      this.stopTimeoutMs,
    );
    await Promise.all([this.closeProducer(), bounded(admin?.disconnect() ?? Promise.resolve(), this.stopTimeoutMs)]);
  }

  /**
   * Becoming active (each new generation in which this instance holds the
   * partitions): fence, read the committed offsets, rebuild the index.
   */
  private async prepare(generation: number): Promise<void> {
    await this.closeProducer();
    // Retries as the adapters' claim writer has them: a transaction's AddOffsetsToTxn can meet
    // CONCURRENT_TRANSACTIONS while the previous one is still completing on a fresh broker.
    const producer = this.o.kafka.producer({
      transactionalId: this.o.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 10, maxRetryTime: 2000, retries: 12 },
    });
    await producer.connect();
    // Initialise the transactional id now: the broker bumps its epoch, fencing the
    // previous active instance, and completes or aborts what it left open, so the
    // offsets and the index topic read next are final.
    await (await producer.transaction()).abort();
    this.producer = producer;
    if (!this.admin) throw new Error("the linkage admin client is closed (restarting)");
    const offsets = await this.admin.fetchOffsets({ groupId: this.o.groupId, topics: this.o.intelTopics });
    this.committed = new Map(offsets.flatMap((t) => t.partitions.filter((p) => p.offset !== "-1" && p.offset !== "").map((p) => [`${t.topic}:${p.partition}`, BigInt(p.offset)] as const)));
    const started = Date.now();
    this.o.core.clear();
    const entries = await readIndexTopic({ kafka: this.o.kafka, topic: this.o.indexTopic, groupPrefix: this.o.groupId, logger: this.o.logger, learn: (entry) => this.o.core.restore(entry) });
    if (generation !== this.generation) return;
    const seconds = (Date.now() - started) / 1000;
    this.rebuildSeconds.set(seconds);
    this.rebuilds.inc();
    this.prepared = generation;
    this.o.logger.info({ entries, records: this.o.core.size(), seconds, generation }, "index rebuilt from the index topic");
  }

  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.consumer !== consumer) return;
    await this.whenPrepared(heartbeat);
    const { topic, partition } = batch;
    const key = `${topic}:${partition}`;
    const fresh = uncommitted(batch.messages, this.committed.get(key));
    if (fresh.length < batch.messages.length) {
      const lastSkipped = batch.messages[batch.messages.length - fresh.length - 1];
      if (lastSkipped) resolveOffset(lastSkipped.offset);
    }
    for (let i = 0; i < fresh.length; i += this.o.maxEventsPerTransaction) {
      if (!isRunning() || isStale() || this.consumer !== consumer) return;
      const chunk = fresh.slice(i, i + this.o.maxEventsPerTransaction);
      await this.processChunk(topic, partition, chunk);
      const last = chunk[chunk.length - 1]!;
      resolveOffset(last.offset);
      this.committed.set(key, BigInt(last.offset) + 1n);
      this.lastProgressAt = Date.now();
      await heartbeat();
    }
  }

  /** Wait for this generation's preparation (heartbeating meanwhile); after a failed transaction, prepare again first. */
  private async whenPrepared(heartbeat: () => Promise<void>): Promise<void> {
    if (this.prepared === this.generation) return;
    if (!this.preparing) {
      const preparing = this.prepare(this.generation);
      this.preparing = preparing;
    }
    const preparing = this.preparing;
    let done = false;
    const finished = preparing.finally(() => {
      done = true;
    });
    while (!done) {
      await Promise.race([finished.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
      if (!done) await heartbeat();
    }
    await preparing;
    if (this.prepared !== this.generation) throw new Error("the linker's generation moved on while it prepared (a rebalance)");
  }

  /** Index a chunk and commit its entries, alerts and offsets in one transaction; on failure, rebuild. */
  private async processChunk(topic: string, partition: number, chunk: KafkaMessage[]): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error("no transactional writer (not active)");
    const now = this.o.now?.() ?? new Date();
    const entries: { key: string; value: Buffer }[] = [];
    const alerts: ReturnType<typeof alertMessage>[] = [];
    const tallies: (() => void)[] = [];
    const agency = intelTopicAgency(topic);
    for (const m of chunk) {
      tallies.push(() => this.consumed.inc({ topic }));
      const skip = (reason: Skip) => tallies.push(() => this.skipped.inc({ reason }));
      if (!m.value) {
        skip("undecodable");
        continue;
      }
      let event: IntelligenceEvent;
      try {
        event = IntelligenceEvent.decode(m.value);
      } catch {
        skip("undecodable");
        continue;
      }
      // Provenance, as the exchange checks it: the topic says which agency may write it.
      if (agency === undefined || event.sourceAgency !== `AGENCY_${agency.toUpperCase()}`) {
        skip("provenance");
        continue;
      }
      if (event.payload === undefined || event.id === "") {
        skip("not_agency_event");
        continue;
      }
      const { entry, links } = this.o.core.index(event);
      if (entry) entries.push({ key: entry.eventId, value: Buffer.from(LinkageIndexEntry.encode(entry).finish()) });
      for (const link of links) {
        alerts.push(alertMessage(linkAlertEvent(link, (id) => this.factsOf(id), now)));
        tallies.push(() => this.links.inc({ rule: link.rule }));
      }
    }
    const txn = await producer.transaction();
    try {
      const topicMessages = [
        ...(entries.length > 0 ? [{ topic: this.o.indexTopic, messages: entries }] : []),
        ...(alerts.length > 0 ? [{ topic: this.o.linksTopic, messages: alerts }] : []),
      ];
      if (topicMessages.length > 0) await txn.sendBatch({ topicMessages });
      await txn.sendOffsets({ consumerGroupId: this.o.groupId, topics: [{ topic, partitions: [{ partition, offset: (BigInt(chunk[chunk.length - 1]!.offset) + 1n).toString() }] }] });
      await txn.commit();
    } catch (err) {
      this.aborts.inc();
      await txn.abort().catch(() => undefined);
      // The in-memory index now holds entries that were not committed: rebuild before going on.
      this.prepared = -1;
      this.preparing = undefined;
      this.o.logger.error({ err, topic, partition, records: chunk.length }, "a linkage transaction failed; the index is rebuilt before anything more is written");
      throw err;
    }
    for (const t of tallies) t();
    // A count only: a link (its id, its records) never reaches a log line.
    if (alerts.length > 0) this.o.logger.info({ alerts: alerts.length, topic, partition }, "link alerts published");
  }

  private factsOf(eventId: string): LinkedRecordFacts {
    const facts = this.o.core.facts(eventId);
    if (!facts) throw new Error(`no facts for indexed record ${eventId}`);
    return facts;
  }
}
