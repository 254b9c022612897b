import { fileURLToPath } from "node:url";
import { defineConfig, type ViteUserConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * Vitest settings every workspace shares: the default reporter on the console
 * plus a JSON report per workspace that `npm test` sums into one closing line.
 */
export function workspaceTestConfig(name: string, test: NonNullable<ViteUserConfig["test"]> = {}) {
  return defineConfig({
    test: {
      name,
      include: ["src/**/*.test.ts"],
      reporters: ["default", "json"],
      outputFile: { json: `${root}.takitini/test-results/${name}.json` },
      ...test,
    },
  });
}
