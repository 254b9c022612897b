import { AccessRecord } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { encodeEntry } from "../merkle/entry.js";
import { DERIVATIONS, indexRowOf, indexRowOfEntry, UnderivableLeaf } from "./derive.js";
import { newKey, newRef } from "../subjects/seal.js";
import { sealAppendable, subjectIdsOf } from "../subjects/records.js";
import { appendableOf, decisionOf, KINDS, publishOf } from "./records.js";
import { sampleOf } from "./samples.fixture.js";

const APPENDED = Date.parse("2026-11-20T02:00:00Z");
const leafOf = (kind: (typeof KINDS)[number], n = 0, appendedAtMs = APPENDED) => {
  const s = sampleOf(kind, n);
  return { ...s.ledger, appendedAtMs };
};

describe("indexRowOf: a leaf's index rows from the leaf alone", () => {
  it("has a derivation for every kind the ledger holds", () => {
    for (const kind of KINDS) expect(DERIVATIONS[kind], `no index derivation for kind ${kind}`).toBeTypeOf("function");
    expect(Object.keys(DERIVATIONS).sort()).toEqual([...KINDS].sort());
  });

  it.each(KINDS)("%s: the row the record's own mapping gives, from its leaf's bytes", (kind) => {
    const s = sampleOf(kind, 3);
    const row = indexRowOf({ ...s.ledger, appendedAtMs: APPENDED });
    expect(row).toEqual({ ...s.index, subjectIds: [...new Set(s.index.subjectIds)] });
    expect(row.recordId).toBe(s.ledger.recordId);
    expect(row.kind).toBe(kind);
  });

  it("takes the record id and kind from the leaf, and names each subject once", () => {
    const row = indexRowOf({ ...leafOf("decision", 4), recordId: "decision-as-the-leaf-says" });
    expect(row.recordId).toBe("decision-as-the-leaf-says");
    expect(row.subjectIds).toEqual(["police/person/P4", "police/vehicle/V1"]);
  });

  it("dates a record that carries no time of its own by its leaf's append time, nothing else", () => {
    const s = sampleOf("access", 1);
    const untimed = { ...s.ledger, payload: s.ledger.payload.slice() };
    // An access record without occurred_at: the same leaf gives the same row however often it is derived.
    const r = AccessRecord.decode(untimed.payload);
    r.occurredAt = undefined;
    untimed.payload = AccessRecord.encode(r).finish();
    const a = indexRowOf({ ...untimed, appendedAtMs: 1_000 });
    const b = indexRowOf({ ...untimed, appendedAtMs: 1_000 });
    expect(a.occurredAt.getTime()).toBe(1_000);
    expect(b).toEqual(a);
    expect(indexRowOf({ ...untimed, appendedAtMs: 2_000 }).occurredAt.getTime()).toBe(2_000);
  });

  it("reads the canonical entry bytes", () => {
    const leaf = leafOf("publish", 2);
    const entry = encodeEntry({ index: 41, ...leaf });
    expect(indexRowOfEntry(entry)).toEqual({ index: 41, row: indexRowOf(leaf) });
  });

  it("refuses a kind it has no derivation for, bytes that do not decode, and a malformed entry", () => {
    expect(() => indexRowOf({ ...leafOf("decision"), kind: "mystery" })).toThrow(UnderivableLeaf);
    expect(() => indexRowOf({ ...leafOf("decision"), payload: Buffer.from([0xff, 0xff, 0xff]) })).toThrow(/does not decode as a decision record/);
    expect(() => indexRowOfEntry(Buffer.from([1, 2, 3]))).toThrow(/malformed/);
  });
});

describe("appendableOf: a record's index row made when first read, once", () => {
  it("does not make the row until it is read, then makes it once; the leaf is there from the start", () => {
    const s = sampleOf("decision", 5);
    let made = 0;
    const a = appendableOf(s.ledger, () => (made++, s.index));
    expect(a.ledger).toBe(s.ledger);
    expect(made).toBe(0);
    expect(a.index).toEqual(s.index);
    expect(a.index).toBe(a.index);
    expect(made).toBe(1);
  });
});

describe("a payload the ingest has just encoded is not decoded again", () => {
  // decisionOf/publishOf give the record the payload was encoded from; the same bytes read
  // back from anywhere else (a copy: the index check, the verifier) are decoded. Both must
  // give the same record, and so the same index row — as received and once sealed.
  const kinds = ["decision", "publish"] as const;
  const keysFor = (ids: string[]) => new Map(ids.map((id) => [id, { ref: newRef(), key: newKey() }]));

  it.each(kinds)("%s: the remembered record is the decoded one, as received and sealed", (kind) => {
    const of = kind === "decision" ? decisionOf : publishOf;
    for (let n = 0; n < 25; n++) {
      const received = sampleOf(kind, n);
      const sealed = sealAppendable(received, keysFor(subjectIdsOf(received)));
      if (subjectIdsOf(received).length > 0) expect(sealed.ledger.payload).not.toEqual(received.ledger.payload);
      for (const a of [received, sealed]) {
        const copy = Buffer.from(a.ledger.payload);
        // Remembered: the same object each time; a copy's bytes: decoded each time.
        expect(of(a.ledger.payload)).toBe(of(a.ledger.payload));
        expect(of(copy)).not.toBe(of(copy));
        expect(of(a.ledger.payload)).toEqual(of(copy));
        expect(indexRowOf({ ...a.ledger, appendedAtMs: APPENDED })).toEqual(indexRowOf({ ...a.ledger, payload: copy, appendedAtMs: APPENDED }));
      }
    }
  });
});

