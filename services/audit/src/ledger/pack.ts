/**
 * Byte strings as PostgreSQL parameters. node-postgres sends a Buffer parameter
 * in binary, but a bytea[] parameter as an array literal in text: every value
 * hex-encoded and escaped, a string twice the bytes' size made per value and
 * parsed again by the server. So a batch's byte strings travel as one Buffer,
 * and the SQL cuts each value out by its offset and length
 * (`substring($bytes from offset + 1 for length)`). Pure.
 */

export interface Packed {
  /** The values, one after another. */
  bytes: Buffer;
  /** Where each value starts in `bytes` (0-based). */
  offsets: number[];
  /** Each value's length. */
  lengths: number[];
}

/** Largest total a packed parameter may hold: offsets travel as int4. */
export const MAX_PACKED_BYTES = 2 ** 31 - 1;

export function packBytes(values: readonly Uint8Array[]): Packed {
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = 0;
  for (const v of values) {
    offsets.push(at);
    lengths.push(v.length);
    at += v.length;
  }
  if (at > MAX_PACKED_BYTES) throw new RangeError(`${at} bytes do not fit one packed parameter (at most ${MAX_PACKED_BYTES})`);
  return { bytes: Buffer.concat(values, at), offsets, lengths };
}

/** Values that all have `size` bytes (hashes), one after another: value i is at i × size. Throws on one of another size. */
export function packFixed(values: readonly Uint8Array[], size: number): Buffer {
  values.forEach((v, i) => {
    if (v.length !== size) throw new RangeError(`value ${i} has ${v.length} bytes, not ${size}`);
  });
  return Buffer.concat(values, values.length * size);
}

/** The values back from a packing (what the SQL's substring does). */
export function unpackBytes(p: Packed): Buffer[] {
  return p.offsets.map((o, i) => p.bytes.subarray(o, o + p.lengths[i]!));
}
