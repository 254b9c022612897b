import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig, type ViteUserConfig } from "vitest/config";
import type { Reporter, SerializedError } from "vitest/node";

/** Where a run's unhandled errors are kept, next to the workspace's JSON report. */
export const UNHANDLED_FILE = ".test-unhandled.json";

/**
 * Vitest fails a run (exit 1) on an error no test caught — an unhandled
 * rejection, an exception in a timer — while its JSON report still says every
 * test passed. This reporter writes those errors (name, message, the top of the
 * stack; appended across the runs of one workspace) to `.test-unhandled.json`,
 * so `npm test`'s closing summary counts them as failures and names them, even
 * when only the end of the log is kept.
 */
export class UnhandledErrorsReporter implements Reporter {
  constructor(private readonly file = join(process.cwd(), UNHANDLED_FILE)) {}
  onTestRunEnd(_modules: unknown, errors: ReadonlyArray<SerializedError>): void {
    if (errors.length === 0) return;
    const earlier: unknown[] = existsSync(this.file) ? JSON.parse(readFileSync(this.file, "utf8")) : [];
    const now = errors.map((e) => ({ name: e.name, message: e.message, stack: e.stack?.split("\n").slice(0, 12).join("\n") }));
    writeFileSync(this.file, JSON.stringify([...earlier, ...now], null, 2));
  }
}

/**
 * Vitest settings every workspace shares: the default reporter on the console
 * plus a JSON report in the workspace (`.test-report.json`, a turbo output, so a
 * cached run restores it) that `npm test` sums into one closing line, and any
 * unhandled errors (`.test-unhandled.json`, above).
 *
 * A test's time limit is 30 s, not vitest's 5 s: it catches a test that hangs, it is not a
 * measure of speed (benchmarks are), and CI runs two packages' suites at once on two cores,
 * where a property test of a few hundred runs or a spawned command took longer than 5 s.
 */
export function workspaceTestConfig(name: string, test: NonNullable<ViteUserConfig["test"]> = {}) {
  return defineConfig({
    test: {
      name,
      include: ["src/**/*.test.ts"],
      reporters: ["default", "json", new UnhandledErrorsReporter()],
      outputFile: { json: ".test-report.json" },
      testTimeout: 30_000,
      ...test,
    },
  });
}
