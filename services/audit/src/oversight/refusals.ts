import { Counter, RefusalSummarizer, type Logger, type RefusalNote, type Registry } from "@takitini/runtime";
import type { Ledger } from "../ledger/index.js";
import { appendRecords } from "../ingest.js";
import { fromRefusalSummary } from "./records.js";

/**
 * The audit's own unauthenticated refusals — a /v1 request or a gRPC call refused
 * for its credential (none, unknown, expired, disabled, throttled) — are not
 * appended one record per request: anyone could grow the ledger at will. They
 * are counted per window (runtime's RefusalWindows: by door, code and route,
 * with the number of distinct client addresses) and each window's counts are
 * appended straight into the ledger as `refusal_summary` records. The audit
 * needs no Kafka for its own. A request with an accepted credential — answered
 * or refused for any other reason — keeps its `oversight_query` record.
 */
export interface RefusalCounter {
  /** Count one refusal of an unauthenticated request in the open window. Never throws, never waits. */
  note(n: RefusalNote): void;
}

export interface LedgerRefusalsOptions {
  windowMs: number;
  maxKeys?: number;
  maxAddresses?: number;
  logger: Logger;
  metrics?: Registry;
  now?: () => Date;
}

/**
 * A window of the audit's unauthenticated refusals whose summaries are appended
 * to the ledger (leaf and search index in one transaction) when it closes — on
 * its timer once started, on `flush()`, and at `close()`. If the ledger cannot
 * take them, they are held (bounded) and appended with the next window.
 */
export class LedgerRefusals implements RefusalCounter {
  readonly summarizer: RefusalSummarizer;
  private readonly counted: Counter<"door"> | undefined;

  constructor(ledger: Ledger, opts: LedgerRefusalsOptions) {
    const registers = opts.metrics ? [opts.metrics] : undefined;
    this.counted = registers
      ? new Counter({ name: "audit_unauthenticated_refusals_total", help: "Oversight requests refused for their credential, counted into refusal summaries (not one ledger record each), by door", labelNames: ["door"], registers })
      : undefined;
    const appended = registers ? new Counter({ name: "audit_refusal_summaries_appended_total", help: "Summaries of the audit's own unauthenticated refusals appended to the ledger", registers }) : undefined;
    const dropped = registers ? new Counter({ name: "audit_refusal_summaries_dropped_total", help: "Refusal summaries dropped because the ledger could not take them for too long", registers }) : undefined;
    for (const door of ["http", "grpc"]) this.counted?.inc({ door }, 0);
    this.summarizer = new RefusalSummarizer({
      service: "audit",
      windowMs: opts.windowMs,
      ...(opts.maxKeys !== undefined ? { maxKeys: opts.maxKeys } : {}),
      ...(opts.maxAddresses !== undefined ? { maxAddresses: opts.maxAddresses } : {}),
      logger: opts.logger,
      ...(opts.now ? { now: opts.now } : {}),
      onDropped: (n) => dropped?.inc(n),
      sink: async (batch) => {
        const at = new Date();
        await appendRecords(ledger, batch.map((s) => fromRefusalSummary(s, at)));
        appended?.inc(batch.length);
      },
    });
  }

  note(n: RefusalNote): void {
    this.counted?.inc({ door: n.door === "grpc" ? "grpc" : "http" });
    this.summarizer.note(n);
  }

  /** Refusals counted in the open window. */
  get pending(): number {
    return this.summarizer.windows.pending;
  }

  /** Close the open window now and append its summaries; resolves to how many were appended. */
  flush(now?: Date): Promise<number> {
    return this.summarizer.flush(now);
  }

  /** Append the open window's summaries if it has lasted its length at `now`. */
  tick(now?: Date): Promise<number> {
    return this.summarizer.tick(now);
  }

  start(): this {
    this.summarizer.start();
    return this;
  }

  /** Stop the timer and append the open window's summaries. */
  close(): Promise<void> {
    return this.summarizer.close();
  }
}
