// Folds the fault suite's vitest JSON report (faults/.test-report.json) into the
// package's .test-report.json, which `npm test` sums (infra/bin/summarise-tests.mjs)
// with every other workspace's: the e2e and fault suites count as one workspace.
// A fault suite that wrote no report (it crashed, or never ran) counts as a failure.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = join(import.meta.dirname, "..");
const main = join(dir, ".test-report.json");
const faults = join(dir, "faults", ".test-report.json");
const read = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, "utf8")) : undefined);
const a = read(main) ?? { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, numFailedTestSuites: 0, success: false, testResults: [] };
const b = read(faults) ?? { numPassedTests: 0, numFailedTests: 1, numPendingTests: 0, numTodoTests: 0, numFailedTestSuites: 1, success: false, testResults: [] };
const sum = (k) => (a[k] ?? 0) + (b[k] ?? 0);
const merged = {
  ...a,
  numTotalTests: sum("numTotalTests"),
  numPassedTests: sum("numPassedTests"),
  numFailedTests: sum("numFailedTests"),
  numPendingTests: sum("numPendingTests"),
  numTodoTests: sum("numTodoTests"),
  numTotalTestSuites: sum("numTotalTestSuites"),
  numPassedTestSuites: sum("numPassedTestSuites"),
  numFailedTestSuites: sum("numFailedTestSuites"),
  success: a.success === true && b.success === true,
  testResults: [...(a.testResults ?? []), ...(b.testResults ?? [])],
};
writeFileSync(main, JSON.stringify(merged));
rmSync(faults, { force: true });
console.log(`fault suite: ${b.numPassedTests ?? 0} passed, ${b.numFailedTests ?? 0} failed${b.testResults.length === 0 && !b.success ? " (no report: did it run?)" : ""}`);
