import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignLanes, DEFAULT_SECONDS, e2eFiles } from "../lanes.ts";

const DIR = join(import.meta.dirname, "..");

describe("the split of the end-to-end files into npm test's two lanes", () => {
  it("runs every file exactly once, and no lane ends later than the longest file allows past the other", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^e2e\/[a-z]{1,8}\.test\.ts$/), fc.integer({ min: 0, max: 300 })), fc.integer({ min: 0, max: 600 }), (table, faults) => {
        const files = Object.keys(table);
        const lanes = assignLanes(files, table, faults);
        expect([...lanes.first, ...lanes.second].sort()).toEqual([...files].sort());
        const sum = (fs: string[]) => fs.reduce((n, f) => n + table[f]!, 0);
        expect(lanes.seconds).toEqual([sum(lanes.first), faults + sum(lanes.second)]);
        // Longest first to the sooner lane: the lanes differ by at most the longest file, unless the fault suite alone is longer than every file.
        const longest = Math.max(0, ...Object.values(table));
        if (faults <= sum(files)) expect(Math.abs(lanes.seconds[0] - lanes.seconds[1])).toBeLessThanOrEqual(Math.max(longest, faults));
      }),
    );
  });

  it("counts a file the table does not know as DEFAULT_SECONDS, so a new file still runs", () => {
    const lanes = assignLanes(["e2e/new.test.ts", "e2e/old.test.ts"], { "e2e/old.test.ts": 10 }, 0);
    expect(lanes.first).toEqual(["e2e/new.test.ts"]);
    expect(lanes.second).toEqual(["e2e/old.test.ts"]);
    expect(lanes.seconds).toEqual([DEFAULT_SECONDS, 10]);
  });

  it("puts the fault suite's time on the second lane", () => {
    expect(assignLanes(["e2e/a.test.ts", "e2e/b.test.ts"], { "e2e/a.test.ts": 100, "e2e/b.test.ts": 50 }, 400)).toEqual({ first: ["e2e/a.test.ts", "e2e/b.test.ts"], second: [], seconds: [150, 400] });
  });

  it("has a time in e2e/durations.json for every end-to-end file, and none for a file that is gone", () => {
    const table = JSON.parse(readFileSync(join(DIR, "e2e", "durations.json"), "utf8")) as Record<string, number>;
    const { faults, ...files } = table;
    expect(faults).toBeGreaterThan(0);
    expect(Object.keys(files).sort()).toEqual(e2eFiles(DIR));
    for (const f of Object.keys(files)) expect(existsSync(join(DIR, f)), f).toBe(true);
  });
});
