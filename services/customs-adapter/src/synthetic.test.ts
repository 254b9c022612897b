import { seededRandom } from "@takitini/adapter-kit";
import { describe, expect, it } from "vitest";
import { logUniform, nzDateTime, nzName } from "./synthetic.js";

describe("nzDateTime", () => {
  it.each([
    [0, 9, "2026-01-01T09:00:00+13:00"],
    [94, 2, "2026-04-05T02:00:00+13:00"], // daylight time ends at 3 am on the first Sunday of April
    [94, 3, "2026-04-05T03:00:00+12:00"],
    [181, 12, "2026-07-01T12:00:00+12:00"],
    [269, 1, "2026-09-27T01:00:00+12:00"], // and starts at 2 am on the last Sunday of September
    [269, 2, "2026-09-27T03:00:00+13:00"], // 2:xx does not exist that night
    [269, 4, "2026-09-27T04:00:00+13:00"],
    [364, 23, "2026-12-31T23:00:00+13:00"],
  ])("day %i hour %i is %s", (day, hour, iso) => {
    expect(nzDateTime(2026, day, hour, 0)).toBe(iso);
  });
});

describe("synthetic building blocks", () => {
  it("keep quantities in range and names in NFC with macrons", () => {
    const rng = seededRandom(7);
    for (let i = 0; i < 200; i++) {
      const q = logUniform(rng, 2, 700_000);
      expect(q).toBeGreaterThanOrEqual(2);
      expect(q).toBeLessThanOrEqual(700_000);
      const name = nzName(rng);
      expect(name).toBe(name.normalize("NFC"));
    }
  });
});
