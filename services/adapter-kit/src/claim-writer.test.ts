import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contentionPause } from "./claim-writer.js";

describe("contentionPause: how long a writer that lost its claims partition stands back", () => {
  it("is up to twice the recent takeover time at the first loss, doubling per loss up to eight times", () => {
    expect(contentionPause(0, 400, 0.999_999)).toBe(799);
    expect(contentionPause(1, 400, 0.999_999)).toBe(1599);
    expect(contentionPause(3, 400, 0.999_999)).toBe(5_000 - 1);
    expect(contentionPause(3, 200, 0.999_999)).toBe(3199);
    expect(contentionPause(9, 200, 0.999_999)).toBe(3199);
  });

  it("for any loss count, takeover time and draw: within [0, 5 s], never shorter a window than 50 ms, and longer than the takeover on a high draw", () => {
    fc.assert(
      fc.property(fc.nat(100), fc.nat(60_000), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, takeoverMs, r) => {
        const pause = contentionPause(attempt, takeoverMs, r);
        expect(pause).toBeGreaterThanOrEqual(0);
        expect(pause).toBeLessThanOrEqual(5_000);
        expect(Number.isInteger(pause)).toBe(true);
        // The window (what a draw near 1 gives) covers a whole takeover, up to the 5 s cap.
        expect(contentionPause(attempt, takeoverMs, 0.999_999) + 1).toBeGreaterThanOrEqual(Math.min(5_000, Math.max(50, takeoverMs)));
        // Monotonic in the draw and in the loss count.
        expect(contentionPause(attempt + 1, takeoverMs, r)).toBeGreaterThanOrEqual(pause);
      }),
    );
  });
});
