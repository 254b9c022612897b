/**
 * Sealing records before they are appended, deriving their index from the
 * sealed leaf without keys, and opening the API form with the keys (pure).
 */
import { ConflictRecord, DecisionRecord, OversightQueryRecord, PublishRecord, PurgeRecord } from "@takitini/proto";
import { conflictRecord } from "../ledger/conflict.js";
import { describe, expect, it } from "vitest";
import { deriveKind, indexRowOf } from "../oversight/derive.js";
import { decision } from "../oversight/decisions.fixture.js";
import { fromConflict, fromDecision, fromOversightQuery, fromPurge } from "../oversight/records.js";
import { sampleOf } from "../oversight/samples.fixture.js";
import { openDoc, sealedRefs } from "./open.js";
import { purgeRecord, purgeRecordId } from "./purge.js";
import { sealAppendable, subjectIdsOf, MissingSubjectKey } from "./records.js";
import { newKey, newRef, type SubjectKey } from "./seal.js";

const at = new Date("2026-11-20T02:00:00Z");
const P1 = "police/person/P1";
const V1 = "police/vehicle/V1";
const keys = new Map<string, SubjectKey>([P1, V1].map((id) => [id, { ref: newRef(), key: newKey() }]));
const leafOf = (a: { ledger: { recordId: string; kind: string; payload: Uint8Array } }) => ({ ...a.ledger, appendedAtMs: at.getTime() });
const holds = (bytes: Uint8Array, text: string) => Buffer.from(bytes).includes(Buffer.from(text));

describe("sealing a record's subjects", () => {
  const plain = fromDecision(decision("7d3c1a52-0000-4000-8000-000000000001", "customs", true, { subjectIds: [P1, V1, P1] }), at);
  const sealed = sealAppendable(plain, keys);

  it("a decision: subject ids cleared, each sealed once under its subject's key; the bytes hold no id", () => {
    expect(subjectIdsOf(plain)).toEqual([P1, V1]);
    const r = DecisionRecord.decode(sealed.ledger.payload);
    expect(r.subjectIds).toEqual([]);
    expect(r.sealedSubjects.map((s) => s.ref)).toEqual([keys.get(P1)!.ref, keys.get(V1)!.ref]);
    expect(holds(sealed.ledger.payload, P1) || holds(sealed.ledger.payload, "P1") || holds(sealed.ledger.payload, V1)).toBe(false);
    expect(subjectIdsOf(sealed)).toEqual([]);
    expect(sealed.ledger.recordId).toBe(plain.ledger.recordId);
  });

  it("is deterministic: the same record sealed again is the same bytes (a redelivery stays one leaf)", () => {
    expect(Buffer.from(sealAppendable(plain, keys).ledger.payload).equals(Buffer.from(sealed.ledger.payload))).toBe(true);
  });

  it("a publish record: sealed, and a redelivery at another offset is still the same record (sameAs)", () => {
    const p = sampleOf("publish", 2);
    const again = PublishRecord.decode(p.ledger.payload);
    const moved = sealAppendable({ ...p, ledger: { ...p.ledger, payload: PublishRecord.encode({ ...again, sourceOffset: "999" }).finish() } }, new Map([["police/person/P2", keys.get(P1)!]]));
    const first = sealAppendable(p, new Map([["police/person/P2", keys.get(P1)!]]));
    expect(PublishRecord.decode(first.ledger.payload).subjectIds).toEqual([]);
    expect(holds(first.ledger.payload, "police/person/P2")).toBe(false);
    expect(moved.ledger.sameAs!(first.ledger.payload)).toBe(true);
  });

  it("an oversight query naming a subject: the parameter holds the ref, the id is sealed; others are untouched", () => {
    const q = fromOversightQuery(
      OversightQueryRecord.fromPartial({ id: "q-1", officer: "Aroha", channel: "http", method: "GET", route: "/v1/subjects/:subjectId/disclosures", parameters: [{ name: "limit", value: "10" }, { name: "subjectId", value: P1 }], status: 200, occurredAt: at }),
      at,
    );
    expect(subjectIdsOf(q)).toEqual([P1]);
    const s = sealAppendable(q, keys);
    const r = OversightQueryRecord.decode(s.ledger.payload);
    expect(r.parameters).toEqual([{ name: "limit", value: "10" }, { name: "subjectId", value: keys.get(P1)!.ref }]);
    expect(holds(s.ledger.payload, P1)).toBe(false);
    expect(indexRowOf(leafOf(s)).subjectIds).toEqual([keys.get(P1)!.ref]);
    expect(sealAppendable(sampleOf("access", 1), keys)).toEqual(sampleOf("access", 1));
  });

  it("a record held in the clear (appended before sealing) and read again is the same record, not a conflict", () => {
    expect(sealed.ledger.sameAs!(plain.ledger.payload)).toBe(true);
    expect(sealed.ledger.sameAs!(sealed.ledger.payload)).toBe(true);
    const other = fromDecision(decision("7d3c1a52-0000-4000-8000-000000000001", "customs", true, { subjectIds: [P1, V1], policyRevision: "rev-2" }), at);
    expect(sealed.ledger.sameAs!(other.ledger.payload)).toBe(false);
    expect(sealed.ledger.sameAs!(sealAppendable(other, keys).ledger.payload)).toBe(false);
  });

  it("refuses to seal without the subject's key", () => {
    expect(() => sealAppendable(plain, new Map([[P1, keys.get(P1)!]]))).toThrow(MissingSubjectKey);
  });
});

