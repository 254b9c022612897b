import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSharingPolicy, type Decision, type DecisionInput, type SharingPolicy } from "./index.js";

/**
 * sharing/samples/*.json through the real compiled wasm and the shipped data.
 * `policy.sh test` checks the same samples against the Rego, so the Rego, the
 * committed wasm and the samples all agree.
 */

interface Sample {
  file: string;
  name: string;
  input: DecisionInput;
  expected: Partial<Decision>;
}

const samplesDir = fileURLToPath(new URL("../sharing/samples/", import.meta.url));
const samples: Sample[] = readdirSync(samplesDir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(samplesDir + file, "utf8")) as Omit<Sample, "file">) }));

const picked = (d: Decision, keys: string[]) => Object.fromEntries(keys.map((k) => [k, d[k as keyof Decision]]));

let policy: SharingPolicy;
beforeAll(async () => {
  policy = await loadSharingPolicy();
});

describe("samples", () => {
  it("include allowed and denied decisions", () => {
    expect(samples.some((s) => s.expected.allow === true)).toBe(true);
    expect(samples.some((s) => s.expected.allow === false)).toBe(true);
  });

  it.each(samples.map((s) => [s.file, s] as const))("each names allow, view and reasons: %s", (_file, sample) => {
    expect(typeof sample.name).toBe("string");
    expect(Object.keys(sample.expected)).toEqual(expect.arrayContaining(["allow", "view", "reasons"]));
  });
});

describe("the compiled policy decides every sample as expected", () => {
  it.each(samples.map((s) => [s.name, s] as const))("%s", (_name, sample) => {
    const decision = policy.decide(sample.input);
    expect(picked(decision, Object.keys(sample.expected))).toEqual(sample.expected);
  });
});
