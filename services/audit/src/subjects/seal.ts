/**
 * Sealing a subject id under its subject's own key (pure). The ledger keeps a
 * subject as { ref, ciphertext }: `ref` is random and names the key row in
 * subject_keys; the ciphertext is AES-256-GCM of the subject id, additional data
 * the ref (so a ciphertext does not open under another ref's key). Once the key
 * is destroyed the ciphertext cannot be opened, and the ref links to nobody.
 *
 * Deterministic: the nonce is the first 12 bytes of HMAC-SHA256(key, record id ‖
 * position), so the same record sealed again with the same key is the same bytes
 * — the ledger's idempotency compares bytes, and a redelivered record must be a
 * redelivery, not a conflict.
 *
 * Nonce reuse: two records with the same id and position under the same key get
 * the same nonce. In GCM a repeated nonce leaks the XOR of the two plaintexts and
 * lets the authentication key be recovered — but a subject's key only ever
 * encrypts that subject's own id, so the plaintexts under one key are always
 * equal: a repeated nonce repeats the same ciphertext and leaks nothing more.
 * Never use a subject key to seal anything else.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import type { SealedSubject } from "@takitini/proto";

export type { SealedSubject };

export interface SubjectKey {
  ref: string;
  key: Buffer;
}

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const NONCE_LABEL = "takitini.audit.subject-seal.v1";

/** "s_" and 26 characters of RFC 4648 base32 (lowercase, unpadded): 128 random bits. */
export const REF_PATTERN = /^s_[a-z2-7]{26}$/;

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** A fresh random ref, unlinkable to the subject once its key row is gone. */
export function newRef(random: (n: number) => Buffer = randomBytes): string {
  return `s_${base32(random(16))}`;
}

/** A fresh random AES-256 key. */
export function newKey(random: (n: number) => Buffer = randomBytes): Buffer {
  return random(KEY_BYTES);
}

export class SealError extends Error {
  readonly code = "SUBJECT_SEAL_INVALID";
}

function nonceOf(key: Buffer, recordId: string, position: number): Buffer {
  return createHmac("sha256", key).update(`${NONCE_LABEL}\0${recordId}\0${position}`).digest().subarray(0, NONCE_BYTES);
}

/** Seal `subjectId` (the `position`th subject of record `recordId`) under its subject's key: nonce ‖ ciphertext ‖ tag. */
export function sealSubject(subjectId: string, k: SubjectKey, recordId: string, position: number): SealedSubject {
  if (k.key.length !== KEY_BYTES) throw new SealError(`a subject key is ${KEY_BYTES} bytes, not ${k.key.length}`);
  const nonce = nonceOf(k.key, recordId, position);
  const cipher = createCipheriv("aes-256-gcm", k.key, nonce);
  cipher.setAAD(Buffer.from(k.ref, "utf8"));
  const body = Buffer.concat([cipher.update(subjectId, "utf8"), cipher.final()]);
  return { ref: k.ref, ciphertext: Buffer.concat([nonce, body, cipher.getAuthTag()]) };
}

/** The subject id a sealed subject holds; throws SealError for a wrong key, another ref's key or altered bytes. */
export function openSubject(sealed: SealedSubject, key: Buffer): string {
  const c = Buffer.from(sealed.ciphertext);
  if (key.length !== KEY_BYTES || c.length < NONCE_BYTES + TAG_BYTES) throw new SealError("the sealed subject is malformed");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, c.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(sealed.ref, "utf8"));
    decipher.setAuthTag(c.subarray(c.length - TAG_BYTES));
    return Buffer.concat([decipher.update(c.subarray(NONCE_BYTES, c.length - TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    throw new SealError("the sealed subject does not open with this key");
  }
}
