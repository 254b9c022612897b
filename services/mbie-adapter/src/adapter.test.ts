import { kindFor } from "@takitini/adapter-kit";
import { Agency } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { mbieAdapter } from "./adapter.js";

describe("mbieAdapter", () => {
  it("publishes MBIE events on its own topic and ports", () => {
    expect(mbieAdapter).toMatchObject({ agency: "MBIE", service: "mbie-adapter", topic: "takitini.intel.mbie.v1", httpPort: 8085, grpcPort: 9085 });
    expect(mbieAdapter.kinds.map((k) => k.recordType)).toEqual(["exploitation_complaint", "trafficking_indicator", "information_request", "information_response"]);
  });

  it("gives each kind its own record type, path and event type", () => {
    const kinds = mbieAdapter.kinds;
    expect(new Set(kinds.map((k) => k.httpPath)).size).toBe(kinds.length);
    expect(new Set(kinds.map((k) => k.eventType)).size).toBe(kinds.length);
    for (const k of kinds) {
      expect(kindFor(mbieAdapter, k.recordType)).toBe(k);
      expect(k.eventType).toBe(`mbie.${k.recordType}`);
      expect(k.httpPath).toMatch(/^\/v1\/[a-z-]+$/);
    }
  });

  it("maps every kind's example to a MBIE event of that kind", () => {
    for (const k of mbieAdapter.kinds) {
      const e = k.map(k.schema.parse(k.example), new Date("2026-11-20T00:00:00Z"));
      expect(e.sourceAgency).toBe(Agency.AGENCY_MBIE);
      expect(e.eventType).toBe(k.eventType);
      expect(e.sourceRecordId).toBe(k.nativeId(k.schema.parse(k.example)));
    }
  });
});
