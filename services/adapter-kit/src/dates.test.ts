import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CLOCK_SKEW_MS, EARLIEST_DATE, existingIsoWeek, isoDate, isoDateTime, plausibleDate, plausibleDateTime, plausibleIsoWeek, withClock } from "./dates.js";
import { envelope, type AgencyDefaults } from "./fields.js";
import { ingest } from "./ingest.js";
import { TEST_EVENT_ID_KEY } from "./testing.js";
import type { AgencyAdapter, RecordKind } from "./kind.js";
import { lastSyntheticDay, lastSyntheticWeek, SYNTHETIC_UNTIL } from "./synthetic.js";

// 10:00 UTC on Tuesday 1 December 2026: already Wednesday 2 December at 00:00 in UTC+14.
const now = new Date("2026-12-01T10:00:00Z");
const ok = (schema: z.ZodType, value: unknown, at = now) => withClock(at, () => schema.safeParse(value).success);
const problems = (schema: z.ZodType, value: unknown, at = now) =>
  withClock(at, () => {
    const r = schema.safeParse(value);
    return r.success ? [] : r.error.issues.map((i) => [(i.code === "custom" ? (i.params as { code?: string } | undefined)?.code : undefined) ?? i.code, i.message]);
  });

describe("date-times: from 1900 to now plus the clock skew", () => {
  it("accepts the past, now, and up to 5 minutes ahead", () => {
    expect(CLOCK_SKEW_MS).toBe(300_000);
    expect(ok(isoDateTime, "2024-08-14T06:05:00+12:00")).toBe(true);
    expect(ok(isoDateTime, "2026-12-01T10:00:00Z")).toBe(true);
    expect(ok(isoDateTime, "2026-12-01T10:05:00Z")).toBe(true);
    expect(ok(isoDateTime, "2026-12-01T23:04:59+13:00")).toBe(true);
    expect(ok(isoDateTime, "1900-01-01T00:00:00+13:00")).toBe(true);
  });

  it("refuses a moment past the skew, and one before 1900, with INVALID_DATE", () => {
    expect(problems(isoDateTime, "2026-12-01T10:05:01Z")).toEqual([["INVALID_DATE", expect.stringContaining("in the future")]]);
    expect(problems(isoDateTime, "2027-01-01T00:00:00+13:00")).toEqual([["INVALID_DATE", expect.stringContaining("in the future")]]);
    expect(problems(isoDateTime, "1899-12-31T23:59:59Z")).toEqual([["INVALID_DATE", `before ${EARLIEST_DATE}: not a plausible date`]]);
    expect(problems(isoDateTime, "0001-01-01T00:00:00Z")).toEqual([["INVALID_DATE", expect.stringContaining("before 1900")]]);
    expect(problems(isoDateTime, "9999-12-31T23:59:59Z")).toEqual([["INVALID_DATE", expect.stringContaining("in the future")]]);
  });

  it("leaves malformed values to the format check alone", () => {
    expect(problems(isoDateTime, "14/08/2024").map(([code]) => code)).toEqual(["invalid_format"]);
    expect(problems(isoDateTime, "2024-10-18T16:30:00").map(([code]) => code)).toEqual(["invalid_format"]);
  });

  it("takes a per-field horizon for dates whose future is legitimate", () => {
    const arrival = plausibleDateTime({ aheadDays: 180 });
    expect(ok(arrival, "2027-05-30T00:00:00Z")).toBe(true);
    expect(problems(arrival, "2027-05-30T10:06:00Z")).toEqual([["INVALID_DATE", expect.stringContaining("more than 180 days ahead")]]);
    expect(problems(arrival, "1899-01-01T00:00:00Z").map(([code]) => code)).toEqual(["INVALID_DATE"]);
  });
});

describe("calendar dates: from 1900 to today's date anywhere", () => {
  it("accepts today's date in UTC+14, refuses the next", () => {
    expect(ok(isoDate, "2026-12-02")).toBe(true);
    expect(problems(isoDate, "2026-12-03")).toEqual([["INVALID_DATE", expect.stringContaining("later than today's date anywhere")]]);
    // Earlier in the UTC day, UTC+14 is still on 1 December.
    expect(ok(isoDate, "2026-12-02", new Date("2026-12-01T09:00:00Z"))).toBe(false);
    expect(ok(isoDate, "2026-12-01", new Date("2026-12-01T09:00:00Z"))).toBe(true);
  });

  it("refuses before 1900, and impossible dates by format", () => {
    expect(ok(isoDate, "1900-01-01")).toBe(true);
    expect(problems(isoDate, "1899-12-31")).toEqual([["INVALID_DATE", "before 1900-01-01: not a plausible date"]]);
    expect(problems(isoDate, "2026-02-30").map(([code]) => code)).toEqual(["invalid_format"]);
  });

  it("takes a horizon in days", () => {
    expect(ok(plausibleDate({ aheadDays: 30 }), "2027-01-01")).toBe(true);
    expect(ok(plausibleDate({ aheadDays: 30 }), "2027-01-02")).toBe(false);
  });
});

