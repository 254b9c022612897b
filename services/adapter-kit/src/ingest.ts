import type { IntelligenceEvent } from "@takitini/proto";
import { eventIdFor, zodIssues, type EventIdKey, type FieldIssue } from "@takitini/runtime";
import { z } from "zod";
import { INVALID_DATE, withClock } from "./dates.js";
import { MarkingBelowFloor } from "./fields.js";
import { kindFor, type AgencyAdapter } from "./kind.js";
import { forbiddenKeys, tooDeepIssue, valueTooDeep } from "./limits.js";

/** Stable codes for a record that cannot be accepted, whichever door it came through. */
export const INGEST_ERRORS = {
  UNKNOWN_RECORD_TYPE: "UNKNOWN_RECORD_TYPE",
  VALIDATION_FAILED: "VALIDATION_FAILED",
  FORBIDDEN_KEY: "FORBIDDEN_KEY",
  /** Objects and arrays nested deeper than MAX_JSON_DEPTH. */
  TOO_DEEP: "TOO_DEEP",
  /** Every problem is a date outside its plausible window (issue code INVALID_DATE). */
  INVALID_DATE: "INVALID_DATE",
  /** The record's markings are below its agency's defaults. */
  MARKING_BELOW_FLOOR: "MARKING_BELOW_FLOOR",
} as const;

export type IngestCode = (typeof INGEST_ERRORS)[keyof typeof INGEST_ERRORS];

export type IngestResult =
  | { ok: true; event: IntelligenceEvent; nativeId: string }
  | { ok: false; code: IngestCode; issues: FieldIssue[] };

/**
 * A record a door has already refused from its raw form (e.g. gRPC bytes nested
 * too deep to decode): passed on as the record, so the intake counts and answers
 * it like any other refusal.
 */
export class Refusal {
  constructor(
    readonly code: IngestCode,
    readonly issues: FieldIssue[],
  ) {}
}

/** Zod's issues as field issues; a date outside its window keeps the stable issue code INVALID_DATE. */
function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const own = issue.code === "custom" ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
    return typeof own === "string" ? [{ path: zodIssues(new z.ZodError([issue]))[0]!.path, code: own, message: issue.message }] : zodIssues(new z.ZodError([issue]));
  });
}

export interface IngestOptions {
  /** The adapters' shared secret: event ids are HMACs of the agency and native id under it. */
  eventIdKey: EventIdKey;
  /** "Now" for the plausible window of dates (default: the system clock). */
  now?: Date;
}

/**
 * Validate a native record and map it to the typed event. Pure but for the
 * clock (`opts.now`): the same for the HTTP, gRPC and bulk doors, so a record is
 * accepted or refused identically whichever way it arrives. Checks in order: the
 * record type, nesting depth (iteratively, before anything recursive),
 * prototype keys, the schema (with dates in their window), the marking floor.
 */
export function ingest(adapter: AgencyAdapter, recordType: string, raw: unknown, publishedAt: Date, opts: IngestOptions): IngestResult {
  const kind = kindFor(adapter, recordType);
  if (!kind) {
    return {
      ok: false,
      code: INGEST_ERRORS.UNKNOWN_RECORD_TYPE,
      issues: [{ path: "record_type", code: "invalid_value", message: `unknown record type "${recordType}"; expected one of: ${adapter.kinds.map((k) => k.recordType).join(", ")}` }],
    };
  }
  if (raw instanceof Refusal) return { ok: false, code: raw.code, issues: raw.issues };
  if (valueTooDeep(raw)) return { ok: false, code: INGEST_ERRORS.TOO_DEEP, issues: [tooDeepIssue()] };
  const poisoned = forbiddenKeys(raw);
  if (poisoned.length > 0) {
    return { ok: false, code: INGEST_ERRORS.FORBIDDEN_KEY, issues: poisoned.map((path) => ({ path, code: "forbidden_key", message: "prototype-pollution keys are not allowed" })) };
  }
  const parsed = withClock(opts.now ?? new Date(), () => kind.schema.safeParse(raw));
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    const onlyDates = issues.every((i) => i.code === INVALID_DATE);
    return { ok: false, code: onlyDates ? INGEST_ERRORS.INVALID_DATE : INGEST_ERRORS.VALIDATION_FAILED, issues };
  }
  try {
    const nativeId = kind.nativeId(parsed.data);
    const event = kind.map(parsed.data, publishedAt);
    return { ok: true, event: { ...event, id: eventIdFor(opts.eventIdKey, adapter.agency, nativeId) }, nativeId };
  } catch (err) {
    if (err instanceof MarkingBelowFloor) return { ok: false, code: INGEST_ERRORS.MARKING_BELOW_FLOOR, issues: err.issues };
    throw err;
  }
}
