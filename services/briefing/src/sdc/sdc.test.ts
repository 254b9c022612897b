import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cellDraw, roundBase3 } from "./rounding.js";
import { suppress } from "./suppression.js";
import { protectCount, protectTable, type PublishedCount } from "./table.js";

const SECRET = Buffer.from("0123456789abcdef0123456789abcdef");
const RULES = { threshold: 6, secret: SECRET };
const value = (p: PublishedCount) => (p.suppressed ? null : p.value);

describe("random rounding to base 3", () => {
  it.each([
    [0, 0],
    [3, 3],
    [6, 6],
    [99, 99],
  ])("publishes a multiple of 3 (%i) as it is", (n, out) => {
    for (const u of [0, 0.5, 0.999]) expect(roundBase3(n, u)).toBe(out);
  });

  it.each([1, 2])("rounds %i up to 3, never to 0, whatever the draw", (n) => {
    for (const u of [0, 0.2, 0.5, 0.7, 0.999999]) expect(roundBase3(n, u)).toBe(3);
  });

  it("moves 5 and 7 to a neighbouring multiple, up with probability remainder/3", () => {
    expect(roundBase3(5, 0)).toBe(6); // remainder 2: up below 2/3
    expect(roundBase3(5, 0.66)).toBe(6);
    expect(roundBase3(5, 0.67)).toBe(3);
    expect(roundBase3(7, 0)).toBe(9); // remainder 1: up below 1/3
    expect(roundBase3(7, 0.34)).toBe(6);
  });

  it("is never more than 2 from the truth, always a multiple of 3, and unbiased above 2", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, u) => {
        const r = roundBase3(n, u);
        expect(r % 3).toBe(0);
        expect(Math.abs(r - n)).toBeLessThanOrEqual(2);
        if (n > 0) expect(r).toBeGreaterThan(0);
      }),
    );
    // Over many cells, 7 averages to 7.
    let sum = 0;
    for (let i = 0; i < 30_000; i++) sum += roundBase3(7, cellDraw(SECRET, `cell-${i}|7`));
    expect(sum / 30_000).toBeCloseTo(7, 1);
  });

  it("refuses what is not a count or not a draw", () => {
    expect(() => roundBase3(-1, 0)).toThrow(RangeError);
    expect(() => roundBase3(2.5, 0)).toThrow(RangeError);
    expect(() => roundBase3(4, 1)).toThrow(RangeError);
    expect(() => roundBase3(4, Number.NaN)).toThrow(RangeError);
  });

  it("draws the same for the same cell, differently for others, and needs a real secret", () => {
    expect(cellDraw(SECRET, "eastern|meth|2026-W47|7")).toBe(cellDraw(SECRET, "eastern|meth|2026-W47|7"));
    expect(cellDraw(SECRET, "eastern|meth|2026-W47|7")).not.toBe(cellDraw(SECRET, "eastern|meth|2026-W48|7"));
    expect(cellDraw(Buffer.from("another secret, also 32 bytes.."), "x")).not.toBe(cellDraw(SECRET, "x"));
    expect(() => cellDraw(Buffer.from("short"), "x")).toThrow(/16 bytes/);
  });
});

describe("a single count", () => {
  it.each([
    [0, null],
    [1, null],
    [2, null],
    [5, null],
  ])("suppresses %i (under 6)", (n, out) => {
    const p = protectCount("k", n, RULES);
    expect(value(p)).toBe(out);
    expect(p).toMatchObject({ suppressed: true, reason: "primary" });
  });

  it.each([6, 7, 8, 100])("publishes %i rounded to base 3", (n) => {
    const p = protectCount("k", n, RULES);
    expect(p.suppressed).toBe(false);
    expect(Math.abs(value(p)! - n)).toBeLessThanOrEqual(2);
    expect(value(p)! % 3).toBe(0);
  });

  it("is rounded the same way in every request, so it cannot be averaged away", () => {
    const seen = new Set<number | null>();
    for (let i = 0; i < 50; i++) seen.add(value(protectCount("eastern/complaints/2026-W47", 7, RULES)));
    expect(seen.size).toBe(1);
    // …while different cells with the same count do not all round alike.
    const many = new Set<number | null>();
    for (let i = 0; i < 50; i++) many.add(value(protectCount(`cell-${i}`, 7, RULES)));
    expect(many).toEqual(new Set([6, 9]));
  });
});

