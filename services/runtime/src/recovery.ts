/**
 * The pure pieces of a service's recovery from a broker or database that went
 * away: the delay before the next restart of a consumer (or retry of a
 * statement), whether a consumer counts as consuming, and when a service that
 * has not been ready for too long should exit non-zero for its supervisor to
 * restart it rather than stay alive and idle — plus the thin timer that applies
 * the last (watchUnready). The audit, the exchange and the briefing share them.
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

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface UnreadyWatch {
  /** Not ready for this long gives up (0: never; then nothing is scheduled). */
  maxMs: number;
  /** The readiness sample, taken every `intervalMs` (default 1000). */
  ready: () => boolean | Promise<boolean>;
  /** Called once, with how long it has been not ready: log and exit non-zero. */
  giveUp: (unreadyMs: number) => void | Promise<void>;
  intervalMs?: number;
}

/**
 * Sample readiness every second and call `giveUp` once it has been not ready
 * for `maxMs` (unreadyStep). The timer does not hold the process open; the
 * returned function stops it.
 */
export function watchUnready(w: UnreadyWatch): () => void {
  if (w.maxMs <= 0) return () => undefined;
  let clock: UnreadyClock = { since: undefined };
  let sampling = false;
  let done = false;
  const timer = setInterval(() => {
    if (sampling || done) return;
    sampling = true;
    void (async () => {
      try {
        const ready = await w.ready();
        const step = unreadyStep(clock, ready, Date.now(), w.maxMs);
        clock = step.clock;
        if (step.giveUp) {
          done = true;
          clearInterval(timer);
          await w.giveUp(step.unreadyMs);
        }
      } finally {
        sampling = false;
      }
    })();
  }, w.intervalMs ?? 1000);
  timer.unref();
  return () => {
    done = true;
    clearInterval(timer);
  };
}
