import { isoWeek } from "@takitini/adapter-kit";

/**
 * ISO 8601 weeks ("2026-W46"): which exist, and when each starts. Pure.
 * (Police's wastewater kind carries the same three; both belong in the adapter kit.)
 */

const DAY_MS = 86_400_000;

/** How many ISO weeks a year has: 53 when 1 January is a Thursday, or a Wednesday in a leap year. */
export function isoWeeksInYear(year: number): 52 | 53 {
  const jan1 = new Date(0);
  jan1.setUTCFullYear(year, 0, 1);
  const weekday = jan1.getUTCDay();
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return weekday === 4 || (leap && weekday === 3) ? 53 : 52;
}

/** Monday 00:00 UTC of an ISO week (week 1 holds 4 January). */
export function isoWeekStart(week: string): Date {
  const year = Number(week.slice(0, 4));
  const n = Number(week.slice(6));
  const jan4 = new Date(0);
  jan4.setUTCFullYear(year, 0, 4);
  const sinceMonday = (jan4.getUTCDay() + 6) % 7;
  return new Date(jan4.getTime() - sinceMonday * DAY_MS + (n - 1) * 7 * DAY_MS);
}

/** An ISO week that exists: the kit's pattern, and week 53 only in years that have one. */
export const existingIsoWeek = isoWeek.refine((w) => Number(w.slice(6)) <= isoWeeksInYear(Number(w.slice(0, 4))), {
  message: "that year has no ISO week 53",
});
