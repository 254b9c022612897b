import { seededRandom } from "@takitini/adapter-kit";
import { describe, expect, it } from "vitest";
import { employerName, INDUSTRY_DISTRICTS, LOCALITIES, localityFor, nzDateTime, WORKER_ORIGINS } from "./synthetic.js";
import { INDUSTRY_NAMES } from "./industry.js";
import { district } from "@takitini/adapter-kit";

describe("nzDateTime", () => {
  it.each([
    [0, 9, "2026-01-01T09:00:00+13:00"],
    [94, 2, "2026-04-05T02:00:00+13:00"],
    [94, 3, "2026-04-05T03:00:00+12:00"],
    [269, 1, "2026-09-27T01:00:00+12:00"],
    [269, 2, "2026-09-27T03:00:00+13:00"],
  ])("day %i hour %i is %s", (day, hour, iso) => {
    expect(nzDateTime(2026, day, hour, 0)).toBe(iso);
  });
});

describe("synthetic vocabulary", () => {
  it("covers every industry with districts MBIE's records accept", () => {
    for (const i of INDUSTRY_NAMES) {
      expect(WORKER_ORIGINS[i]).toBeDefined();
      const where = INDUSTRY_DISTRICTS[i]!;
      expect(where.districts.length).toBe(where.weights.length);
      for (const d of where.districts) expect(district.safeParse(d).success).toBe(true);
    }
    for (const d of Object.keys(LOCALITIES)) expect(district.safeParse(d).success).toBe(true);
  });

  it("names employers after their town, macrons intact", () => {
    const rng = seededRandom(1);
    expect(localityFor(rng, "agriculture", "Southern")).toMatch(/^(Gore|Mātaura|Winton|Balclutha)$/);
    expect(employerName(rng, "horticulture", "Pāengaroa")).toMatch(/^Pāengaroa .+ Limited$/);
  });
});
