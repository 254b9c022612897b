import { join } from "node:path";
import { UnhandledErrorsReporter, workspaceTestConfig } from "../vitest.shared.ts";

/**
 * The fault suite (test/faults, issue 13): the real mesh under the real supervisor on a
 * real three-node KRaft cluster and real PostgreSQL, faults injected mid-stream, each
 * case reconciled. One file, its cases in order. Its JSON report and any unhandled errors
 * (faults/.test-report.json, faults/.test-unhandled.json: it runs at the same time as the
 * end-to-end suite's parts) are merged into the package's by merge-reports.mjs once every
 * part has ended (run-suites.sh).
 */
export default workspaceTestConfig("faults", {
  include: ["faults/**/*.test.ts"],
  globalSetup: ["./faults/global-setup.ts"],
  fileParallelism: false,
  testTimeout: 300_000,
  hookTimeout: 300_000,
  reporters: ["default", "json", new UnhandledErrorsReporter(join(import.meta.dirname, "faults", ".test-unhandled.json"))],
  outputFile: { json: "faults/.test-report.json" },
});