describe("a table with totals", () => {
  const industries = ["horticulture", "construction", "hospitality", "beauty"];

  it("rounds totals separately from their true values, not as sums of rounded cells", () => {
    const t = protectTable({ key: "t1", rows: ["eastern"], cols: industries, counts: [[7, 8, 10, 13]] }, RULES);
    expect(t.cells[0]!.every((c) => !c.suppressed)).toBe(true);
    const total = value(t.rowTotals[0]!)!;
    expect(Math.abs(total - 38)).toBeLessThanOrEqual(2);
    expect(total % 3).toBe(0);
  });

  it("adds a secondary suppression when one hidden cell could be recovered from the total", () => {
    // 3 is hidden; with the total published it would be 33 - (7 + 10 + 13).
    const t = protectTable({ key: "t2", rows: ["eastern"], cols: industries, counts: [[7, 3, 10, 13]] }, RULES);
    expect(t.cells[0]![1]).toMatchObject({ suppressed: true, reason: "primary" });
    expect(t.cells[0]![0]).toMatchObject({ suppressed: true, reason: "secondary" }); // the smallest other
    expect(t.cells[0]![2]!.suppressed).toBe(false);
    expect(t.cells[0]![3]!.suppressed).toBe(false);
    expect(t.rowTotals[0]!.suppressed).toBe(false);
  });

  it("keeps suppressing until the hidden cells together are not a small count", () => {
    // 1 and 2 hidden together would still reveal "3 between them": add more.
    const t = protectTable({ key: "t3", rows: ["eastern"], cols: industries, counts: [[1, 2, 20, 30]] }, RULES);
    expect(t.cells[0]!.map((c) => c.suppressed)).toEqual([true, true, true, false]);
    expect(t.cells[0]![2]).toMatchObject({ reason: "secondary" });
  });

  it("protects a hidden cell against its row and its column at once", () => {
    const t = protectTable(
      { key: "t4", rows: ["eastern", "northland", "southland"], cols: ["meth", "cocaine", "mdma"], counts: [[4, 12, 15], [20, 25, 30], [18, 40, 22]] },
      RULES,
    );
    const hidden = t.cells.map((row) => row.map((c) => c.suppressed));
    expect(hidden[0]![0]).toBe(true);
    expect(hidden[0]!.filter(Boolean).length).toBeGreaterThanOrEqual(2); // its row
    expect(hidden.map((row) => row[0]).filter(Boolean).length).toBeGreaterThanOrEqual(2); // its column
  });

  it("hides a total that is itself small", () => {
    const t = protectTable({ key: "t5", rows: ["eastern"], cols: industries, counts: [[1, 0, 2, 1]] }, RULES);
    expect(t.rowTotals[0]).toMatchObject({ suppressed: true, reason: "primary" });
    expect(t.total.suppressed).toBe(true);
  });

  it("refuses totals that do not add up and tables of the wrong shape", () => {
    expect(() => suppress([1, 2, 4], [{ total: 2, members: [0, 1] }], 6)).toThrow(/not 3/);
    expect(() => protectTable({ key: "x", rows: ["a"], cols: ["b", "c"], counts: [[1]] }, RULES)).toThrow(/1 rows of 2/);
  });

  it("never leaves a hidden cell recoverable, for any table", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((nr) =>
          fc.integer({ min: 1, max: 5 }).chain((nc) => fc.array(fc.array(fc.nat({ max: 30 }), { minLength: nc, maxLength: nc }), { minLength: nr, maxLength: nr })),
        ),
        (counts) => {
          const nr = counts.length;
          const nc = counts[0]!.length;
          const t = protectTable({ key: "p", rows: counts.map((_, i) => `r${i}`), cols: counts[0]!.map((_, i) => `c${i}`), counts }, RULES);
          const rowTotals = counts.map((row) => row.reduce((s, v) => s + v, 0));
          const colTotals = counts[0]!.map((_, c) => counts.reduce((s, row) => s + row[c]!, 0));
          const check = (members: { p: PublishedCount; v: number }[], total: { p: PublishedCount; v: number }) => {
            const unknown = [...members, total].filter((x) => x.p.suppressed);
            if (unknown.length === 0) return;
            expect(unknown.length).toBeGreaterThanOrEqual(2);
            if (!total.p.suppressed) {
              const hiddenSum = members.filter((x) => x.p.suppressed).reduce((s, x) => s + x.v, 0);
              expect(hiddenSum).toBeGreaterThanOrEqual(6);
            }
          };
          for (let r = 0; r < nr; r++) {
            for (let c = 0; c < nc; c++) {
              const v = counts[r]![c]!;
              const p = t.cells[r]![c]!;
              if (v < 6) expect(p.suppressed).toBe(true);
              if (!p.suppressed) expect(Math.abs(p.value - v)).toBeLessThanOrEqual(2);
            }
            check(counts[r]!.map((v, c) => ({ p: t.cells[r]![c]!, v })), { p: t.rowTotals[r]!, v: rowTotals[r]! });
          }
          for (let c = 0; c < nc; c++) check(counts.map((row, r) => ({ p: t.cells[r]![c]!, v: row[c]! })), { p: t.colTotals[c]!, v: colTotals[c]! });
          const grand = rowTotals.reduce((s, v) => s + v, 0);
          check(rowTotals.map((v, r) => ({ p: t.rowTotals[r]!, v })), { p: t.total, v: grand });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("one true number, one published number", () => {
  it("publishes a one-column table's cell and its totals as the same rounded figure, for any count", () => {
    for (let v = 6; v < 200; v++) {
      const t = protectTable({ key: `one-column/${v}`, rows: ["eastern"], cols: ["firearms"], counts: [[v]] }, RULES);
      const figures = new Set([t.cells[0]![0]!.value, t.rowTotals[0]!.value, t.colTotals[0]!.value, t.total.value]);
      expect(figures.size, `count ${v}`).toBe(1);
    }
  });

  it("groups positions only where the numbers are equal by construction: a total with one non-zero member", async () => {
    const { sameNumberGroups } = await import("./table.js");
    // cells 0, 1; row total 2 = 0 + 1.
    const one = sameNumberGroups(3, [{ total: 2, members: [0, 1] }], [0, 20, 20]);
    expect([one(0), one(1), one(2)]).toEqual([0, 1, 1]);
    const two = sameNumberGroups(3, [{ total: 2, members: [0, 1] }], [10, 11, 21]);
    expect([two(0), two(1), two(2)]).toEqual([0, 1, 2]);
    expect(sameNumberGroups(3, [{ total: 2, members: [0, 1] }], [0, 0, 0])(2)).toBe(2);
  });
});

