import * as grpc from "@grpc/grpc-js";
import type { SubscribeRequest, SubscribeResponse } from "@takitini/proto";
import { bounded, isConsuming, type Logger } from "@takitini/runtime";
import type { Consumer, EachBatchPayload, Kafka, Producer } from "kafkajs";
import { accessDelivered, accessMessage, type AuditMessage } from "./access.js";
import { alreadyDelivered, encodeCursor } from "./cursor.js";
import { prepareDelivery } from "./delivery.js";
import type { Identity } from "./identity.js";

export type SubscribeCall = grpc.ServerWritableStream<SubscribeRequest, SubscribeResponse>;

export interface StreamDeps {
  kafka: Kafka;
  /** Producer for access records (every send acks -1). */
  audit: Producer;
  auditTopic: string;
  logger: Logger;
  /** Called once per view handed over. */
  onDelivered: (subscriberId: string) => void;
  /** Called when a full stream pauses the consumer (the partner reads slower than we fetch). */
  onPaused: (subscriberId: string) => void;
  /** Whether the policy registry in force still gives this partner this stream; checked before each batch. */
  authorised: () => boolean;
  /** Ends a stream that is no longer authorised (audited by the server). */
  revoke: () => void;
  /** Consumer session timeout (a stalled stream's consumer keeps heartbeating while paused). */
  sessionTimeoutMs: number;
  /**
   * A stream whose consumer has not fetched for this long (and is not paused for
   * a slow client) is ended UNAVAILABLE, so a consumer stuck on a broker that is
   * away never leaves a hung stream; default 30 s, well above the 1 s fetch wait.
   */
  stallMs?: number;
  now?: () => Date;
}

export interface StreamSpec {
  sessionId: string;
  identity: Identity;
  topic: string;
  /** Start positions from the client's cursor (partitions it does not name start at the oldest). */
  positions: ReadonlyMap<number, string>;
}

/**
 * One partner's live stream: a read-committed consumer on its delivery topic under
 * a throwaway group that never commits (the client's cursor is the only state),
 * sought to the cursor. Each fetched batch is audited first — one access record per
 * view, written with acks -1 — and only then written to the gRPC stream, each view
 * with the cursor after it. A full stream pauses the consumer until 'drain'.
 *
 * Faults end the stream, never hang it: a consumer crash (any error: kafkajs
 * never restarts it here), a failed start, a consumer that stops fetching for
 * `stallMs` while not paused, or an access record that cannot be written — each
 * ends the call with UNAVAILABLE, and the client resubscribes with its last
 * cursor (nothing past it was handed over). Disconnecting from a broker that
 * is away is bounded, so the stream's slot is always released.
 */
