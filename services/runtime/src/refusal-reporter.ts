import { randomUUID } from "node:crypto";
import { AUDIT_SCHEMA_VERSION, RefusalRecord, RefusalSummary } from "@takitini/proto";
import type { Kafka, Message, Producer } from "kafkajs";
import { HEADERS, kafkaAuthorizationFailure, PROTOBUF_CONTENT_TYPE } from "./kafka.js";
import type { Logger } from "./logger.js";
import { Counter, Gauge, type Registry } from "./metrics.js";
import { REFUSAL_LIMITS, RefusalWindows, type RefusalNote, type RefusalWindowsOptions } from "./refusals.js";

/** The `event-type` header of each message on the refusals topic. */
export const REFUSAL_EVENT_TYPES = { REFUSAL: "audit.refusal", SUMMARY: "audit.refusal_summary" } as const;

// ---- the window's timer (shared by the Kafka reporter and the audit's own ledger) ----

export interface RefusalSummarizerOptions extends RefusalWindowsOptions {
  /** Where closed windows' summaries go. A rejection keeps them for the next tick (bounded by `maxHeld`). */
  sink: (summaries: RefusalSummary[]) => void | Promise<void>;
  logger: Logger;
  /** Summaries kept for another try when the sink fails; the oldest beyond it are dropped (and passed to `onDropped`). Default 10 000. */
  maxHeld?: number;
  onDropped?: (count: number) => void;
  now?: () => Date;
}

/**
 * A `RefusalWindows` on a timer: each window is drained when it has lasted
 * `windowMs` and its summaries handed to the sink (a Kafka queue, or the audit's
 * ledger). Ticks never overlap; `note` never waits and never throws.
 */
