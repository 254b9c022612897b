import { z } from "zod";
import { KINDS } from "./records.js";

/**
 * The oversight API's query parameters, validated (pure). Every field is
 * optional; unknown parameters are refused so a typo never silently widens a
 * search.
 */

const id = (what: string) => z.string().regex(/^[A-Za-z0-9._:/-]{1,200}$/, `expected ${what}`);
const district = z.string().regex(/^[a-z_]{2,40}$/, "expected a Police district code, e.g. eastern or bay_of_plenty");
const limit = z.coerce.number().int().min(1).max(500).default(100);
const cursor = z.string().max(100).optional();
const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const recordsQuery = z
  .strictObject({
    kind: z.enum(KINDS).optional(),
    agency: z.enum(["police", "customs", "mbie", "msd"]).optional(),
    subscriber_id: id("a subscriber id").optional(),
    event_type: z.string().regex(/^[a-z]+\.[a-z_]{1,60}$/, "expected an event type, e.g. customs.border_seizure").optional(),
    region: district.optional(),
    subject_id: id("a subject id").optional(),
    event_id: z.uuid().optional(),
    outcome: z.enum(["allow", "deny"]).optional(),
    legal_basis: z.string().min(1).max(300).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    limit,
    cursor,
  })
  .refine((q) => !(q.from && q.to) || q.from.getTime() <= q.to.getTime(), { path: ["to"], message: "`to` is before `from`" });
export type RecordsQuery = z.infer<typeof recordsQuery>;

export const pageQuery = z.strictObject({ limit, cursor });

export const statsQuery = z
  .strictObject({
    from: isoTime.optional(),
    to: isoTime.optional(),
    bucket: z.enum(["hour", "day", "week"]).default("day"),
  })
  .refine((q) => !(q.from && q.to) || q.from.getTime() <= q.to.getTime(), { path: ["to"], message: "`to` is before `from`" });

export const anomaliesQuery = z.strictObject({
  window: z.enum(["hour", "day"]).default("day"),
  /** How many earlier windows make the baseline. */
  baseline: z.coerce.number().int().min(3).max(90).default(14),
  at: isoTime.optional(),
});

/** Keyset cursor over leaf indices, newest first: the last index seen. */
export function encodeCursor(index: number): string {
  return Buffer.from(`i:${index}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): number | null {
  const m = /^i:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return m ? Number(m[1]) : null;
}
