import { isoWeekOf, isoWeekStart } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { historyVolume, historyWeeks } from "./history.js";

describe("historyWeeks", () => {
  it("gives the completed weeks before now's, oldest first, consecutive", () => {
    const now = new Date("2026-12-06T01:00:00Z"); // Sunday afternoon in New Zealand: 2026-W49
    expect(isoWeekOf(now)).toBe("2026-W49");
    const weeks = historyWeeks(now, 52);
    expect([weeks.length, weeks.at(-1), weeks[0]]).toEqual([52, "2026-W48", "2025-W49"]);
    for (let i = 1; i < weeks.length; i++) expect(isoWeekStart(weeks[i]!).getTime() - isoWeekStart(weeks[i - 1]!).getTime()).toBe(7 * 86_400_000);
  });

  it("crosses a 53-week year, and takes now's week on New Zealand's calendar", () => {
    // Monday 4 January 2021 00:30 in New Zealand is still Sunday 3 January in UTC: 2021-W01 has begun.
    expect(historyWeeks(new Date("2021-01-03T11:30:00Z"), 3)).toEqual(["2020-W51", "2020-W52", "2020-W53"]);
  });
});

describe("historyVolume", () => {
  it("is full for the recent weeks, half for as many again, a quarter before (at least one every fourth week)", () => {
    expect([1, 13, 14, 26, 27, 52].map((age) => historyVolume(6, age, 13))).toEqual([6, 6, 3, 3, 1, 1]);
    expect([27, 28, 29, 32].map((age) => historyVolume(2, age, 13))).toEqual([0, 1, 0, 1]);
    expect(historyVolume(1, 20, 13)).toBe(1);
  });
});
