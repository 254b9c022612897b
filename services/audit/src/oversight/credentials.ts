import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * Oversight credentials. The tokens file maps the SHA-256 (hex) of each token
 * to the name of the officer it was issued to; the service never holds a token
 * itself. A console login exchanges a token for a session cookie.
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

export const tokenHash = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

/** The officer a presented token belongs to, compared in constant time. */
export function officerFor(registry: TokenRegistry, token: string): string | undefined {
  if (token.length === 0 || token.length > 512) return undefined;
  const presented = Buffer.from(tokenHash(token), "hex");
  for (const [hash, officer] of registry) {
    if (timingSafeEqual(presented, Buffer.from(hash, "hex"))) return officer;
  }
  return undefined;
}

/** `Authorization: Bearer <token>` → the token. */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/.exec(header ?? "");
  return m?.[1];
}

export const SESSION_COOKIE = "takitini_oversight";

/** Console sessions: random ids held in memory, expiring; a restart logs everyone out. */
export class Sessions {
  private readonly sessions = new Map<string, { officer: string; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  open(officer: string): string {
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(id, { officer, expires: this.now() + this.ttlMs });
    return id;
  }

  officer(id: string | undefined): string | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expires <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s.officer;
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }
}

/** The value of one cookie from a Cookie header. */
export function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}
