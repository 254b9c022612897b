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

export interface SessionOptions {
  /** Absolute lifetime: a session ends this long after sign-in, however busy (the cookie's Max-Age). */
  ttlMs: number;
  /** Idle timeout: a session unused this long ends. Default: none. */
  idleMs?: number;
  /** Most sessions held; opening one more ends the oldest. Default 10 000. */
  max?: number;
  now?: () => number;
}

interface Session<T> {
  who: T;
  /** End of the absolute lifetime. */
  expires: number;
  /** End of the idle allowance, pushed on by each use (never past `expires`). */
  idleUntil: number;
}

/**
 * Browser sessions: random ids held in memory; a restart signs everyone out.
 * Each ends at its absolute lifetime or after `idleMs` unused, whichever is
 * first; `sweep` (or `sweepEvery`) drops ended ones so memory follows the
 * sessions in use, and `closeWhere` ends every session of someone at once (an
 * account removed, disabled or rotated).
 */
export class Sessions<T = string> {
  private readonly sessions = new Map<string, Session<T>>();
  /** Absolute lifetime. */
  readonly ttlMs: number;
  readonly idleMs: number | undefined;
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: SessionOptions);
  /** Absolute lifetime only (the first form, kept for its callers). */
  constructor(ttlMs: number, now?: () => number);
  constructor(options: number | SessionOptions, now: () => number = Date.now) {
    const o: SessionOptions = typeof options === "number" ? { ttlMs: options, now } : options;
    if (!(o.ttlMs > 0)) throw new RangeError("a session lifetime must be positive");
    if (o.idleMs !== undefined && !(o.idleMs > 0)) throw new RangeError("an idle timeout must be positive");
    this.ttlMs = o.ttlMs;
    this.idleMs = o.idleMs;
    this.max = o.max ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  open(who: T): string {
    const id = randomBytes(32).toString("base64url");
    const now = this.now();
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next();
      if (oldest.done) break;
      this.sessions.delete(oldest.value);
    }
    const expires = now + this.ttlMs;
    this.sessions.set(id, { who, expires, idleUntil: this.idleMs === undefined ? expires : Math.min(expires, now + this.idleMs) });
    return id;
  }

  /** Who a live session belongs to; a use pushes its idle timeout on. */
  get(id: string | undefined): T | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const now = this.now();
    if (this.ended(s, now)) {
      this.sessions.delete(id);
      return undefined;
    }
    if (this.idleMs !== undefined) s.idleUntil = Math.min(s.expires, now + this.idleMs);
    return s.who;
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** End every session whose holder matches; returns how many ended. */
  closeWhere(match: (who: T) => boolean): number {
    let n = 0;
    for (const [id, s] of this.sessions) {
      if (match(s.who)) {
        this.sessions.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Drop every session past its lifetime or idle timeout; returns how many. */
  sweep(): number {
    const now = this.now();
    let n = 0;
    for (const [id, s] of this.sessions) {
      if (this.ended(s, now)) {
        this.sessions.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Sweep every `intervalMs` (a timer that does not keep the process alive); returns the function that stops it. */
  sweepEvery(intervalMs: number): () => void {
    const timer = setInterval(() => this.sweep(), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Sessions held, ended ones not yet swept included. */
  get size(): number {
    return this.sessions.size;
  }

  private ended(s: Session<T>, now: number): boolean {
    return s.expires <= now || s.idleUntil <= now;
  }
}

/** A session cookie: HttpOnly, SameSite=Strict, for the whole site; Max-Age 0 clears it. */
export function sessionCookie(name: string, value: string, maxAgeSeconds: number, secure = false): string {
  return `${name}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}
