/**
 * The pure pieces of the audit's recovery: how long to wait before the next
 * attempt, which database failures are worth retrying, and when a service
 * that has not been ready for too long should give up (exit non-zero, so its
 * supervisor restarts it) rather than stay alive and idle.
 */

export interface Backoff {
  /** The first delay. */
  baseMs: number;
  /** The longest delay. */
  maxMs: number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): the base
 * doubled per attempt, capped at the maximum, then jittered down by up to a
 * half so that instances restarted together do not retry in step.
 */
export function backoffDelay(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const exp = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.max(1, Math.round(exp * (0.5 + 0.5 * random())));
}

/** Node's socket error codes of a connection that failed or was cut. */
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED"]);

/**
 * SQLSTATEs of a failure the same statement may survive on another try:
 * connection exceptions (class 08), the server shutting down or restarting
 * (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now), too
 * many connections (53300), and a transaction chosen as a serialization or
 * deadlock victim (40001, 40P01).
 */
function transientSqlState(code: string): boolean {
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || code === "53300" || code === "40001" || code === "40P01";
}

/** node-postgres's messages for a connection lost or never made (they carry no code). */
const LOST_CONNECTION = /Connection terminated|connection timeout|Client has encountered a connection error|Client was closed|terminating connection|the database system is (starting up|shutting down)|timeout exceeded when trying to connect|Query read timeout/i;

/**
 * Whether `err` (or what it wraps) is a database failure that retrying the same
 * work may get past: the server restarting, a broken or refused connection, a
 * pool that could not connect in time, a serialization victim. Anything else —
 * a constraint violation, a corrupt ledger state, a fenced writer — is not,
 * and is raised to the caller. Pure.
 */
export function isTransientDatabaseError(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e !== null && typeof e === "object" && !seen.has(e)) {
    seen.add(e);
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && (CONNECTION_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && transientSqlState(code)))) return true;
    if (typeof message === "string" && LOST_CONNECTION.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * How long a service has been not ready, and whether that is longer than it
 * may be: the first not-ready sample starts the clock, a ready one stops it.
 * `maxMs` 0 never gives up. Pure.
 */
export interface UnreadyClock {
  since: number | undefined;
}

export function unreadyStep(clock: UnreadyClock, ready: boolean, now: number, maxMs: number): { clock: UnreadyClock; giveUp: boolean; unreadyMs: number } {
  if (ready) return { clock: { since: undefined }, giveUp: false, unreadyMs: 0 };
  const since = clock.since ?? now;
  const unreadyMs = now - since;
  return { clock: { since }, giveUp: maxMs > 0 && unreadyMs >= maxMs, unreadyMs };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
