/**
 * The ledger writer of one audit instance: the election on the writer's lock,
 * and what the active writer runs — the Kafka ingest (fenced by the lock) and
 * the head schedule. main.ts wires it; the recovery tests run several in one
 * process against one database.
 */
import type { Logger, Registry } from "@takitini/runtime";
import type { Kafka } from "kafkajs";
import { LedgerIngest, type LedgerIngestOptions } from "../ingest.js";
import type { HeadSchedule, Ledger } from "../ledger/index.js";
import { WriterElection, type WriterRole } from "./election.js";
import type { WriterLock } from "./lock.js";
import { writerReady } from "./readiness.js";

export interface LedgerWriterOptions {
  kafka: Kafka;
  ledger: Ledger;
  heads: HeadSchedule;
  lock: WriterLock;
  /** AUDIT_WRITER_LOCK_POLL_MS. */
  pollMs: number;
  /** Longest wait for the lock's session (connect or statement); a standby is ready while it answered within 3 polls and this. */
  lockTimeoutMs: number;
  ingest: Omit<LedgerIngestOptions, "fence" | "logger" | "metrics">;
  logger: Logger;
  metrics: Registry;
}

export class LedgerWriter {
  readonly election: WriterElection;
  readonly ingest: LedgerIngest;

  constructor(private readonly opts: LedgerWriterOptions) {
    const { lock, heads, logger, metrics } = opts;
    this.ingest = new LedgerIngest(opts.kafka, opts.ledger, { ...opts.ingest, fence: (tx) => lock.fence(tx), logger, metrics });
    this.election = new WriterElection(lock, {
      pollMs: opts.pollMs,
      logger,
      metrics,
      onActive: async () => {
        heads.start();
        // Not awaited: joining the group can take a while (a broker away); the ingest retries by itself.
        void this.ingest.start();
      },
      onStandby: async () => {
        await Promise.all([this.ingest.stop(), heads.pause()]);
      },
    });
  }

  get role(): WriterRole {
    return this.election.role;
  }

  /** The `ledger-writer` readiness (writer/readiness.ts). */
  readiness(): { ready: boolean; reason: string } {
    return writerReady({
      role: this.election.role,
      ingesting: this.ingest.isReady(),
      lockAnswering: this.election.lockHealthy(3 * this.opts.pollMs + this.opts.lockTimeoutMs),
    });
  }

  start(): this {
    this.election.start();
    return this;
  }

  /** Stop: an active writer stops its ingest, signs a final head if the tree grew, then releases the lock. */
  async stop(): Promise<void> {
    await this.election.stop(async () => {
      await this.ingest.stop();
      await this.opts.heads.stop();
    });
  }
}
