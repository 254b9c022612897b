import { describe, expect, it } from "vitest";
import { nzMidnight, parseQuarter, previousQuarter, quarterLabel, quarterOf } from "./quarter.js";

describe("quarters on New Zealand's clock", () => {
  it("Q3 starts at midnight NZST (+12) and ends at midnight NZDT (+13)", () => {
    const q = parseQuarter("2026-Q3")!;
    expect(q.from.toISOString()).toBe("2026-06-30T12:00:00.000Z");
    expect(q.to.toISOString()).toBe("2026-09-30T11:00:00.000Z");
  });

  it("Q1 starts in daylight time (+13); Q2 starts before daylight time ends (first Sunday of April)", () => {
    expect(parseQuarter("2027-Q1")!.from.toISOString()).toBe("2026-12-31T11:00:00.000Z");
    expect(parseQuarter("2026-Q2")!.from.toISOString()).toBe("2026-03-31T11:00:00.000Z");
    expect(parseQuarter("2026-Q4")!.to.toISOString()).toBe("2026-12-31T11:00:00.000Z");
  });

  it("an instant belongs to the quarter of its New Zealand date, not its UTC date", () => {
    // 30 June 2026 13:00 UTC is 1 July 01:00 in New Zealand.
    expect(quarterOf(new Date("2026-06-30T13:00:00Z")).id).toBe("2026-Q3");
    expect(quarterOf(new Date("2026-06-30T11:59:59Z")).id).toBe("2026-Q2");
    expect(quarterOf(new Date("2026-12-31T11:00:00Z")).id).toBe("2027-Q1");
    const q = parseQuarter("2026-Q3")!;
    expect(quarterOf(q.from).id).toBe("2026-Q3");
    expect(quarterOf(new Date(q.to.getTime() - 1)).id).toBe("2026-Q3");
    expect(quarterOf(q.to).id).toBe("2026-Q4");
  });

  it("the previous quarter, across a year", () => {
    expect(previousQuarter(parseQuarter("2026-Q3")!).id).toBe("2026-Q2");
    expect(previousQuarter(parseQuarter("2026-Q1")!).id).toBe("2025-Q4");
    expect(previousQuarter(parseQuarter("2026-Q1")!).to).toEqual(parseQuarter("2026-Q1")!.from);
  });

  it("refuses anything but YYYY-Qn with n in 1..4", () => {
    for (const bad of ["2026-Q5", "2026-Q0", "2026Q3", "2026-q3", "26-Q3", "2026-Q3 ", ""]) expect(parseQuarter(bad)).toBeNull();
  });

  it("midnight on the days daylight time starts and ends", () => {
    // DST starts last Sunday of September (27 Sep 2026, 02:00 → 03:00); ends first Sunday of April (5 Apr 2026, 03:00 → 02:00).
    expect(nzMidnight(2026, 8, 27).toISOString()).toBe("2026-09-26T12:00:00.000Z");
    expect(nzMidnight(2026, 8, 28).toISOString()).toBe("2026-09-27T11:00:00.000Z");
    expect(nzMidnight(2026, 3, 5).toISOString()).toBe("2026-04-04T11:00:00.000Z");
    expect(nzMidnight(2026, 3, 6).toISOString()).toBe("2026-04-05T12:00:00.000Z");
  });

  it("labels its months", () => expect(quarterLabel(parseQuarter("2026-Q3")!)).toBe("July–September 2026"));
});
