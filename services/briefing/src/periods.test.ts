import { describe, expect, it } from "vitest";
import { addQuarters, addWeeks, isCompleted, isWeek, lastCompleted, quarterOfWeek, quarterPeriod, weekPeriod, weeksOfQuarter } from "./periods.js";

describe("periods", () => {
  it("steps weeks across years, including 53-week years", () => {
    expect(addWeeks("2026-W47", 1)).toBe("2026-W48");
    expect(addWeeks("2026-W01", -1)).toBe("2025-W52");
    expect(addWeeks("2026-W53", 1)).toBe("2027-W01");
    expect(addWeeks("2027-W01", -1)).toBe("2026-W53");
    expect(addWeeks("2026-W10", -13)).toBe("2025-W49");
  });
  it("knows which weeks exist", () => {
    expect(isWeek("2026-W53")).toBe(true);
    expect(isWeek("2025-W53")).toBe(false);
    expect(isWeek("2026-W5")).toBe(false);
  });
  it("puts a week in the quarter of its Thursday and lists a quarter's weeks", () => {
    expect(quarterOfWeek("2026-W01")).toBe("2026-Q1");
    expect(quarterOfWeek("2025-W01")).toBe("2025-Q1"); // Monday 30 Dec 2024, but Thursday 2 Jan 2025
    expect(quarterOfWeek("2026-W40")).toBe("2026-Q4"); // Monday 28 Sep, Thursday 1 Oct
    const weeks = weeksOfQuarter("2026-Q4");
    expect(weeks[0]).toBe("2026-W40");
    expect(weeks.at(-1)).toBe("2026-W53");
    expect(weeks.every((w) => quarterOfWeek(w) === "2026-Q4")).toBe(true);
    // Every week of a year is in exactly one quarter.
    const all = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"].flatMap(weeksOfQuarter);
    expect(all).toHaveLength(53);
    expect(new Set(all).size).toBe(53);
    expect(addQuarters("2026-Q1", -1)).toBe("2025-Q4");
  });
  it("dates a period and says which have ended, on New Zealand's calendar", () => {
    expect(weekPeriod("2026-W47")).toMatchObject({ from: "2026-11-16", to: "2026-11-22" });
    expect(quarterPeriod("2026-Q4").from).toBe("2026-09-28");
    // Monday 23 Nov 2026, 08:00 in Auckland is still Sunday in UTC.
    const monday = new Date("2026-11-22T19:00:00Z");
    expect(lastCompleted("week", monday)).toBe("2026-W47");
    expect(isCompleted("week", "2026-W48", monday)).toBe(false);
    expect(lastCompleted("quarter", monday)).toBe("2026-Q3");
  });
});
