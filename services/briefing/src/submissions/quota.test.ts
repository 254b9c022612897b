import { describe, expect, it } from "vitest";
import { SubmissionQuota } from "./quota.js";

describe("a leader's submission quota", () => {
  it("allows max in any window, says when the next may come, and is per account", () => {
    const q = new SubmissionQuota({ max: 3, windowMs: 60_000 });
    expect([0, 10_000, 20_000].map((t) => q.take("a", t).ok)).toEqual([true, true, true]);
    expect(q.take("a", 30_000)).toEqual({ ok: false, retryAfterSeconds: 30 });
    expect(q.take("b", 30_000).ok).toBe(true);
    // A burst cannot straddle a window boundary: the oldest leaves at 60 s.
    expect(q.take("a", 59_999).ok).toBe(false);
    expect(q.take("a", 60_001).ok).toBe(true);
  });

  it("gives back one that was not stored", () => {
    const q = new SubmissionQuota({ max: 1, windowMs: 60_000 });
    expect(q.take("a", 5).ok).toBe(true);
    q.release("a", 5);
    expect(q.take("a", 6).ok).toBe(true);
    expect(q.take("a", 7).ok).toBe(false);
  });

  it("keeps at most maxAccounts accounts in memory", () => {
    const q = new SubmissionQuota({ max: 1, windowMs: 60_000, maxAccounts: 2 });
    for (const k of ["a", "b", "c"]) q.take(k, 0);
    // "a" was forgotten (the least recently active), so it may submit again; "c" may not.
    expect(q.take("a", 1).ok).toBe(true);
    expect(q.take("c", 1).ok).toBe(false);
  });
});
