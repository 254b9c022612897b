import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPolicy, type LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { ENTRYPOINT, POLICY_OUTPUT_INVALID, denial, interpretResult, type Decision, type DecisionInput } from "./contract.js";
import { parseRegistry, subscriberList, type Subscriber } from "./registry.js";

/** The compiled policy and its data as shipped in this package (resolved from src/ or dist/ alike). */
export const DEFAULT_WASM_PATH = fileURLToPath(new URL("../build/policy.wasm", import.meta.url));
export const DEFAULT_DATA_DIR = fileURLToPath(new URL("../data", import.meta.url));
/** The registry's file in a data directory. */
export const SUBSCRIBERS_FILE = "subscribers.json";

export interface LoadOptions {
  /** Compiled policy; default build/policy.wasm in this package. */
  wasmPath?: string;
  /** Directory holding subscribers.json; default data/ in this package. */
  dataDir?: string;
}

export interface SharingPolicy {
  /** sha256 (hex) of the wasm and the data: every decision records it. */
  readonly revision: string;
  /** Decide one (event, subscriber). Synchronous; never throws; fails closed. */
  decide(input: DecisionInput): Decision;
  /** The registered subscribers, by id (a fresh copy on each call). */
  subscribers(): Subscriber[];
}

/**
 * The revision of a policy: sha256 over the sha256 of the wasm and of the data
 * file's bytes, so anyone can recompute it from the two committed files:
 *   printf 'wasm:%s\ndata:%s\n' "$(sha256sum < build/policy.wasm | cut -c1-64)" \
 *     "$(sha256sum < data/subscribers.json | cut -c1-64)" | sha256sum
 */
export function policyRevision(wasm: Uint8Array, data: Uint8Array | string): string {
  const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
  return sha(`wasm:${sha(wasm)}\ndata:${sha(data)}\n`);
}

async function read(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const hint = what === "compiled policy" ? " (build it with: npm run generate -w @takitini/policies)" : "";
    throw new Error(`cannot read the ${what} at ${path}: ${(err as Error).message}${hint}`);
  }
}

/**
 * Load the compiled sharing policy and the subscriber registry for in-process
 * evaluation. Throws if either is missing or malformed, or if the loaded policy
 * does not deny a malformed input (a self-check run once here).
 */
export async function loadSharingPolicy(options: LoadOptions = {}): Promise<SharingPolicy> {
  const wasmPath = options.wasmPath ?? DEFAULT_WASM_PATH;
  const dataPath = join(options.dataDir ?? DEFAULT_DATA_DIR, SUBSCRIBERS_FILE);
  const [wasm, data] = await Promise.all([read(wasmPath, "compiled policy"), read(dataPath, "subscriber registry")]);
  const registry = parseRegistry(data.toString("utf8"), dataPath);
  const revision = policyRevision(wasm, data);

  let loaded: LoadedPolicy;
  try {
    loaded = await loadPolicy(wasm);
  } catch (err) {
    throw new Error(`${wasmPath} is not a loadable OPA wasm module: ${String(err)}`);
  }
  if (!Object.hasOwn(loaded.entrypoints as object, ENTRYPOINT)) {
    throw new Error(`${wasmPath} has no entrypoint ${ENTRYPOINT} (has: ${Object.keys(loaded.entrypoints as object).join(", ")})`);
  }
  loaded.setData({ takitini: { subscribers: registry } });

  const decide = (input: DecisionInput): Decision => {
    try {
      return interpretResult(loaded.evaluate(input, ENTRYPOINT), revision);
    } catch {
      // The wasm trapped or the input could not be serialised: no trustworthy answer.
      return denial([POLICY_OUTPUT_INVALID], revision);
    }
  };
  const check = decide({} as DecisionInput);
  if (check.allow || !check.reasons.includes("sharing.input_invalid")) {
    throw new Error(`${wasmPath}: self-check failed: an empty input was decided ${JSON.stringify(check)}`);
  }

  const subscribers = subscriberList(registry);
  return {
    revision,
    decide,
    subscribers: () => structuredClone(subscribers),
  };
}
