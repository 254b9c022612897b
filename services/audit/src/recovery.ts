/**
 * Which database failures are worth retrying: the audit's own piece of its
 * recovery (the backoff, the consuming check and the unready bound are
 * @takitini/runtime's recovery.ts, shared with the exchange and the briefing).
 */

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
