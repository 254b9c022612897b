import { defineConfig, type ViteUserConfig } from "vitest/config";

/**
 * Vitest settings every workspace shares: the default reporter on the console
 * plus a JSON report in the workspace (`.test-report.json`, a turbo output, so a
 * cached run restores it) that `npm test` sums into one closing line.
 */
export function workspaceTestConfig(name: string, test: NonNullable<ViteUserConfig["test"]> = {}) {
  return defineConfig({
    test: {
      name,
      include: ["src/**/*.test.ts"],
      reporters: ["default", "json"],
      outputFile: { json: ".test-report.json" },
      ...test,
    },
  });
}
