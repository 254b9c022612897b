import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packBytes, packFixed, unpackBytes } from "./pack.js";

describe("packBytes", () => {
  it("gives back every value, in order, by its offset and length (empty values and none at all included)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 40 }), (values) => {
        const packed = packBytes(values);
        expect(packed.bytes.length).toBe(values.reduce((n, v) => n + v.length, 0));
        expect(packed.offsets).toHaveLength(values.length);
        expect(unpackBytes(packed).map((b) => [...b])).toEqual(values.map((v) => [...v]));
      }),
    );
  });

  it("puts value i at the sum of the lengths before it", () => {
    const packed = packBytes([Buffer.from("ab"), Buffer.alloc(0), Buffer.from("cde")]);
    expect(packed.offsets).toEqual([0, 2, 2]);
    expect(packed.lengths).toEqual([2, 0, 3]);
    expect(packed.bytes.toString()).toBe("abcde");
  });
});

describe("packFixed", () => {
  it("puts value i at i × size", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 20 }), (hashes) => {
        const packed = packFixed(hashes, 32);
        expect(packed.length).toBe(hashes.length * 32);
        hashes.forEach((h, i) => expect([...packed.subarray(i * 32, (i + 1) * 32)]).toEqual([...h]));
      }),
    );
  });

  it("refuses a value of another size, naming which", () => {
    expect(() => packFixed([new Uint8Array(32), new Uint8Array(31)], 32)).toThrow(/value 1 has 31 bytes, not 32/);
  });
});
