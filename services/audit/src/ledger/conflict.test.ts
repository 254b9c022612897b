import { ConflictRecord, DecisionRecord, PublishRecord } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { decision } from "../oversight/decisions.fixture.js";
import { flagAnomalies } from "../oversight/anomaly.js";
import { deriveKind as deriveNew } from "../oversight/derive.js";
import { fromConflict, samePublish } from "../oversight/records.js";
import { MAX_RECORD_ID_BYTES } from "../merkle/entry.js";
import { conflictRecord, conflictRecordId, sameRecord, sha256Hex, type HeldRecord } from "./conflict.js";

const held = (payload: Uint8Array, over: Partial<HeldRecord> = {}): HeldRecord => ({ recordId: "dec-1", index: 41, kind: "decision", payload, ...over });

describe("conflict records", () => {
  it("same bytes are a redelivery; other bytes are not", () => {
    const a = Buffer.from("version a");
    expect(sameRecord(held(a), { recordId: "dec-1", kind: "decision", payload: Buffer.from("version a") })).toBe(true);
    expect(sameRecord(held(a), { recordId: "dec-1", kind: "decision", payload: Buffer.from("version b") })).toBe(false);
    expect(sameRecord(held(a), { recordId: "dec-1", kind: "decision", payload: Buffer.from("version a ") })).toBe(false);
  });

  it("links the original (id, index, kind, hash) and carries the new bytes in full, under an id derived from the original id and the new hash", () => {
    const a = Buffer.from("version a");
    const b = Buffer.from("version b, longer");
    const c = conflictRecord(held(a), { recordId: "dec-1", kind: "decision", payload: b });
    expect(c.kind).toBe("conflict");
    expect(c.recordId).toBe(`conflict:dec-1:${sha256Hex(b)}`);
    const decoded = ConflictRecord.decode(c.payload);
    expect(decoded).toMatchObject({ originalRecordId: "dec-1", originalIndex: "41", originalKind: "decision", newKind: "decision", originalSha256: sha256Hex(a), newSha256: sha256Hex(b) });
    expect(Buffer.from(decoded.newPayload).equals(b)).toBe(true);
    // Deterministic: the same conflict delivered again has the same id and bytes (one leaf).
    const again = conflictRecord(held(a), { recordId: "dec-1", kind: "decision", payload: Buffer.from(b) });
    expect(again.recordId).toBe(c.recordId);
    expect(Buffer.from(again.payload).equals(Buffer.from(c.payload))).toBe(true);
    // Another version: another conflict.
    expect(conflictRecord(held(a), { recordId: "dec-1", kind: "decision", payload: Buffer.from("version c") }).recordId).not.toBe(c.recordId);
  });

  it("keeps a conflict id within the leaf entry's limit for the longest record ids", () => {
    const long = "x".repeat(MAX_RECORD_ID_BYTES);
    const id = conflictRecordId(long, "ab".repeat(32));
    expect(Buffer.byteLength(id)).toBeLessThanOrEqual(MAX_RECORD_ID_BYTES);
    expect(id).toBe(`conflict:sha256-${sha256Hex(Buffer.from(long))}:${"ab".repeat(32)}`);
    expect(conflictRecordId("short", "cd".repeat(32))).toBe(`conflict:short:${"cd".repeat(32)}`);
  });

  it("indexes a conflict by the new version's columns, under kind conflict, with the original linked in its doc", () => {
    const original = decision("7d0f5c4e-0000-4000-8000-000000000001", "customs", false);
    const remade = { ...original, outcome: "OUTCOME_ALLOW", policyRevision: "rev-2" } as DecisionRecord;
    const c = conflictRecord(
      held(DecisionRecord.encode(original).finish(), { recordId: original.id, index: 3 }),
      { recordId: original.id, kind: "decision", payload: DecisionRecord.encode(remade).finish() },
    );
    const at = new Date("2026-12-01T00:00:00Z");
    const { ledger, index } = fromConflict(ConflictRecord.decode(c.payload), at, deriveNew);
    expect(ledger.recordId).toBe(c.recordId);
    expect(Buffer.from(ledger.payload).equals(Buffer.from(c.payload))).toBe(true);
    expect(index).toMatchObject({ recordId: c.recordId, kind: "conflict", occurredAt: at, subscriberId: "customs", outcome: "allow", policyRevision: "rev-2", eventId: original.eventId });
    expect(index.doc).toMatchObject({ original_record_id: original.id, original_index: 3, original_kind: "decision", new_kind: "decision" });
    expect((index.doc.new_record as Record<string, unknown>).policy_revision).toBe("rev-2");
  });

  it("indexes bytes that do not decode as their kind by their hashes alone", () => {
    const c = conflictRecord(held(Buffer.from("a"), { kind: "decision" }), { recordId: "dec-1", kind: "decision", payload: Buffer.from([0xff, 0xff, 0xff]) });
    const { index } = fromConflict(ConflictRecord.decode(c.payload), new Date(0), deriveNew);
    expect(index).toMatchObject({ kind: "conflict", subscriberId: "", doc: { new_record: null, original_record_id: "dec-1" } });
  });

  it("is an anomaly whenever one is in the latest window, whatever the baseline", () => {
    expect(flagAnomalies([{ subscriberId: "customs", metric: "conflict", counts: [0, 0, 1] }])).toMatchObject([{ subscriber_id: "customs", metric: "conflict", count: 1 }]);
    expect(flagAnomalies([{ subscriberId: "customs", metric: "conflict", counts: [5, 5, 1] }])).toHaveLength(1);
    expect(flagAnomalies([{ subscriberId: "customs", metric: "conflict", counts: [1, 0] }])).toEqual([]);
    // the other metrics keep their rules: one decision is not an anomaly
    expect(flagAnomalies([{ subscriberId: "customs", metric: "allow", counts: [0, 0, 1] }])).toEqual([]);
  });
});

describe("publish records", () => {
  it("are the same record read at another offset, and not with other content or bytes that are no publish record", () => {
    const r = PublishRecord.fromPartial({ eventId: "e-1", contentSha256: "aa", sourceTopic: "t", sourcePartition: 0, sourceOffset: "10" });
    const enc = (p: typeof r) => PublishRecord.encode(p).finish();
    expect(samePublish(enc({ ...r, sourcePartition: 2, sourceOffset: "99" }), r)).toBe(true);
    expect(samePublish(enc({ ...r, contentSha256: "bb" }), r)).toBe(false);
    expect(samePublish(Buffer.from([0xff, 0xff, 0xff]), r)).toBe(false);
  });
});
