import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * Community leaders' credentials: a bearer token (or the sign-in cookie holding
 * it), looked up by its SHA-256 in a map from configuration. The token itself
 * is never stored or logged; only its hash is compared. Pure.
 */

export const COOKIE_NAME = "takitini_briefing";

const tokenMap = z.record(z.string().regex(/^[0-9a-f]{64}$/, "keys are sha256(token), lowercase hex"), z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "values are subscriber ids"));

/** Parse the tokens file's JSON (sha256 hex → subscriber id). */
export function parseTokens(json: string): Map<string, string> {
  const parsed = tokenMap.safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error(`leader tokens: ${z.prettifyError(parsed.error)}`);
  return new Map(Object.entries(parsed.data));
}

export const tokenHash = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

/** The token a request carries: `Authorization: Bearer …`, else the sign-in cookie. */
export function presentedToken(headers: { authorization?: string | undefined; cookie?: string | undefined }): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+([A-Za-z0-9._~+/=-]{16,512})$/.exec(auth.trim());
    return m?.[1];
  }
  return cookieValue(headers.cookie, COOKIE_NAME);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    if (part.slice(0, at).trim() === name) {
      const v = part.slice(at + 1).trim();
      try {
        return decodeURIComponent(v);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The subscriber a token belongs to, or undefined. */
export function subscriberFor(tokens: ReadonlyMap<string, string>, token: string | undefined): string | undefined {
  if (!token || token.length < 16 || token.length > 512) return undefined;
  return tokens.get(tokenHash(token));
}

export function signInCookie(token: string, secure: boolean): string {
  return `${COOKIE_NAME}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200${secure ? "; Secure" : ""}`;
}

export function signOutCookie(secure: boolean): string {
  return `${COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}
