import { readFileSync } from "node:fs";
import { kindFor, INFORMATION_RECORD_TYPES } from "@takitini/adapter-kit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { msdAdapter } from "./adapter.js";

const PAYLOAD: Record<string, string> = {
  whanau_support_referral: "msdWhanauSupportReferral",
  community_resilience_report: "msdCommunityResilienceReport",
};

/** MSD's own kinds: the shared information kinds are the adapter-kit's (documented and tested there). */
const ownKinds = msdAdapter.kinds.filter((k) => !INFORMATION_RECORD_TYPES.has(k.recordType));

describe("msdAdapter", () => {
  it("publishes as MSD on its own topic and ports", () => {
    expect(msdAdapter).toMatchObject({ agency: "MSD", service: "msd-adapter", topic: "takitini.intel.msd.v1", httpPort: 8086, grpcPort: 9086 });
    expect(msdAdapter.kinds.map((k) => k.recordType)).toEqual(["whanau_support_referral", "community_resilience_report", "information_request", "information_response"]);
  });

  it("has distinct record types, event types and HTTP paths", () => {
    for (const key of ["recordType", "eventType", "httpPath"] as const) {
      expect(new Set(msdAdapter.kinds.map((k) => k[key])).size).toBe(msdAdapter.kinds.length);
    }
    expect(kindFor(msdAdapter, "community_resilience_report")?.httpPath).toBe("/v1/community-resilience-reports");
  });

  it.each(ownKinds.map((k) => [k.recordType, k] as const))("%s: names line up, and the example maps to its payload with no subjects", (_name, kind) => {
    expect(kind.eventType).toBe(`msd.${kind.recordType}`);
    expect(kind.httpPath).toMatch(/^\/v1\/[a-z-]+$/);
    const event = kind.map(kind.schema.parse(kind.example), new Date("2026-11-20T00:00:00Z"));
    expect(event.eventType).toBe(kind.eventType);
    expect(event.payload?.$case).toBe(PAYLOAD[kind.recordType]);
    expect(event.subjects).toEqual([]);
    expect(event.grading).toBeUndefined();
  });

  it.each(msdAdapter.kinds.map((k) => [k.recordType, k] as const))("%s: the schema renders as JSON Schema for the OpenAPI document", (_name, kind) => {
    const schema = z.toJSONSchema(kind.schema, { io: "input", unrepresentable: "any" }) as { type?: string; additionalProperties?: unknown };
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
  });
});

describe("README", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const examples = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as unknown);

  it.each(ownKinds.map((k) => [k.recordType, k] as const))("%s: shows the kind's example and a row for every field", (name, kind) => {
    expect(readme).toContain(`### \`${name}\``);
    expect(examples).toContainEqual(kind.example);
    const fields = Object.keys((z.toJSONSchema(kind.schema, { io: "input", unrepresentable: "any" }) as { properties: object }).properties);
    const own = fields.filter((f) => !["classification", "caveats", "releasable_to", "releasable_to_countries", "legal_basis"].includes(f));
    for (const f of own) expect(readme).toMatch(new RegExp(`^\\| \`${f}\` \\|`, "m"));
  });

  it("keeps a place for the doors", () => {
    expect(readme).toMatch(/^## Doors$/m);
  });
});
