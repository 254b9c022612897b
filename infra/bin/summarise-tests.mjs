// Sums the vitest JSON reports of every workspace into one closing line,
// "N passed, N failed[, N skipped]", so CI can read the outcome of the whole suite.
import { existsSync, globSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const workspaces = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).workspaces;
const dirs = workspaces.flatMap((w) => globSync(w, { cwd: root })).sort();
let passed = 0, failed = 0, skipped = 0, files = 0;
for (const dir of dirs) {
  const file = join(root, dir, ".test-report.json");
  const name = dir;
  const hasTests = Boolean(JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")).scripts?.test);
  if (!hasTests) continue;
  if (!existsSync(file)) {
    // Every workspace with tests must report; a missing report is a failure, not a pass.
    failed++;
    console.log(`  ${name.padEnd(24)} no test report (did its tests run?)`);
    continue;
  }
  const report = JSON.parse(readFileSync(file, "utf8"));
  files++;
  passed += report.numPassedTests ?? 0;
  // A suite that crashed or failed to load has no failed *tests*; count it as one failure.
  const suiteFailures = report.success === false && (report.numFailedTests ?? 0) === 0 ? Math.max(1, report.numFailedTestSuites ?? 0) : 0;
  failed += (report.numFailedTests ?? 0) + suiteFailures;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // Errors no test caught fail vitest's run while its report says every test passed
  // (vitest.shared.ts keeps them): each counts as a failure, and is named here.
  const unhandledFile = join(root, dir, ".test-unhandled.json");
  const unhandled = existsSync(unhandledFile) ? JSON.parse(readFileSync(unhandledFile, "utf8")) : [];
  failed += unhandled.length;
  console.log(`  ${name.padEnd(24)} ${report.numPassedTests} passed, ${report.numFailedTests + suiteFailures + unhandled.length} failed${unhandled.length ? ` (${unhandled.length} unhandled error${unhandled.length > 1 ? "s" : ""})` : ""}`);
  // Each failed test by name, with the first lines of its failure: CI shows only the tail of its log.
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status !== "failed") continue;
      const why = String(t.failureMessages?.[0] ?? "").replace(/\u001b\[[0-9;]*m/g, "").split("\n").slice(0, 3).map((l) => l.slice(0, 300)).join(" | ");
      console.log(`    failed ${suite.name.slice(root.length + 1)} > ${t.fullName}\n      ${why}`);
    }
  }
  for (const e of unhandled) console.log(`    unhandled ${e.name ?? "Error"}: ${String(e.message).slice(0, 400)}\n${(e.stack ?? "").split("\n").slice(1, 6).map((l) => `      ${l.trim()}`).join("\n")}`);
}
if (files === 0) {
  console.log("0 passed, 1 failed");
  console.error("no test reports were written");
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
