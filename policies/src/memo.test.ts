import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { drugNoting, noting, operationUpdate, request } from "./events.fixture.js";
import { loadSharingPolicy, memoKey, type DecisionInput, type SharingPolicy } from "./index.js";
import { loadMatrix } from "./matrix.js";

/** Evaluating once per distinct projection must never change a decision. */

const samplesDir = fileURLToPath(new URL("../sharing/samples/", import.meta.url));
const sampleInputs = readdirSync(samplesDir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => (JSON.parse(readFileSync(samplesDir + f, "utf8")) as { input: DecisionInput }).input);
const matrixInputs = loadMatrix().flatMap((row) => Object.keys(row.expected).map((id) => request(id, row.event)));

/** The same input about another event (another id). */
const renamed = (input: DecisionInput, n: number): DecisionInput => ({ ...input, event: { ...input.event, id: `0b8a4f4e-6f0e-5c1a-9d0e-${String(n).padStart(12, "0")}` } });

let plain: SharingPolicy;
let memoised: SharingPolicy;
beforeAll(async () => {
  [plain, memoised] = await Promise.all([loadSharingPolicy({ memo: 0 }), loadSharingPolicy({ memo: 64 })]);
});

describe("memoised decisions are the plain policy's", () => {
  it("for every sample and matrix input, under many event ids, in any order", () => {
    const inputs = [...sampleInputs, ...matrixInputs];
    for (let round = 0; round < 3; round++) {
      for (const [i, input] of inputs.entries()) {
        const asked = typeof input === "object" && input !== null && typeof input.event === "object" && input.event !== null ? renamed(input, round * 1000 + i) : input;
        expect(memoised.decide(asked), JSON.stringify(asked)).toEqual(plain.decide(asked));
      }
      inputs.reverse();
    }
    const stats = memoised.memoStats();
    expect(stats.hits).toBeGreaterThan(0);
    expect(stats.entries).toBeLessThanOrEqual(64);
  });

  it("evaluates once per distinct projection", async () => {
    const policy = await loadSharingPolicy({ memo: 16 });
    for (let i = 0; i < 100; i++) policy.decide(renamed(request("customs", drugNoting), i));
    expect(policy.memoStats()).toMatchObject({ misses: 1, hits: 99, entries: 1 });
  });

  it("tells projections apart by every policy-relevant field", () => {
    expect(memoKey(request("customs", drugNoting))).not.toBe(memoKey(request("msd", drugNoting)));
    expect(memoKey(request("msd", operationUpdate("ACTIVE")))).not.toBe(memoKey(request("msd", operationUpdate("RESOLUTION"))));
    expect(memoKey(request("customs", drugNoting))).not.toBe(memoKey(request("customs", noting("DRUG_SUPPLY", { subjects: [{ kind: "PERSON", role: "VICTIM", minor: true }] }))));
    expect(memoKey(request("customs", drugNoting))).toBe(memoKey(renamed(request("customs", drugNoting), 7)));
  });

  it("does not remember what it cannot key", () => {
    expect(memoKey(null)).toBeUndefined();
    expect(memoKey({ subscriber_id: "customs" })).toBeUndefined();
    expect(memoKey({ subscriber_id: "customs", event: { ...drugNoting, id: 7 } })).toBeUndefined();
    expect(memoKey({ subscriber_id: "customs", event: { ...drugNoting, seq: 1n } })).toBeUndefined();
  });

  it("cannot be poisoned by a caller changing a decision it was given", async () => {
    const policy = await loadSharingPolicy({ memo: 16 });
    const first = policy.decide(request("msd", operationUpdate("RESOLUTION")));
    first.redact.length = 0;
    first.reasons.push("sharing.tampered");
    const again = policy.decide(renamed(request("msd", operationUpdate("RESOLUTION")), 2));
    expect(again).toEqual(plain.decide(request("msd", operationUpdate("RESOLUTION"))));
  });

  it("evicts the least recently used projection beyond its capacity", async () => {
    const policy = await loadSharingPolicy({ memo: 2 });
    policy.decide(request("customs"));
    policy.decide(request("msd"));
    policy.decide(request("customs"));
    policy.decide(request("mbie"));
    policy.decide(request("customs"));
    expect(policy.memoStats()).toMatchObject({ entries: 2, hits: 2, misses: 3 });
  });

  it("is off with memo 0", () => {
    plain.decide(request("customs"));
    plain.decide(request("customs"));
    expect(plain.memoStats()).toEqual({ entries: 0, capacity: 0, hits: 0, misses: 0 });
  });
});
