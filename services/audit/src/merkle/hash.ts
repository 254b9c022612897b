/**
 * The hash definition of the ledger's Merkle tree — RFC 6962 §2.1 (RFC 9162 §2.1.1)
 * with SHA-256. This module is the ONLY code the independent verifier
 * (`../verify/`) shares with the writer; keep it that small.
 *
 *   leaf hash   = SHA-256(0x00 || data)
 *   node hash   = SHA-256(0x01 || left || right)
 *   empty tree  = SHA-256("")
 */
import { createHash } from "node:crypto";

/** Bytes in every hash of the tree. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}) — the root of a tree with no leaves. */
export function emptyRoot(): Buffer {
  return createHash("sha256").digest();
}

/** MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash("sha256").update(LEAF_PREFIX).update(data).digest();
}

/** SHA-256(0x01 || left || right): an interior node over two child hashes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest();
}
