import { describe, expect, it } from "vitest";
import { chartModel, niceTicks } from "../../console/js/chart.js";

const day = (d: number) => new Date(Date.UTC(2026, 10, d)).toISOString();

describe("axis ticks", () => {
  it("are round integer steps from 0 covering the maximum", () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(100)).toEqual([0, 50, 100]);
    expect(niceTicks(1234)).toEqual([0, 500, 1000, 1500]);
    for (const max of [1, 9, 17, 45, 999, 12345]) {
      const t = niceTicks(max);
      expect(t[0]).toBe(0);
      expect(t.at(-1)!).toBeGreaterThanOrEqual(max);
      expect(t.length).toBeLessThanOrEqual(6);
      expect(t.every((v) => Number.isInteger(v))).toBe(true);
    }
  });
});

describe("disclosure chart geometry", () => {
  const buckets = [
    { start: day(3), subscriber_id: "customs", allow: 6, deny: 2 },
    { start: day(1), subscriber_id: "customs", allow: 2, deny: 0 },
    { start: day(1), subscriber_id: "mbie", allow: 0, deny: 4 },
    // a gap on day 2
    { start: day(4), subscriber_id: "mbie", allow: 1, deny: 1 },
  ];
  const m = chartModel(buckets, { bucket: "day", width: 448, height: 132 });

  it("has one panel per partner, busiest first, with totals", () => {
    expect(m.panels.map((p) => [p.subscriberId, p.allow, p.deny])).toEqual([
      ["customs", 8, 2],
      ["mbie", 1, 5],
    ]);
  });

  it("places bars linearly in time, in order, with gaps left visible", () => {
    // plot 48..440 over 4 days: 98 px a day
    expect(m.plot).toEqual({ left: 48, top: 8, right: 440, bottom: 108 });
    const customs = m.panels[0]!.bars;
    expect(customs.map((b) => b.start)).toEqual([day(1), day(3)]);
    expect(customs[0]!.x).toBeCloseTo(48);
    expect(customs[1]!.x).toBeCloseTo(48 + 2 * 98);
    expect(customs[0]!.width).toBeCloseTo(97);
    expect(m.xTicks[0]!.x).toBeCloseTo(48);
    expect(m.xTicks.at(-1)!.x).toBeCloseTo(440);
  });

  it("stacks deny on allow on one y scale shared by every panel", () => {
    expect(m.yMax).toBe(8);
    const bar = m.panels[0]!.bars[1]!; // 6 allow + 2 deny = the maximum
    expect(bar.allowHeight).toBeCloseTo(75);
    expect(bar.allowY + bar.allowHeight).toBeCloseTo(108);
    expect(bar.denyY + bar.denyHeight).toBeCloseTo(bar.allowY);
    expect(bar.denyY).toBeCloseTo(8);
    const mbie = m.panels[1]!.bars[0]!; // 0 allow, 4 deny: half height
    expect(mbie.allowHeight).toBe(0);
    expect(mbie.denyHeight).toBeCloseTo(50);
    expect(m.yTicks.map((t) => [t.value, t.y])).toEqual([
      [0, 108],
      [2, 83],
      [4, 58],
      [6, 33],
      [8, 8],
    ]);
  });

  it("has no panels and no domain without data, and ignores malformed buckets", () => {
    const empty = chartModel([], { bucket: "hour" });
    expect(empty.panels).toEqual([]);
    expect(empty.domain).toBeNull();
    const bad = chartModel([{ start: "soon", subscriber_id: "x", allow: 1, deny: 0 }, { start: day(1), subscriber_id: "y", allow: -1, deny: 0 }], { bucket: "hour" });
    expect(bad.panels).toEqual([]);
  });
});
