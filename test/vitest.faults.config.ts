import { workspaceTestConfig } from "../vitest.shared.ts";

/**
 * The fault suite (test/faults, issue 13): the real mesh under the real supervisor on a
 * real three-node KRaft cluster and real PostgreSQL, faults injected mid-stream, each
 * case reconciled. One file, its cases in order. Its JSON report is merged into the
 * package's .test-report.json by faults/merge-report.mjs (the `test` script).
 */
export default workspaceTestConfig("faults", {
  include: ["faults/**/*.test.ts"],
  globalSetup: ["./faults/global-setup.ts"],
  fileParallelism: false,
  testTimeout: 300_000,
  hookTimeout: 300_000,
  outputFile: { json: "faults/.test-report.json" },
});
