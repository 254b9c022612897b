import { isoWeekOf, isoWeeksInYear } from "@takitini/runtime";
import { between } from "./fields.js";

/*
 * Building blocks for seeded synthetic records shared by the agencies: New Zealand
 * local times with the right offset, and skewed quantities.
 */

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Day of the month (1-31) of the first or last given weekday in a month (UTC calendar). */
function nthSunday(year: number, month: number, which: "first" | "last"): number {
  if (which === "first") {
    const dow = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
    return 1 + ((7 - dow) % 7);
  }
  const last = new Date(Date.UTC(year, month, 0));
  return last.getUTCDate() - last.getUTCDay();
}

/**
 * ISO timestamp in New Zealand local time with the offset in force: NZDT (+13:00)
 * from 2 am on the last Sunday of September until 3 am on the first Sunday of
 * April, NZST (+12:00) otherwise. dayOfYear 0 is 1 January.
 */
export function nzDateTime(year: number, dayOfYear: number, hour: number, minute: number): string {
  const d = new Date(Date.UTC(year, 0, 1 + dayOfYear));
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
  const endDst = nthSunday(y, 4, "first");
  const startDst = nthSunday(y, 9, "last");
  let h = hour;
  let summer = m < 4 || m > 9 || (m === 4 && (day < endDst || (day === endDst && hour < 3))) || (m === 9 && (day > startDst || (day === startDst && hour >= 2)));
  // 2:00-2:59 on the spring-forward Sunday does not exist; it is 3:00 NZDT.
  if (m === 9 && day === startDst && hour === 2) {
    h = 3;
    summer = true;
  }
  return `${y}-${pad(m)}-${pad(day)}T${pad(h)}:${pad(minute)}:00${summer ? "+13:00" : "+12:00"}`;
}

/**
 * The last day a synthetic record is dated: generators stay on or before it, so
 * every record they make keeps to the plausible window of dates (dates.ts: not in
 * the future) whenever it is generated — same seed, same records, always valid.
 */
export const SYNTHETIC_UNTIL = "2026-11-30";

/** The last day of a year (0 is 1 January) a synthetic record may fall on: SYNTHETIC_UNTIL's in its year, 364 before. */
export function lastSyntheticDay(year: number): number {
  const until = new Date(`${SYNTHETIC_UNTIL}T00:00:00Z`);
  if (year > until.getUTCFullYear()) throw new RangeError(`no synthetic records after ${SYNTHETIC_UNTIL}`);
  if (year < until.getUTCFullYear()) return 364;
  return Math.round((until.getTime() - Date.UTC(until.getUTCFullYear(), 0, 1)) / 86_400_000);
}

/** The last ISO week of a year a synthetic record may fall in: the one before SYNTHETIC_UNTIL's in its year, the year's last before. */
export function lastSyntheticWeek(year: number): number {
  const until = isoWeekOf(new Date(`${SYNTHETIC_UNTIL}T00:00:00Z`));
  if (year > Number(until.slice(0, 4))) throw new RangeError(`no synthetic records after ${SYNTHETIC_UNTIL}`);
  return year < Number(until.slice(0, 4)) ? isoWeeksInYear(year) : Number(until.slice(6)) - 1;
}

/** A day of the year (0 is 1 January) for a synthetic record of that year (default 2026), never after SYNTHETIC_UNTIL. */
export function dayOf(rng: () => number, year = 2026): number {
  return between(rng, 0, lastSyntheticDay(year));
}

/** Log-uniform quantity in [min, max]: most small, a few very large. */
export function logUniform(rng: () => number, min: number, max: number): number {
  return Math.exp(Math.log(min) + rng() * (Math.log(max) - Math.log(min)));
}
