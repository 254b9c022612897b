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

/** A day of the year (0-364) for a year. */
export function dayOf(rng: () => number): number {
  return between(rng, 0, 364);
}

/** Log-uniform quantity in [min, max]: most small, a few very large. */
export function logUniform(rng: () => number, min: number, max: number): number {
  return Math.exp(Math.log(min) + rng() * (Math.log(max) - Math.log(min)));
}
