import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { localitiesShown, protectLocalities, type LocalityCount } from "./localities.js";
import type { PublishedCount } from "./table.js";

const SECRET = Buffer.from("test secret for the locality rounding draws");
const LEADERS = { threshold: 6, secret: SECRET };
const PUBLIC = { threshold: 10, secret: SECRET };

/** A district's records: so many in each locality, and so many naming no registered one. */
const district = (counts: Record<string, number>, unlocated = 0) => {
  const localities: LocalityCount[] = Object.entries(counts).map(([locality, count]) => ({ locality, count }));
  return { key: "community_leader/EASTERN/t-localities/2026-W47", total: localities.reduce((s, l) => s + l.count, unlocated), localities };
};
const value = (p: PublishedCount) => (p.suppressed ? null : p.value);
const shownOf = (counts: Record<string, number>, unlocated = 0, threshold = 6) => localitiesShown(district(counts, unlocated), threshold).shown;

describe("a locality is named only with enough records", () => {
  it("shows a locality at the threshold, and none under it", () => {
    expect(shownOf({ Gisborne: 6, Napier: 5, Wairoa: 4 })).toEqual(["Gisborne"]);
    expect(shownOf({ Gisborne: 5, Napier: 5 })).toEqual([]);
    expect(shownOf({ Gisborne: 9, Napier: 9 }, 0, 10)).toEqual([]);
  });

  it("counts everything else as elsewhere, records with no registered locality included, suppressed under the threshold", () => {
    const small = protectLocalities(district({ Gisborne: 12, Napier: 2, Wairoa: 1 }), LEADERS);
    expect(small.shown.map((r) => r.locality)).toEqual(["Gisborne"]);
    expect(small.elsewhere).toEqual({ value: null, suppressed: true, reason: "primary" });
    const big = protectLocalities(district({ Gisborne: 12, Napier: 2 }, 5), LEADERS);
    expect(big.shown.map((r) => r.locality)).toEqual(["Gisborne"]);
    expect(Math.abs(value(big.elsewhere)! - 7)).toBeLessThanOrEqual(2);
  });

  it("rounds shown rows to base 3 with keyed draws, the same in every request", () => {
    const a = protectLocalities(district({ Gisborne: 7, Napier: 8, Wairoa: 1, Hastings: 2 }), LEADERS);
    for (const r of a.shown) {
      expect(value(r.value)! % 3).toBe(0);
      expect(Math.abs(value(r.value)! - (r.locality === "Gisborne" ? 7 : 8))).toBeLessThanOrEqual(2);
    }
    expect(protectLocalities(district({ Gisborne: 7, Napier: 8, Wairoa: 1, Hastings: 2 }), LEADERS)).toEqual(a);
    // Different districts and periods get their own draws.
    const draws = new Set<number | null>();
    for (let i = 0; i < 40; i++) draws.add(value(protectLocalities({ ...district({ Gisborne: 7, Napier: 1, Wairoa: 1 }), key: `k${i}` }, LEADERS).shown[0]!.value));
    expect(draws).toEqual(new Set([6, 9]));
  });

  it("publishes a row holding the whole district as the table's own total, never rounded a second way", () => {
    const total = { value: 6, suppressed: false } as const;
    // Nothing shown: elsewhere is the total (7, rounded to 6 by the table), whatever its own draw would be.
    for (let i = 0; i < 20; i++) expect(protectLocalities({ ...district({ Hastings: 6, Wairoa: 1 }), key: `k${i}`, publishedTotal: total }, LEADERS).elsewhere).toBe(total);
    // A locality holding every record is the total too.
    for (let i = 0; i < 20; i++) expect(protectLocalities({ ...district({ Hastings: 7 }), key: `k${i}`, publishedTotal: total }, LEADERS).shown[0]!.value).toBe(total);
  });

  it("lists shown localities by name, never by size", () => {
    expect(shownOf({ Wairoa: 30, Gisborne: 7, Napier: 12, Hastings: 1, Flaxmere: 2 })).toEqual(["Gisborne", "Napier", "Wairoa"]);
  });

  it("refuses counts that do not add up", () => {
    expect(() => localitiesShown({ total: 3, localities: [{ locality: "Gisborne", count: 4 }] }, 6)).toThrow(/less than/);
    expect(() => localitiesShown({ total: 3, localities: [{ locality: "Gisborne", count: -1 }] }, 6)).toThrow(/non-negative/);
    expect(() => localitiesShown({ total: 3, localities: [{ locality: "Gisborne", count: 1 }, { locality: "Gisborne", count: 1 }] }, 6)).toThrow(/twice/);
  });
});

