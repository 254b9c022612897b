import { Counter, type EventIdKey, type FieldIssue, type Logger, type Registry, type TraceContext } from "@takitini/runtime";
import type { IntelligenceEvent } from "@takitini/proto";
import type { Publisher } from "./identity.js";
import { ingest, type IngestCode } from "./ingest.js";
import { kindFor, type AgencyAdapter } from "./kind.js";
import type { EventPublisher, PublishResult } from "./publisher.js";
import { correctionEvent, correctionTypeIssue, findRecord, parseWithdrawal, supersededIssues, withdrawalEvent, withdrawnIssues, type RevisionCode } from "./revisions.js";

export type Door = "http" | "grpc" | "bulk" | "demo";

/** One refusal for the oversight body's ledger: who, through which door, which code and fields — never values. */
export interface PublishRefusal {
  door: Door;
  code: string;
  /** The caller's identity (a publisher's SPIFFE id; "" when none was proven). */
  principal: string;
  recordType: string;
  eventId: string;
  paths: string[];
  traceId: string;
}

/**
 * Where refusals the oversight body must see are reported: one record each for
 * an identified caller (see REFUSALS_AUDITED, and a certificate of the wrong
 * kind or agency), counted per window for callers without a certificate.
 */
export interface RefusalSink {
  refused(r: PublishRefusal): void;
  /** A call refused before anyone was identified: summarised per window (route is a pattern, never the raw URL). */
  unauthenticated(r: { door: Door; code: string; route: string; address: string }): void;
}

/**
 * Refusals of an identified publisher that go to the ledger, one each: a
 * marking below the agency's floor and a conflicting resubmission say something
 * about the caller's intent, not just its data. Plain validation failures are
 * counted in metrics only.
 */
export const REFUSALS_AUDITED: ReadonlySet<string> = new Set(["MARKING_BELOW_FLOOR", "CONFLICT", "RECORD_OF_ANOTHER_AGENCY"]);

export interface IntakeOptions {
  /** The adapters' shared secret for event ids (EVENT_ID_KEY_FILE). */
  eventIdKey: EventIdKey;
  /** Where refusals the oversight body sees are reported (none: not reported). */
  refusals?: RefusalSink;
  now?: () => Date;
}

/** Seconds a caller answered PUBLISH_FAILED is told to wait before retrying (HTTP Retry-After, gRPC retry-after). */
export const PUBLISH_RETRY_AFTER_SECONDS = 2;

export type Outcome =
  | { ok: true; result: PublishResult; event: IntelligenceEvent }
  | { ok: false; code: IngestCode | "PUBLISH_FAILED" | "CONFLICT"; issues: FieldIssue[] };

/** A correction published (or its duplicate), or why not. */
export type CorrectionOutcome =
  | { ok: true; result: PublishResult; event: IntelligenceEvent; supersedes: string; original: string }
  | { ok: false; code: IngestCode | "PUBLISH_FAILED" | RevisionCode; issues: FieldIssue[]; latestEventId?: string };

/** A withdrawal published (or the record's earlier one, duplicate), or why not. */
export type WithdrawalOutcome =
  | { ok: true; result: PublishResult; withdrawnEventId: string }
  | { ok: false; code: "VALIDATION_FAILED" | "RECORD_OF_ANOTHER_AGENCY" | "RECORD_NOT_FOUND" | "PUBLISH_FAILED"; issues: FieldIssue[] };

/** The issues of a conflict: the differing field paths of the event, never their values. */
export function conflictIssues(paths: string[] | null): FieldIssue[] {
  if (paths === null) {
    return [{ path: "", code: "conflict", message: "a record with this id was already published with different content (which fields differ is no longer in the adapter's memory)" }];
  }
  return paths.map((path) => ({ path, code: "conflict", message: "differs from the record already published with this id" }));
}

