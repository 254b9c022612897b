/**
 * Checking signed tree heads, independently of the writer: the verifier has its
 * own reading of the canonical encoding (see the writer's merkle/head.ts for the
 * layout; tests hold the two to the same bytes) and checks Ed25519 signatures
 * against keys it is given — never against keys the store offers.
 */
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";

const CONTEXT = Buffer.from("takitini-ledger-tree-head-v1\0", "ascii");

export interface HeadRecord {
  treeSize: number;
  timestampMs: number;
  rootHash: Uint8Array;
  keyId: Uint8Array;
  signature: Uint8Array;
}

/** Trusted Ed25519 public keys by key id (hex SHA-256 of the SPKI DER). */
export type TrustedKeys = ReadonlyMap<string, KeyObject>;

export function trustKeys(publicKeys: readonly (string | Buffer | KeyObject)[]): TrustedKeys {
  const out = new Map<string, KeyObject>();
  for (const k of publicKeys) {
    const key = typeof k === "object" && "asymmetricKeyType" in k ? k : createPublicKey(k);
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`tree heads are signed with Ed25519, not ${key.asymmetricKeyType}`);
    const id = createHash("sha256").update(key.export({ type: "spki", format: "der" })).digest("hex");
    out.set(id, key);
  }
  return out;
}

/** The bytes a head's signature covers. */
export function headMessage(h: Omit<HeadRecord, "signature">): Buffer {
  if (h.rootHash.length !== 32 || h.keyId.length !== 32) throw new RangeError("root hash and key id have 32 bytes");
  const fixed = Buffer.alloc(16);
  fixed.writeBigUInt64BE(BigInt(h.treeSize), 0);
  fixed.writeBigUInt64BE(BigInt(h.timestampMs), 8);
  return Buffer.concat([CONTEXT, fixed, h.rootHash, h.keyId]);
}

export type HeadSignatureVerdict = "ok" | "malformed" | "unknown-key" | "bad-signature";

export function checkHeadSignature(h: HeadRecord, trusted: TrustedKeys): HeadSignatureVerdict {
  if (!Number.isSafeInteger(h.treeSize) || h.treeSize < 0 || !Number.isSafeInteger(h.timestampMs) || h.timestampMs < 0) return "malformed";
  if (h.rootHash.length !== 32 || h.keyId.length !== 32 || h.signature.length !== 64) return "malformed";
  const key = trusted.get(Buffer.from(h.keyId).toString("hex"));
  if (!key) return "unknown-key";
  return verify(null, headMessage(h), key, h.signature) ? "ok" : "bad-signature";
}
