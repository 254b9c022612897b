import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Account credentials: a token made of a public id and a secret, and the
 * account file's `credential`, a slow hash of the secret (scrypt, Node's
 * built-in), encoded `scrypt$N$r$p$salt_b64$hash_b64`.
 *
 *   token       tkt.<id>.<secret>      id: 16 base64url characters, secret: 43 (32 random bytes)
 *   credential  scrypt$32768$8$1$<16-byte salt, base64>$<32-byte hash, base64>
 *
 * The id is derived from the credential (`credentialId`), so a token names the
 * one account entry to verify against — one scrypt per attempt, never one per
 * account — and a rotated credential (new salt, new hash) has a new id: the old
 * token no longer names anything. The id is not secret; the secret is never
 * stored, only its hash.
 */

export interface ScryptParams {
  /** CPU/memory cost, a power of two: at least 2^15. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

/** What a new credential is hashed with: 2^15, 8, 1 (32 MiB, tens of milliseconds). */
export const SCRYPT_DEFAULTS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });
const MIN_N = 2 ** 15;
const MAX_N = 2 ** 17;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Most memory one verification may take (128·N·r bytes): bounds what a file can make the service spend. */
const MAX_MEMORY = 256 * 1024 * 1024;

export const TOKEN_PREFIX = "tkt";
const ID_LENGTH = 16;
const SECRET_BYTES = 32;
const TOKEN_PATTERN = /^tkt\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface ParsedCredential extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

/** Why an encoded credential is not one this service accepts, or undefined when it is. */
export function credentialProblem(encoded: string): string | undefined {
  const parts = encoded.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return "expected scrypt$N$r$p$salt_b64$hash_b64";
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  if (![n, r, p].every((x) => /^[1-9][0-9]{0,9}$/.test(x))) return "N, r and p must be positive integers";
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  if (N < MIN_N || N > MAX_N || (N & (N - 1)) !== 0) return `N must be a power of two from 2^15 to 2^17 (got ${N})`;
  if (R < 8 || R > 32) return `r must be from 8 to 32 (got ${R})`;
  if (P < 1 || P > 4) return `p must be from 1 to 4 (got ${P})`;
  if (128 * N * R > MAX_MEMORY) return "N·r asks for more than 256 MiB";
  if (!B64.test(salt) || Buffer.from(salt, "base64").length !== SALT_BYTES) return "the salt must be 16 bytes in base64";
  if (!B64.test(hash) || Buffer.from(hash, "base64").length !== HASH_BYTES) return "the hash must be 32 bytes in base64";
  return undefined;
}

export function parseCredential(encoded: string): ParsedCredential {
  const problem = credentialProblem(encoded);
  if (problem) throw new Error(`not a credential: ${problem}`);
  const [, n, r, p, salt, hash] = encoded.split("$") as [string, string, string, string, string, string];
  return { N: Number(n), r: Number(r), p: Number(p), salt: Buffer.from(salt, "base64"), hash: Buffer.from(hash, "base64") };
}

function derive(secret: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(secret.normalize("NFC"), salt, length, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Hash a token's secret for an accounts file (`scrypt$N$r$p$salt$hash`). Runs on libuv's thread pool. */
export async function hashSecret(secret: string, params: ScryptParams = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, params, HASH_BYTES);
  const encoded = `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString("base64")}$${hash.toString("base64")}`;
  const problem = credentialProblem(encoded);
  if (problem) throw new Error(`refusing to hash with these parameters: ${problem}`);
  return encoded;
}

/** Whether `secret` is the one `encoded` was made from; the comparison takes the same time wherever they differ. */
export async function verifySecret(secret: string, encoded: string): Promise<boolean> {
  let parsed: ParsedCredential;
  try {
    parsed = parseCredential(encoded);
  } catch {
    return false;
  }
  const derived = await derive(secret, parsed.salt, parsed, parsed.hash.length);
  return timingSafeEqual(derived, parsed.hash);
}

/** The public id of a credential: the first half of every token made for it. */
export function credentialId(encoded: string): string {
  return createHash("sha256").update("takitini-account-id\0").update(encoded).digest("base64url").slice(0, ID_LENGTH);
}

/** A token's id and secret, or undefined when it is not in the account token form. */
export function splitToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN_PATTERN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** A new token and the credential that verifies it: the token is shown once, the credential goes in the file. */
export async function newCredential(params: ScryptParams = SCRYPT_DEFAULTS): Promise<{ token: string; credential: string }> {
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  const credential = await hashSecret(secret, params);
  return { token: `${TOKEN_PREFIX}.${credentialId(credential)}.${secret}`, credential };
}
