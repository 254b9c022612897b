import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { dataDir, drugNoting, noting, request, shippedRegistry } from "./events.fixture.js";
import { DEFAULT_WASM_PATH, interpretResult, loadSharingPolicy, POLICY_OUTPUT_INVALID, type DecisionInput, type SharingPolicy } from "./index.js";

const invalid = { allow: false, view: "none", redact: [], reasons: [POLICY_OUTPUT_INVALID], legal_basis: "", policy_revision: "rev" };
const allowFull = { allow: true, view: "full", redact: [], reasons: ["sharing.customs_police_drug_supply"], legal_basis: "IPP 11(1)(e)(i)" };
const denyDefault = { allow: false, view: "none", redact: [], reasons: ["sharing.default_deny"], legal_basis: "" };
const resultSet = (result: unknown) => [{ result }];
const garbage = (value: unknown) => value as DecisionInput;

let policy: SharingPolicy;
beforeAll(async () => {
  policy = await loadSharingPolicy();
});

describe("a well-formed answer is passed through", () => {
  it("keeps an allow", () => expect(interpretResult(resultSet(allowFull), "rev")).toEqual({ ...allowFull, policy_revision: "rev" }));
  it("keeps a deny", () => expect(interpretResult(resultSet(denyDefault), "rev")).toEqual({ ...denyDefault, policy_revision: "rev" }));
  it("keeps a redacted view's paths", () => {
    const redacted = { ...allowFull, view: "redacted", redact: ["subjects[*].person.full_name"] };
    expect(interpretResult(resultSet(redacted), "rev").redact).toEqual(["subjects[*].person.full_name"]);
  });
});

describe("an answer that cannot be trusted is a deny (sharing.policy_output_invalid)", () => {
  it.each([
    ["no result set", undefined],
    ["a result set that is not an array", { result: allowFull }],
    ["an empty result set (entrypoint undefined)", []],
    ["two results", [{ result: allowFull }, { result: allowFull }]],
    ["a result without a value", [{}]],
    ["a null result", [null]],
    ["a boolean value", resultSet(true)],
    ["an empty object", resultSet({})],
    ["a missing field", resultSet({ ...allowFull, legal_basis: undefined })],
    ["an extra field", resultSet({ ...allowFull, agreement: "x" })],
    ["an unknown view", resultSet({ ...allowFull, view: "everything" })],
    ["allow as a string", resultSet({ ...allowFull, allow: "true" })],
    ["an allow with view none", resultSet({ ...allowFull, view: "none" })],
    ["an allow without a legal basis", resultSet({ ...allowFull, legal_basis: "" })],
    ["an allow without reasons", resultSet({ ...allowFull, reasons: [] })],
    ["a deny without reasons", resultSet({ ...denyDefault, reasons: [] })],
    ["a deny with a view", resultSet({ ...denyDefault, view: "full" })],
    ["a deny with a legal basis", resultSet({ ...denyDefault, legal_basis: "IPP 11" })],
    ["a malformed reason id", resultSet({ ...denyDefault, reasons: ["Default Deny"] })],
    ["redactions on a full view", resultSet({ ...allowFull, redact: ["subjects[*].person.full_name"] })],
  ])("%s", (_name, raw) => {
    expect(interpretResult(raw, "rev")).toEqual(invalid);
  });
});

describe("the compiled policy denies what it cannot judge", () => {
  it.each([
    ["an empty input", {}],
    ["a null input", null],
    ["an undefined input", undefined],
    ["a string input", "customs"],
    ["no event", { subscriber_id: "customs" }],
    ["an event that is not an object", { subscriber_id: "customs", event: "noting" }],
    ["a numeric subscriber id", { subscriber_id: 7, event: drugNoting }],
    ["a missing event field", { subscriber_id: "customs", event: { ...drugNoting, classification: undefined } }],
    ["caveats that are not a list", { subscriber_id: "customs", event: { ...drugNoting, caveats: "LAW_ENFORCEMENT_ONLY" } }],
  ])("%s: sharing.input_invalid", (_name, input) => {
    const d = policy.decide(garbage(input));
    expect(d).toMatchObject({ allow: false, view: "none", redact: [], legal_basis: "", reasons: ["sharing.input_invalid"] });
  });

  it("an unknown subscriber: sharing.unknown_subscriber", () => {
    expect(policy.decide(request("inland-revenue", noting("DRUG_SUPPLY", { classification: "UNCLASSIFIED", caveats: [] }))).reasons).toEqual(["sharing.unknown_subscriber"]);
  });

  it("an unknown event type", () => {
    expect(policy.decide(request("customs", noting("DRUG_SUPPLY", { event_type: "police.gossip" }))).reasons).toContain("sharing.unknown_event_type");
  });

  it("an unknown caveat", () => {
    expect(policy.decide(request("customs", noting("DRUG_SUPPLY", { caveats: ["EYES_ONLY"] }))).reasons).toEqual(["sharing.unknown_caveat"]);
  });

  it("an unspecified classification", () => {
    expect(policy.decide(garbage(request("customs", noting("DRUG_SUPPLY", { classification: "UNSPECIFIED" as never })))).reasons).toEqual(["sharing.unknown_classification"]);
  });

  it("an input that cannot be serialised is denied, not thrown", () => {
    const d = policy.decide(garbage({ subscriber_id: "customs", event: { ...drugNoting, id: 1n } }));
    expect(d).toMatchObject({ allow: false, reasons: [POLICY_OUTPUT_INVALID] });
  });

  it("a circular input is denied, not thrown", () => {
    const input: Record<string, unknown> = { subscriber_id: "customs" };
    input.event = input;
    expect(policy.decide(garbage(input)).reasons).toEqual([POLICY_OUTPUT_INVALID]);
  });

  it("a very large input is still decided", () => {
    const d = policy.decide(request("customs", noting("DRUG_SUPPLY", { releasable_to: Array.from({ length: 50_000 }, (_, i) => `partner-${i}`) })));
    expect(d.allow).toBe(true);
  });

  it("decisions after a malformed input are unaffected", () => {
    policy.decide(garbage(null));
    expect(policy.decide(request("customs")).allow).toBe(true);
  });
});

describe("loading fails loudly rather than deciding without a policy", () => {
  it("a missing wasm", async () => {
    await expect(loadSharingPolicy({ wasmPath: "/nonexistent/policy.wasm" })).rejects.toThrow(/npm run generate -w @takitini\/policies/);
  });

  it("a file that is not wasm", async () => {
    const dir = dataDir(shippedRegistry());
    await expect(loadSharingPolicy({ wasmPath: `${dir}/subscribers.json` })).rejects.toThrow(/not a loadable OPA wasm module/);
  });

  it("a missing registry", async () => {
    await expect(loadSharingPolicy({ dataDir: "/nonexistent" })).rejects.toThrow(/cannot read the subscriber registry/);
  });

  it("a malformed registry", async () => {
    await expect(loadSharingPolicy({ dataDir: dataDir({ customs: { tier: "friend" } }) })).rejects.toThrow(/invalid subscriber registry/);
  });

  it("the shipped wasm loads from its default path", () => {
    expect(readFileSync(DEFAULT_WASM_PATH).subarray(0, 4)).toEqual(Buffer.from([0x00, 0x61, 0x73, 0x6d]));
  });
});
