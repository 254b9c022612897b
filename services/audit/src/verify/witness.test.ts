import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSigner } from "../merkle/head.js";
import { trustKeys } from "./head.js";
import { formatHeadLine, judgeHead, latestWitnessed, parseHeadLine, parseWitnessFile } from "./witness.js";

const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const other = createSigner(generateKeyPairSync("ed25519").privateKey);
const trusted = trustKeys([signer.publicKey]);
const root = (b: number) => Buffer.alloc(32, b);
const head = (treeSize: number, timestampMs: number, r = root(treeSize & 0xff), s = signer) => s.sign({ treeSize, timestampMs, rootHash: r });

describe("a witness line", () => {
  it("holds size, time, root and key id in hex and the signature in base64, and reads back the same", () => {
    const h = head(41, 1_796_473_214_090);
    const line = formatHeadLine(h, 1_796_473_215_000);
    expect(JSON.parse(line)).toEqual({
      tree_size: 41,
      timestamp_ms: 1_796_473_214_090,
      timestamp: "2026-12-05T12:20:14.090Z",
      root_hash: h.rootHash.toString("hex"),
      key_id: signer.keyId.toString("hex"),
      signature: h.signature.toString("base64"),
      witnessed_at: "2026-12-05T12:20:15.000Z",
    });
    expect(line).not.toContain("\n");
    const back = parseHeadLine(line);
    expect(back).toMatchObject({ treeSize: 41, timestampMs: h.timestampMs, witnessedAtMs: 1_796_473_215_000 });
    expect(Buffer.from(back.rootHash).equals(h.rootHash) && Buffer.from(back.signature).equals(h.signature)).toBe(true);
    expect(judgeHead(undefined, back, trusted)).toEqual({ action: "append" });
  });

  it.each([
    ["not JSON", "{", "(line)"],
    ["an array", "[]", "(line)"],
    ["a negative size", { tree_size: -1 }, "tree_size"],
    ["a fractional time", { timestamp_ms: 1.5 }, "timestamp_ms"],
    ["a short root", { root_hash: "ab" }, "root_hash"],
    ["upper-case hex", { key_id: "AB".repeat(32) }, "key_id"],
    ["a 63-byte signature", { signature: Buffer.alloc(63).toString("base64") }, "signature"],
    ["a bad witnessed_at", { witnessed_at: "yesterday" }, "witnessed_at"],
  ])("refuses %s, naming the field", (_, change, field) => {
    const good = JSON.parse(formatHeadLine(head(3, 1000)));
    const line = typeof change === "string" ? change : JSON.stringify({ ...good, ...change });
    expect(() => parseHeadLine(line)).toThrow(expect.objectContaining({ field }));
  });

  it("reads a file line by line, naming the line of a bad one, and refuses a torn last line", () => {
    const a = formatHeadLine(head(1, 1000));
    const b = formatHeadLine(head(2, 2000));
    expect(parseWitnessFile("")).toEqual([]);
    expect(parseWitnessFile(`${a}\n${b}\n`).map((h) => h.treeSize)).toEqual([1, 2]);
    expect(() => parseWitnessFile(`${a}\n{"tree_size":2}\n`)).toThrow(/line 2 timestamp_ms/);
    expect(() => parseWitnessFile(`${a}\n${b.slice(0, 20)}`)).toThrow(/line 2: the last line is not terminated/);
    expect(latestWitnessed(parseWitnessFile(`${a}\n${b}\n`))?.treeSize).toBe(2);
  });
});

describe("the witness's rule for a new head", () => {
  const latest = head(10, 5000);

  it("appends a larger tree, and the first head", () => {
    expect(judgeHead(latest, head(11, 6000), trusted)).toEqual({ action: "append" });
    expect(judgeHead(undefined, head(0, 1), trusted)).toEqual({ action: "append" });
  });

  it("takes the same tree again (a re-signed head, a takeover's republish) as a duplicate", () => {
    expect(judgeHead(latest, latest, trusted)).toEqual({ action: "duplicate" });
    expect(judgeHead(latest, head(10, 9000, latest.rootHash), trusted)).toEqual({ action: "duplicate" });
  });

  it("skips an older head of a smaller tree (a replay)", () => {
    expect(judgeHead(latest, head(9, 4000), trusted)).toEqual({ action: "stale" });
    expect(judgeHead(latest, head(9, 5000), trusted)).toEqual({ action: "stale" });
  });

  it("rejects a later head of a smaller tree: the ledger went backwards", () => {
    expect(judgeHead(latest, head(9, 5001), trusted)).toMatchObject({ action: "reject", code: "HEAD_ROLLBACK" });
  });

  it("rejects a second root for the same size: a fork", () => {
    expect(judgeHead(latest, head(10, 6000, root(0xee)), trusted)).toMatchObject({ action: "reject", code: "HEAD_FORK" });
  });

  it("rejects a head not signed by a trusted key, or whose signature does not cover it", () => {
    expect(judgeHead(latest, head(11, 6000, root(1), other), trusted)).toMatchObject({ action: "reject", code: "HEAD_SIGNATURE", detail: expect.stringMatching(/unknown-key/) });
    const forged = { ...head(11, 6000), treeSize: 12 };
    expect(judgeHead(latest, forged, trusted)).toMatchObject({ action: "reject", code: "HEAD_SIGNATURE", detail: expect.stringMatching(/bad-signature/) });
  });

  it("accepts heads of an old and a new key both trusted (rotation)", () => {
    const both = trustKeys([signer.publicKey, other.publicKey]);
    expect(judgeHead(latest, head(12, 7000, root(2), other), both)).toEqual({ action: "append" });
  });
});
