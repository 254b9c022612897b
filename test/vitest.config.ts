import { join } from "node:path";
import { UnhandledErrorsReporter, workspaceTestConfig } from "../vitest.shared.ts";

/**
 * The end-to-end suite. Run as one part of the package's tests (run-suites.sh, which sets
 * TAKITINI_TEST_PART: `e2e`, or `e2e-1`, `e2e-2` for its two lanes' parts), it writes its report and
 * any unhandled errors under that part's name (`.test-report.<part>.json`,
 * `.test-unhandled.<part>.json`), as other parts run at the same time; merge-reports.mjs
 * folds them into the package's. Run by hand, it writes the package's own.
 */
const part = process.env.TAKITINI_TEST_PART;
const suffix = part ? `.${part}` : "";

export default workspaceTestConfig("e2e", {
  include: ["e2e/**/*.test.ts"],
  globalSetup: ["./e2e/global-setup.ts"],
  fileParallelism: false,
  testTimeout: 90_000,
  hookTimeout: 240_000,
  reporters: ["default", "json", new UnhandledErrorsReporter(join(import.meta.dirname, `.test-unhandled${suffix}.json`))],
  outputFile: { json: `.test-report${suffix}.json` },
});
