import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSigner, encodeTreeHead as writerEncoding } from "../merkle/head.js";
import { headMessage as verifierEncoding } from "../verify/head.js";
import { encodeTreeHead, keyIdOf, timestampMsOf, verifyEd25519 } from "../../console/js/head.js";
import { fromBase64, fromHex, pemToDer, toHex } from "../../console/js/hex.js";

const signer = createSigner(generateKeyPairSync("ed25519").privateKey);

describe("the console's tree head encoding", () => {
  it("is the writer's and the verifier's encoding byte for byte", () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (treeSize, timestampMs, root) => {
        const head = { treeSize, timestampMs, rootHash: Buffer.from(root), keyId: signer.keyId };
        const mine = Buffer.from(encodeTreeHead({ treeSize, timestampMs, rootHash: root, keyId: new Uint8Array(signer.keyId) }));
        expect(mine.equals(writerEncoding(head))).toBe(true);
        expect(mine.equals(verifierEncoding(head))).toBe(true);
      }),
    );
  });

  it("refuses sizes, timestamps and hashes it cannot encode", () => {
    const ok = { treeSize: 1, timestampMs: 1, rootHash: new Uint8Array(32), keyId: new Uint8Array(32) };
    expect(() => encodeTreeHead({ ...ok, treeSize: -1 })).toThrow(RangeError);
    expect(() => encodeTreeHead({ ...ok, treeSize: 2 ** 53 })).toThrow(RangeError);
    expect(() => encodeTreeHead({ ...ok, timestampMs: 1.5 })).toThrow(RangeError);
    expect(() => encodeTreeHead({ ...ok, rootHash: new Uint8Array(31) })).toThrow(RangeError);
  });

  it("derives the key id the ledger uses from the PEM it publishes", async () => {
    const der = pemToDer(signer.publicKeyPem);
    expect(der).toBeDefined();
    expect(toHex(await keyIdOf(der!))).toBe(signer.keyId.toString("hex"));
  });
});

describe("Ed25519 in WebCrypto over a signed head", () => {
  const head = signer.sign({ treeSize: 8, timestampMs: Date.parse("2026-11-20T09:15:00.123Z"), rootHash: Buffer.alloc(32, 7) });
  const spki = pemToDer(signer.publicKeyPem)!;
  const message = encodeTreeHead({ ...head, rootHash: new Uint8Array(head.rootHash), keyId: new Uint8Array(head.keyId) });

  it("verifies the writer's signature", async () => {
    expect(await verifyEd25519(spki, new Uint8Array(head.signature), message)).toBe("ok");
  });

  it("rejects a flipped signature bit, a changed head, another key and a non-Ed25519 key", async () => {
    const sig = new Uint8Array(head.signature);
    sig[5]! ^= 0x10;
    expect(await verifyEd25519(spki, sig, message)).toBe("bad-signature");
    const changed = message.slice();
    changed[40]! ^= 1;
    expect(await verifyEd25519(spki, new Uint8Array(head.signature), changed)).toBe("bad-signature");
    expect(await verifyEd25519(spki, new Uint8Array(head.signature).subarray(1), message)).toBe("bad-signature");
    const other = pemToDer(generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString())!;
    expect(await verifyEd25519(other, new Uint8Array(head.signature), message)).toBe("bad-signature");
    const p256 = pemToDer(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString())!;
    expect(await verifyEd25519(p256, new Uint8Array(head.signature), message)).toBe("bad-key");
  });
});

describe("strict decoding of what the API sends", () => {
  it("reads hex, base64 and PEM and nothing else", () => {
    expect(toHex(fromHex("00ff10")!)).toBe("00ff10");
    for (const bad of ["0", "zz", "0x00", " 00", 7, null]) expect(fromHex(bad)).toBeUndefined();
    expect([...fromBase64("AAEC")!]).toEqual([0, 1, 2]);
    for (const bad of ["AAE", "AA=C", "AA E", "AAEC\n"]) expect(fromBase64(bad)).toBeUndefined();
    expect(pemToDer("-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----")).toBeUndefined();
    expect(pemToDer("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----")).toBeUndefined();
  });

  it("takes issued_at only at millisecond precision, as signed", () => {
    expect(timestampMsOf("2026-11-20T09:15:00.123Z")).toBe(Date.parse("2026-11-20T09:15:00.123Z"));
    expect(timestampMsOf("2026-11-20T09:15:00+13:00")).toBe(Date.parse("2026-11-19T20:15:00Z"));
    for (const bad of ["2026-11-20T09:15:00.123456Z", "2026-11-20", "yesterday", 1700000000000]) expect(timestampMsOf(bad)).toBeUndefined();
  });
});
