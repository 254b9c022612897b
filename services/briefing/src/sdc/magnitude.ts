import { cellDraw } from "./rounding.js";
import type { ControlRules, PublishedCount } from "./table.js";

/**
 * Disclosure control for numbers that are not counts of records or people:
 * amounts (grams seized, estimated grams consumed) and changes between periods.
 * Pure.
 */

/**
 * Random rounding of a non-negative amount to a multiple of `base`: up with
 * probability (remainder / base), so unbiased; never to 0 when there was
 * something (a positive amount below the base is published as the base), and
 * never more than one base from the truth. `u` is the cell's draw in [0, 1).
 */
export function roundToBase(value: number, base: number, u: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`an amount must be finite and non-negative, got ${value}`);
  if (!(base > 0) || !Number.isFinite(base)) throw new RangeError(`a rounding base must be positive, got ${base}`);
  if (!(u >= 0 && u < 1)) throw new RangeError(`a draw must be in [0, 1), got ${u}`);
  const lower = Math.floor(value / base) * base;
  const remainder = value - lower;
  if (remainder === 0) return lower;
  if (lower === 0) return base;
  return u < remainder / base ? lower + base : lower;
}

/**
 * An amount that rests on records already counted in a published table: it is
 * published only when the count of its records is (`records` not suppressed),
 * and then randomly rounded to `base` with the cell's keyed draw, so the same
 * amount is published the same way in every request.
 */
export function protectAmount(key: string, value: number, records: PublishedCount, base: number, rules: Pick<ControlRules, "secret">): PublishedCount {
  if (records.suppressed) return { value: null, suppressed: true, reason: "secondary" };
  return { value: roundToBase(value, base, cellDraw(rules.secret, `${key}|${value}`)), suppressed: false };
}

/** A change between two periods' means, as published. */
export type PublishedChange =
  | { suppressed: false; percent: number; direction: "up" | "down" | "steady" }
  | { suppressed: true; reason: "too_few_samples" | "no_baseline" };

/**
 * Percentage change from `previous` to `current`, published only when each rests
 * on at least `minSamples` samples and the baseline is not zero; randomly rounded
 * to `base` percentage points (keyed, consistent); "steady" within ±`steadyWithin`.
 */
export function protectChange(
  key: string,
  current: { mean: number; samples: number },
  previous: { mean: number; samples: number },
  opts: { minSamples: number; base: number; steadyWithin: number },
  rules: Pick<ControlRules, "secret">,
): PublishedChange {
  if (current.samples < opts.minSamples || previous.samples < opts.minSamples) return { suppressed: true, reason: "too_few_samples" };
  if (!(previous.mean > 0)) return { suppressed: true, reason: "no_baseline" };
  const raw = ((current.mean - previous.mean) / previous.mean) * 100;
  const u = cellDraw(rules.secret, `${key}|${current.mean}|${previous.mean}`);
  const magnitude = roundToBase(Math.abs(raw), opts.base, u);
  const percent = raw < 0 ? -magnitude : magnitude;
  const direction = Math.abs(percent) <= opts.steadyWithin ? "steady" : percent > 0 ? "up" : "down";
  return { suppressed: false, percent, direction };
}
