import { isoWeeksInYear, isoWeekStart } from "@takitini/runtime";
import { z } from "zod";

/**
 * The plausible window of every date a native record carries: not before
 * 1900-01-01, and not later than now plus a small clock-skew allowance — unless
 * the field is one where a future date is legitimate (an expected arrival, a
 * planned phase change), which declares its own horizon. A date outside the
 * window is refused with the field path and the issue code `INVALID_DATE`.
 *
 * The window needs "now", and a zod schema has no parse context: the intake
 * parses inside `withClock(now, …)` (synchronous, so nothing else runs in
 * between); a schema parsed outside it uses the system clock.
 */

/** Earliest plausible date, for every date field. */
export const EARLIEST_DATE = "1900-01-01";
/** How far past "now" a date may be when its field has no horizon of its own: clocks drift. */
export const CLOCK_SKEW_MS = 5 * 60_000;
/**
 * A calendar date (or an ISO week) has no time zone: it is compared with today's
 * date in the easternmost zone (UTC+14), so a New Zealand agency's "today" is
 * never in the future at 06:00 NZDT, when it is still yesterday in UTC.
 */
export const EASTERNMOST_OFFSET_MS = 14 * 3_600_000;
/** The issue code of a date outside its window, whichever field it is in. */
export const INVALID_DATE = "INVALID_DATE";

const DAY_MS = 86_400_000;

let clock: () => Date = () => new Date();

/** Run `fn` (synchronous: a schema parse) with the date window's "now" set to `now`. */
export function withClock<T>(now: Date, fn: () => T): T {
  const previous = clock;
  clock = () => now;
  try {
    return fn();
  } finally {
    clock = previous;
  }
}

export interface DateWindowOptions {
  /**
   * How many days ahead of now a value of this field may be, for fields whose
   * future is legitimate (an expected arrival). Default 0: not in the future,
   * beyond the clock-skew allowance.
   */
  aheadDays?: number;
}

/** The latest instant a field may hold, now. */
function latestInstant(opts: DateWindowOptions): number {
  return clock().getTime() + CLOCK_SKEW_MS + (opts.aheadDays ?? 0) * DAY_MS;
}

/** The latest calendar date (YYYY-MM-DD) a field may hold, now: today in UTC+14, plus the horizon. */
function latestDate(opts: DateWindowOptions): string {
  return new Date(latestInstant(opts) + EASTERNMOST_OFFSET_MS).toISOString().slice(0, 10);
}

function ahead(opts: DateWindowOptions): string {
  return opts.aheadDays ? `more than ${opts.aheadDays} days ahead` : "in the future";
}

type Check = (value: string, opts: DateWindowOptions) => string | undefined;

/** Why a date-time (ISO 8601 with offset, already well-formed) is outside its window, if it is. */
const dateTimeProblem: Check = (value, opts) => {
  const at = Date.parse(value);
  if (Number.isNaN(at)) return "not a real date and time";
  // The calendar date as written, before its offset: 1900-01-01T00:00:00+13:00 is still 1 January 1900.
  if (value.slice(0, 10) < EARLIEST_DATE) return `before ${EARLIEST_DATE}: not a plausible date`;
  if (at > latestInstant(opts)) return `${ahead(opts)} (now plus ${CLOCK_SKEW_MS / 60_000} minutes' clock skew${opts.aheadDays ? ` and ${opts.aheadDays} days` : ""} is the latest accepted)`;
  return undefined;
};

/** Why a calendar date (YYYY-MM-DD, already a real date) is outside its window, if it is. */
const dateProblem: Check = (value, opts) => {
  if (value < EARLIEST_DATE) return `before ${EARLIEST_DATE}: not a plausible date`;
  if (value > latestDate(opts)) return `${ahead(opts)}: later than today's date anywhere (UTC+14)`;
  return undefined;
};

/** Why an ISO week (already one that exists) is outside its window, if it is: its Monday decides. */
const weekProblem: Check = (value, opts) => {
  const monday = isoWeekStart(value).toISOString().slice(0, 10);
  if (monday < EARLIEST_DATE) return `starts before ${EARLIEST_DATE}: not a plausible week`;
  if (monday > latestDate(opts)) return `starts ${ahead(opts)}: its Monday is later than today's date anywhere (UTC+14)`;
  return undefined;
};

function windowed(base: z.ZodType<string, string>, problem: Check, opts: DateWindowOptions) {
  return base.pipe(
    z.string().superRefine((value, ctx) => {
      const why = problem(value, opts);
      if (why !== undefined) ctx.addIssue({ code: "custom", message: why, params: { code: INVALID_DATE } });
    }),
  );
}

/** An ISO 8601 date-time with offset, within the plausible window. */
export function plausibleDateTime(opts: DateWindowOptions = {}) {
  return windowed(z.iso.datetime({ offset: true }), dateTimeProblem, opts);
}

/** An ISO 8601 calendar date (YYYY-MM-DD), within the plausible window. */
export function plausibleDate(opts: DateWindowOptions = {}) {
  return windowed(z.iso.date(), dateProblem, opts);
}

/** An ISO week, e.g. 2026-W46: the pattern only. */
export const isoWeek = z.string().regex(/^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/, "expected an ISO week, e.g. 2026-W46");

/** An ISO week that exists (week 53 only in years that have one), within the plausible window. */
export function plausibleIsoWeek(opts: DateWindowOptions = {}) {
  const existing = isoWeek.refine((w) => Number(w.slice(6)) <= isoWeeksInYear(Number(w.slice(0, 4))), {
    message: "that year has no ISO week 53",
  });
  return windowed(existing, weekProblem, opts);
}

/** Date-time fields of records: not before 1900, not in the future. */
export const isoDateTime = plausibleDateTime();
/** Calendar-date fields of records (dates of birth, reporting periods): not before 1900, not in the future. */
export const isoDate = plausibleDate();
/** ISO-week fields of records: a week that exists, starting neither before 1900 nor in the future. */
export const existingIsoWeek = plausibleIsoWeek();
