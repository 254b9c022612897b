import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadPolicy, type LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { z } from "zod";

/** The compiled sharing policy and its data, as shipped in this package. */
export const DEFAULT_WASM_PATH = fileURLToPath(new URL("../build/policy.wasm", import.meta.url));
export const DEFAULT_DATA_DIR = fileURLToPath(new URL("../data", import.meta.url));
export const ENTRYPOINT = "takitini/sharing/decision";

export const views = ["full", "redacted", "aggregate_only", "none"] as const;
export type View = (typeof views)[number];

const agreement = z.strictObject({
  id: z.string().min(1),
  rule: z.string().min(1),
  source_agency: z.string().min(1),
  event_types: z.array(z.string()).min(1),
  activities: z.array(z.string()).optional(),
  view: z.enum(views),
  redact: z.array(z.string()),
  legal_basis: z.string(),
});

export const subscriberRecord = z.strictObject({
  name: z.string().min(1),
  tier: z.enum(["partner_agency", "community_leader", "public", "oversight"]),
  agency: z.string().optional(),
  law_enforcement: z.boolean(),
  clearance: z.string().min(1),
  regions: z.array(z.string()).min(1),
  delivery_topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/),
  agreements: z.array(agreement),
});

export const policyData = z.strictObject({
  takitini: z.strictObject({
    subscribers: z.record(z.string().regex(/^[a-z0-9-]{1,40}$/, "subscriber ids are lower-case letters, digits and -"), subscriberRecord),
  }),
});

export type Subscriber = z.infer<typeof subscriberRecord> & { id: string };

/** What the exchange tells the policy about one event for one subscriber: no personal information. */
export interface DecisionInput {
  subscriber_id: string;
  event: {
    id: string;
    source_agency: "POLICE" | "CUSTOMS" | "MBIE" | "MSD";
    event_type: string;
    classification: "UNCLASSIFIED" | "IN_CONFIDENCE" | "SENSITIVE" | "RESTRICTED" | "CONFIDENTIAL" | "SECRET" | "TOP_SECRET";
    caveats: string[];
    releasable_to: string[];
    region: string;
    activity: string;
    subject_kinds: string[];
    has_personal_information: boolean;
  };
}

const policyOutput = z.strictObject({
  allow: z.boolean(),
  view: z.enum(views),
  redact: z.array(z.string()),
  reasons: z.array(z.string()).min(1),
  legal_basis: z.string(),
});

export type Decision = z.infer<typeof policyOutput> & { policy_revision: string };

export interface SharingPolicy {
  /** sha256 of the wasm module and the data: every decision records it. */
  readonly revision: string;
  decide(input: DecisionInput): Decision;
  subscribers(): Subscriber[];
}

/**
 * Check the wasm's answer; anything unexpected (no result, wrong shape, an allow
 * without a legal basis) is a deny. Pure.
 */
export function interpretResult(raw: unknown, revision: string): Decision {
  const first = Array.isArray(raw) ? (raw[0] as { result?: unknown } | undefined)?.result : undefined;
  const parsed = policyOutput.safeParse(first);
  if (!parsed.success || (parsed.data.allow && (parsed.data.view === "none" || parsed.data.legal_basis === ""))) {
    return { allow: false, view: "none", redact: [], reasons: ["sharing.policy_output_invalid"], legal_basis: "", policy_revision: revision };
  }
  if (!parsed.data.allow && parsed.data.view !== "none") {
    return { ...parsed.data, view: "none", redact: [], policy_revision: revision };
  }
  return { ...parsed.data, policy_revision: revision };
}

export function policyRevision(wasm: Uint8Array, dataJson: string): string {
  return createHash("sha256").update(wasm).update("\u0000").update(dataJson).digest("hex");
}

/** Load the compiled policy and its data for in-process evaluation. */
export async function loadSharingPolicy(options: { wasmPath?: string; dataDir?: string } = {}): Promise<SharingPolicy> {
  const wasm = readFileSync(options.wasmPath ?? DEFAULT_WASM_PATH);
  const dataJson = readFileSync(`${options.dataDir ?? DEFAULT_DATA_DIR}/data.json`, "utf8");
  const data = policyData.parse(JSON.parse(dataJson));
  const revision = policyRevision(wasm, dataJson);
  const policy: LoadedPolicy = await loadPolicy(wasm);
  policy.setData(data);
  const subscribers = Object.entries(data.takitini.subscribers)
    .map(([id, s]) => ({ id, ...s }))
    .sort((a, b) => a.id.localeCompare(b.id));
  return {
    revision,
    decide: (input) => interpretResult(policy.evaluate(input, ENTRYPOINT), revision),
    subscribers: () => subscribers,
  };
}