export class DeliveryStream {
  private readonly consumer: Consumer;
  private readonly positions: Map<number, string>;
  private readonly log: Logger;
  private stopping: Promise<void> | undefined;
  private paused = false;
  private starting: Promise<void> | undefined;
  private joined = false;
  private lastFetchAt = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly deps: StreamDeps,
    private readonly call: SubscribeCall,
    private readonly spec: StreamSpec,
  ) {
    this.positions = new Map(spec.positions);
    this.log = deps.logger.child({ sessionId: spec.sessionId, subscriber: spec.identity.subscriberId });
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.consumer = deps.kafka.consumer({
      groupId: `takitini-subscribe-${spec.identity.subscriberId}-${spec.sessionId}`,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      sessionTimeout: deps.sessionTimeoutMs,
      maxWaitTimeInMs: 1000,
      // A crashed consumer ends the stream (the client resumes from its cursor);
      // it is never restarted behind the stream's back.
      retry: { retries: 5, restartOnFailure: async () => false },
    });
  }

  /** Connect, subscribe, run and seek to the cursor. A stop() meanwhile wins: start then returns without running. */
  start(): Promise<void> {
    this.starting = this.begin();
    return this.starting;
  }

  private async begin(): Promise<void> {
    const { topic } = this.spec;
    this.call.on("cancelled", () => void this.stop());
    this.call.on("error", () => void this.stop());
    this.call.on("drain", () => this.resume());
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.log.warn({ err: payload.error }, "subscribe consumer crashed; ending the stream");
      void this.stop({ code: grpc.status.UNAVAILABLE, details: "DELIVERY_INTERRUPTED: resume with the last cursor" });
    });
    // After any (re)join, go back to where this stream is: a rejoin would otherwise
    // restart from the oldest (nothing is ever committed).
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.lastFetchAt = Date.now();
      this.seekAll();
    });
    this.consumer.on(this.consumer.events.FETCH, () => (this.lastFetchAt = Date.now()));
    this.lastFetchAt = Date.now();
    const stallMs = this.deps.stallMs ?? 30_000;
    this.watchdog = setInterval(() => {
      // Paused for a slow client is not a stall (keepalive catches a dead one); joining counts from the start.
      if (this.paused || this.stopping) return;
      if (!isConsuming({ running: true, joined: true, lastProgressAt: this.lastFetchAt }, Date.now(), stallMs)) {
        this.log.warn({ stallMs, joined: this.joined }, "subscribe consumer stopped fetching; ending the stream");
        void this.stop({ code: grpc.status.UNAVAILABLE, details: "DELIVERY_INTERRUPTED: resume with the last cursor" });
      }
    }, Math.max(100, Math.floor(stallMs / 4)));
    this.watchdog.unref();
    await this.consumer.connect();
    if (this.stopping) return;
    await this.consumer.subscribe({ topics: [topic], fromBeginning: true });
    if (this.stopping) return;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.seekAll();
    this.log.info({ topic, from: Object.fromEntries(this.positions) }, "subscribe stream started");
  }

  private seekAll(): void {
    for (const [partition, offset] of this.positions) {
      try {
        this.consumer.seek({ topic: this.spec.topic, partition, offset });
      } catch (err) {
        this.log.warn({ err, partition }, "cannot seek");
      }
    }
  }

  private resume(): void {
    if (!this.paused || this.stopping) return;
    this.paused = false;
    this.lastFetchAt = Date.now(); // the stall clock restarts with fetching
    this.consumer.resume([{ topic: this.spec.topic }]);
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.stopping || this.call.cancelled) return;
    // A batch fetched before the pause took effect: leave it unresolved, so it is
    // fetched again after the stream drains.
    if (this.paused) return;
    // Nothing more for a partner the policy no longer lists (the batch stays unresolved).
    if (!this.deps.authorised()) {
      this.deps.revoke();
      return;
    }
    const now = this.deps.now?.() ?? new Date();
    // In offset order: each record either becomes a view (audited, then written) or is skipped.
    const entries: { offset: string; view?: { response: Omit<SubscribeResponse, "cursor">; audit: AuditMessage } }[] = [];
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      if (alreadyDelivered(this.positions, batch.partition, message.offset)) continue;
      const prepared = prepareDelivery({ topic: batch.topic, partition: batch.partition, offset: message.offset, value: message.value, headers: message.headers });
      if (!prepared.ok) {
        // Not a view the exchange wrote: never handed over; logged by position only.
        this.log.warn({ partition: batch.partition, offset: message.offset, reason: prepared.reason }, "skipping an unreadable delivery");
        entries.push({ offset: message.offset });
        continue;
      }
      const record = accessDelivered({ sessionId: this.spec.sessionId }, this.spec.identity, prepared.view, now);
      entries.push({ offset: message.offset, view: { response: prepared.response, audit: accessMessage(record, prepared.trace.traceparent) } });
    }
    const audits = entries.flatMap((e) => (e.view ? [e.view.audit] : []));
    if (audits.length > 0) {
      try {
        // Every view is on the audit topic, acknowledged by all in-sync replicas,
        // before the partner gets it.
        await this.deps.audit.send({ topic: this.deps.auditTopic, acks: -1, messages: audits });
      } catch (err) {
        this.log.error({ err }, "access records could not be written; ending the stream before handing anything over");
        // Not awaited: disconnecting from inside eachBatch would wait for itself.
        void this.stop({ code: grpc.status.UNAVAILABLE, details: "AUDIT_UNAVAILABLE: nothing was delivered past the last cursor; retry later" });
        return;
      }
    }
    let full = false;
    for (const e of entries) {
      if (this.stopping || this.call.cancelled) return;
      this.positions.set(batch.partition, (BigInt(e.offset) + 1n).toString());
      resolveOffset(e.offset);
      if (!e.view) continue;
      const cursor = encodeCursor({ topic: this.spec.topic, positions: this.positions });
      if (!this.call.write({ ...e.view.response, cursor })) full = true;
      this.deps.onDelivered(this.spec.identity.subscriberId);
    }
    if (full && !this.paused) {
      // The client reads slower than we fetch: stop fetching until the stream drains.
      this.paused = true;
      this.consumer.pause([{ topic: this.spec.topic }]);
      this.deps.onPaused(this.spec.identity.subscriberId);
    }
    await heartbeat();
  }

  get subscriberId(): string {
    return this.spec.identity.subscriberId;
  }

  get topic(): string {
    return this.spec.topic;
  }

  /** End the stream (with an error status, or OK when none) and stop its consumer. Idempotent. */
  stop(status?: { code: grpc.status; details: string }): Promise<void> {
    if (this.stopping) return this.stopping;
    let started!: () => void;
    const gate = new Promise<void>((resolve) => (started = resolve));
    this.stopping = (async () => {
      await gate; // this.stopping is set before the stream's own 'error' listener can call back in
      if (this.watchdog) clearInterval(this.watchdog);
      if (!this.call.cancelled && !this.call.writableEnded) {
        try {
          if (status) this.call.emit("error", Object.assign(new Error(status.details), status));
          else this.call.end();
        } catch (err) {
          this.log.debug({ err }, "stream already closed");
        }
      }
      // Bounded: a broker that is away must not keep the stream's slot forever.
      await bounded((async () => {
        await this.starting?.catch(() => undefined);
        await this.consumer.disconnect();
      })().catch((err: unknown) => this.log.warn({ err }, "subscribe consumer did not disconnect cleanly")), Math.max(1000, this.deps.sessionTimeoutMs));
      this.log.info({ reason: status?.details.split(":")[0] ?? (this.call.cancelled ? "CLIENT_CANCELLED" : "ENDED") }, "subscribe stream stopped");
      this.finish();
    })();
    started();
    return this.stopping;
  }
}
