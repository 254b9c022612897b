import { Counter, type FieldIssue, type Logger, type Registry, type TraceContext } from "@takitini/runtime";
import type { IntelligenceEvent } from "@takitini/proto";
import { ingest, type IngestCode } from "./ingest.js";
import type { AgencyAdapter } from "./kind.js";
import type { EventPublisher, PublishResult } from "./publisher.js";

export type Door = "http" | "grpc" | "bulk" | "demo";

export type Outcome =
  | { ok: true; result: PublishResult; event: IntelligenceEvent }
  | { ok: false; code: IngestCode | "PUBLISH_FAILED" | "CONFLICT"; issues: FieldIssue[] };

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

  constructor(
    readonly adapter: AgencyAdapter,
    private readonly publisher: EventPublisher,
    metrics: Registry,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    const registers = [metrics];
    this.accepted = new Counter({ name: "adapter_records_accepted_total", help: "Native records accepted and published", labelNames: ["record_type", "door"], registers });
    this.duplicates = new Counter({ name: "adapter_records_duplicate_total", help: "Resubmitted records (same native id): nothing new published", labelNames: ["record_type", "door"], registers });
    this.rejected = new Counter({ name: "adapter_records_rejected_total", help: "Native records rejected, by code", labelNames: ["record_type", "door", "code"], registers });
    this.conflicts = new Counter({ name: "adapter_conflicts_total", help: "Resubmissions of a published native id with different content: refused, nothing published (also counted as rejected, code CONFLICT)", labelNames: ["record_type", "door"], registers });
  }

  isReady(): boolean {
    return this.publisher.isReady();
  }

  async submit(recordType: string, raw: unknown, trace: TraceContext, door: Door): Promise<Outcome> {
    const now = this.now();
    const r = ingest(this.adapter, recordType, raw, now, { now });
    if (!r.ok) {
      this.rejected.inc({ record_type: recordType, door, code: r.code });
      return r;
    }
    try {
      const result = await this.publisher.publish(r.event, trace);
      return this.settle(recordType, door, result, r.event);
    } catch (err) {
      this.logger.error({ err, eventId: r.event.id, recordType }, "publish failed");
      this.rejected.inc({ record_type: recordType, door, code: "PUBLISH_FAILED" });
      return { ok: false, code: "PUBLISH_FAILED", issues: [] };
    }
  }

  /** Validate all, then publish the valid ones in one request. Rejections never block the rest. */
  async submitMany(recordType: string, raws: unknown[], trace: TraceContext, door: Door): Promise<Outcome[]> {
    const now = this.now();
    const ingested = raws.map((raw) => ingest(this.adapter, recordType, raw, now, { now }));
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
      if (!r.ok) {
        this.rejected.inc({ record_type: recordType, door, code: r.code });
        return r;
      }
      const result = results[i++];
      if (failed || !result) {
        this.rejected.inc({ record_type: recordType, door, code: "PUBLISH_FAILED" });
        return { ok: false, code: "PUBLISH_FAILED", issues: [] };
      }
      return this.settle(recordType, door, result, r.event);
    });
  }

  /** Count a publisher's answer; a conflict becomes a refusal, logged with its paths (never the values). */
  private settle(recordType: string, door: Door, result: PublishResult, event: IntelligenceEvent): Outcome {
    if (result.conflict) {
      this.conflicts.inc({ record_type: recordType, door });
      this.rejected.inc({ record_type: recordType, door, code: "CONFLICT" });
      this.logger.warn({ code: "CONFLICT", eventId: result.eventId, recordType, door, paths: result.conflict.paths }, "native id already published with different content; refused");
      return { ok: false, code: "CONFLICT", issues: conflictIssues(result.conflict.paths) };
    }
    (result.duplicate ? this.duplicates : this.accepted).inc({ record_type: recordType, door });
    return { ok: true, result, event };
  }
}
