import { describe, expect, it } from "vitest";
import { isoWeekOf, isoWeeksInYear, isoWeekStart } from "./week.js";

describe("ISO weeks", () => {
  it.each([
    ["2026-W01", "2025-12-29"],
    ["2026-W46", "2026-11-09"],
    ["2026-W53", "2026-12-28"],
    ["2023-W26", "2023-06-26"],
    ["2021-W01", "2021-01-04"],
    ["2020-W53", "2020-12-28"],
    ["2024-W09", "2024-02-26"],
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
    [2027, 52],
  ])("%i has %i weeks", (year, weeks) => {
    expect(isoWeeksInYear(year)).toBe(weeks);
  });

  it.each([
    // Sunday 22:00 UTC is already Monday in New Zealand (NZDT, +13).
    ["2026-11-22T22:00:00Z", "2026-W48"],
    ["2026-11-22T10:00:00Z", "2026-W47"],
    // New Year's Eve in UTC is 1 January 2027 in NZ, still ISO 2026-W53.
    ["2026-12-31T12:00:00Z", "2026-W53"],
    ["2027-01-03T12:00:00Z", "2027-W01"],
    ["2025-12-28T12:00:00Z", "2026-W01"],
    ["2021-01-03T00:00:00Z", "2020-W53"],
    // Winter: NZST, +12.
    ["2023-06-25T12:30:00Z", "2023-W26"],
  ])("%s falls in NZ week %s", (iso, week) => {
    expect(isoWeekOf(new Date(iso))).toBe(week);
  });

  it("agrees with isoWeekStart for every day of several years", () => {
    for (let t = Date.UTC(2019, 11, 20); t < Date.UTC(2028, 0, 10); t += 86_400_000) {
      // Noon NZ on that UTC date is the same calendar date.
      const week = isoWeekOf(new Date(t));
      const start = isoWeekStart(week).getTime();
      const nzDate = Date.parse(`${new Intl.DateTimeFormat("en-CA", { timeZone: "Pacific/Auckland" }).format(new Date(t))}T00:00:00Z`);
      expect(nzDate - start).toBeGreaterThanOrEqual(0);
      expect(nzDate - start).toBeLessThan(7 * 86_400_000);
    }
  });
});
