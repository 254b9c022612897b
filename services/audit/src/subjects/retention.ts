/**
 * Retention as data (pure): services/audit/retention.json gives a period per
 * record kind (ISO-8601 durations in years, months, weeks or days), a default
 * for every other kind, and the legal reference each rests on. A subject is due
 * for purge when every record naming them (audit_subjects ⋈ audit_records: each
 * kind's latest occurred_at) is past its kind's period — and, for a subject
 * whose key names no record yet, when the key itself is past the default
 * period. A key made within GRACE_MS is never due: an append that made it may
 * not have committed its records yet.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { KINDS } from "../oversight/records.js";

export const DEFAULT_RETENTION_FILE = fileURLToPath(new URL("../../retention.json", import.meta.url));

/** A key younger than this is never due (its records may be committing now). */
export const GRACE_MS = 24 * 3600 * 1000;

const DURATION = /^P(?:(\d{1,3})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?$/;

const period = z
  .string()
  .regex(DURATION, "expected an ISO-8601 duration in whole years, months, weeks or days, e.g. P7Y, P18M, P90D")
  .refine((p) => p !== "P", "expected at least one of years, months, weeks or days");

const rule = z.strictObject({ period, reference: z.string().trim().min(1, "name the legal reference the period rests on").max(1000) });

export const RetentionPolicySchema = z.strictObject({
  $comment: z.string().optional(),
  default: rule,
  kinds: z.partialRecord(z.enum(KINDS), rule),
});

export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;

export class RetentionPolicyError extends Error {
  readonly code = "RETENTION_POLICY_INVALID";
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** The policy in a file's text, and the SHA-256 of those bytes (what a retention purge record names). */
export function parseRetentionPolicy(text: string): { policy: RetentionPolicy; sha256: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RetentionPolicyError(`the retention policy is not JSON: ${(err as Error).message}`);
  }
  const parsed = RetentionPolicySchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    throw new RetentionPolicyError(`the retention policy is invalid: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`, issues);
  }
  return { policy: parsed.data, sha256: createHash("sha256").update(text).digest("hex") };
}

export function loadRetentionPolicy(file = DEFAULT_RETENTION_FILE): { policy: RetentionPolicy; sha256: string } {
  return parseRetentionPolicy(readFileSync(file, "utf8"));
}

/** `at` plus an ISO-8601 period, in UTC calendar terms (P1M from 31 January is 3 March, as Date arithmetic has it). */
export function addPeriod(at: Date, p: string): Date {
  const m = DURATION.exec(p);
  if (!m) throw new RetentionPolicyError(`not a retention period: ${p}`);
  const [, y, mo, w, d] = m.map((x) => Number(x ?? 0));
  const out = new Date(at.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + y!, out.getUTCMonth() + mo!, out.getUTCDate() + 7 * w! + d!);
  return out;
}

/** The period a kind is kept for. */
export function periodOf(policy: RetentionPolicy, kind: string): string {
  return (policy.kinds as Record<string, { period: string } | undefined>)[kind]?.period ?? policy.default.period;
}

/** One subject key and, per kind, the latest record naming it (none when it names no record). */
export interface SubjectRecords {
  ref: string;
  keyCreatedAt: Date;
  latest: { kind: string; occurredAt: Date }[];
}

/** When a subject's key may be destroyed under the policy. */
export function dueAt(s: SubjectRecords, policy: RetentionPolicy): Date {
  const floor = new Date(s.keyCreatedAt.getTime() + GRACE_MS);
  const ends = s.latest.length > 0 ? s.latest.map((r) => addPeriod(r.occurredAt, periodOf(policy, r.kind))) : [addPeriod(s.keyCreatedAt, policy.default.period)];
  return new Date(Math.max(floor.getTime(), ...ends.map((e) => e.getTime())));
}

/** The refs due for purge at `now`, sorted. */
export function dueRefs(subjects: readonly SubjectRecords[], policy: RetentionPolicy, now: Date): string[] {
  return subjects
    .filter((s) => dueAt(s, policy).getTime() <= now.getTime())
    .map((s) => s.ref)
    .sort();
}
