/**
 * Which end-to-end test files each of the two lanes of `npm test` runs (run-suites.sh). One
 * lane runs its files in one vitest process; the other runs the fault suite first, then its
 * files in another. Each vitest process has its own broker and PostgreSQL (e2e/global-setup.ts),
 * so how the files are split changes how long the run takes, never what a test sees.
 *
 * The split is the longest files first, each to the lane that would finish it sooner, from
 * each file's time in a recent `npm test`, in its lane (e2e/durations.json, seconds; the fault suite under
 * "faults"). A file not in the table counts as DEFAULT_SECONDS: a new file still runs, the
 * balance is just a guess until the table is updated.
 *
 *   node lanes.ts      prints the two lanes' files, one lane per line
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

export const DEFAULT_SECONDS = 60;

export interface Lanes {
  /** The lane that starts at once. */
  first: string[];
  /** The lane that runs the fault suite first. */
  second: string[];
  /** Each lane's expected seconds, the fault suite's included. */
  seconds: [number, number];
}

/** Longest first, each to the lane that would end it sooner (ties to the first lane); `files` in any order. */
export function assignLanes(files: readonly string[], seconds: Readonly<Record<string, number>>, faultsSeconds: number): Lanes {
  const cost = (f: string) => seconds[f] ?? DEFAULT_SECONDS;
  const order = [...new Set(files)].sort((a, b) => cost(b) - cost(a) || a.localeCompare(b));
  const lanes: Lanes = { first: [], second: [], seconds: [0, faultsSeconds] };
  for (const f of order) {
    const i = lanes.seconds[0] <= lanes.seconds[1] ? 0 : 1;
    (i === 0 ? lanes.first : lanes.second).push(f);
    lanes.seconds[i] += cost(f);
  }
  return lanes;
}

/** The e2e suite's test files under `dir` (the package's), as vitest filters: `e2e/<name>.test.ts`. */
export function e2eFiles(dir: string): string[] {
  return readdirSync(join(dir, "e2e"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => relative(dir, join(dir, "e2e", f)))
    .sort();
}

if (import.meta.main) {
  const dir = import.meta.dirname;
  const table = JSON.parse(readFileSync(join(dir, "e2e", "durations.json"), "utf8")) as Record<string, number>;
  const { faults = DEFAULT_SECONDS, ...files } = table;
  const lanes = assignLanes(e2eFiles(dir), files, faults);
  console.log(lanes.first.join(" "));
  console.log(lanes.second.join(" "));
  console.error(`[lanes] expected ${lanes.seconds[0]} s (${lanes.first.length} files) and ${lanes.seconds[1]} s (the fault suite, then ${lanes.second.length} files)`);
}
