import { z } from "zod";

/**
 * New Zealand dollars, exactly. MSD writes amounts as dollars with cents — a JSON
 * number (27800000.5) or a decimal string ("27800000.50", as CSV imports give it);
 * the envelope wants whole cents as an int64 string. Going through the decimal
 * digits, never through `× 100` on a float, keeps every cent.
 */

/** Up to 12 digits of dollars (under $1 trillion) and at most 2 of cents; no sign, no separators. */
const DOLLARS = /^(0|[1-9]\d{0,11})(?:\.(\d{1,2}))?$/;

/**
 * Parses to the canonical decimal string, always with two places: 27800000.5 → "27800000.50".
 * A number's shortest round-trip form is its decimal as written: with at most 14
 * significant digits, no float error can creep in.
 */
export const nzd = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const digits = typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : v;
  const m = DOLLARS.exec(digits);
  if (!m) {
    ctx.addIssue({ code: "custom", message: 'expected NZ dollars, 0 or more with at most 2 decimal places and no separators, e.g. 27800000 or "27800000.50"' });
    return z.NEVER;
  }
  return `${m[1]}.${(m[2] ?? "").padEnd(2, "0")}`;
});

/** Whole cents of a canonical amount, as the int64 string the proto carries: "27800000.50" → "2780000050". */
export function centsOf(amount: string): string {
  return BigInt(amount.replace(".", "")).toString();
}
