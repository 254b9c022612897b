import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPolicy, type LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { ENTRYPOINT, POLICY_OUTPUT_INVALID, REDACTION_CATEGORIES_ENTRYPOINT, denial, interpretResult, type Decision, type DecisionInput } from "./contract.js";
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
  /**
   * How many distinct policy-relevant projections to remember decisions for
   * (see memoKey); 0 evaluates every call. Default DEFAULT_MEMO_ENTRIES.
   */
  memo?: number;
}

/** Decisions remembered per loaded policy, by default. */
export const DEFAULT_MEMO_ENTRIES = 4096;

export interface MemoStats {
  entries: number;
  capacity: number;
  hits: number;
  misses: number;
}

export interface SharingPolicy {
  /** sha256 (hex) of the wasm and the data: every decision records it. */
  readonly revision: string;
  /** Decide one (event, subscriber). Synchronous; never throws; fails closed. */
  decide(input: DecisionInput): Decision;
  /** The registered subscribers, by id (a fresh copy on each call). */
  subscribers(): Subscriber[];
  /** How the decision memo is doing (all zero when it is off). */
  memoStats(): MemoStats;
  /** The redaction categories agreements may name, as the policy defines them. */
  redactionCategories(): string[];
}

/**
 * The policy-relevant projection of an input, as a memo key: the input with the
 * event id blanked, and a link alert's records' ids too. The policy reads those ids
 * only to check they are strings (Rego tests hold it to that), so two inputs that
 * differ only in ids are decided alike, and a stream of events evaluates once per
 * distinct projection. Undefined (evaluate, do not remember) for anything that is
 * not a well-typed input or cannot be serialised. Pure.
 */
export function memoKey(input: unknown): string | undefined {
  if (typeof input !== "object" || input === null) return undefined;
  const event = (input as { event?: unknown }).event;
  if (typeof event !== "object" || event === null || typeof (event as { id?: unknown }).id !== "string") return undefined;
  const linked = (event as { linked?: unknown }).linked;
  if (linked !== undefined && !(Array.isArray(linked) && linked.every((r) => typeof r === "object" && r !== null && typeof (r as { id?: unknown }).id === "string"))) return undefined;
  try {
    return JSON.stringify({ ...input, event: { ...event, id: "", ...(linked !== undefined && { linked: (linked as object[]).map((r) => ({ ...r, id: "" })) }) } });
  } catch {
    return undefined;
  }
}

const copyDecision = (d: Decision): Decision => ({ ...d, redact: [...d.redact], reasons: [...d.reasons] });

/** A valid input for a subscriber, to ask the policy whether it can judge that subscriber at all. */
const probe = (subscriberId: string): DecisionInput => ({
  subscriber_id: subscriberId,
  event: {
    id: "00000000-0000-5000-8000-000000000000",
    source_agency: "POLICE",
    event_type: "police.organised_crime_noting",
    classification: "UNCLASSIFIED",
    caveats: [],
    releasable_to: [],
    releasable_to_countries: [],
    region: "EASTERN",
    activity: "DRUG_SUPPLY",
    operation_ref: "",
    operation_phase: "",
    subject_kinds: [],
    subjects: [],
    has_personal_information: false,
  },
});

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
  for (const entrypoint of [ENTRYPOINT, REDACTION_CATEGORIES_ENTRYPOINT]) {
    if (!Object.hasOwn(loaded.entrypoints as object, entrypoint)) {
      throw new Error(`${wasmPath} has no entrypoint ${entrypoint} (has: ${Object.keys(loaded.entrypoints as object).join(", ")})`);
    }
  }
  loaded.setData({ takitini: { subscribers: registry } });
  const categories = (loaded.evaluate(null, REDACTION_CATEGORIES_ENTRYPOINT) as { result?: unknown }[])[0]?.result;
  if (!Array.isArray(categories) || !categories.every((c) => typeof c === "string")) {
    throw new Error(`${wasmPath}: ${REDACTION_CATEGORIES_ENTRYPOINT} is not a list of names: ${JSON.stringify(categories)}`);
  }

  const evaluate = (input: DecisionInput): Decision => {
    try {
      return interpretResult(loaded.evaluate(input, ENTRYPOINT), revision);
    } catch {
      // The wasm trapped or the input could not be serialised: no trustworthy answer.
      return denial([POLICY_OUTPUT_INVALID], revision);
    }
  };
  const check = evaluate({} as DecisionInput);
  if (check.allow || !check.reasons.includes("sharing.input_invalid")) {
    throw new Error(`${wasmPath}: self-check failed: an empty input was decided ${JSON.stringify(check)}`);
  }
  const subscribers = subscriberList(registry);
  // The registry's shape passed zod; whether each record can be judged (vocabulary,
  // purposes, de-identification) is the policy's call. Refuse to run with one it cannot.
  const unjudgeable = subscribers.filter((s) => evaluate(probe(s.id)).reasons.includes("sharing.subscriber_misconfigured")).map((s) => s.id);
  if (unjudgeable.length > 0) {
    throw new Error(`${dataPath}: the policy cannot judge subscriber(s) ${unjudgeable.join(", ")} (sharing.subscriber_misconfigured): check their agreements' event types, activities, operation phases, redaction categories and purposes`);
  }

  const capacity = Math.max(0, Math.floor(options.memo ?? DEFAULT_MEMO_ENTRIES));
  const memo = new Map<string, Decision>();
  let hits = 0;
  let misses = 0;
  const decide =
    capacity === 0
      ? evaluate
      : (input: DecisionInput): Decision => {
          const key = memoKey(input);
          if (key === undefined) return evaluate(input);
          const known = memo.get(key);
          if (known !== undefined) {
            hits++;
            // Most recently used last, so the oldest is evicted first.
            memo.delete(key);
            memo.set(key, known);
            return copyDecision(known);
          }
          misses++;
          const decision = evaluate(input);
          if (memo.size >= capacity) memo.delete(memo.keys().next().value as string);
          memo.set(key, copyDecision(decision));
          return decision;
        };

  return {
    revision,
    decide,
    subscribers: () => structuredClone(subscribers),
    memoStats: () => ({ entries: memo.size, capacity, hits, misses }),
    redactionCategories: () => [...(categories as string[])],
  };
}
