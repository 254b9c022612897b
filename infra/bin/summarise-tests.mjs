// Sums the vitest JSON reports of every workspace into one closing line,
// "N passed, N failed[, N skipped]", so CI can read the outcome of the whole suite.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
let passed = 0, failed = 0, skipped = 0, files = 0;
for (const name of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
  const report = JSON.parse(readFileSync(join(dir, name), "utf8"));
  files++;
  passed += report.numPassedTests ?? 0;
  // A suite that crashed or failed to load has no failed *tests*; count it as one failure.
  const suiteFailures = report.success === false && (report.numFailedTests ?? 0) === 0 ? Math.max(1, report.numFailedTestSuites ?? 0) : 0;
  failed += (report.numFailedTests ?? 0) + suiteFailures;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(`  ${name.replace(/\.json$/, "").padEnd(24)} ${report.numPassedTests} passed, ${report.numFailedTests + suiteFailures} failed`);
}
if (files === 0) {
  console.log("0 passed, 1 failed");
  console.error("no test reports were written");
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
