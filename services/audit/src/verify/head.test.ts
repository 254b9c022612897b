import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSigner, encodeTreeHead } from "../merkle/head.js";
import { checkHeadSignature, headMessage, trustKeys } from "./head.js";

describe("checking signed tree heads", () => {
  const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
  const other = createSigner(generateKeyPairSync("ed25519").privateKey);
  const trusted = trustKeys([signer.publicKeyPem]);

  it("reads the writer's canonical encoding byte for byte", () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (treeSize, timestampMs, root) => {
        const head = { treeSize, timestampMs, rootHash: Buffer.from(root), keyId: signer.keyId };
        expect(headMessage(head).equals(encodeTreeHead(head))).toBe(true);
      }),
    );
  });

  it("accepts a head signed by a trusted key", () => {
    expect(checkHeadSignature(signer.sign({ treeSize: 3, timestampMs: 9, rootHash: Buffer.alloc(32, 1) }), trusted)).toBe("ok");
  });

  it("rejects an altered head, an altered signature, an untrusted key and malformed fields", () => {
    const head = signer.sign({ treeSize: 3, timestampMs: 9, rootHash: Buffer.alloc(32, 1) });
    expect(checkHeadSignature({ ...head, treeSize: 4 }, trusted)).toBe("bad-signature");
    expect(checkHeadSignature({ ...head, rootHash: Buffer.alloc(32, 2) }, trusted)).toBe("bad-signature");
    const sig = Buffer.from(head.signature);
    sig[10]! ^= 1;
    expect(checkHeadSignature({ ...head, signature: sig }, trusted)).toBe("bad-signature");
    expect(checkHeadSignature(other.sign({ treeSize: 3, timestampMs: 9, rootHash: Buffer.alloc(32, 1) }), trusted)).toBe("unknown-key");
    // a head re-signed by another key but claiming the trusted key's id
    const forged = other.sign({ treeSize: 3, timestampMs: 9, rootHash: Buffer.alloc(32, 1) });
    expect(checkHeadSignature({ ...forged, keyId: signer.keyId }, trusted)).toBe("bad-signature");
    expect(checkHeadSignature({ ...head, signature: head.signature.subarray(1) }, trusted)).toBe("malformed");
    expect(checkHeadSignature({ ...head, treeSize: -1 }, trusted)).toBe("malformed");
  });

  it("trusts only Ed25519 keys", () => {
    expect(() => trustKeys([generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey])).toThrow(/Ed25519/);
  });
});
