import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { emptyRoot, leafHash, nodeHash } from "./hash.js";

const vectors = JSON.parse(readFileSync(new URL("../../test-vectors/known/hashes.json", import.meta.url), "utf8"));
const hex = (s: string) => Buffer.from(s, "hex");

describe("RFC 6962 hashing", () => {
  it("hashes the empty tree to SHA-256 of nothing", () => {
    expect(emptyRoot().toString("hex")).toBe(vectors.empty_root);
  });

  it.each(vectors.leaves as { desc: string; data: string; hash: string }[])("leaf hash: $desc", ({ data, hash }) => {
    expect(leafHash(hex(data)).toString("hex")).toBe(hash);
  });

  it.each(vectors.nodes as { desc: string; left: string; right: string; hash: string }[])("node hash: $desc", ({ left, right, hash }) => {
    expect(nodeHash(hex(left), hex(right)).toString("hex")).toBe(hash);
  });

  it("separates leaves from nodes and depends on child order", () => {
    const a = leafHash(Buffer.from("Hello"));
    const b = leafHash(Buffer.from("World"));
    expect(a.equals(b)).toBe(false);
    expect(nodeHash(a, b).equals(leafHash(Buffer.concat([a, b])))).toBe(false);
    expect(nodeHash(a, b).equals(nodeHash(b, a))).toBe(false);
    expect(leafHash(Buffer.alloc(0)).equals(emptyRoot())).toBe(false);
  });
});
