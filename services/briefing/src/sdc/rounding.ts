import { createHmac } from "node:crypto";

/**
 * Random rounding to base 3, as MSD applies to every publicly released table:
 * - a multiple of 3 is published as it is;
 * - 1 and 2 become 3, never 0 (a zero would claim "nobody", which is false);
 * - any other count moves to one of its two neighbouring multiples of 3, up
 *   with probability remainder/3, so on average it is unbiased, and is never
 *   more than 2 from the truth.
 *
 * `u` is the cell's draw in [0, 1). Pure.
 */
export function roundBase3(value: number, u: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`a count must be a non-negative integer, got ${value}`);
  if (!(u >= 0 && u < 1)) throw new RangeError(`a draw must be in [0, 1), got ${u}`);
  const remainder = value % 3;
  if (remainder === 0) return value;
  if (value < 3) return 3;
  return u < remainder / 3 ? value - remainder + 3 : value - remainder;
}

/**
 * The draw for one cell: HMAC-SHA-256 of the cell's key under a secret, as a
 * uniform number in [0, 1). The same cell (key) always gets the same draw, so
 * asking again — by anyone, in any request — gives the same rounded number and
 * repeated queries cannot be averaged back to the truth. Without the secret the
 * draw cannot be predicted, so the rounding cannot be undone. Pure.
 */
export function cellDraw(secret: Uint8Array, cellKey: string): number {
  if (secret.length < 16) throw new RangeError("the rounding secret must be at least 16 bytes");
  const digest = createHmac("sha256", secret).update(cellKey, "utf8").digest();
  // 48 bits: exact in a double, uniform enough for a probability.
  return digest.readUIntBE(0, 6) / 2 ** 48;
}
