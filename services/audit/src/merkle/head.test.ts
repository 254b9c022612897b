import { generateKeyPairSync, verify } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkKeyFileMode, createSigner, encodeTreeHead, keyIdOf, loadSigningKey, TREE_HEAD_BYTES } from "./head.js";

const key = generateKeyPairSync("ed25519").privateKey;
const root = Buffer.alloc(32, 0xab);

describe("signed tree heads", () => {
  it("encodes (size, timestamp, root, key id) canonically at a fixed length", () => {
    const keyId = Buffer.alloc(32, 0xcd);
    const bytes = encodeTreeHead({ treeSize: 258, timestampMs: 1_700_000_000_000, rootHash: root, keyId });
    expect(bytes.length).toBe(TREE_HEAD_BYTES);
    expect(bytes.toString("hex")).toBe(
      Buffer.from("takitini-ledger-tree-head-v1").toString("hex") + "00" + "0000000000000102" + "0000018bcfe56800" + "ab".repeat(32) + "cd".repeat(32),
    );
  });

  it("signs with Ed25519 under the key's id; any change to the head breaks the signature", () => {
    const signer = createSigner(key);
    expect(signer.keyId.equals(keyIdOf(signer.publicKey))).toBe(true);
    const head = signer.sign({ treeSize: 10, timestampMs: 5, rootHash: root });
    expect(head.keyId.equals(signer.keyId)).toBe(true);
    expect(verify(null, encodeTreeHead(head), signer.publicKey, head.signature)).toBe(true);
    for (const changed of [{ ...head, treeSize: 11 }, { ...head, timestampMs: 6 }, { ...head, rootHash: Buffer.alloc(32) }]) {
      expect(verify(null, encodeTreeHead(changed), signer.publicKey, head.signature)).toBe(false);
    }
  });

  it("refuses keys that are not Ed25519 and malformed heads", () => {
    expect(() => createSigner(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey)).toThrow(/Ed25519/);
    expect(() => encodeTreeHead({ treeSize: -1, timestampMs: 0, rootHash: root, keyId: root })).toThrow(RangeError);
    expect(() => encodeTreeHead({ treeSize: 1, timestampMs: 0, rootHash: Buffer.alloc(31), keyId: root })).toThrow(RangeError);
  });

  it("loads the key from LEDGER_SIGNING_KEY, LEDGER_SIGNING_KEY_FILE, or in development generates one", () => {
    const pem = key.export({ type: "pkcs8", format: "pem" }).toString();
    const fromEnv = loadSigningKey({ LEDGER_SIGNING_KEY: pem });
    expect(fromEnv.source).toBe("env");
    expect(createSigner(fromEnv.privateKey).keyId.equals(createSigner(key).keyId)).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), "ledger-key-"));
    try {
      writeFileSync(join(dir, "key.pem"), pem, { mode: 0o600 });
      const fromFile = loadSigningKey({ LEDGER_SIGNING_KEY_FILE: join(dir, "key.pem") });
      expect(fromFile.source).toBe("file");
      expect(createSigner(fromFile.privateKey).keyId.equals(createSigner(key).keyId)).toBe(true);
      chmodSync(join(dir, "key.pem"), 0o400);
      expect(loadSigningKey({ LEDGER_SIGNING_KEY_FILE: join(dir, "key.pem") }).source).toBe("file");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const generated = loadSigningKey({}, { development: true });
    expect(generated.source).toBe("generated");
    expect(generated.privateKey.asymmetricKeyType).toBe("ed25519");
  });

  it("refuses to run without a key outside development", () => {
    expect(() => loadSigningKey({})).toThrow(expect.objectContaining({ code: "SIGNING_KEY_REQUIRED" }));
    expect(() => loadSigningKey({}, { development: false })).toThrow(/LEDGER_SIGNING_KEY_FILE .*required outside development/);
  });

  it("refuses a key file its group or others could read, and one that is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-key-"));
    try {
      const file = join(dir, "key.pem");
      writeFileSync(file, key.export({ type: "pkcs8", format: "pem" }));
      for (const mode of [0o644, 0o640, 0o604, 0o660, 0o606]) {
        chmodSync(file, mode);
        expect(() => loadSigningKey({ LEDGER_SIGNING_KEY_FILE: file }, { development: true })).toThrow(expect.objectContaining({ code: "SIGNING_KEY_FILE_MODE", message: expect.stringContaining(`mode 0${mode.toString(8)}`) }));
      }
      expect(() => loadSigningKey({ LEDGER_SIGNING_KEY_FILE: join(dir, "absent.pem") })).toThrow(expect.objectContaining({ code: "SIGNING_KEY_UNREADABLE" }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => checkKeyFileMode("k.pem", 0o100600)).not.toThrow();
    expect(() => checkKeyFileMode("k.pem", 0o100620)).toThrow(/chmod 600/);
  });
});
