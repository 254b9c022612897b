/**
 * How many submissions a leader may make in a window: a sliding log per
 * account, so a burst cannot be spread over a window boundary. Over it, the
 * request is refused with when the oldest counted one leaves the window.
 * Per instance (the door's general per-leader limit still applies in front).
 * Pure apart from the clock it is given.
 */
export class SubmissionQuota {
  private readonly log = new Map<string, number[]>();

  constructor(private readonly opts: { max: number; windowMs: number; maxAccounts?: number }) {}

  /** Count one for `key` at `nowMs`, or refuse: seconds until one may be made. */
  take(key: string, nowMs: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const since = nowMs - this.opts.windowMs;
    const times = (this.log.get(key) ?? []).filter((t) => t > since);
    if (times.length >= this.opts.max) {
      this.log.set(key, times);
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((times[0]! + this.opts.windowMs - nowMs) / 1000)) };
    }
    times.push(nowMs);
    this.log.delete(key);
    this.log.set(key, times);
    // Bounded memory: the least recently active accounts go first (their windows have usually passed).
    const cap = this.opts.maxAccounts ?? 10_000;
    while (this.log.size > cap) this.log.delete(this.log.keys().next().value!);
    return { ok: true };
  }

  /** Give back the one taken at `nowMs` (the submission was not stored, so it does not count). */
  release(key: string, nowMs: number): void {
    const times = this.log.get(key);
    const i = times?.lastIndexOf(nowMs) ?? -1;
    if (times && i >= 0) times.splice(i, 1);
  }
}
