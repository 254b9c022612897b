/**
 * Quarters of the outcome reports: calendar quarters on New Zealand's clock
 * (Pacific/Auckland). "2026-Q3" is 1 July 2026 00:00 NZST (30 June 12:00 UTC)
 * up to, not including, 1 October 2026 00:00 NZDT (30 September 11:00 UTC): a
 * record dated at an instant belongs to the quarter whose New Zealand calendar
 * date it falls on, whatever the daylight-saving offset (+12 or +13) that day.
 * Pure.
 */
export const QUARTER_PATTERN = /^(\d{4})-Q([1-4])$/;

export interface Quarter {
  /** "2026-Q3". */
  id: string;
  year: number;
  /** 1..4. */
  q: number;
  /** First instant (inclusive) and the next quarter's first instant (exclusive). */
  from: Date;
  to: Date;
}

const NZ_PARTS = new Intl.DateTimeFormat("en-NZ", {
  timeZone: "Pacific/Auckland",
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** New Zealand's offset from UTC at an instant, in milliseconds (+12 h or +13 h). */
export function nzOffsetMs(at: Date): number {
  const p = Object.fromEntries(NZ_PARTS.formatToParts(at).map((x) => [x.type, x.value]));
  const local = Date.UTC(Number(p["year"]), Number(p["month"]) - 1, Number(p["day"]), Number(p["hour"]), Number(p["minute"]), Number(p["second"]));
  return local - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant of midnight at the start of a New Zealand calendar date (month 0-11). */
export function nzMidnight(year: number, month: number, day = 1): Date {
  const wall = Date.UTC(year, month, day);
  // The offset at the wall time read as UTC is within an hour of the true one; correct once more.
  let at = wall - nzOffsetMs(new Date(wall));
  at = wall - nzOffsetMs(new Date(at));
  return new Date(at);
}

/** "2026-Q3" → the quarter, or null for anything else. */
export function parseQuarter(id: string): Quarter | null {
  const m = QUARTER_PATTERN.exec(id);
  if (!m) return null;
  return quarter(Number(m[1]), Number(m[2]));
}

export function quarter(year: number, q: number): Quarter {
  const next = q === 4 ? { year: year + 1, q: 1 } : { year, q: q + 1 };
  return { id: `${String(year).padStart(4, "0")}-Q${q}`, year, q, from: nzMidnight(year, (q - 1) * 3), to: nzMidnight(next.year, (next.q - 1) * 3) };
}

export function previousQuarter(x: Quarter): Quarter {
  return x.q === 1 ? quarter(x.year - 1, 4) : quarter(x.year, x.q - 1);
}

/** The quarter an instant falls in on New Zealand's calendar. */
export function quarterOf(at: Date): Quarter {
  const local = new Date(at.getTime() + nzOffsetMs(at));
  return quarter(local.getUTCFullYear(), Math.floor(local.getUTCMonth() / 3) + 1);
}

/** The calendar months of a quarter, as New Zealand reads them: "July–September 2026". */
export function quarterLabel(x: Quarter): string {
  const months = ["January", "April", "July", "October"];
  const ends = ["March", "June", "September", "December"];
  return `${months[x.q - 1]}–${ends[x.q - 1]} ${x.year}`;
}