describe("the index of a sealed leaf (no keys needed) and the API form opened with keys", () => {
  const sealed = sealAppendable(fromDecision(decision("7d3c1a52-0000-4000-8000-000000000002", "customs", true), at), keys);
  const row = indexRowOf(leafOf(sealed));
  const refs = [keys.get(P1)!.ref, keys.get(V1)!.ref];

  it("indexes refs: audit_subjects and the doc hold no subject id", () => {
    expect(row.subjectIds).toEqual(refs);
    expect(row.doc["subject_ids"]).toEqual(refs);
    expect(JSON.stringify(row.doc)).not.toContain("police/");
    expect(sealedRefs(row.doc)).toEqual(refs);
  });

  it("opens to the subject ids with the keys; a ref whose key is gone is erased", () => {
    const all = new Map([...keys.values()].map((k) => [k.ref, k.key]));
    expect(openDoc(row.doc, all)).toMatchObject({ subject_ids: [P1, V1], erased_subject_refs: [] });
    const withoutP1 = new Map([[keys.get(V1)!.ref, keys.get(V1)!.key]]);
    expect(openDoc(row.doc, withoutP1)).toMatchObject({ subject_ids: [V1], erased_subject_refs: [keys.get(P1)!.ref] });
    // A key that does not open the ciphertext (a swapped row) is never taken at its word.
    const swapped = new Map([[keys.get(P1)!.ref, keys.get(V1)!.key], [keys.get(V1)!.ref, keys.get(V1)!.key]]);
    expect(openDoc(row.doc, swapped)).toMatchObject({ subject_ids: [V1], erased_subject_refs: [keys.get(P1)!.ref] });
  });

  it("a record appended before sealing is left as it is", () => {
    const legacy = indexRowOf(leafOf(fromDecision(decision("7d3c1a52-0000-4000-8000-000000000003", "customs", true), at)));
    expect(legacy.subjectIds).toEqual([P1, V1]);
    expect(openDoc(legacy.doc, new Map())).toEqual({ ...legacy.doc, erased_subject_refs: [] });
  });

  it("a conflict record keeping a sealed version: its new record's subjects open too", () => {
    const again = sealAppendable(fromDecision(decision("7d3c1a52-0000-4000-8000-000000000002", "customs", true, { policyRevision: "rev-9" }), at), keys).ledger;
    const c = fromConflict(ConflictRecord.decode(conflictRecord({ recordId: sealed.ledger.recordId, index: 0, kind: "decision", payload: sealed.ledger.payload }, again).payload), at, deriveKind);
    const doc = indexRowOf(leafOf(c)).doc;
    expect(JSON.stringify(doc)).not.toContain("police/");
    expect(sealedRefs(doc)).toEqual(refs);
    const opened = openDoc(doc, new Map([[keys.get(V1)!.ref, keys.get(V1)!.key]]));
    expect(opened["new_record"]).toMatchObject({ subject_ids: [V1], erased_subject_refs: [keys.get(P1)!.ref] });
  });
});

describe("purge records", () => {
  const refs = [newRef(), newRef()];
  it("name the refs sorted, never a subject id; the id is a function of the reason and the refs", () => {
    const r = purgeRecord({ reason: "erasure", refs: [refs[1]!, refs[0]!, refs[1]!], authority: "Privacy Act 2020, IPP 7", requestedBy: "privacy officer", at });
    expect(r.refs).toEqual([...refs].sort());
    expect(r.id).toBe(purgeRecordId("erasure", refs));
    expect(r.id).not.toBe(purgeRecordId("retention", refs));
    expect(r.id).toMatch(/^purge:erasure:[0-9a-f]{32}$/);
  });

  it("derive an index row of kind purge: authority as the legal basis, refs in the doc, no subjects; first wins on a re-run", () => {
    const r = purgeRecord({ reason: "retention", refs, authority: "retention.json", requestedBy: "audit:purge", at, retentionPolicySha256: "ab".repeat(32) });
    const a = fromPurge(r, at);
    expect(a.ledger.firstWins).toBe(true);
    const row = indexRowOf(leafOf(a));
    expect(row).toMatchObject({ kind: "purge", recordId: r.id, legalBasis: "retention.json", action: "purge retention ×2", subjectIds: [] });
    expect(row.doc).toEqual({ id: r.id, reason: "retention", refs: [...refs].sort(), authority: "retention.json", requested_by: "audit:purge", occurred_at: at.toISOString(), retention_policy_sha256: "ab".repeat(32) });
    expect(PurgeRecord.decode(a.ledger.payload).reason).toBe("PURGE_REASON_RETENTION");
  });
});
