import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSigner } from "../merkle/head.js";
import { needsPublishing } from "./publisher.js";

const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const head = (treeSize: number, timestampMs: number, root = Buffer.alloc(32, treeSize)) => signer.sign({ treeSize, timestampMs, rootHash: root });

describe("which head the publisher sends", () => {
  it("sends the latest head when none was published, and nothing when there is none", () => {
    expect(needsPublishing(undefined, head(3, 1000))).toBe(true);
    expect(needsPublishing(undefined, undefined)).toBe(false);
    expect(needsPublishing(head(3, 1000), undefined)).toBe(false);
  });

  it("sends nothing when the latest head is the one last published", () => {
    const h = head(3, 1000);
    expect(needsPublishing(h, { ...h })).toBe(false);
  });

  it("sends a larger tree, a re-signed head of the same size (a new time) and a head whose root differs", () => {
    const h = head(3, 1000);
    expect(needsPublishing(h, head(4, 2000))).toBe(true);
    expect(needsPublishing(h, head(3, 2000))).toBe(true);
    expect(needsPublishing(h, head(3, 1000, Buffer.alloc(32, 0xee)))).toBe(true);
  });
});
