/**
 * The verifier's own reading of a leaf entry (layout in merkle/entry.ts; tests
 * hold the writer and this reader to the same bytes). Returns undefined for
 * anything that is not exactly one well-formed entry.
 */

export interface ParsedEntry {
  index: number;
  appendedAtMs: number;
  kind: string;
  recordId: string;
  payloadLength: number;
}

/** The leaf index an entry claims, read from its fixed header alone (undefined if too short or not version 1). */
export function claimedIndex(entry: Uint8Array): number | undefined {
  if (entry.length < 9 || entry[0] !== 1) return undefined;
  const n = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength).readBigUInt64BE(1);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
}

export function parseEntry(entry: Uint8Array): ParsedEntry | undefined {
  const b = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength);
  const index = claimedIndex(b);
  if (index === undefined || b.length < 18) return undefined;
  const ms = b.readBigUInt64BE(9);
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  let at = 17;
  const kindLen = b[at++]!;
  if (at + kindLen + 2 > b.length) return undefined;
  const kind = b.toString("latin1", at, at + kindLen);
  at += kindLen;
  const idLen = b.readUInt16BE(at);
  at += 2;
  if (idLen === 0 || at + idLen + 4 > b.length) return undefined;
  const idBytes = b.subarray(at, at + idLen);
  const recordId = idBytes.toString("utf8");
  if (!Buffer.from(recordId, "utf8").equals(idBytes)) return undefined; // not valid UTF-8
  at += idLen;
  const payloadLength = b.readUInt32BE(at);
  at += 4;
  if (at + payloadLength !== b.length) return undefined;
  if (!/^[a-z][a-z0-9._-]{0,63}$/.test(kind)) return undefined;
  return { index, appendedAtMs: Number(ms), kind, recordId, payloadLength };
}
