import { continueTrace, Counter, type Logger, type Registry } from "@takitini/runtime";
import type { HistoryRecord } from "./history.js";
import type { Publisher } from "./identity.js";
import type { Intake } from "./intake.js";

/*
 * The shell of the demo history: submits history records through the adapter's
 * own intake (door "demo", the demo publisher), so they are validated, decided,
 * delivered and audited like any record; paced so the live doors stay responsive.
 */

export interface BackfillCounts {
  accepted: number;
  duplicate: number;
  rejected: number;
}

export interface BackfillOptions {
  intake: Intake;
  by: Publisher;
  records: HistoryRecord[];
  /** Most records submitted per second. */
  perSecond: number;
  /** Records per publish request (default 25). */
  batch?: number;
  signal?: AbortSignal;
  logger: Logger;
  /** Where `adapter_history_records_total{record_type,outcome}` is registered. */
  metrics?: Registry;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** Submit the records in order, a batch at a time; stops early when `signal` aborts. Logs counts only, never record content. */
export async function backfillHistory(opts: BackfillOptions): Promise<BackfillCounts> {
  const counts: BackfillCounts = { accepted: 0, duplicate: 0, rejected: 0 };
  const counter = new Counter({ name: "adapter_history_records_total", help: "Demo-history records submitted, by outcome (accepted, duplicate, rejected)", labelNames: ["record_type", "outcome"], registers: opts.metrics ? [opts.metrics] : [] });
  const batch = opts.batch ?? 25;
  const started = Date.now();
  opts.logger.info({ records: opts.records.length, perSecond: opts.perSecond }, "demo history: backfill started");
  for (let from = 0; from < opts.records.length && !opts.signal?.aborted; from += batch) {
    const chunk = opts.records.slice(from, from + batch);
    const t0 = Date.now();
    // submitMany takes one record type at a time: group the chunk by kind, keeping order within each.
    for (const recordType of [...new Set(chunk.map((r) => r.kind.recordType))]) {
      const raws = chunk.filter((r) => r.kind.recordType === recordType).map((r) => r.record);
      const outcomes = await opts.intake.submitMany(recordType, raws, continueTrace({}), "demo", opts.by);
      for (const o of outcomes) {
        const outcome = !o.ok ? "rejected" : o.result.duplicate ? "duplicate" : "accepted";
        counts[outcome]++;
        counter.inc({ record_type: recordType, outcome });
        if (!o.ok) opts.logger.warn({ code: o.code, recordType, issues: o.issues.map((i) => i.path) }, "demo history record rejected");
      }
    }
    const done = from + chunk.length;
    if (done % (batch * 40) === 0 || done === opts.records.length) opts.logger.info({ done, of: opts.records.length, ...counts }, "demo history: progress");
    await sleep(Math.max(0, (chunk.length * 1000) / opts.perSecond - (Date.now() - t0)), opts.signal);
  }
  opts.logger.info({ ...counts, seconds: Math.round((Date.now() - started) / 1000), stopped: opts.signal?.aborted === true }, "demo history: backfill finished");
  return counts;
}
