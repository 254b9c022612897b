import { tokenHash } from "@takitini/runtime";
import { z } from "zod";

/**
 * Community leaders' credentials: a bearer token looked up by its SHA-256 in a
 * map from configuration; a browser signs in with the token once and then holds
 * only a session id (runtime's Sessions). The token itself is never stored,
 * logged or put in a cookie. Pure.
 */

export const COOKIE_NAME = "takitini_briefing";

const tokenMap = z.record(z.string().regex(/^[0-9a-f]{64}$/, "keys are sha256(token), lowercase hex"), z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "values are subscriber ids"));

/** Parse the tokens file's JSON (sha256 hex → subscriber id). */
export function parseTokens(json: string): Map<string, string> {
  const parsed = tokenMap.safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error(`leader tokens: ${z.prettifyError(parsed.error)}`);
  return new Map(Object.entries(parsed.data));
}

export { tokenHash };

/** The subscriber a token belongs to, or undefined. */
export function subscriberFor(tokens: ReadonlyMap<string, string>, token: string | undefined): string | undefined {
  if (!token || token.length < 16 || token.length > 512) return undefined;
  return tokens.get(tokenHash(token));
}
