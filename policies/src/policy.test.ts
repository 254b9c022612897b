import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { interpretResult, loadSharingPolicy, policyRevision, type DecisionInput, type SharingPolicy } from "./index.js";

const samplesDir = fileURLToPath(new URL("../sharing/samples/", import.meta.url));
const samples = readdirSync(samplesDir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(readFileSync(samplesDir + f, "utf8")) as { name: string; input: DecisionInput; expected: Record<string, unknown> });

let policy: SharingPolicy;
beforeAll(async () => {
  policy = await loadSharingPolicy();
});

describe("the compiled policy agrees with its samples", () => {
  it("has samples", () => expect(samples.length).toBeGreaterThanOrEqual(5));
  it.each(samples.map((s) => [s.name, s] as const))("%s", (_name, sample) => {
    expect(policy.decide(sample.input)).toMatchObject(sample.expected);
  });
});

describe("fail closed", () => {
  it.each([
    ["no result", []],
    ["an undefined result", [{}]],
    ["a boolean", [{ result: true }]],
    ["an allow without legal basis", [{ result: { allow: true, view: "full", redact: [], reasons: ["r"], legal_basis: "" } }]],
    ["an allow with view none", [{ result: { allow: true, view: "none", redact: [], reasons: ["r"], legal_basis: "b" } }]],
    ["an unknown view", [{ result: { allow: true, view: "everything", redact: [], reasons: ["r"], legal_basis: "b" } }]],
  ])("denies on %s", (_n, raw) => {
    const d = interpretResult(raw, "rev");
    expect(d).toEqual({ allow: false, view: "none", redact: [], reasons: ["sharing.policy_output_invalid"], legal_basis: "", policy_revision: "rev" });
  });
  it("denies garbage input through the real wasm", () => {
    for (const input of [{}, { subscriber_id: "customs" }, { subscriber_id: "customs", event: "x" }, null]) {
      const d = policy.decide(input as unknown as DecisionInput);
      expect(d.allow).toBe(false);
      expect(d.reasons).toContain("sharing.input_invalid");
    }
  });
});

describe("revision and subscribers", () => {
  it("records the revision of wasm and data in every decision", () => {
    expect(policy.revision).toMatch(/^[0-9a-f]{64}$/);
    expect(policy.decide(samples[0]!.input).policy_revision).toBe(policy.revision);
    expect(policyRevision(new Uint8Array([1]), "{}")).not.toBe(policyRevision(new Uint8Array([1]), "{ }"));
  });
  it("lists subscribers from data, each with a delivery topic", () => {
    const subs = policy.subscribers();
    expect(subs.map((s) => s.id)).toEqual(["community-eastern", "customs", "mbie", "msd", "public"]);
    expect(subs.find((s) => s.id === "customs")?.delivery_topic).toBe("takitini.deliver.customs.v1");
  });
  it("rejects malformed subscriber data", async () => {
    const { policyData } = await import("./index.js");
    const r = policyData.safeParse({ takitini: { subscribers: { Customs: { tier: "friend" } } } });
    expect(r.success).toBe(false);
  });
});
