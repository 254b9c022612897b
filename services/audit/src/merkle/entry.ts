/**
 * The leaf entry: the canonical bytes each Merkle leaf hashes. It binds a
 * record's payload to its position and metadata, so a row moved, renumbered or
 * relabelled in storage no longer matches its own leaf hash:
 *
 *   u8   version (1)
 *   u64  leaf index                  big-endian
 *   u64  appended at, ms since epoch big-endian
 *   u8   kind length, then the kind (ASCII, [a-z][a-z0-9._-]*, ≤ 64)
 *   u16  record id length, then the record id (UTF-8, 1..1024 bytes)
 *   u32  payload length, then the payload (the record's own canonical bytes)
 */

export const ENTRY_VERSION = 1;
export const KIND_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;
export const MAX_RECORD_ID_BYTES = 1024;

export interface LeafEntry {
  index: number;
  appendedAtMs: number;
  kind: string;
  recordId: string;
  payload: Uint8Array;
}

export class EntryError extends Error {}

export function encodeEntry(e: LeafEntry): Buffer {
  if (!Number.isSafeInteger(e.index) || e.index < 0) throw new EntryError(`invalid leaf index ${e.index}`);
  if (!Number.isSafeInteger(e.appendedAtMs) || e.appendedAtMs < 0) throw new EntryError(`invalid timestamp ${e.appendedAtMs}`);
  if (!KIND_PATTERN.test(e.kind)) throw new EntryError(`invalid record kind ${JSON.stringify(e.kind.slice(0, 80))}`);
  const id = Buffer.from(e.recordId, "utf8");
  if (id.length === 0 || id.length > MAX_RECORD_ID_BYTES) throw new EntryError(`a record id has 1..${MAX_RECORD_ID_BYTES} bytes, got ${id.length}`);
  if (e.payload.length > 0xffff_ffff) throw new EntryError("payload too large");
  const kind = Buffer.from(e.kind, "ascii");
  const out = Buffer.alloc(1 + 8 + 8 + 1 + kind.length + 2 + id.length + 4 + e.payload.length);
  let at = out.writeUInt8(ENTRY_VERSION, 0);
  at = out.writeBigUInt64BE(BigInt(e.index), at);
  at = out.writeBigUInt64BE(BigInt(e.appendedAtMs), at);
  at = out.writeUInt8(kind.length, at);
  at += kind.copy(out, at);
  at = out.writeUInt16BE(id.length, at);
  at += id.copy(out, at);
  at = out.writeUInt32BE(e.payload.length, at);
  out.set(e.payload, at);
  return out;
}

export function decodeEntry(bytes: Uint8Array): LeafEntry {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (at: number, n: number) => {
    if (at + n > b.length) throw new EntryError("truncated leaf entry");
  };
  need(0, 17);
  if (b.readUInt8(0) !== ENTRY_VERSION) throw new EntryError(`unknown leaf entry version ${b.readUInt8(0)}`);
  const index = Number(b.readBigUInt64BE(1));
  const appendedAtMs = Number(b.readBigUInt64BE(9));
  let at = 17;
  need(at, 1);
  const kindLen = b.readUInt8(at++);
  need(at, kindLen);
  const kind = b.toString("ascii", at, at + kindLen);
  at += kindLen;
  need(at, 2);
  const idLen = b.readUInt16BE(at);
  at += 2;
  need(at, idLen);
  const recordId = b.toString("utf8", at, at + idLen);
  at += idLen;
  need(at, 4);
  const payloadLen = b.readUInt32BE(at);
  at += 4;
  need(at, payloadLen);
  if (at + payloadLen !== b.length) throw new EntryError("trailing bytes after the payload");
  return { index, appendedAtMs, kind, recordId, payload: b.subarray(at, at + payloadLen) };
}