describe("ISO weeks: an existing week whose Monday is in the window", () => {
  it("accepts the current week (its Monday has come) and refuses the next", () => {
    expect(ok(existingIsoWeek, "2026-W49")).toBe(true); // Monday 30 November
    expect(problems(existingIsoWeek, "2026-W50")).toEqual([["INVALID_DATE", expect.stringContaining("starts in the future")]]);
    expect(ok(plausibleIsoWeek({ aheadDays: 7 }), "2026-W50")).toBe(true);
  });

  it("refuses weeks starting before 1900, and weeks that do not exist", () => {
    expect(ok(existingIsoWeek, "1900-W01")).toBe(true); // Monday 1 January 1900
    expect(problems(existingIsoWeek, "1899-W52")).toEqual([["INVALID_DATE", expect.stringContaining("starts before 1900-01-01")]]);
    expect(problems(existingIsoWeek, "2025-W53").map(([code]) => code)).toEqual(["custom"]);
  });
});

describe("withClock", () => {
  it("sets now for the parse only, and restores it after a throw", () => {
    expect(withClock(new Date("2030-01-01T00:00:00Z"), () => isoDate.safeParse("2029-06-01").success)).toBe(true);
    expect(isoDate.safeParse("2999-06-01").success).toBe(false);
    expect(() => withClock(new Date(0), () => { throw new Error("x"); })).toThrow("x");
    expect(isoDateTime.safeParse(new Date(Date.now() - 60_000).toISOString()).success).toBe(true);
  });
});

describe("ingest: INVALID_DATE", () => {
  const defaults: AgencyDefaults = { classification: "IN-CONFIDENCE", caveats: [], legalBasis: { instrument: "Test Act", provision: "s 1", description: "" } };
  const schema = z.strictObject({ ref: z.string(), seen_at: isoDateTime, due: plausibleDateTime({ aheadDays: 30 }).optional(), count: z.number().optional() });
  const kind: RecordKind<z.infer<typeof schema>> = {
    recordType: "dated",
    eventType: "police.organised_crime_noting",
    httpPath: "/v1/dated",
    summary: "test",
    schema,
    nativeId: (r) => r.ref,
    map: (r, at) => envelope({ agency: "POLICE", eventType: "police.organised_crime_noting", nativeId: r.ref, occurredAt: r.seen_at, publishedAt: at, district: "Eastern", defaults, payload: { $case: "policeNoting", value: { groupName: "g", activity: "ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY" as never, commodities: [], summary: "", reportingUnit: "", locality: "" } } }),
    example: { ref: "D-1", seen_at: "2026-11-30T00:00:00Z" },
    synthesize: () => ({}),
  };
  const adapter: AgencyAdapter = { agency: "POLICE", service: "t", topic: "t", httpPort: 0, grpcPort: 0, kinds: [kind], defaults };
  const run = (r: Record<string, unknown>) => ingest(adapter, "dated", { ref: "D-1", ...r }, now, { now, eventIdKey: TEST_EVENT_ID_KEY });

  it("is the code when every problem is a date, with each field path", () => {
    const r = run({ seen_at: "2027-01-01T00:00:00Z", due: "1850-01-01T00:00:00Z" });
    expect(r.ok ? null : [r.code, r.issues.map((i) => [i.path, i.code])]).toEqual(["INVALID_DATE", [["seen_at", "INVALID_DATE"], ["due", "INVALID_DATE"]]]);
  });

  it("leaves VALIDATION_FAILED the code when other problems come with it, the date issue keeping its own code", () => {
    const r = run({ seen_at: "2027-01-01T00:00:00Z", count: "two" });
    expect(r.ok ? null : [r.code, r.issues.map((i) => [i.path, i.code])]).toEqual(["VALIDATION_FAILED", [["seen_at", "INVALID_DATE"], ["count", "invalid_type"]]]);
  });

  it("uses the clock it is given, and the system clock without one", () => {
    expect(run({ seen_at: "2026-12-01T10:04:00Z", due: "2026-12-31T00:00:00Z" }).ok).toBe(true);
    expect(ingest(adapter, "dated", { ref: "D-1", seen_at: "2026-12-01T10:04:00Z" }, new Date(0), { now: new Date("2026-11-01T00:00:00Z"), eventIdKey: TEST_EVENT_ID_KEY }).ok).toBe(false);
    const r = ingest(adapter, "dated", { ref: "D-1", seen_at: new Date(Date.now() + 3_600_000).toISOString() }, new Date(0), { eventIdKey: TEST_EVENT_ID_KEY });
    expect(!r.ok && r.code).toBe("INVALID_DATE");
  });
});

describe("synthetic records' dates", () => {
  it("stop at SYNTHETIC_UNTIL, in the past", () => {
    expect(SYNTHETIC_UNTIL <= new Date().toISOString().slice(0, 10)).toBe(true);
    expect(lastSyntheticDay(2025)).toBe(364);
    expect(lastSyntheticDay(2026)).toBe(333); // 30 November
    expect(lastSyntheticWeek(2025)).toBe(52);
    expect(lastSyntheticWeek(2020)).toBe(53);
    expect(lastSyntheticWeek(2026)).toBe(48); // Monday 23 November
    expect(() => lastSyntheticDay(2027)).toThrow(RangeError);
    expect(() => lastSyntheticWeek(2027)).toThrow(RangeError);
  });
});