describe("complementary suppression: elsewhere never holds one locality alone", () => {
  it("folds the smallest shown locality into elsewhere when one small locality would be left there", () => {
    // Shown Gisborne 12 and Napier 7 with the total 22 would give Wairoa's 3.
    const r = localitiesShown(district({ Gisborne: 12, Napier: 7, Wairoa: 3 }), 6);
    expect(r).toEqual({ shown: ["Gisborne"], folded: 1 });
  });

  it("folds the only shown locality, leaving nothing shown", () => {
    expect(localitiesShown(district({ Gisborne: 8, Wairoa: 2 }), 6)).toEqual({ shown: [], folded: 1 });
    const p = protectLocalities(district({ Gisborne: 8, Wairoa: 2 }), LEADERS);
    expect(p.shown).toEqual([]);
    expect(Math.abs(value(p.elsewhere)! - 10)).toBeLessThanOrEqual(2);
  });

  it("does not fold when elsewhere holds two localities, or unlocated records, or nothing", () => {
    expect(localitiesShown(district({ Gisborne: 8, Wairoa: 2, Napier: 1 }), 6)).toEqual({ shown: ["Gisborne"], folded: 0 });
    expect(localitiesShown(district({ Gisborne: 8, Wairoa: 2 }, 1), 6)).toEqual({ shown: ["Gisborne"], folded: 0 });
    expect(localitiesShown(district({ Gisborne: 8, Napier: 6, Wairoa: 0 }), 6)).toEqual({ shown: ["Gisborne", "Napier"], folded: 0 });
  });

  it("folds the smallest by count, ties by name", () => {
    expect(localitiesShown(district({ Napier: 7, Gisborne: 7, Wairoa: 2, Hastings: 20 }), 6)).toEqual({ shown: ["Hastings", "Napier"], folded: 1 });
  });
});

describe("for any district's counts (property)", () => {
  const NAMES = ["Flaxmere", "Gisborne", "Hastings", "Havelock North", "Napier", "Ruatōria", "Wairoa", "Ōpōtiki"];
  const arb = fc.record({
    counts: fc.subarray(NAMES).chain((names) => fc.tuple(...names.map((n) => fc.tuple(fc.constant(n), fc.oneof(fc.nat({ max: 5 }), fc.nat({ max: 30 })))))),
    unlocated: fc.oneof(fc.constant(0), fc.nat({ max: 12 })),
    rules: fc.constantFrom(LEADERS, PUBLIC),
    key: fc.string({ maxLength: 8 }),
  });

  it("publishes no locality under the threshold, and lets no small locality be worked out as the total less the shown rows", () => {
    let folds = 0;
    let shownAny = 0;
    fc.assert(
      fc.property(arb, ({ counts, unlocated, rules, key }) => {
        const localities = counts.map(([locality, count]) => ({ locality, count }));
        const total = localities.reduce((s, l) => s + l.count, unlocated);
        const p = protectLocalities({ key, total, localities }, rules);
        const count = new Map(localities.map((l) => [l.locality, l.count]));
        folds += p.folded;
        if (p.shown.length > 0) shownAny++;
        // No published locality row has a true count under the threshold; every one is within 2 of the truth, a multiple of 3.
        for (const r of p.shown) {
          const truth = count.get(r.locality)!;
          expect(truth).toBeGreaterThanOrEqual(rules.threshold);
          expect(r.value.suppressed).toBe(false);
          expect(Math.abs(value(r.value)! - truth)).toBeLessThanOrEqual(2);
          expect(value(r.value)! % 3).toBe(0);
        }
        // What a reader can work out: the district total less the shown rows (true values, the worst case) — when the
        // total is published at all: the district's table suppresses it under the threshold.
        const totalPublished = total >= rules.threshold;
        const derived = total - p.shown.reduce((s, r) => s + count.get(r.locality)!, 0);
        const shown = new Set(p.shown.map((r) => r.locality));
        for (const l of localities) {
          if (shown.has(l.locality) || l.count === 0) continue;
          if (totalPublished && derived === l.count) expect(l.count, `${l.locality} is the whole of elsewhere`).toBeGreaterThanOrEqual(rules.threshold);
        }
        // Elsewhere: suppressed under the threshold, else rounded.
        if (derived < rules.threshold) expect(p.elsewhere.suppressed).toBe(true);
        else expect(Math.abs(value(p.elsewhere)! - derived)).toBeLessThanOrEqual(2);
        // Complementary suppression takes no more than it must: a fold only where elsewhere held one locality alone.
        if (p.folded > 0) expect(unlocated).toBe(0);
      }),
      { numRuns: 2000 },
    );
    // Not vacuous: localities were shown, and folded.
    expect(shownAny).toBeGreaterThan(100);
    expect(folds).toBeGreaterThan(10);
  });
});