/**
 * The one path every door takes: ingest (validate + map), then publish
 * idempotently. A rejected record publishes nothing; a resubmission of a
 * published id with other content is refused as CONFLICT.
 */
export class Intake {
  private readonly accepted: Counter<"record_type" | "door">;
  private readonly duplicates: Counter<"record_type" | "door">;
  private readonly rejected: Counter<"record_type" | "door" | "code">;
  private readonly conflicts: Counter<"record_type" | "door">;
  private readonly corrections: Counter<"door" | "outcome">;
  private readonly withdrawals: Counter<"door" | "outcome">;

  private readonly now: () => Date;

  constructor(
    readonly adapter: AgencyAdapter,
    private readonly publisher: EventPublisher,
    metrics: Registry,
    private readonly logger: Logger,
    private readonly opts: IntakeOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    const registers = [metrics];
    this.accepted = new Counter({ name: "adapter_records_accepted_total", help: "Native records accepted and published", labelNames: ["record_type", "door"], registers });
    this.duplicates = new Counter({ name: "adapter_records_duplicate_total", help: "Resubmitted records (same native id): nothing new published", labelNames: ["record_type", "door"], registers });
    this.rejected = new Counter({ name: "adapter_records_rejected_total", help: "Native records rejected, by code", labelNames: ["record_type", "door", "code"], registers });
    this.corrections = new Counter({ name: "adapter_corrections_total", help: "Corrections of published records, by outcome: accepted, duplicate, or the refusal's code", labelNames: ["door", "outcome"], registers });
    this.withdrawals = new Counter({ name: "adapter_withdrawals_total", help: "Withdrawals of published records, by outcome: accepted, duplicate (already withdrawn), or the refusal's code", labelNames: ["door", "outcome"], registers });
    this.conflicts = new Counter({ name: "adapter_conflicts_total", help: "Resubmissions of a published native id with different content: refused, nothing published (also counted as rejected, code CONFLICT)", labelNames: ["record_type", "door"], registers });
  }

  isReady(): boolean {
    return this.publisher.isReady();
  }

  /** Where the doors report the refusals of callers they could not accept. */
  get refusals(): RefusalSink | undefined {
    return this.opts.refusals;
  }

  /** Validate, map and publish one record from `publisher` (whose id the event carries). */
  async submit(recordType: string, raw: unknown, trace: TraceContext, door: Door, publisher: Publisher): Promise<Outcome> {
    const now = this.now();
    const r = ingest(this.adapter, recordType, raw, now, { now, eventIdKey: this.opts.eventIdKey });
    if (!r.ok) return this.refuse(recordType, door, publisher, trace, r);
    const event = { ...r.event, publisher: publisher.uri };
    try {
      const result = await this.publisher.publish(event, trace);
      return this.settle(recordType, door, result, event, publisher, trace);
    } catch (err) {
      this.logger.error({ err, eventId: r.event.id, recordType }, "publish failed");
      this.rejected.inc({ record_type: recordType, door, code: "PUBLISH_FAILED" });
      return { ok: false, code: "PUBLISH_FAILED", issues: [] };
    }
  }

  /** Validate all, then publish the valid ones in one request. Rejections never block the rest. */
  async submitMany(recordType: string, raws: unknown[], trace: TraceContext, door: Door, publisher: Publisher): Promise<Outcome[]> {
    const now = this.now();
    const ingested = raws.map((raw) => {
      const r = ingest(this.adapter, recordType, raw, now, { now, eventIdKey: this.opts.eventIdKey });
      return r.ok ? { ...r, event: { ...r.event, publisher: publisher.uri } } : r;
    });
    const valid = ingested.flatMap((r) => (r.ok ? [{ event: r.event, trace }] : []));
    let results: PublishResult[] = [];
    let failed = false;
    if (valid.length > 0) {
      try {
        results = await this.publisher.publishMany(valid);
      } catch (err) {
        this.logger.error({ err, count: valid.length, recordType }, "batch publish failed");
        failed = true;
      }
    }
    let i = 0;
    return ingested.map((r): Outcome => {
      if (!r.ok) return this.refuse(recordType, door, publisher, trace, r);
      const result = results[i++];
      if (failed || !result) {
        this.rejected.inc({ record_type: recordType, door, code: "PUBLISH_FAILED" });
        return { ok: false, code: "PUBLISH_FAILED", issues: [] };
      }
      return this.settle(recordType, door, result, r.event, publisher, trace);
    });
  }

