import { describe, expect, it } from "vitest";
import { existingIsoWeek, isoWeeksInYear, isoWeekStart } from "./iso-week.js";

describe("ISO weeks", () => {
  it.each([
    ["2026-W01", "2025-12-29"],
    ["2026-W46", "2026-11-09"],
    ["2026-W53", "2026-12-28"],
    ["2023-W26", "2023-06-26"],
    ["2021-W01", "2021-01-04"],
    ["2020-W53", "2020-12-28"],
  ])("%s starts on Monday %s", (week, monday) => {
    const start = isoWeekStart(week);
    expect(start.toISOString()).toBe(`${monday}T00:00:00.000Z`);
    expect(start.getUTCDay()).toBe(1);
  });

  it.each([
    [2015, 53],
    [2020, 53],
    [2026, 53],
    [2032, 53],
    [2023, 52],
    [2024, 52],
    [2025, 52],
  ])("%i has %i weeks", (year, weeks) => {
    expect(isoWeeksInYear(year)).toBe(weeks);
  });

  it.each(["2026-W53", "2020-W53", "2025-W01", "2025-W52"])("accepts %s", (week) => {
    expect(existingIsoWeek.safeParse(week).success).toBe(true);
  });

  it.each(["2025-W53", "2026-W54", "2026-W00", "2026-W1", "2026W46", "2026-46", "2026-11-09", ""])("rejects %j", (week) => {
    expect(existingIsoWeek.safeParse(week).success).toBe(false);
  });
});
