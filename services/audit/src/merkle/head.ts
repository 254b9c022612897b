/**
 * Signed tree heads: Ed25519 (node:crypto) over a canonical, fixed-length
 * encoding of (tree size, timestamp, root hash, key id):
 *
 *   "takitini-ledger-tree-head-v1" (28 ASCII bytes) || 0x00
 *   u64 tree size              big-endian
 *   u64 timestamp, ms since epoch   big-endian
 *   32  root hash
 *   32  key id = SHA-256 of the public key's SubjectPublicKeyInfo DER
 *
 * The signing key comes from LEDGER_SIGNING_KEY (a PKCS#8 PEM) or
 * LEDGER_SIGNING_KEY_FILE (a path to one, readable by its owner only); without
 * either, a key is generated for this process in development only (its heads
 * cannot be checked after a restart unless its public key was kept) and the
 * service refuses to start anywhere else.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { HASH_SIZE } from "./hash.js";

export const TREE_HEAD_CONTEXT = "takitini-ledger-tree-head-v1";
export const TREE_HEAD_BYTES = TREE_HEAD_CONTEXT.length + 1 + 8 + 8 + HASH_SIZE + HASH_SIZE;

export interface TreeHead {
  treeSize: number;
  timestampMs: number;
  rootHash: Buffer;
  keyId: Buffer;
}

export interface SignedTreeHead extends TreeHead {
  signature: Buffer;
}

export function encodeTreeHead(h: TreeHead): Buffer {
  if (!Number.isSafeInteger(h.treeSize) || h.treeSize < 0) throw new RangeError(`invalid tree size ${h.treeSize}`);
  if (!Number.isSafeInteger(h.timestampMs) || h.timestampMs < 0) throw new RangeError(`invalid timestamp ${h.timestampMs}`);
  if (h.rootHash.length !== HASH_SIZE || h.keyId.length !== HASH_SIZE) throw new RangeError("root hash and key id have 32 bytes");
  const out = Buffer.alloc(TREE_HEAD_BYTES);
  let at = out.write(TREE_HEAD_CONTEXT, 0, "ascii");
  at = out.writeUInt8(0, at);
  at = out.writeBigUInt64BE(BigInt(h.treeSize), at);
  at = out.writeBigUInt64BE(BigInt(h.timestampMs), at);
  at += h.rootHash.copy(out, at);
  h.keyId.copy(out, at);
  return out;
}

/** SHA-256 of the public key's SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): Buffer {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest();
}

export interface HeadSigner {
  keyId: Buffer;
  publicKey: KeyObject;
  /** SPKI PEM of the public key — what a verifier is given. */
  publicKeyPem: string;
  sign(head: Omit<TreeHead, "keyId">): SignedTreeHead;
}

export function createSigner(privateKey: KeyObject): HeadSigner {
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error(`the ledger signs with Ed25519, not ${privateKey.asymmetricKeyType}`);
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  return {
    keyId,
    publicKey,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    sign(head) {
      const full: TreeHead = { ...head, rootHash: Buffer.from(head.rootHash), keyId };
      return { ...full, signature: sign(null, encodeTreeHead(full), privateKey) };
    },
  };
}

export type SigningKeySource = "env" | "file" | "generated";

/** Why the service will not sign with the key it was given (or without one). */
export class SigningKeyError extends Error {
  constructor(
    readonly code: "SIGNING_KEY_REQUIRED" | "SIGNING_KEY_FILE_MODE" | "SIGNING_KEY_UNREADABLE",
    message: string,
  ) {
    super(message);
    this.name = "SigningKeyError";
  }
}

/**
 * The key that signs tree heads: LEDGER_SIGNING_KEY (a PKCS#8 PEM), else
 * LEDGER_SIGNING_KEY_FILE — a file readable and writable by its owner only
 * (mode 0600 or 0400; anything more is refused) — else, in development only
 * (`development`: TAKITINI_ENV=development), a key generated for this process.
 * Outside development a missing key is refused: heads signed by a throwaway key
 * cannot be checked after a restart.
 */
export function loadSigningKey(env: NodeJS.ProcessEnv = process.env, opts: { development?: boolean } = {}): { privateKey: KeyObject; source: SigningKeySource } {
  if (env.LEDGER_SIGNING_KEY) return { privateKey: createPrivateKey(env.LEDGER_SIGNING_KEY), source: "env" };
  const file = env.LEDGER_SIGNING_KEY_FILE;
  if (file) {
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch (err) {
      throw new SigningKeyError("SIGNING_KEY_UNREADABLE", `LEDGER_SIGNING_KEY_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    checkKeyFileMode(file, mode);
    return { privateKey: createPrivateKey(readFileSync(file)), source: "file" };
  }
  if (!opts.development) {
    throw new SigningKeyError(
      "SIGNING_KEY_REQUIRED",
      "LEDGER_SIGNING_KEY_FILE (or LEDGER_SIGNING_KEY) is required outside development: heads signed with a throwaway key cannot be checked later. " +
        "Make one with `npm run -s audit:key -- --generate <file>`; TAKITINI_ENV=development allows a key generated per process.",
    );
  }
  return { privateKey: generateKeyPairSync("ed25519").privateKey, source: "generated" };
}

/** Refuse a key file that its group or others may read, write or run (`mode`: st_mode). Pure. */
export function checkKeyFileMode(file: string, mode: number): void {
  const loose = mode & 0o077;
  if (loose !== 0) {
    throw new SigningKeyError(
      "SIGNING_KEY_FILE_MODE",
      `LEDGER_SIGNING_KEY_FILE: ${file} has mode ${(mode & 0o777).toString(8).padStart(4, "0")}: the signing key must be readable by its owner only (chmod 600)`,
    );
  }
}
