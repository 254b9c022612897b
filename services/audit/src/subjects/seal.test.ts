import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { KEY_BYTES, newKey, newRef, openSubject, REF_PATTERN, SealError, sealSubject } from "./seal.js";

const subject = "police/person/P-20931";
const k = { ref: newRef(), key: newKey() };

describe("sealing a subject id", () => {
  it("opens to the subject id with its key", () => {
    const sealed = sealSubject(subject, k, "decision-1", 0);
    expect(sealed.ref).toBe(k.ref);
    expect(openSubject(sealed, k.key)).toBe(subject);
  });

  it("is deterministic for the same record, position and key, and differs by record, position and key", () => {
    const a = sealSubject(subject, k, "decision-1", 0);
    expect(Buffer.from(sealSubject(subject, k, "decision-1", 0).ciphertext).equals(Buffer.from(a.ciphertext))).toBe(true);
    for (const other of [sealSubject(subject, k, "decision-2", 0), sealSubject(subject, k, "decision-1", 1), sealSubject(subject, { ref: k.ref, key: newKey() }, "decision-1", 0)]) {
      expect(Buffer.from(other.ciphertext).equals(Buffer.from(a.ciphertext))).toBe(false);
    }
  });

  it("does not open with a wrong key, under another ref, or altered", () => {
    const sealed = sealSubject(subject, k, "decision-1", 0);
    expect(() => openSubject(sealed, newKey())).toThrow(SealError);
    expect(() => openSubject({ ...sealed, ref: newRef() }, k.key)).toThrow(SealError);
    const altered = Buffer.from(sealed.ciphertext);
    altered[14] = altered[14]! ^ 1;
    expect(() => openSubject({ ...sealed, ciphertext: altered }, k.key)).toThrow(SealError);
    expect(() => openSubject({ ...sealed, ciphertext: Buffer.alloc(10) }, k.key)).toThrow(SealError);
  });

  it("holds no plaintext: neither the id nor a part of it appears in the sealed bytes", () => {
    const sealed = Buffer.from(sealSubject(subject, k, "decision-1", 0).ciphertext);
    expect(sealed.includes(Buffer.from(subject))).toBe(false);
    expect(sealed.includes(Buffer.from("P-20931"))).toBe(false);
    expect(sealed.includes(Buffer.from("police"))).toBe(false);
    expect(sealed.length).toBe(12 + Buffer.byteLength(subject) + 16);
  });

  it("refuses a key of the wrong length", () => {
    expect(() => sealSubject(subject, { ref: k.ref, key: randomBytes(16) }, "d", 0)).toThrow(SealError);
  });
});

describe("refs and keys", () => {
  it("a ref is s_ and 26 base32 characters, 128 random bits; a key is 32 bytes", () => {
    const refs = new Set(Array.from({ length: 200 }, () => newRef()));
    expect(refs.size).toBe(200);
    for (const r of refs) expect(r).toMatch(REF_PATTERN);
    expect(newRef(() => Buffer.alloc(16))).toBe(`s_${"a".repeat(26)}`);
    expect(newRef(() => Buffer.alloc(16, 0xff))).toBe(`s_${"7".repeat(25)}4`);
    expect(newKey().length).toBe(KEY_BYTES);
  });
});
