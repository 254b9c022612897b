/**
 * ISO 8601 weeks ("2026-W46"): which exist, when each starts, and which one a
 * moment falls in, in New Zealand time. Pure.
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

/** Monday 00:00 UTC of an ISO week such as "2026-W46" (week 1 holds 4 January). */
export function isoWeekStart(week: string): Date {
  const year = Number(week.slice(0, 4));
  const n = Number(week.slice(6));
  const jan4 = new Date(0);
  jan4.setUTCFullYear(year, 0, 4);
  const sinceMonday = (jan4.getUTCDay() + 6) % 7;
  return new Date(jan4.getTime() - sinceMonday * DAY_MS + (n - 1) * 7 * DAY_MS);
}

const NZ_DATE = new Intl.DateTimeFormat("en-CA", { timeZone: "Pacific/Auckland", year: "numeric", month: "2-digit", day: "2-digit" });

/** The ISO week of a calendar date (y, m 1-12, d). */
function isoWeekOfDate(y: number, m: number, d: number): string {
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  // The Thursday of this date's week decides the ISO year.
  const thursday = new Date(date.getTime() + (3 - ((date.getUTCDay() + 6) % 7)) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.round((thursday.getTime() - isoWeekStart(`${year}-W01`).getTime()) / (7 * DAY_MS)) + 1;
  return `${String(year).padStart(4, "0")}-W${String(week).padStart(2, "0")}`;
}

/** The ISO week a moment falls in, on New Zealand's calendar (Pacific/Auckland). */
export function isoWeekOf(moment: Date): string {
  const [y, m, d] = NZ_DATE.format(moment).split("-").map(Number) as [number, number, number];
  return isoWeekOfDate(y, m, d);
}