export class RefusalSummarizer {
  readonly windows: RefusalWindows;
  private held: RefusalSummary[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly now: () => Date;
  private readonly maxHeld: number;

  constructor(private readonly opts: RefusalSummarizerOptions) {
    this.now = opts.now ?? (() => new Date());
    this.windows = new RefusalWindows(opts, this.now());
    this.maxHeld = opts.maxHeld ?? 10_000;
  }

  /** Count one unauthenticated refusal in the open window. */
  note(n: RefusalNote): void {
    try {
      this.windows.note(n);
    } catch (err) {
      // Pure counting cannot fail; if it ever does, a request path must not.
      this.opts.logger.error({ err: { message: (err as Error).message }, code: "REFUSAL_NOT_COUNTED" }, "a refusal could not be counted");
    }
  }

  /** Summaries waiting for the sink after a failure. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Drain the window if it is due (always, with `force`) and hand its summaries, and any held, to the sink. Resolves to how many the sink took. */
  tick(now: Date = this.now(), force = false): Promise<number> {
    const run = this.chain.then(() => this.deliver(now, force));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Close the open window now and deliver its summaries. */
  flush(now: Date = this.now()): Promise<number> {
    return this.tick(now, true);
  }

  private async deliver(now: Date, force: boolean): Promise<number> {
    const fresh = this.windows.drain(now, { force });
    const batch = [...this.held, ...fresh];
    this.held = [];
    if (batch.length === 0) return 0;
    try {
      await this.opts.sink(batch);
      return batch.length;
    } catch (err) {
      const dropped = Math.max(0, batch.length - this.maxHeld);
      this.held = batch.slice(dropped);
      if (dropped > 0) this.opts.onDropped?.(dropped);
      this.opts.logger.error(
        { err: { message: (err as Error).message.slice(0, 300) }, code: "REFUSAL_SUMMARIES_HELD", held: this.held.length, dropped },
        "refusal summaries could not be written; held for the next window",
      );
      return 0;
    }
  }

  /** Drain each window when it has lasted its length. */
  start(): this {
    this.stopped = false;
    this.schedule();
    return this;
  }

  private schedule(): void {
    if (this.stopped) return;
    const wait = Math.max(10, this.windows.openedAt.getTime() + this.windows.windowMs - this.now().getTime());
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, wait);
    this.timer.unref();
  }

  /** Stop the timer and deliver the open window's summaries. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
  }
}

// ---- the Kafka reporter ----

/** One refusal of an identified caller, as a service reports it. Strings are cut to bounded lengths; field paths, never values. */
export interface RefusalInput {
  /** The door: "http", "grpc", "import", "console", "api", ... */
  door: string;
  /** Stable error code, e.g. "PUBLISHER_NOT_AUTHORISED", "MARKING_BELOW_FLOOR", "CONFLICT". */
  code: string;
  /** Who was refused (a SPIFFE URI, an account name); empty if none. */
  principal?: string;
  /** What was submitted, e.g. "police.firearms_seizure". */
  recordType?: string;
  /** The matched route pattern or RPC method; never the raw URL. */
  route?: string;
  /** The event id concerned (a conflicting resubmission's). */
  eventId?: string;
  /** The offending fields by path (at most 100); never their values. */
  fieldPaths?: readonly string[];
  traceId?: string;
  /** HTTP status or gRPC code answered. */
  status?: number;
  /** Default: now. */
  occurredAt?: Date;
  /** Default: a fresh UUID. The Kafka key and the ledger's record id. */
  id?: string;
}

export interface RefusalReporterOptions {
  /** The refusals topic (`REFUSAL_TOPIC`, default takitini.audit.refusals.v1). */
  topic: string;
  /** The reporting service, e.g. "police-adapter"; every record and summary carries it. */
  service: string;
  /** Window of unauthenticated refusals (`REFUSAL_WINDOW_MS`); default 60 000. */
  windowMs?: number;
  /** Messages held while Kafka is slow or down (`REFUSAL_QUEUE_MAX`); beyond it each is dropped and counted. Default 10 000. */
  queueMax?: number;
  maxKeys?: number;
  maxAddresses?: number;
  /** How long `close()` waits for the queue to reach Kafka. Default 5 000. */
  closeTimeoutMs?: number;
  logger: Logger;
  metrics: Registry;
  now?: () => Date;
}

type MessageKind = "refusal" | "summary";
interface Queued {
  kind: MessageKind;
  message: Message;
}

const FIELD_PATHS_MAX = 100;
const cut = (s: string | undefined, n: number) => (s === undefined ? "" : s.length > n ? s.slice(0, n) : s);

/** The RefusalRecord for a reported refusal (pure; bounded). */
export function refusalRecord(service: string, r: RefusalInput, now: Date, newId: () => string = randomUUID): RefusalRecord {
  const paths = [...new Set((r.fieldPaths ?? []).map((p) => cut(String(p), 200)))].slice(0, FIELD_PATHS_MAX);
  return RefusalRecord.fromPartial({
    id: cut(r.id, 100) || newId(),
    service: cut(service, 64),
    door: cut(r.door, REFUSAL_LIMITS.door),
    code: cut(r.code, REFUSAL_LIMITS.code),
    principal: cut(r.principal, 300),
    recordType: cut(r.recordType, 100),
    route: cut(r.route, REFUSAL_LIMITS.route),
    eventId: cut(r.eventId, 100),
    fieldPaths: paths,
    occurredAt: r.occurredAt ?? now,
    traceId: cut(r.traceId, 64),
    status: Number.isInteger(r.status) ? r.status! : 0,
  });
}

const headers = (type: string) => ({ [HEADERS.EVENT_TYPE]: type, [HEADERS.SCHEMA_VERSION]: AUDIT_SCHEMA_VERSION, [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE });

/** A refusal as a Kafka message: keyed by its id. Pure. */
export function refusalMessage(record: RefusalRecord): Message {
  return { key: record.id, value: Buffer.from(RefusalRecord.encode(record).finish()), headers: headers(REFUSAL_EVENT_TYPES.REFUSAL) };
}

/** A window's summary as a Kafka message: keyed by its id. Pure. */
export function refusalSummaryMessage(summary: RefusalSummary): Message {
  return { key: summary.id, value: Buffer.from(RefusalSummary.encode(summary).finish()), headers: headers(REFUSAL_EVENT_TYPES.SUMMARY) };
}

/**
 * Reports a service's refusals to the refusals topic, for the audit's ledger:
 * `refused()` one RefusalRecord per identified caller refused; `unauthenticated()`
 * counts into a window whose summaries (RefusalSummary) a timer publishes.
 *
 * It never blocks or fails a request: both calls return at once; messages go
 * through a bounded in-memory queue, sent in order by an idempotent producer
 * (acks = all, key = the record's id) that reconnects and retries with backoff
 * while Kafka is away. Beyond `queueMax` a message is dropped and counted
 * (`refusals_dropped_total{kind,reason="queue_full"}`). Logs carry counts,
 * codes and the topic — never a principal, a path's value or an address.
 */
export class RefusalReporter {
  private readonly producer: Producer;
  private readonly summarizer: RefusalSummarizer;
  private readonly queue: Queued[] = [];
  private readonly queueMax: number;
  private readonly now: () => Date;
  private pumping: Promise<void> | undefined;
  private connected = false;
  private closing = false;
  private failures = 0;
  private wake: (() => void) | undefined;
  private readonly reported: Counter<"kind">;
  private readonly dropped: Counter<"kind" | "reason">;
  private readonly sendFailures: Counter;
  private readonly noted: Counter;

  constructor(
    kafka: Pick<Kafka, "producer">,
    private readonly opts: RefusalReporterOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.queueMax = opts.queueMax ?? 10_000;
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    const registers = [opts.metrics];
    this.reported = new Counter({ name: "refusals_reported_total", help: "Refusal records and window summaries written to the refusals topic, by kind", labelNames: ["kind"], registers });
    this.dropped = new Counter({ name: "refusals_dropped_total", help: "Refusal messages dropped: queue full while Kafka was away, or unsent at shutdown", labelNames: ["kind", "reason"], registers });
    this.sendFailures = new Counter({ name: "refusals_send_failures_total", help: "Failed attempts to write queued refusal messages (retried with backoff)", registers });
    this.noted = new Counter({ name: "refusals_unauthenticated_total", help: "Unauthenticated requests refused and counted into a window", registers });
    const queue = this.queue;
    new Gauge({ name: "refusals_queued", help: "Refusal messages waiting for Kafka", registers, collect() { this.set(queue.length); } });
    for (const kind of ["refusal", "summary"] as const) {
      this.reported.inc({ kind }, 0);
      for (const reason of ["queue_full", "shutdown"]) this.dropped.inc({ kind, reason }, 0);
    }
    this.summarizer = new RefusalSummarizer({
      service: opts.service,
      windowMs: opts.windowMs ?? 60_000,
      ...(opts.maxKeys !== undefined ? { maxKeys: opts.maxKeys } : {}),
      ...(opts.maxAddresses !== undefined ? { maxAddresses: opts.maxAddresses } : {}),
      logger: opts.logger,
      now: this.now,
      sink: (summaries) => {
        for (const s of summaries) this.enqueue("summary", refusalSummaryMessage(s));
      },
    });
  }

  /** Start the window's timer and connect (in the background: Kafka may not be there yet). */
  start(): this {
    this.summarizer.start();
    this.kick();
    return this;
  }

  /** Report one refusal of an identified caller. Returns its id at once; never throws. */
  refused(r: RefusalInput): string {
    try {
      const record = refusalRecord(this.opts.service, r, this.now());
      this.enqueue("refusal", refusalMessage(record));
      return record.id;
    } catch (err) {
      this.opts.logger.error({ err: { message: (err as Error).message.slice(0, 300) }, code: "REFUSAL_NOT_REPORTED" }, "a refusal could not be reported");
      return "";
    }
  }

  /** Count one unauthenticated refusal into the open window. Never throws. */
  unauthenticated(n: RefusalNote): void {
    this.noted.inc();
    this.summarizer.note(n);
  }

  /** Messages waiting for Kafka. */
  get queued(): number {
    return this.queue.length;
  }

  /** Whether the producer is connected. */
  isConnected(): boolean {
    return this.connected;
  }

  /** Close the open window now and wait (at most `timeoutMs`) until the queue has reached Kafka. Resolves to whether it has. */
  async flush(timeoutMs = this.opts.closeTimeoutMs ?? 5000): Promise<boolean> {
    await this.summarizer.flush();
    this.kick();
    // Cut a backoff short once: the caller is waiting.
    this.wake?.();
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.queue.length === 0;
  }

  /** Flush the open window, send what is queued (for up to `closeTimeoutMs`), count the rest as dropped, disconnect. */
  async close(): Promise<void> {
    await this.summarizer.close();
    await this.flush();
    this.closing = true;
    this.wake?.();
    // A send still under way (Kafka away: kafkajs retries for a while) is not waited out.
    await Promise.race([this.pumping, new Promise((r) => setTimeout(r, 1000).unref())]);
    const unsent = this.queue.splice(0);
    for (const q of unsent) this.dropped.inc({ kind: q.kind, reason: "shutdown" });
    if (unsent.length > 0) this.opts.logger.error({ code: "REFUSALS_DROPPED_AT_SHUTDOWN", topic: this.opts.topic, dropped: unsent.length }, "refusals not written to Kafka before shutdown were dropped");
    await Promise.race([this.producer.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.connected = false;
  }

  private enqueue(kind: MessageKind, message: Message): void {
    if (this.queue.length >= this.queueMax) {
      this.dropped.inc({ kind, reason: "queue_full" });
      return;
    }
    this.queue.push({ kind, message });
    this.kick();
  }

  private kick(): void {
    if (this.pumping || this.closing || this.queue.length === 0) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      // Anything queued meanwhile.
      if (!this.closing && this.queue.length > 0) this.kick();
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.closing) {
      try {
        if (!this.connected) {
          await this.producer.connect();
          this.connected = true;
        }
        const batch = this.queue.slice(0, 500);
        await this.producer.send({ topic: this.opts.topic, acks: -1, messages: batch.map((q) => q.message) });
        // (close() may have given up on this send and emptied the queue meanwhile.)
        if (this.queue[0] === batch[0]) this.queue.splice(0, batch.length);
        for (const q of batch) this.reported.inc({ kind: q.kind });
        if (this.failures > 0) this.opts.logger.info({ code: "REFUSALS_SENDING", topic: this.opts.topic, failures: this.failures }, "refusals reach Kafka again");
        this.failures = 0;
      } catch (err) {
        this.failures += 1;
        this.sendFailures.inc();
        // Once per streak, then every tenth attempt: a broker outage must not flood the log.
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.opts.logger.warn(
            { code: "REFUSALS_NOT_SENT", topic: this.opts.topic, kafkaError: kafkaAuthorizationFailure(err) ?? (err as { type?: string }).type ?? (err as Error).name, queued: this.queue.length, failures: this.failures },
            "refusals could not be written to Kafka; kept in memory and retried",
          );
        }
        await this.sleep(Math.min(30_000, 250 * 2 ** Math.min(this.failures - 1, 7)));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
