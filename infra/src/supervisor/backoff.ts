/**
 * When to restart a service that exited: the supervisor's one decision, kept
 * pure so every case is a unit test.
 *
 * Exponential backoff: the first restart after `initialMs`, each further
 * consecutive one `factor` times longer, capped at `maxMs`. A process that had
 * stayed up for `stableMs` or more before it exited starts the count again, so a
 * service that crashes once a day is restarted at once, and one crashing in a
 * loop is restarted at most every `maxMs`.
 */

export type RestartWhen = "on-failure" | "always";

export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** Up at least this long before exiting: the failure streak is forgotten. */
  stableMs: number;
  /** `on-failure`: only a non-zero exit or a signal restarts; `always`: a clean exit too. */
  restart: RestartWhen;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  initialMs: 500,
  factor: 2,
  maxMs: 30_000,
  stableMs: 60_000,
  restart: "on-failure",
});

/** How a process ended, as Node's `exit` event reports it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ExitFacts extends ExitStatus {
  /** How long the process had been up. */
  upMs: number;
  /** The supervisor asked it to stop (shutdown): never restarted. */
  stopping: boolean;
  /** Restarts in a row before this exit (0 for the first failure of a streak). */
  streak: number;
}

export type RestartDecision =
  | { restart: false; reason: "stopping" | "clean-exit" }
  | {
      restart: true;
      /** Wait this long before starting it again. */
      delayMs: number;
      /** The streak after this restart (1 for the first restart of a streak). */
      streak: number;
    };

/** A failure: a non-zero exit code, or killed by a signal. */
export function isFailure(exit: ExitStatus): boolean {
  return exit.signal !== null || (exit.code !== null && exit.code !== 0);
}

/** The delay before the `attempt`-th consecutive restart (1-based). */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const n = Math.max(1, Math.floor(attempt));
  // factor ** (n - 1) overflows to Infinity long before n is large; min() caps it.
  return Math.min(policy.maxMs, Math.round(policy.initialMs * policy.factor ** (n - 1)));
}

export function decideRestart(policy: BackoffPolicy, facts: ExitFacts): RestartDecision {
  if (facts.stopping) return { restart: false, reason: "stopping" };
  if (!isFailure(facts) && policy.restart === "on-failure") return { restart: false, reason: "clean-exit" };
  const streak = facts.upMs >= policy.stableMs ? 1 : facts.streak + 1;
  return { restart: true, delayMs: backoffDelay(policy, streak), streak };
}

/** "exit code 3", "signal SIGKILL" — for logs. */
export function describeExit(exit: ExitStatus): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? "?"}`;
}
