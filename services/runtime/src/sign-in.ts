import { z } from "zod";
import { accountStatus, type AccountBase, type Accounts } from "./accounts.js";
import { Sessions } from "./credentials.js";
import { defineErrors, ServiceError } from "./errors.js";
import type { Logger } from "./logger.js";
import { addressKey, SignInThrottle, type ThrottleOptions } from "./throttle.js";

/**
 * The door a service's people come through, shared by every service with
 * accounts: a bearer credential per request (verified once, then remembered
 * for a short while), a browser sign-in that exchanges the token for a session
 * id, throttled failures, and sessions that end when their account does.
 *
 * Refusals carry stable codes: CREDENTIAL_INVALID (the service answers with its
 * own "credential required" code), CREDENTIAL_EXPIRED, CREDENTIAL_DISABLED —
 * told only to a holder of the right token — and SIGN_IN_THROTTLED (429 with
 * Retry-After) while a client address or an account is backing off.
 */

/** What a session holds: the account's name and the credential it signed in with (a rotated credential ends it). */
export interface SessionHolder {
  name: string;
  credential: string;
}

export type Refusal = "CREDENTIAL_INVALID" | "CREDENTIAL_EXPIRED" | "CREDENTIAL_DISABLED" | "SIGN_IN_THROTTLED";

export type GateOutcome<A> = { ok: true; account: A } | { ok: false; code: Refusal; retryAfterSeconds?: number };

/** Refusals every service with accounts can answer with. */
export const credentialErrors = defineErrors({
  CREDENTIAL_EXPIRED: { status: 401, message: "this account's credential has expired; ask for a new one" },
  CREDENTIAL_DISABLED: { status: 401, message: "this account is disabled" },
  SIGN_IN_THROTTLED: { status: 429, message: "too many failed attempts; try again after the Retry-After delay" },
});

/** 429 SIGN_IN_THROTTLED with the delay (seconds) to send as Retry-After. */
export class SignInThrottledError extends ServiceError {
  constructor(readonly retryAfterSeconds: number) {
    super("SIGN_IN_THROTTLED", 429, `too many failed attempts; try again in ${retryAfterSeconds} s`);
  }

  override toBody() {
    return { error: { ...super.toBody().error, retry_after_seconds: this.retryAfterSeconds } };
  }
}

/** The error for a refusal; `invalid` is the service's own "credential required" error. */
export function refusalError(outcome: { code: Refusal; retryAfterSeconds?: number }, invalid: () => ServiceError): ServiceError {
  switch (outcome.code) {
    case "SIGN_IN_THROTTLED":
      return new SignInThrottledError(outcome.retryAfterSeconds ?? 1);
    case "CREDENTIAL_EXPIRED":
      return credentialErrors.CREDENTIAL_EXPIRED();
    case "CREDENTIAL_DISABLED":
      return credentialErrors.CREDENTIAL_DISABLED();
    case "CREDENTIAL_INVALID":
      return invalid();
  }
}

export interface AccountGateOptions<A extends AccountBase> {
  accounts: Accounts<A>;
  sessions: Sessions<SessionHolder>;
  throttle?: SignInThrottle;
  logger: Logger;
}

export class AccountGate<A extends AccountBase> {
  readonly accounts: Accounts<A>;
  readonly sessions: Sessions<SessionHolder>;
  readonly throttle: SignInThrottle;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;

  constructor(o: AccountGateOptions<A>) {
    this.accounts = o.accounts;
    this.sessions = o.sessions;
    this.throttle = o.throttle ?? new SignInThrottle({ now: o.accounts.now });
    this.logger = o.logger;
    // A file that removes, rotates, disables or changes an account ends its sessions at once.
    o.accounts.onChange(({ ended }) => {
      if (ended.length === 0) return;
      const credentials = new Set(ended.map((a) => a.credential));
      const closed = this.sessions.closeWhere((w) => credentials.has(w.credential));
      this.logger.info({ code: "SESSIONS_ENDED", accounts: ended.map((a) => a.name), sessions: closed }, "sessions of changed accounts ended");
    });
  }

