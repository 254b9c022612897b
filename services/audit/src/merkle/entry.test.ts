import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEntry, encodeEntry, EntryError, type LeafEntry } from "./entry.js";

const sample: LeafEntry = { index: 41, appendedAtMs: 1_732_400_000_123, kind: "decision", recordId: "dec-7f3a", payload: Buffer.from([1, 2, 3]) };

describe("leaf entry encoding", () => {
  it("has a fixed, documented layout", () => {
    expect(encodeEntry(sample).toString("hex")).toBe(
      "01" + "0000000000000029" + "000001935b162c7b" + "08" + Buffer.from("decision").toString("hex") + "0008" + Buffer.from("dec-7f3a").toString("hex") + "00000003" + "010203",
    );
  });

  it("round-trips any valid entry", () => {
    fc.assert(
      fc.property(
        fc.record({
          index: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
          appendedAtMs: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
          kind: fc.stringMatching(/^[a-z][a-z0-9._-]{0,20}$/),
          recordId: fc.string({ minLength: 1, maxLength: 60, unit: "grapheme" }),
          payload: fc.uint8Array({ maxLength: 200 }),
        }),
        (e) => {
          const d = decodeEntry(encodeEntry(e));
          expect({ ...d, payload: Buffer.from(d.payload) }).toEqual({ ...e, payload: Buffer.from(e.payload) });
        },
      ),
    );
  });

  it.each([
    ["a negative index", { index: -1 }],
    ["a fractional timestamp", { appendedAtMs: 1.5 }],
    ["an empty kind", { kind: "" }],
    ["an upper-case kind", { kind: "Decision" }],
    ["an empty record id", { recordId: "" }],
    ["a record id over 1024 bytes", { recordId: "x".repeat(1025) }],
  ])("refuses %s", (_, patch) => {
    expect(() => encodeEntry({ ...sample, ...patch })).toThrow(EntryError);
  });

  it("refuses truncated, extended and unknown-version bytes", () => {
    const b = encodeEntry(sample);
    expect(() => decodeEntry(b.subarray(0, b.length - 1))).toThrow(/truncated/);
    expect(() => decodeEntry(Buffer.concat([b, Buffer.from([0])]))).toThrow(/trailing/);
    const v2 = Buffer.from(b);
    v2[0] = 2;
    expect(() => decodeEntry(v2)).toThrow(/version 2/);
  });
});
