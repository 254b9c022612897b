import type { RecordKind } from "@takitini/adapter-kit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { assetRestraint } from "./asset-restraint.js";
import { fiuSuspiciousActivity } from "./fiu-suspicious-activity.js";
import { firearmsSeizure } from "./firearms-seizure.js";
import { operationUpdate } from "./operation-update.js";
import { organisedCrimeNoting } from "./organised-crime-noting.js";
import { scamReport } from "./scam-report.js";
import { supportAdvanceNotice } from "./support-advance-notice.js";
import { wastewaterIndicator } from "./wastewater-indicator.js";

/** Police's record kinds side by side: what the doors rely on holds for each. */
const KINDS: [RecordKind, string][] = [
  [organisedCrimeNoting, "policeNoting"],
  [operationUpdate, "policeOperationUpdate"],
  [firearmsSeizure, "policeFirearmsSeizure"],
  [wastewaterIndicator, "policeWastewaterIndicator"],
  [fiuSuspiciousActivity, "policeFiuSuspiciousActivity"],
  [assetRestraint, "policeAssetRestraint"],
  [scamReport, "policeScamReport"],
  [supportAdvanceNotice, "policeSupportAdvanceNotice"],
];

describe("Police record kinds", () => {
  it("have distinct record types, event types and HTTP paths", () => {
    for (const key of ["recordType", "eventType", "httpPath"] as const) {
      expect(new Set(KINDS.map(([k]) => k[key])).size).toBe(KINDS.length);
    }
  });

  it.each(KINDS.map(([k, c]) => [k.recordType, k, c] as const))("%s: names line up and the example maps to its payload", (_name, kind, payloadCase) => {
    expect(kind.eventType).toBe(`police.${kind.recordType}`);
    expect(kind.httpPath).toMatch(/^\/v1\/[a-z-]+$/);
    const event = kind.map(kind.schema.parse(kind.example), new Date("2026-11-20T00:00:00Z"));
    expect(event.eventType).toBe(kind.eventType);
    expect(event.payload?.$case).toBe(payloadCase);
    expect(event.sourceRecordId).toBe(kind.nativeId(kind.schema.parse(kind.example)));
  });

  it.each(KINDS.map(([k]) => [k.recordType, k] as const))("%s: the schema renders as JSON Schema for the OpenAPI document", (_name, kind) => {
    const schema = z.toJSONSchema(kind.schema, { io: "input", unrepresentable: "any" }) as { type?: string; additionalProperties?: unknown };
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
  });
});
