/**
 * Signed tree heads, checked in the browser: the console's own copy of the
 * canonical encoding the ledger signs (the writer's is src/merkle/head.ts, the
 * verifier's src/verify/head.ts; the unit tests hold all three to the same bytes):
 *
 *   "takitini-ledger-tree-head-v1" (28 ASCII bytes) || 0x00
 *   u64 tree size                  big-endian
 *   u64 timestamp, ms since epoch  big-endian
 *   32  root hash
 *   32  key id = SHA-256 of the public key's SubjectPublicKeyInfo DER
 *
 * and Ed25519 (WebCrypto) over those bytes. Pure: no DOM.
 */
import { sha256 } from "./merkle.js";

export const TREE_HEAD_CONTEXT = "takitini-ledger-tree-head-v1";
export const TREE_HEAD_BYTES = TREE_HEAD_CONTEXT.length + 1 + 8 + 8 + 32 + 32;

/**
 * @typedef {{ treeSize: number, timestampMs: number, rootHash: Uint8Array, keyId: Uint8Array }} TreeHead
 */

/**
 * The bytes a head's signature covers.
 * @param {TreeHead} h
 * @returns {Uint8Array}
 */
export function encodeTreeHead(h) {
  if (!Number.isSafeInteger(h.treeSize) || h.treeSize < 0) throw new RangeError(`invalid tree size ${h.treeSize}`);
  if (!Number.isSafeInteger(h.timestampMs) || h.timestampMs < 0) throw new RangeError(`invalid timestamp ${h.timestampMs}`);
  if (h.rootHash.length !== 32 || h.keyId.length !== 32) throw new RangeError("root hash and key id have 32 bytes");
  const out = new Uint8Array(TREE_HEAD_BYTES);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const ch of TREE_HEAD_CONTEXT) out[at++] = ch.charCodeAt(0);
  out[at++] = 0;
  view.setBigUint64(at, BigInt(h.treeSize));
  at += 8;
  view.setBigUint64(at, BigInt(h.timestampMs));
  at += 8;
  out.set(h.rootHash, at);
  out.set(h.keyId, at + 32);
  return out;
}

/**
 * The key id of an Ed25519 public key: SHA-256 of its SPKI DER.
 * @param {Uint8Array} spkiDer
 */
export function keyIdOf(spkiDer) {
  return sha256(spkiDer);
}

const STRICT_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * A head's issued_at as the milliseconds it signed, or undefined when the text
 * is not an ISO 8601 instant with at most millisecond precision.
 * @param {unknown} iso
 */
export function timestampMsOf(iso) {
  if (typeof iso !== "string" || !STRICT_ISO.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined;
}

/**
 * @typedef {"ok" | "bad-signature" | "bad-key" | "unsupported"} SignatureVerdict
 */

/**
 * Whether `signature` is an Ed25519 signature by the SPKI key over `message`.
 * "unsupported" when this browser's WebCrypto has no Ed25519; "bad-key" when the
 * key is not an Ed25519 SPKI.
 * @param {Uint8Array} spkiDer
 * @param {Uint8Array} signature
 * @param {Uint8Array} message
 * @returns {Promise<SignatureVerdict>}
 */
export async function verifyEd25519(spkiDer, signature, message) {
  /** @type {CryptoKey} */
  let key;
  try {
    key = await crypto.subtle.importKey("spki", /** @type {BufferSource} */ (spkiDer), { name: "Ed25519" }, false, ["verify"]);
  } catch (err) {
    if (err instanceof DOMException && err.name === "NotSupportedError") return "unsupported";
    return "bad-key";
  }
  if (signature.length !== 64) return "bad-signature";
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, /** @type {BufferSource} */ (signature), /** @type {BufferSource} */ (message));
  return ok ? "ok" : "bad-signature";
}
