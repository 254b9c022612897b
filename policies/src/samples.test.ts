import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSharingPolicy, type Decision, type DecisionInput, type SharingPolicy } from "./index.js";
import { loadMatrix } from "./matrix.js";

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

const matrix = loadMatrix();

describe("the per-subscriber matrix", () => {
  it("has a row for every event type the policy knows", () => {
    const types = new Set(matrix.map((r) => r.event.event_type));
    expect([...types].sort()).toEqual([
      "community.briefing_feedback",
      "community.observation",
      "community.support_need",
      "customs.border_seizure",
      "customs.information_response",
      "customs.suspicious_consignment",
      "linkage.link_alert",
      "mbie.exploitation_complaint",
      "mbie.trafficking_indicator",
      "msd.community_resilience_report",
      "msd.whanau_support_referral",
      "police.asset_restraint",
      "police.firearms_seizure",
      "police.fiu_suspicious_activity",
      "police.information_request",
      "police.operation_update",
      "police.organised_crime_noting",
      "police.scam_report",
      "police.support_advance_notice",
      "police.wastewater_indicator",
    ]);
  });

  it("names every registered subscriber in every row", () => {
    const ids = policy.subscribers().map((s) => s.id);
    for (const row of matrix) expect(Object.keys(row.expected).sort(), row.id).toEqual(ids);
  });

  it("shows every view somewhere", () => {
    const views = new Set(matrix.flatMap((r) => Object.values(r.expected).map((d) => d.view)));
    expect([...views].sort()).toEqual(["aggregate_only", "full", "none", "redacted"]);
  });

  it.each(matrix.map((r) => [r.name, r] as const))("the compiled policy decides as expected: %s", (_name, row) => {
    for (const [subscriberId, expected] of Object.entries(row.expected)) {
      const { policy_revision, ...decision } = policy.decide({ subscriber_id: subscriberId, event: row.event });
      expect(decision, subscriberId).toEqual(expected);
      expect(policy_revision).toBe(policy.revision);
    }
  });
});
