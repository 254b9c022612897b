// Test helpers for record kinds (import from "@takitini/adapter-kit/testing" in tests only).
import { IntelligenceEvent } from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { expect, it } from "vitest";
import { seededRandom } from "./fields.js";
import type { RecordKind } from "./kind.js";

/** `n` seeded synthetic records of a kind: the same seed gives the same records. */
export function synthesize(kind: RecordKind, seed: string, n = 500): unknown[] {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, (_v, i) => kind.synthesize(rng, i));
}

/**
 * Registers the checks every kind's generator must pass — each of `n` records
 * validates, maps and round-trips through protobuf; the same seed gives the same
 * records and another seed others — and returns the records for the kind's own
 * distribution checks. Call inside a `describe`.
 */
export function checkSyntheticRecords(kind: RecordKind, at: Date, n = 500): unknown[] {
  const records = synthesize(kind, "takitini", n);

  it(`validate, map and round-trip, ${n} of them`, () => {
    for (const r of records) {
      const parsed = kind.schema.safeParse(r);
      expect(parsed.success ? [] : zodIssues(parsed.error).map((i) => i.path)).toEqual([]);
      const event = kind.map(kind.schema.parse(r), at);
      expect(IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish())).toEqual(event);
    }
  });

  it("are the same for the same seed and differ for another", () => {
    expect(synthesize(kind, "takitini", n)).toEqual(records);
    expect(synthesize(kind, "other", n)).not.toEqual(records);
  });

  return records;
}