  /**
   * Correct a published record of this agency: `raw` is the corrected record
   * in full (of `recordType`, validated exactly as a publish), `eventId` the
   * version it corrects (`path` names it in the caller's request). The
   * correction is published with the id `correctionIdFor(agency, eventId)` on
   * the record's partition; the same correction again answers duplicate, another
   * correction of a version already corrected RECORD_SUPERSEDED (naming the
   * latest). Nothing is published on any refusal. Logs ids, never values.
   */
  async correct(eventId: string, recordType: string, raw: unknown, trace: TraceContext, door: Door, publisher: Publisher, path = "eventId"): Promise<CorrectionOutcome> {
    const refuse = (o: Exclude<CorrectionOutcome, { ok: true }>): CorrectionOutcome => {
      this.corrections.inc({ door, outcome: o.code });
      if (REFUSALS_AUDITED.has(o.code)) this.opts.refusals?.refused({ door, code: o.code, principal: publisher.uri, recordType, eventId: o.code === "RECORD_OF_ANOTHER_AGENCY" ? "" : eventId, paths: o.issues.map((i) => i.path), traceId: trace.traceId });
      return o;
    };
    const found = findRecord(this.publisher, this.opts.eventIdKey, this.adapter.agency, eventId, path);
    if (!found.ok) return refuse(found);
    const { chain } = found;
    const kind = kindFor(this.adapter, recordType);
    const mismatch = kind && correctionTypeIssue(chain, kind.eventType);
    if (mismatch) return refuse({ ok: false, code: "CORRECTION_TYPE_MISMATCH", issues: [mismatch] });
    if (chain.withdrawn) return refuse({ ok: false, code: "RECORD_WITHDRAWN", issues: withdrawnIssues() });
    const now = this.now();
    const r = ingest(this.adapter, recordType, raw, now, { now, eventIdKey: this.opts.eventIdKey });
    if (!r.ok) return refuse(r);
    const made = correctionEvent(chain, this.opts.eventIdKey, this.adapter.agency, r.event);
    if (!made.ok) return refuse(made);
    const event = { ...made.event, publisher: publisher.uri };
    let result: PublishResult;
    try {
      result = await this.publisher.publish(event, trace);
    } catch (err) {
      this.logger.error({ err, eventId: event.id, supersedes: chain.named, recordType }, "correction publish failed");
      return refuse({ ok: false, code: "PUBLISH_FAILED", issues: [] });
    }
    if (result.conflict) {
      // This version was corrected already, otherwise: the chain has moved on.
      const latest = findRecord(this.publisher, this.opts.eventIdKey, this.adapter.agency, eventId, path);
      const latestEventId = latest.ok ? latest.chain.latest : chain.latest;
      this.logger.warn({ code: "RECORD_SUPERSEDED", eventId: chain.named, latestEventId, door, publisher: publisher.uri }, "correction of a version already corrected otherwise; refused");
      return refuse({ ok: false, code: "RECORD_SUPERSEDED", issues: supersededIssues(latestEventId), latestEventId });
    }
    this.corrections.inc({ door, outcome: result.duplicate ? "duplicate" : "accepted" });
    this.logger.info({ eventId: result.eventId, supersedes: chain.named, original: chain.original, duplicate: result.duplicate, door, publisher: publisher.uri, traceId: trace.traceId }, result.duplicate ? "duplicate correction" : "correction published");
    return { ok: true, result, event, supersedes: chain.named, original: chain.original };
  }

