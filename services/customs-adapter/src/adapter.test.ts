import { kindFor } from "@takitini/adapter-kit";
import { Agency } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { customsAdapter } from "./adapter.js";

describe("customsAdapter", () => {
  it("publishes Customs events on its own topic and ports", () => {
    expect(customsAdapter).toMatchObject({ agency: "CUSTOMS", service: "customs-adapter", topic: "takitini.intel.customs.v1", httpPort: 8084, grpcPort: 9084 });
    expect(customsAdapter.kinds.map((k) => k.recordType)).toEqual(["border_seizure", "suspicious_consignment", "information_request", "information_response"]);
  });

  it("gives each kind its own record type, path and event type", () => {
    const kinds = customsAdapter.kinds;
    expect(new Set(kinds.map((k) => k.httpPath)).size).toBe(kinds.length);
    expect(new Set(kinds.map((k) => k.eventType)).size).toBe(kinds.length);
    for (const k of kinds) {
      expect(kindFor(customsAdapter, k.recordType)).toBe(k);
      expect(k.eventType).toBe(`customs.${k.recordType}`);
      expect(k.httpPath).toMatch(/^\/v1\/[a-z-]+$/);
    }
  });

  it("maps every kind's example to a Customs event of that kind", () => {
    for (const k of customsAdapter.kinds) {
      const e = k.map(k.schema.parse(k.example), new Date("2026-11-20T00:00:00Z"));
      expect(e.sourceAgency).toBe(Agency.AGENCY_CUSTOMS);
      expect(e.eventType).toBe(k.eventType);
      expect(e.sourceRecordId).toBe(k.nativeId(k.schema.parse(k.example)));
    }
  });
});
