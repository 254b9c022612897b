import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dataDir, inlandRevenue, request, shippedRegistry } from "./events.fixture.js";
import { DEFAULT_DATA_DIR, DEFAULT_WASM_PATH, loadSharingPolicy, policyRevision } from "./index.js";

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
const shippedWasm = () => readFileSync(DEFAULT_WASM_PATH);
const shippedData = () => readFileSync(join(DEFAULT_DATA_DIR, "subscribers.json"));

describe("policy revision", () => {
  it("is sha256 hex", async () => {
    expect((await loadSharingPolicy()).revision).toMatch(/^[0-9a-f]{64}$/);
  });

  it("is the same on every load of the same files", async () => {
    const [a, b] = await Promise.all([loadSharingPolicy(), loadSharingPolicy()]);
    expect(a.revision).toBe(b.revision);
  });

  it("is the documented hash of the wasm and the data file", async () => {
    const expected = sha256(`wasm:${sha256(shippedWasm())}\ndata:${sha256(shippedData())}\n`);
    expect((await loadSharingPolicy()).revision).toBe(expected);
  });

  it("is recorded in every decision", async () => {
    const policy = await loadSharingPolicy();
    expect(policy.decide(request("customs")).policy_revision).toBe(policy.revision);
    expect(policy.decide(request("public")).policy_revision).toBe(policy.revision);
  });

  it("changes when the data changes", async () => {
    const shipped = await loadSharingPolicy();
    const withPartner = await loadSharingPolicy({ dataDir: dataDir({ ...shippedRegistry(), "inland-revenue": inlandRevenue() }) });
    expect(withPartner.revision).not.toBe(shipped.revision);
  });

  it("changes with any byte of the data file", () => {
    expect(policyRevision(shippedWasm(), "{}")).not.toBe(policyRevision(shippedWasm(), "{ }"));
  });

  it("changes when the wasm changes", () => {
    const wasm = shippedWasm();
    const altered = Buffer.concat([wasm, Buffer.from([0])]);
    expect(policyRevision(altered, shippedData())).not.toBe(policyRevision(wasm, shippedData()));
  });

  it("does not confuse wasm bytes with data bytes", () => {
    expect(policyRevision(Buffer.from("ab"), "c")).not.toBe(policyRevision(Buffer.from("a"), "bc"));
  });
});