  /**
   * Withdraw a published record of this agency, named by any of its versions'
   * event ids: `raw` is `{reason, explanation?}`. The withdrawal's id derives
   * from the record's first version, so withdrawing it again is the same event:
   * answered duplicate, whatever reason was given. Nothing is published on a
   * refusal. Logs ids, never the explanation.
   */
  async withdraw(eventId: string, raw: unknown, trace: TraceContext, door: Door, publisher: Publisher, path = "eventId"): Promise<WithdrawalOutcome> {
    const refuse = (o: Exclude<WithdrawalOutcome, { ok: true }>): WithdrawalOutcome => {
      this.withdrawals.inc({ door, outcome: o.code });
      if (REFUSALS_AUDITED.has(o.code)) this.opts.refusals?.refused({ door, code: o.code, principal: publisher.uri, recordType: "", eventId: "", paths: o.issues.map((i) => i.path), traceId: trace.traceId });
      return o;
    };
    const found = findRecord(this.publisher, this.opts.eventIdKey, this.adapter.agency, eventId, path);
    if (!found.ok) return refuse(found);
    const request = parseWithdrawal(raw);
    if (!request.ok) return refuse({ ok: false, code: "VALIDATION_FAILED", issues: request.issues });
    const { chain } = found;
    const event = { ...withdrawalEvent(chain, this.adapter.agency, this.adapter.defaults, request.value, this.now()), publisher: publisher.uri };
    let result: PublishResult;
    try {
      result = await this.publisher.publish(event, trace);
    } catch (err) {
      this.logger.error({ err, eventId: event.id, original: chain.original }, "withdrawal publish failed");
      return refuse({ ok: false, code: "PUBLISH_FAILED", issues: [] });
    }
    // Withdrawn before (with another reason, or at another moment): the same withdrawal, answered duplicate.
    const { conflict: _conflict, ...answer } = result;
    const duplicate = answer.duplicate || result.conflict !== undefined;
    this.withdrawals.inc({ door, outcome: duplicate ? "duplicate" : "accepted" });
    this.logger.info({ eventId: result.eventId, withdrawn: chain.latest, original: chain.original, duplicate, door, publisher: publisher.uri, traceId: trace.traceId }, duplicate ? "record already withdrawn" : "withdrawal published");
    return { ok: true, result: { ...answer, duplicate }, withdrawnEventId: chain.latest };
  }

  /** Count a refusal; report it for the ledger when the oversight body must see it. */
  private refuse(recordType: string, door: Door, publisher: Publisher, trace: TraceContext, r: Exclude<Outcome, { ok: true }>, eventId = ""): Outcome {
    this.rejected.inc({ record_type: recordType, door, code: r.code });
    if (REFUSALS_AUDITED.has(r.code)) {
      this.opts.refusals?.refused({ door, code: r.code, principal: publisher.uri, recordType, eventId, paths: r.issues.map((i) => i.path), traceId: trace.traceId });
    }
    return r;
  }

  /** Count a publisher's answer; a conflict becomes a refusal, logged with its paths (never the values). */
  private settle(recordType: string, door: Door, result: PublishResult, event: IntelligenceEvent, publisher: Publisher, trace: TraceContext): Outcome {
    if (result.conflict) {
      this.conflicts.inc({ record_type: recordType, door });
      this.logger.warn({ code: "CONFLICT", eventId: result.eventId, recordType, door, publisher: publisher.uri, paths: result.conflict.paths }, "native id already published with different content; refused");
      return this.refuse(recordType, door, publisher, trace, { ok: false, code: "CONFLICT", issues: conflictIssues(result.conflict.paths) }, result.eventId);
    }
    (result.duplicate ? this.duplicates : this.accepted).inc({ record_type: recordType, door });
    return { ok: true, result, event };
  }
}
