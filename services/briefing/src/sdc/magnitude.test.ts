import { describe, expect, it } from "vitest";
import { protectAmount, protectChange, roundToBase } from "./magnitude.js";
import { protectTable } from "./table.js";

const SECRET = Buffer.from("0123456789abcdef0123456789abcdef");
const RULES = { threshold: 6, secret: SECRET };

describe("amounts", () => {
  it("rounds to a multiple of the base, never to 0 when there was something, never more than a base away", () => {
    expect(roundToBase(0, 100, 0.5)).toBe(0);
    expect(roundToBase(1, 100, 0.99)).toBe(100);
    expect(roundToBase(300, 100, 0.99)).toBe(300);
    expect(roundToBase(4870.5, 100, 0)).toBe(4900);
    expect(roundToBase(4870.5, 100, 0.99)).toBe(4800);
    expect(() => roundToBase(-1, 100, 0)).toThrow(RangeError);
  });

  it("publishes an amount only when the count of its records is published, the same way every time", () => {
    const hidden = protectAmount("k", 4870.5, { value: null, suppressed: true, reason: "primary" }, 100, RULES);
    expect(hidden.suppressed).toBe(true);
    const a = protectAmount("k", 4870.5, { value: 9, suppressed: false }, 100, RULES);
    expect(a).toEqual(protectAmount("k", 4870.5, { value: 9, suppressed: false }, 100, RULES));
    expect([4800, 4900]).toContain(a.value);
  });
});

describe("changes between periods", () => {
  const opts = { minSamples: 4, base: 5, steadyWithin: 10 };
  it("needs enough samples on both sides and a baseline", () => {
    expect(protectChange("k", { mean: 10, samples: 3 }, { mean: 10, samples: 10 }, opts, RULES)).toEqual({ suppressed: true, reason: "too_few_samples" });
    expect(protectChange("k", { mean: 10, samples: 5 }, { mean: 0, samples: 5 }, opts, RULES)).toEqual({ suppressed: true, reason: "no_baseline" });
  });
  it("reports a halving as down about 50%, and a small wobble as steady", () => {
    expect(protectChange("k", { mean: 50, samples: 13 }, { mean: 100, samples: 13 }, opts, RULES)).toEqual({ suppressed: false, percent: -50, direction: "down" });
    const wobble = protectChange("k2", { mean: 103, samples: 13 }, { mean: 100, samples: 13 }, opts, RULES);
    expect(wobble).toMatchObject({ suppressed: false, direction: "steady" });
  });
});

describe("sums resting on too few records", () => {
  it("hides a sum of people behind fewer records than the threshold, and protects it against the total", () => {
    // One complaint about 14 workers in horticulture, ten complaints about 30 in construction.
    const t = protectTable({ key: "w", rows: ["n"], cols: ["horticulture", "construction", "hospitality"], counts: [[14, 30, 12]] }, RULES, { contributors: [[1, 10, 8]] });
    expect(t.cells[0]![0]).toMatchObject({ suppressed: true, reason: "primary" });
    expect(t.cells[0]!.filter((c) => c.suppressed).length).toBeGreaterThanOrEqual(2);
    expect(t.total.suppressed).toBe(false);
  });
  it("refuses contributors of the wrong shape", () => {
    expect(() => protectTable({ key: "w", rows: ["n"], cols: ["a"], counts: [[1]] }, RULES, { contributors: [[1, 2]] })).toThrow(/contributors/);
  });
});
