/**
 * The ledger's leaf entry, read in the browser: the canonical bytes a leaf
 * hashes (layout in src/merkle/entry.ts; the unit tests hold this reader to the
 * writer's bytes):
 *
 *   u8   version (1)
 *   u64  leaf index                  big-endian
 *   u64  appended at, ms since epoch big-endian
 *   u8   kind length, then the kind (ASCII)
 *   u16  record id length, then the record id (UTF-8)
 *   u32  payload length, then the payload (the record's own protobuf bytes)
 *
 * and its RFC 6962 leaf hash, SHA-256(0x00 || entry). Pure: no DOM.
 */
import { sha256 } from "./merkle.js";

/**
 * @typedef {{ index: number, appendedAtMs: number, kind: string, recordId: string, payload: Uint8Array }} LeafEntry
 */

/**
 * The entry's parts, or undefined when the bytes are not exactly one well-formed version-1 entry.
 * @param {Uint8Array} bytes
 * @returns {LeafEntry | undefined}
 */
export function parseEntry(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length < 18 || bytes[0] !== 1) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const index = view.getBigUint64(1);
  const at = view.getBigUint64(9);
  if (index > BigInt(Number.MAX_SAFE_INTEGER) || at > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  let p = 17;
  const kindLen = /** @type {number} */ (bytes[p++]);
  if (p + kindLen + 2 > bytes.length) return undefined;
  const kind = String.fromCharCode(...bytes.subarray(p, p + kindLen));
  if (!/^[a-z][a-z0-9._-]{0,63}$/.test(kind)) return undefined;
  p += kindLen;
  const idLen = view.getUint16(p);
  p += 2;
  if (idLen === 0 || p + idLen + 4 > bytes.length) return undefined;
  let recordId;
  try {
    recordId = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(p, p + idLen));
  } catch {
    return undefined;
  }
  p += idLen;
  const payloadLen = view.getUint32(p);
  p += 4;
  if (p + payloadLen !== bytes.length) return undefined;
  return { index: Number(index), appendedAtMs: Number(at), kind, recordId, payload: bytes.subarray(p) };
}

/**
 * RFC 6962 leaf hash: SHA-256(0x00 || entry).
 * @param {Uint8Array} entry
 */
export function leafHashOf(entry) {
  const buf = new Uint8Array(1 + entry.length);
  buf.set(entry, 1);
  return sha256(buf);
}
