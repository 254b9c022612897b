import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Decision, DecisionInput } from "./contract.js";

/**
 * The policy's per-subscriber samples, sharing/samples/matrix/*.json: one event as
 * its agency would mark it, and the whole decision every registered subscriber gets.
 * `policy.sh test` checks them against the Rego, the vitest suite against the wasm,
 * and the README's visibility table is generated from them.
 */

export const DEFAULT_MATRIX_DIR = fileURLToPath(new URL("../sharing/samples/matrix/", import.meta.url));

export type ExpectedDecision = Omit<Decision, "policy_revision">;

export interface MatrixRow {
  /** File name without .json; rows sort by it. */
  id: string;
  name: string;
  event: DecisionInput["event"];
  /** Subscriber id → the decision it gets. */
  expected: Record<string, ExpectedDecision>;
}

/** Every row in the directory, sorted by file name. */
export function loadMatrix(dir: string = DEFAULT_MATRIX_DIR): MatrixRow[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const row = JSON.parse(readFileSync(join(dir, f), "utf8")) as Omit<MatrixRow, "id">;
      return { id: f.slice(0, -".json".length), name: row.name, event: row.event, expected: row.expected };
    });
}