  /**
   * A presented token (a bearer, or the sign-in form's): the account, or why
   * not. A token verified within the cache's lifetime passes at once; any other
   * waits out a backoff first (the account the token names, and the client's
   * address), and a failure counts against both.
   */
  async authenticate(token: string | undefined, address: string): Promise<GateOutcome<A>> {
    if (!token) return { ok: false, code: "CREDENTIAL_INVALID" };
    let account = this.accounts.fromCache(token);
    if (!account) {
      const named = this.accounts.named(token)?.name;
      const attempt = { account: named, address };
      const wait = this.throttle.blockedFor(attempt);
      if (wait > 0) {
        const retryAfterSeconds = Math.max(1, Math.ceil(wait / 1000));
        // Not checked, not counted; logged at debug so a flood of attempts cannot flood the log.
        this.logger.debug({ code: "SIGN_IN_THROTTLED", account: named, address: addressKey(address), retryAfterSeconds }, "credential attempt throttled");
        return { ok: false, code: "SIGN_IN_THROTTLED", retryAfterSeconds };
      }
      account = await this.accounts.verify(token);
      if (!account) {
        const backoffMs = this.throttle.failure(attempt);
        // At most one line per backoff window per key once failures are no longer free.
        if (backoffMs > 0) this.logger.warn({ code: "SIGN_IN_BACKOFF", account: named, address: addressKey(address), backoffMs }, "failed credentials: backing off");
        else this.logger.info({ code: "CREDENTIAL_INVALID", account: named, address: addressKey(address) }, "credential refused");
        return { ok: false, code: "CREDENTIAL_INVALID" };
      }
      this.throttle.success({ account: account.name, address });
    }
    const status = accountStatus(account, this.accounts.now());
    if (status !== "ok") {
      this.logger.info({ code: status, account: account.name }, "credential refused");
      return { ok: false, code: status };
    }
    return { ok: true, account };
  }

  /** A browser's sign-in: the token for a session id (the cookie never holds the token). */
  async signIn(token: string | undefined, address: string): Promise<GateOutcome<A> & { session?: string }> {
    const outcome = await this.authenticate(token, address);
    if (!outcome.ok) return outcome;
    const session = this.sessions.open({ name: outcome.account.name, credential: outcome.account.credential });
    this.logger.info({ code: "SIGNED_IN", account: outcome.account.name, role: outcome.account.role }, "signed in");
    return { ...outcome, session };
  }

  /** The account of a live session, as the file now has it; a session whose account has ended is closed. */
  session(id: string | undefined): A | undefined {
    const holder = this.sessions.get(id);
    if (!holder) return undefined;
    const account = this.accounts.current(holder.credential);
    if (!account || account.name !== holder.name || accountStatus(account, this.accounts.now()) !== "ok") {
      this.sessions.close(id);
      return undefined;
    }
    return account;
  }

  signOut(id: string | undefined): void {
    this.sessions.close(id);
  }

  /** Drop ended sessions (and those of expired or disabled accounts), forgotten failures and stale verifications. */
  sweep(): { sessions: number; throttle: number; cache: number } {
    const now = this.accounts.now();
    const sessions =
      this.sessions.sweep() +
      this.sessions.closeWhere((w) => {
        const a = this.accounts.current(w.credential);
        return !a || accountStatus(a, now) !== "ok";
      });
    return { sessions, throttle: this.throttle.sweep(), cache: this.accounts.sweep() };
  }

  /** Sweep every `intervalMs` (a timer that does not keep the process alive). */
  start(intervalMs: number): this {
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), intervalMs);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Settings of a gate, as a service's configuration gives them. */
export interface SignInSettings {
  sessionTtlMs: number;
  sessionIdleMs: number;
  freeFailures: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  cacheTtlMs: number;
}

/** A gate over `accounts` with sessions and throttling as configured. */
export function createAccountGate<A extends AccountBase>(accounts: Accounts<A>, s: SignInSettings, logger: Logger): AccountGate<A> {
  const throttle: ThrottleOptions = { freeFailures: s.freeFailures, baseDelayMs: s.backoffBaseMs, maxDelayMs: s.backoffMaxMs, now: accounts.now };
  return new AccountGate({
    accounts,
    sessions: new Sessions<SessionHolder>({ ttlMs: s.sessionTtlMs, idleMs: Math.min(s.sessionIdleMs, s.sessionTtlMs), now: accounts.now }),
    throttle: new SignInThrottle(throttle),
    logger,
  });
}

const ms = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * The zod fields a service's configuration declares for its door (each service
 * names its own variables): session lifetime and idle timeout, the sweep, the
 * throttle, the file poll and the verification cache.
 */
export const signInFields = {
  /** Absolute session lifetime. */
  sessionTtlMs: (fallback: number) => ms(60_000, 7 * 86_400_000).default(fallback),
  /** Idle timeout (capped at the lifetime). */
  sessionIdleMs: (fallback: number) => ms(60_000, 7 * 86_400_000).default(fallback),
  /** How often ended sessions, forgotten failures and stale verifications are swept. */
  sweepMs: ms(1000, 3_600_000).default(60_000),
  /** Failed attempts (per account, per client address) before any backoff. */
  freeFailures: z.coerce.number().int().min(1).max(100).default(5),
  /** First backoff; each further failure doubles it. */
  backoffBaseMs: ms(100, 60_000).default(1000),
  /** Longest backoff. */
  backoffMaxMs: ms(1000, 86_400_000).default(900_000),
  /** How often the accounts file is looked at for a change. */
  pollMs: ms(250, 60_000).default(2000),
  /** How long a verified credential is remembered (0: never; every request pays scrypt). */
  cacheTtlMs: ms(0, 300_000).default(60_000),
};
