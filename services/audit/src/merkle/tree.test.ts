import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyRoot, leafHash } from "./hash.js";
import { nodeSpan } from "./range.js";
import { CompactTree } from "./tree.js";

const tree8 = JSON.parse(readFileSync(new URL("../../test-vectors/known/tree8.json", import.meta.url), "utf8"));
const generated = JSON.parse(readFileSync(new URL("../../test-vectors/generated/large-trees.json", import.meta.url), "utf8"));
const dataLeaf = (i: number) => leafHash(Buffer.from(`takitini-leaf-${i}`, "utf8"));

describe("CompactTree", () => {
  it("starts empty with the empty root", () => {
    expect(CompactTree.empty().root().equals(emptyRoot())).toBe(true);
  });

  it("has the known root after every append of the RFC 6962 test tree", () => {
    const t = CompactTree.empty();
    for (const [i, d] of (tree8.leaves as string[]).entries()) {
      t.append(leafHash(Buffer.from(d, "hex")));
      expect(t.root().toString("hex"), `size ${i + 1}`).toBe(tree8.roots[String(i + 1)]);
    }
  });

  it("matches the generated roots of larger trees", () => {
    for (const { size, root } of generated.trees as { size: number; root: string }[]) {
      const t = CompactTree.empty();
      for (let i = 0; i < size; i++) t.append(dataLeaf(i));
      expect(t.root().toString("hex"), `size ${size}`).toBe(root);
    }
  });

  it("reports each completed perfect subtree exactly once, with the right position", () => {
    const t = CompactTree.empty();
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      for (const n of t.append(dataLeaf(i))) {
        expect(n.level).toBeGreaterThan(0);
        expect(nodeSpan(n).end).toBe(i + 1); // completed by this leaf
        const key = `${n.level}/${n.index}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
    }
    expect(seen.size).toBe(100 - 3); // n leaves complete n - popcount(n) interior nodes; popcount(100) = 3
  });

  it("restores from its frontier and continues identically", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 40 }), (size, more) => {
        const a = CompactTree.empty();
        for (let i = 0; i < size; i++) a.append(dataLeaf(i));
        const ids = CompactTree.frontierIds(size);
        expect(a.nodes().map(({ level, index }) => ({ level, index }))).toEqual(ids);
        const b = CompactTree.fromFrontier(size, a.nodes().map((n) => n.hash));
        expect(b.root().equals(a.root())).toBe(true);
        for (let i = size; i < size + more; i++) expect(b.append(dataLeaf(i))).toEqual(a.append(dataLeaf(i)));
        expect(b.root().equals(a.root())).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses a frontier of the wrong shape or hash length", () => {
    expect(() => CompactTree.fromFrontier(3, [dataLeaf(0)])).toThrow(/needs 2 frontier hashes/);
    expect(() => CompactTree.empty().append(Buffer.alloc(31))).toThrow(/32 bytes/);
  });

  it("clones independently", () => {
    const a = CompactTree.empty();
    a.append(dataLeaf(0));
    const b = a.clone();
    b.append(dataLeaf(1));
    expect(a.size).toBe(1);
    expect(b.size).toBe(2);
  });
});
