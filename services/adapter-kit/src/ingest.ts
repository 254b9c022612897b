import type { IntelligenceEvent } from "@takitini/proto";
import { formatPath, zodIssues, type FieldIssue } from "@takitini/runtime";
import { kindFor, type AgencyAdapter } from "./kind.js";

/** Stable codes for a record that cannot be accepted, whichever door it came through. */
export const INGEST_ERRORS = {
  UNKNOWN_RECORD_TYPE: "UNKNOWN_RECORD_TYPE",
  VALIDATION_FAILED: "VALIDATION_FAILED",
  FORBIDDEN_KEY: "FORBIDDEN_KEY",
} as const;

export type IngestResult =
  | { ok: true; event: IntelligenceEvent; nativeId: string }
  | { ok: false; code: (typeof INGEST_ERRORS)[keyof typeof INGEST_ERRORS]; issues: FieldIssue[] };

const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);

/** Paths of prototype-pollution keys anywhere in a parsed value (JSON.parse and CSV keep them as own keys). */
export function forbiddenKeys(value: unknown, path: (string | number)[] = []): string[] {
  if (value === null || typeof value !== "object") return [];
  const out: string[] = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => out.push(...forbiddenKeys(v, [...path, i])));
    return out;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN.has(key)) out.push(formatPath([...path, key]));
    else out.push(...forbiddenKeys((value as Record<string, unknown>)[key], [...path, key]));
  }
  return out;
}

/**
 * Validate a native record and map it to the typed event. Pure: the same for
 * the HTTP, gRPC and bulk doors, so a record is accepted or refused identically
 * whichever way it arrives.
 */
export function ingest(adapter: AgencyAdapter, recordType: string, raw: unknown, publishedAt: Date): IngestResult {
  const kind = kindFor(adapter, recordType);
  if (!kind) {
    return {
      ok: false,
      code: INGEST_ERRORS.UNKNOWN_RECORD_TYPE,
      issues: [{ path: "record_type", code: "invalid_value", message: `unknown record type "${recordType}"; expected one of: ${adapter.kinds.map((k) => k.recordType).join(", ")}` }],
    };
  }
  const poisoned = forbiddenKeys(raw);
  if (poisoned.length > 0) {
    return { ok: false, code: INGEST_ERRORS.FORBIDDEN_KEY, issues: poisoned.map((path) => ({ path, code: "forbidden_key", message: "prototype-pollution keys are not allowed" })) };
  }
  const parsed = kind.schema.safeParse(raw);
  if (!parsed.success) return { ok: false, code: INGEST_ERRORS.VALIDATION_FAILED, issues: zodIssues(parsed.error) };
  return { ok: true, event: kind.map(parsed.data, publishedAt), nativeId: kind.nativeId(parsed.data) };
}
