import { timingSafeEqual } from "node:crypto";
import { tokenHash } from "@takitini/runtime";
import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * Oversight credentials. The tokens file maps the SHA-256 (hex) of each token
 * to the name of the officer it was issued to; the service never holds a token
 * itself. A console login exchanges a token for a session (runtime's Sessions).
 */

const tokensFile = z.record(z.string().regex(/^[0-9a-f]{64}$/, "expected the SHA-256 hex of a token"), z.string().min(1).max(200));

export type TokenRegistry = ReadonlyMap<string, string>;

export function parseTokens(json: string, source: string): TokenRegistry {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`${source} is not JSON: ${(err as Error).message}`);
  }
  const parsed = tokensFile.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`${source}: ${issues} (each key must be the SHA-256 hex of a token, each value the officer's name)`);
  }
  return new Map(Object.entries(parsed.data));
}

export function loadTokens(path: string): TokenRegistry {
  return parseTokens(readFileSync(path, "utf8"), path);
}

/** The officer a presented token belongs to, compared in constant time. */
export function officerFor(registry: TokenRegistry, token: string): string | undefined {
  if (token.length === 0 || token.length > 512) return undefined;
  const presented = Buffer.from(tokenHash(token), "hex");
  for (const [hash, officer] of registry) {
    if (timingSafeEqual(presented, Buffer.from(hash, "hex"))) return officer;
  }
  return undefined;
}

export const SESSION_COOKIE = "takitini_oversight";
