/**
 * Proof verification written from RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
 * (consistency). Independent of the writer: it imports only the hash
 * definition. Arithmetic is on bigint, so sizes up to 2^64 − 1 are exact.
 */
import { emptyRoot, HASH_SIZE, nodeHash } from "../merkle/hash.js";

export type VerifyFailure =
  | "bad-argument"
  | "bad-hash-length"
  | "index-out-of-range"
  | "size-order"
  | "empty-proof"
  | "nonempty-proof"
  | "proof-too-long"
  | "proof-too-short"
  | "root-mismatch";

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

const OK: VerifyResult = { ok: true };
const fail = (reason: VerifyFailure): VerifyResult => ({ ok: false, reason });
const U64_MAX = 2n ** 64n - 1n;

function toU64(n: number | bigint): bigint | undefined {
  if (typeof n === "number" && !Number.isSafeInteger(n)) return undefined;
  const b = BigInt(n);
  return b < 0n || b > U64_MAX ? undefined : b;
}

const isHash = (h: Uint8Array) => h instanceof Uint8Array && h.length === HASH_SIZE;

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Whether `proof` shows the leaf with hash `leafHash` is leaf `index` of the tree of `size` leaves with root `root`. */
export function verifyInclusion(leafHash: Uint8Array, index: number | bigint, size: number | bigint, proof: readonly Uint8Array[], root: Uint8Array): VerifyResult {
  const leafIndex = toU64(index);
  const treeSize = toU64(size);
  if (leafIndex === undefined || treeSize === undefined || !Array.isArray(proof)) return fail("bad-argument");
  if (!isHash(leafHash) || !isHash(root) || !proof.every(isHash)) return fail("bad-hash-length");
  // 1. If leaf_index is greater than or equal to tree_size, then stop and fail.
  if (leafIndex >= treeSize) return fail("index-out-of-range");
  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = leafIndex;
  let sn = treeSize - 1n;
  // 3. Set r to hash.
  let r: Uint8Array = leafHash;
  // 4. For each value p in the inclusion_path array:
  for (const p of proof) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0n) return fail("proof-too-long");
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if ((fn & 1n) === 1n || fn === sn) {
      // 1. Set r to HASH(0x01 || p || r).
      r = nodeHash(p, r);
      // 2. If LSB(fn) is not set, then right-shift both fn and sn equally until
      //    either LSB(fn) is set or fn is 0.
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      // Otherwise: set r to HASH(0x01 || r || p).
      r = nodeHash(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn >>= 1n;
    sn >>= 1n;
  }
  // 5. Compare sn to 0. Compare r against the root hash. If both are equal, the
  //    proof is verified.
  if (sn !== 0n) return fail("proof-too-short");
  return equal(r, root) ? OK : fail("root-mismatch");
}

/** Whether `proof` shows the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2` leaves with root `root2`. */
export function verifyConsistency(
  size1: number | bigint,
  size2: number | bigint,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): VerifyResult {
  const first = toU64(size1);
  const second = toU64(size2);
  if (first === undefined || second === undefined || !Array.isArray(proof)) return fail("bad-argument");
  if (!isHash(root1) || !isHash(root2) || !proof.every(isHash)) return fail("bad-hash-length");
  if (first > second) return fail("size-order");
  // Trivial cases the RFC's algorithm leaves to the caller: the empty tree is a
  // prefix of every tree, and a tree is consistent with itself; either way the
  // proof must be empty.
  if (first === 0n) {
    if (proof.length !== 0) return fail("nonempty-proof");
    return equal(root1, emptyRoot()) ? OK : fail("root-mismatch");
  }
  if (first === second) {
    if (proof.length !== 0) return fail("nonempty-proof");
    return equal(root1, root2) ? OK : fail("root-mismatch");
  }
  // 1. If consistency_path is an empty array, stop and fail the proof verification.
  if (proof.length === 0) return fail("empty-proof");
  // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
  const path: readonly Uint8Array[] = (first & (first - 1n)) === 0n ? [root1, ...proof] : proof;
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = first - 1n;
  let sn = second - 1n;
  // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of path.slice(1)) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0n) return fail("proof-too-long");
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if ((fn & 1n) === 1n || fn === sn) {
      // 1. Set fr to HASH(0x01 || c || fr). 2. Set sr to HASH(0x01 || c || sr).
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      // 3. If LSB(fn) is not set, then right-shift both fn and sn equally until
      //    either LSB(fn) is set or fn is 0.
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      // Otherwise: set sr to HASH(0x01 || sr || c).
      sr = nodeHash(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn >>= 1n;
    sn >>= 1n;
  }
  // 7. Verify that fr equals first_hash, sr equals second_hash, and sn is 0.
  if (sn !== 0n) return fail("proof-too-short");
  return equal(fr, root1) && equal(sr, root2) ? OK : fail("root-mismatch");
}
