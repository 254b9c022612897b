/**
 * The built verify command for its integration tests: under `npm test` the
 * suite runs after the build; run alone, the package is rebuilt first when a
 * source is newer than the command.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const PKG = fileURLToPath(new URL("../../", import.meta.url));
export const VERIFY_CLI = join(PKG, "dist/tools/verify.js");

/** Newest modification time under `rel` (files ending in `ext`). */
function newest(rel: string, ext: string): number {
  const root = join(PKG, rel);
  return Math.max(
    0,
    ...readdirSync(root, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(ext) && !f.endsWith(".test.ts"))
      .map((f) => statSync(join(root, f)).mtimeMs),
  );
}

/** Rebuild if dist/tools/verify.js (and the `sources` it uses, each a folder under src) is older than its sources. */
export function ensureVerifyBuilt(sources: readonly string[] = ["tools", "verify"]): void {
  const stale = () => Math.max(...sources.map((s) => newest(`src/${s}`, ".ts"))) > Math.min(newest("dist/tools", "verify.js"), ...sources.map((s) => newest(`dist/${s}`, ".js")));
  if (stale()) spawnSync(process.execPath, [join(PKG, "../../node_modules/typescript/bin/tsc"), "-p", join(PKG, "tsconfig.json")], { stdio: "ignore" });
  expect(stale(), "dist/tools/verify.js is older than its sources: npm run build -w @takitini/audit").toBe(false);
}
