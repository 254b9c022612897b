import { createHash } from "node:crypto";
import { isoWeekOf, isoWeekStart } from "@takitini/runtime";
import { DISTRICT_NAMES, seededRandom } from "./fields.js";
import type { AgencyAdapter, RecordKind } from "./kind.js";
import { nzDateTime } from "./synthetic.js";

/*
 * Demo history: a seeded year of synthetic records for every district and ISO
 * week before "now"'s, so a newcomer's first briefing shows figures rather than
 * suppressed cells. Pure: a record's id and content are a function of (seed,
 * agency, kind, district, week, index) only, so a restart the same week
 * re-submits identical records (answered duplicate) and a start a week later
 * adds only the new week.
 */

/** Where and when one history record falls; `place` sets the record's id, date and district from it. */
export interface HistorySlot {
  district: District;
  /** ISO week, e.g. "2026-W47". */
  week: string;
  /** A New Zealand local time inside the week (Tuesday to Saturday, 09:00-17:59): the same ISO week in UTC and in New Zealand. */
  at: string;
  /** A native id unique to (seed, kind, district, week, index), at most 40 characters. */
  id: string;
  /** The record's own seeded random source, for further choices (a locality in the district). */
  rng: () => number;
  /** Its index among the district's records of the week (0 … perWeek - 1). */
  index: number;
}

/** How a kind takes part in the demo history. */
export interface KindHistory {
  /** Records per district per week at full volume (the most recent `fullWeeks`). */
  perWeek: number;
  /** The synthetic record moved into the slot: its native id, date and district replaced; undefined leaves the slot empty (a district without as many sites). */
  place(record: any, slot: HistorySlot): unknown;
  /** False for kinds the briefings do not count in disclosure-controlled cells per district (wastewater: per site); the per-district thresholds are then not checked. */
  disclosure?: boolean;
  /** This kind's weeks at full volume, when not the run's (wastewater: a trend needs its sampled weeks in each 13-week window). */
  fullWeeks?: number;
}

export interface HistoryOptions {
  seed: string;
  /** The clock: only weeks before now's ISO week (all completed) are generated. */
  now: Date;
  /** How many completed weeks back (default 52). */
  weeks?: number;
  /** The most recent weeks at full volume (default 13); see historyVolume for older ones. */
  fullWeeks?: number;
  /** Districts covered (default all twelve). */
  districts?: readonly District[];
}

export interface HistoryRecord {
  kind: RecordKind;
  week: string;
  district: District;
  record: unknown;
}

/** One of the twelve Police districts. */
export type District = (typeof DISTRICT_NAMES)[number];

const DAY_MS = 86_400_000;

/** The `count` completed ISO weeks before now's, oldest first. */
export function historyWeeks(now: Date, count: number): string[] {
  const start = isoWeekStart(isoWeekOf(now)).getTime();
  // Noon on each Wednesday back: its week is unambiguous in any time zone.
  return Array.from({ length: count }, (_, i) => isoWeekOf(new Date(start - (count - i) * 7 * DAY_MS + 2 * DAY_MS + 12 * 3_600_000)));
}

/**
 * How many records of a kind a district gets in the week `age` weeks back (1 = the last completed week):
 * full for the last `fullWeeks`, half for as many again (the last completed quarter always falls within
 * these), a quarter before — at least one every fourth week.
 */
export function historyVolume(perWeek: number, age: number, fullWeeks: number): number {
  if (age <= fullWeeks) return perWeek;
  if (age <= 2 * fullWeeks) return Math.max(1, Math.floor(perWeek / 2));
  const sparse = Math.floor(perWeek / 4);
  return sparse > 0 ? sparse : age % 4 === 0 ? 1 : 0;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** The slot's local time: a weekday between Tuesday and Saturday, office hours. */
function slotTime(week: string, rng: () => number): string {
  const monday = isoWeekStart(week);
  const day = new Date(monday.getTime() + (1 + Math.floor(rng() * 5)) * DAY_MS);
  const dayOfYear = Math.round((day.getTime() - Date.UTC(day.getUTCFullYear(), 0, 1)) / DAY_MS);
  return nzDateTime(day.getUTCFullYear(), dayOfYear, 9 + Math.floor(rng() * 9), Math.floor(rng() * 60));
}

/** Every history record of an adapter's kinds that have `history`, oldest week first. Pure. */
export function historyRecords(adapter: AgencyAdapter, opts: HistoryOptions): HistoryRecord[] {
  const weeks = historyWeeks(opts.now, opts.weeks ?? 52);
  const fullWeeks = opts.fullWeeks ?? 13;
  const districts = opts.districts ?? DISTRICT_NAMES;
  const seedTag = digest(opts.seed).toString("hex").slice(0, 6);
  const out: HistoryRecord[] = [];
  weeks.forEach((week, w) => {
    const age = weeks.length - w;
    for (const kind of adapter.kinds) {
      const h = kind.history;
      if (!h) continue;
      const n = historyVolume(h.perWeek, age, h.fullWeeks ?? fullWeeks);
      districts.forEach((district) => {
        const d = DISTRICT_NAMES.indexOf(district);
        for (let i = 0; i < n; i++) {
          const key = `${opts.seed}/${adapter.agency}/${kind.recordType}/${district}/${week}/${i}`;
          const rng = seededRandom(key);
          // A large index unique to the key: the record's own person and organisation ids do not collide across records.
          const index = 1_000_000 + (digest(key).readUIntBE(0, 6) % 1_000_000_000_000);
          const id = `H${seedTag}-${week.replace("-", "")}-${String(d).padStart(2, "0")}-${i}`;
          const slot: HistorySlot = { district, week, at: slotTime(week, rng), id, rng, index: i };
          const record = h.place(kind.synthesize(rng, index), slot);
          if (record !== undefined) out.push({ kind, week, district, record });
        }
      });
    }
  });
  return out;
}
