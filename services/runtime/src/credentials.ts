import { createHash, randomBytes } from "node:crypto";

/**
 * What every service that lets people in shares: tokens are looked up by their
 * SHA-256 (a service never holds a token), bearer headers and cookies are read
 * strictly, and a browser sign-in exchanges a token for a random session id —
 * the cookie never carries the token itself.
 */

export const tokenHash = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/** `Authorization: Bearer <token>` → the token (RFC 6750 token68 characters only). */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/.exec((header ?? "").trim());
  return m?.[1];
}

/** The value of one cookie from a Cookie header. */
export function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    if (part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Browser sessions: random ids held in memory, expiring; a restart signs everyone out. */
export class Sessions<T = string> {
  private readonly sessions = new Map<string, { who: T; expires: number }>();

  constructor(
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  open(who: T): string {
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(id, { who, expires: this.now() + this.ttlMs });
    return id;
  }

  get(id: string | undefined): T | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expires <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s.who;
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }
}

/** A session cookie: HttpOnly, SameSite=Strict, for the whole site; Max-Age 0 clears it. */
export function sessionCookie(name: string, value: string, maxAgeSeconds: number, secure = false): string {
  return `${name}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}
