/**
 * RFC 6962 / RFC 9162 Merkle inclusion proofs, checked in the browser with
 * WebCrypto. Written from RFC 9162 §2.1.3.2 like the service's own verifier
 * (src/verify/proofs.ts), but sharing no code with the service: the console
 * must be able to disagree with the server. Pure: no DOM.
 *
 *   node hash = SHA-256(0x01 || left || right)
 */
import { bytesEqual } from "./hex.js";

export const HASH_SIZE = 32;
const U64_MAX = 2n ** 64n - 1n;

/** @typedef {(data: Uint8Array) => Promise<Uint8Array>} Sha256 */

/** @type {Sha256} */
export async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", /** @type {BufferSource} */ (data)));
}

/**
 * @param {Uint8Array} left
 * @param {Uint8Array} right
 * @param {Sha256} [hash]
 */
export async function nodeHash(left, right, hash = sha256) {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return hash(buf);
}

/**
 * @typedef {"bad-argument" | "bad-hash-length" | "index-out-of-range" | "proof-too-long" | "proof-too-short" | "root-mismatch"} InclusionFailure
 * @typedef {{ ok: true, root: Uint8Array } | { ok: false, reason: InclusionFailure }} RootResult
 * @typedef {{ ok: true } | { ok: false, reason: InclusionFailure }} InclusionResult
 */

/** @param {unknown} n */
function toU64(n) {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) return undefined;
  const b = BigInt(n);
  return b > U64_MAX ? undefined : b;
}

/** @param {unknown} h */
const isHash = (h) => h instanceof Uint8Array && h.length === HASH_SIZE;

/**
 * The root the inclusion path leads to from leaf `index` of a tree of `size`
 * leaves (RFC 9162 §2.1.3.2, steps 1–5 without the final comparison).
 * @param {Uint8Array} leafHash
 * @param {number} index
 * @param {number} size
 * @param {readonly Uint8Array[]} path
 * @param {Sha256} [hash]
 * @returns {Promise<RootResult>}
 */
export async function rootFromInclusion(leafHash, index, size, path, hash = sha256) {
  const leafIndex = toU64(index);
  const treeSize = toU64(size);
  if (leafIndex === undefined || treeSize === undefined || !Array.isArray(path)) return { ok: false, reason: "bad-argument" };
  if (!isHash(leafHash) || !path.every(isHash)) return { ok: false, reason: "bad-hash-length" };
  if (leafIndex >= treeSize) return { ok: false, reason: "index-out-of-range" };
  let fn = leafIndex;
  let sn = treeSize - 1n;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0n) return { ok: false, reason: "proof-too-long" };
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r, hash);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p, hash);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return { ok: false, reason: "proof-too-short" };
  return { ok: true, root: r };
}

/**
 * Whether `path` proves the leaf with hash `leafHash` is leaf `index` of the
 * tree of `size` leaves whose root is `root`.
 * @param {Uint8Array} leafHash
 * @param {number} index
 * @param {number} size
 * @param {readonly Uint8Array[]} path
 * @param {Uint8Array} root
 * @param {Sha256} [hash]
 * @returns {Promise<InclusionResult>}
 */
export async function verifyInclusion(leafHash, index, size, path, root, hash = sha256) {
  if (!isHash(root)) return { ok: false, reason: "bad-hash-length" };
  const got = await rootFromInclusion(leafHash, index, size, path, hash);
  if (!got.ok) return got;
  return bytesEqual(got.root, root) ? { ok: true } : { ok: false, reason: "root-mismatch" };
}
