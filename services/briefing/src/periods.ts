import { isoWeekOf, isoWeeksInYear, isoWeekStart } from "@takitini/runtime";
import { ENGLISH, type Messages } from "./messages.js";

/**
 * The periods briefings cover: ISO weeks ("2026-W47", New Zealand calendar) for
 * community leaders, quarters ("2026-Q4") for the public tier. A week belongs
 * to the quarter of its Thursday (as it belongs to the year of its Thursday).
 * Pure.
 */

export type PeriodKind = "week" | "quarter";

export interface Period {
  kind: PeriodKind;
  /** "2026-W47" or "2026-Q4". */
  id: string;
  /** The ISO weeks it is made of, in order. */
  weeks: string[];
  /** First day (Monday) and last day (Sunday), as dates. */
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
export const WEEK_PATTERN = /^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$/;
export const QUARTER_PATTERN = /^(\d{4})-Q([1-4])$/;

export function isWeek(s: string): boolean {
  const m = WEEK_PATTERN.exec(s);
  return m !== null && Number(m[2]) <= isoWeeksInYear(Number(m[1]));
}

export function isQuarter(s: string): boolean {
  return QUARTER_PATTERN.test(s);
}

const weekString = (year: number, n: number) => `${String(year).padStart(4, "0")}-W${String(n).padStart(2, "0")}`;

/** The week `delta` weeks after (negative: before) `week`. */
export function addWeeks(week: string, delta: number): string {
  const monday = isoWeekStart(week);
  const thursday = new Date(monday.getTime() + 3 * DAY_MS + delta * 7 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const n = Math.round((thursday.getTime() - 3 * DAY_MS - isoWeekStart(weekString(year, 1)).getTime()) / (7 * DAY_MS)) + 1;
  return weekString(year, n);
}

/** The quarter a week belongs to: that of its Thursday. */
export function quarterOfWeek(week: string): string {
  const thursday = new Date(isoWeekStart(week).getTime() + 3 * DAY_MS);
  return `${thursday.getUTCFullYear()}-Q${Math.floor(thursday.getUTCMonth() / 3) + 1}`;
}

/** The ISO weeks whose Thursday falls in the quarter, in order. */
export function weeksOfQuarter(quarter: string): string[] {
  const m = QUARTER_PATTERN.exec(quarter);
  if (!m) throw new RangeError(`not a quarter: ${quarter}`);
  const year = Number(m[1]);
  const q = Number(m[2]);
  const first = new Date(0);
  first.setUTCFullYear(year, (q - 1) * 3, 1);
  // The first Thursday on or after the quarter's first day.
  const thursday = new Date(first.getTime() + ((4 - first.getUTCDay() + 7) % 7) * DAY_MS);
  const weeks: string[] = [];
  for (let t = thursday; quarterOfWeek(isoWeekOfThursday(t)) === quarter; t = new Date(t.getTime() + 7 * DAY_MS)) weeks.push(isoWeekOfThursday(t));
  return weeks;
}

function isoWeekOfThursday(thursday: Date): string {
  const year = thursday.getUTCFullYear();
  const n = Math.round((thursday.getTime() - 3 * DAY_MS - isoWeekStart(weekString(year, 1)).getTime()) / (7 * DAY_MS)) + 1;
  return weekString(year, n);
}

export function addQuarters(quarter: string, delta: number): string {
  const m = QUARTER_PATTERN.exec(quarter);
  if (!m) throw new RangeError(`not a quarter: ${quarter}`);
  const index = Number(m[1]) * 4 + (Number(m[2]) - 1) + delta;
  return `${Math.floor(index / 4)}-Q${(index % 4) + 1}`;
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

export function weekPeriod(week: string): Period {
  const monday = isoWeekStart(week);
  return { kind: "week", id: week, weeks: [week], from: isoDate(monday), to: isoDate(new Date(monday.getTime() + 6 * DAY_MS)) };
}

export function quarterPeriod(quarter: string): Period {
  const weeks = weeksOfQuarter(quarter);
  const last = isoWeekStart(weeks[weeks.length - 1]!);
  return { kind: "quarter", id: quarter, weeks, from: isoDate(isoWeekStart(weeks[0]!)), to: isoDate(new Date(last.getTime() + 6 * DAY_MS)) };
}

export function periodOf(kind: PeriodKind, id: string): Period {
  return kind === "week" ? weekPeriod(id) : quarterPeriod(id);
}

/** The period `delta` periods away. */
export function shiftPeriod(kind: PeriodKind, id: string, delta: number): string {
  return kind === "week" ? addWeeks(id, delta) : addQuarters(id, delta);
}

/** The latest period that has ended by `now` (New Zealand calendar). */
export function lastCompleted(kind: PeriodKind, now: Date): string {
  const current = isoWeekOf(now);
  return kind === "week" ? addWeeks(current, -1) : addQuarters(quarterOfWeek(current), -1);
}

/** Whether a period has ended by `now`: briefings cover only ended periods. */
export function isCompleted(kind: PeriodKind, id: string, now: Date): boolean {
  const last = lastCompleted(kind, now);
  return id <= last;
}

/** "2026-W47" → "Week 47, 2026"; "2026-Q4" → "Quarter 4, 2026" (in the catalogue's words: "Wiki 47, 2026"). */
export function periodLabel(p: Period, messages: Messages = ENGLISH): string {
  const m = p.kind === "week" ? WEEK_PATTERN.exec(p.id) : QUARTER_PATTERN.exec(p.id);
  if (!m) return p.id;
  return messages.t(p.kind === "week" ? "period.week" : "period.quarter", { n: Number(m[2]), year: m[1]! });
}
