/**
 * Which audit instance writes the ledger. Every instance runs an election on
 * the writer's lock (lock.ts): the one holding it is the **active** writer —
 * it consumes from Kafka, appends ingested records and signs heads on the
 * schedule; the others are **standbys** that poll for the lock every `pollMs`.
 *
 * The active checks every `pollMs` that its session still holds the lock, and
 * hears at once when the lock's connection breaks (onLost); either way it stops
 * writing at once (onStandby) and becomes a standby, polling again. A standby
 * that gets the lock becomes active (onActive), logs the takeover and counts it.
 * An instance that has just stood down waits two polls before trying the lock
 * again, so that a healthy standby, not the instance that had the trouble,
 * takes over.
 *
 * Every transition runs one at a time (a queue), so onActive and onStandby
 * never overlap.
 */
import { Counter, Gauge, type Logger, type Registry } from "@takitini/runtime";
import type { WriterLock } from "./lock.js";

export type WriterRole = "starting" | "active" | "standby" | "stopped";

export interface WriterElectionOptions {
  /** How often a standby tries the lock and the active checks it holds it. */
  pollMs: number;
  logger: Logger;
  metrics: Registry;
  /** Start writing: the ingest and the head schedule. A throw gives the lock back. */
  onActive: () => Promise<void>;
  /** Stop writing, at once: the lock is gone or being given back. */
  onStandby: (reason: string) => Promise<void>;
  /** Clock (tests). */
  now?: () => number;
}

export class WriterElection {
  private state: WriterRole = "starting";
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** When the lock was last tried or checked successfully (the database answered). */
  private lastPollOkAt: number | undefined;
  private unreachable = false;
  private holdoffUntil = 0;
  private readonly now: () => number;
  private readonly active: Gauge;
  private readonly takeovers: Counter;
  private readonly losses: Counter<"reason">;

  constructor(
    private readonly lock: WriterLock,
    private readonly opts: WriterElectionOptions,
  ) {
    this.now = opts.now ?? Date.now;
    const registers = [opts.metrics];
    this.active = new Gauge({ name: "audit_writer_active", help: "1 while this instance is the active ledger writer (holds the writer's lock), else 0", registers });
    this.active.set(0);
    this.takeovers = new Counter({ name: "audit_writer_takeovers_total", help: "Times this instance became the active ledger writer (the first time at start included)", registers });
    this.losses = new Counter({ name: "audit_writer_lock_lost_total", help: "Times this instance stopped being the active writer, by reason", labelNames: ["reason"], registers });
    lock.onLost = (err) => this.enqueue(() => this.demote(`the writer lock's connection was lost: ${err.message}`, "connection_lost"));
  }

  get role(): WriterRole {
    return this.state;
  }

  /** Whether the lock's database session answered within the last `withinMs`. */
  lockHealthy(withinMs: number): boolean {
    return this.lastPollOkAt !== undefined && this.now() - this.lastPollOkAt <= withinMs;
  }

  /** Start polling (the first poll at once). */
  start(): this {
    if (this.timer || this.state === "stopped") return this;
    this.state = "standby";
    this.enqueue(() => this.poll());
    this.timer = setInterval(() => this.enqueue(() => this.poll()), this.opts.pollMs);
    this.timer.unref();
    return this;
  }

  /** Wait for transitions in progress (tests). */
  settled(): Promise<void> {
    return this.queue;
  }

  /**
   * Stop polling; if active, run `finalize` (default: onStandby) while still
   * holding the lock, then release it.
   */
  async stop(finalize?: () => Promise<void>): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.enqueue(async () => {
      const wasActive = this.state === "active";
      this.state = "stopped";
      this.active.set(0);
      if (wasActive) {
        try {
          await (finalize ? finalize() : this.opts.onStandby("shutdown"));
        } finally {
          await this.lock.release();
        }
        this.opts.logger.info({ code: "WRITER_RELEASED" }, "released the ledger writer's lock");
      } else {
        await this.lock.release();
      }
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(step).catch((err) => this.opts.logger.error({ err }, "ledger writer election step failed"));
    return this.queue;
  }

  private async poll(): Promise<void> {
    if (this.state === "stopped") return;
    if (this.state === "active") {
      let held: boolean;
      try {
        held = await this.lock.check();
      } catch (err) {
        return this.demote(`the writer lock could not be checked: ${(err as Error).message}`, "check_failed");
      }
      if (!held) return this.demote("the writer lock is no longer held", "not_held");
      this.lastPollOkAt = this.now();
      return;
    }
    // An instance that just lost the lock leaves the first tries to the standbys (a healthy one takes over).
    if (this.now() < this.holdoffUntil) return;
    let got: boolean;
    try {
      got = await this.lock.tryAcquire();
    } catch (err) {
      // Once per outage, not once per poll.
      if (!this.unreachable) this.opts.logger.warn({ code: "WRITER_LOCK_UNREACHABLE", err: { message: (err as Error).message } }, "the writer lock could not be tried (database unreachable?); trying again every poll");
      this.unreachable = true;
      return;
    }
    if (this.unreachable) this.opts.logger.info({ code: "WRITER_LOCK_REACHABLE" }, "the writer lock can be tried again");
    this.unreachable = false;
    this.lastPollOkAt = this.now();
    if (got) await this.promote();
  }

  private async promote(): Promise<void> {
    this.state = "active";
    this.active.set(1);
    this.takeovers.inc();
    this.opts.logger.warn({ code: "WRITER_TAKEOVER" }, "took the ledger writer's lock: this instance is now the active writer (consuming and signing heads)");
    try {
      await this.opts.onActive();
    } catch (err) {
      this.opts.logger.error({ err }, "the active writer could not start writing; giving the lock back");
      await this.demote("starting to write failed", "start_failed");
    }
  }

  private async demote(reason: string, label: string): Promise<void> {
    if (this.state !== "active") return;
    this.state = "standby";
    this.active.set(0);
    this.holdoffUntil = this.now() + 2 * this.opts.pollMs;
    this.losses.inc({ reason: label });
    this.opts.logger.error({ code: "WRITER_LOCK_LOST", reason }, "no longer the active ledger writer: stopping the ingest and the head schedule, standing by");
    try {
      await this.opts.onStandby(reason);
    } finally {
      // The session may still hold the lock (a failed check): give it up so a standby can take over.
      await this.lock.release();
    }
  }
}
