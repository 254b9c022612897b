/**
 * The pure pieces of the briefing's recovery (the audit's recovery.ts is the
 * model): the delay before the next consumer restart, whether a consumer counts
 * as consuming, and when a service not ready for too long should exit non-zero
 * for its supervisor to restart it rather than stay alive and idle.
 */

export interface Backoff {
  /** The first delay. */
  baseMs: number;
  /** The longest delay. */
  maxMs: number;
}

/**
 * The delay before restart number `attempt` (0 for the first): the base doubled
 * per attempt, capped at the maximum, then jittered down by up to a half so that
 * instances that crashed together do not come back in step. Pure.
 */
export function backoffDelay(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const exp = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.max(1, Math.round(exp * (0.5 + 0.5 * random())));
}

/** What a consumer has shown of itself lately. */
export interface ConsumerFacts {
  /** Started and not stopped. */
  running: boolean;
  /** In its group (joined since its last crash or stop). */
  joined: boolean;
  /** When a fetch last completed or a chunk was last committed (epoch ms; 0: never). */
  lastProgressAt: number;
}

/**
 * Consuming: started, in the group, and a fetch completed (or a chunk committed)
 * within `stallMs`. A consumer whose broker went away stops fetching, so it stops
 * counting as consuming within `stallMs` even before kafkajs gives up on it. Pure.
 */
export function isConsuming(f: ConsumerFacts, now: number, stallMs: number): boolean {
  return f.running && f.joined && now - f.lastProgressAt <= stallMs;
}

/** When the service was first seen not ready in the current run of not-ready samples. */
export interface UnreadyClock {
  since: number | undefined;
}

/**
 * One sample of readiness: the first not-ready sample starts the clock, a ready
 * one stops it; give up once not ready for `maxMs` (0: never). Pure.
 */
export function unreadyStep(clock: UnreadyClock, ready: boolean, now: number, maxMs: number): { clock: UnreadyClock; giveUp: boolean; unreadyMs: number } {
  if (ready) return { clock: { since: undefined }, giveUp: false, unreadyMs: 0 };
  const since = clock.since ?? now;
  const unreadyMs = now - since;
  return { clock: { since }, giveUp: maxMs > 0 && unreadyMs >= maxMs, unreadyMs };
}

/** `p` settled (its error swallowed), or given up on after `ms`: for a disconnect from a broker that is away. */
export function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  return Promise.race([p.then(() => undefined, () => undefined), new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}
