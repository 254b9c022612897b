// Folds the JSON reports of the test package's parts — the end-to-end suite's (one per lane) and
// the fault suite's, which run at the same time (run-suites.sh) — into the package's
// .test-report.json, and their unhandled errors (each part's .test-unhandled… file, beside its
// report) into .test-unhandled.json, which `npm test` sums (infra/bin/summarise-tests.mjs) with
// every other workspace's: the package counts as one workspace.
// Usage: node merge-reports.mjs <name>=<report file> …  A part that wrote no report (it crashed,
// or never ran) counts as a failed suite, and is named.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const dir = import.meta.dirname;
const read = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, "utf8")) : undefined);
/** The unhandled-errors file written beside a report: .test-report.X.json → .test-unhandled.X.json. */
const unhandledBeside = (report) => join(dirname(report), basename(report).replace(".test-report", ".test-unhandled"));

const parts = process.argv.slice(2).map((arg) => {
  const [name, file] = arg.split("=");
  if (!name || !file) throw new Error(`expected <name>=<report file>, got ${JSON.stringify(arg)}`);
  return { name, file: join(dir, file) };
});
if (parts.length === 0) throw new Error("no reports named");

const keys = ["numTotalTests", "numPassedTests", "numFailedTests", "numPendingTests", "numTodoTests", "numTotalTestSuites", "numPassedTestSuites", "numFailedTestSuites"];
const merged = Object.fromEntries(keys.map((k) => [k, 0]));
merged.success = true;
merged.testResults = [];
const unhandled = [];
for (const { name, file } of parts) {
  const report = read(file) ?? { numPassedTests: 0, numFailedTests: 1, numFailedTestSuites: 1, success: false, testResults: [], missing: true };
  for (const k of keys) merged[k] += report[k] ?? 0;
  merged.success &&= report.success === true;
  merged.testResults.push(...(report.testResults ?? []));
  unhandled.push(...(read(unhandledBeside(file)) ?? []));
  rmSync(file, { force: true });
  rmSync(unhandledBeside(file), { force: true });
  console.log(`${name}: ${report.missing ? "no report (did it run?): counted as 1 failed" : `${report.numPassedTests ?? 0} passed, ${report.numFailedTests ?? 0} failed`}`);
}
writeFileSync(join(dir, ".test-report.json"), JSON.stringify(merged));
if (unhandled.length > 0) writeFileSync(join(dir, ".test-unhandled.json"), JSON.stringify(unhandled, null, 2));
else rmSync(join(dir, ".test-unhandled.json"), { force: true });
