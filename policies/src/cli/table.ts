#!/usr/bin/env node
/**
 * `npm run policy:table`: regenerate the visibility table in policies/README.md from
 * the matrix samples and the registry. `--check` exits 1 if the committed table is
 * stale instead of writing it (the vitest suite checks the same).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadMatrix } from "../matrix.js";
import { DEFAULT_DATA_DIR, SUBSCRIBERS_FILE } from "../policy.js";
import { parseRegistry, subscriberList } from "../registry.js";
import { renderVisibilityTable, replaceTable } from "../table.js";

const readme = fileURLToPath(new URL("../../README.md", import.meta.url));
const registryPath = `${DEFAULT_DATA_DIR}/${SUBSCRIBERS_FILE}`;
const subscribers = subscriberList(parseRegistry(readFileSync(registryPath, "utf8"), registryPath));
const before = readFileSync(readme, "utf8");
const after = replaceTable(before, renderVisibilityTable(loadMatrix(), subscribers));
if (process.argv.includes("--check")) {
  if (after !== before) {
    console.error("policies/README.md: the visibility table is stale; run: npm run policy:table");
    process.exit(1);
  }
  console.error("policies/README.md: the visibility table is up to date");
} else if (after === before) {
  console.error("policies/README.md: the visibility table is already up to date");
} else {
  writeFileSync(readme, after);
  console.error("policies/README.md: visibility table regenerated");
}
