import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyRoot, leafHash } from "./hash.js";
import { consistencyProof, inclusionProof, MemoryHashSource, MissingNodeError, rootAt, type HashSource } from "./proof.js";
import type { NodeId } from "./range.js";
import { CompactTree } from "./tree.js";

const load = (p: string) => JSON.parse(readFileSync(new URL(`../../test-vectors/${p}`, import.meta.url), "utf8"));
const tree8 = load("known/tree8.json");
const small = load("generated/small-trees.json");
const large = load("generated/large-trees.json");
const hex = (bs: Buffer[]) => bs.map((b) => b.toString("hex"));
const dataLeaf = (i: number) => leafHash(Buffer.from(`takitini-leaf-${i}`, "utf8"));

/** The store's way of building the source: a leaf at a time, keeping the nodes the tree reports. */
function storedTree(leaves: Buffer[]): MemoryHashSource {
  const tree = CompactTree.empty();
  const source = new MemoryHashSource();
  for (const l of leaves) source.push(l, tree.append(l));
  return source;
}

/** Counts reads, to hold proofs to O(log n) nodes. */
class CountingSource implements HashSource {
  calls = 0;
  nodes = 0;
  constructor(private readonly inner: HashSource) {}
  hashes(ids: readonly NodeId[]) {
    this.calls++;
    this.nodes += ids.length;
    return this.inner.hashes(ids);
  }
}

describe("proofs from stored nodes", () => {
  const known = storedTree((tree8.leaves as string[]).map((d) => leafHash(Buffer.from(d, "hex"))));

  it.each(tree8.inclusion as { index: number; size: number; proof: string[] }[])("known inclusion proof for leaf $index of $size", async ({ index, size, proof }) => {
    expect(hex(await inclusionProof(known, index, size))).toEqual(proof);
  });

  it.each(tree8.consistency as { size1: number; size2: number; proof: string[] }[])("known consistency proof $size1 -> $size2", async ({ size1, size2, proof }) => {
    expect(hex(await consistencyProof(known, size1, size2))).toEqual(proof);
  });

  it("has every past root of the known tree", async () => {
    expect((await rootAt(known, 0)).equals(emptyRoot())).toBe(true);
    for (const [size, root] of Object.entries(tree8.roots as Record<string, string>)) expect((await rootAt(known, Number(size))).toString("hex")).toBe(root);
  });

  it("reproduces every generated vector (sizes 1..20, all leaves and all prefixes)", async () => {
    for (const t of small.trees) {
      const source = storedTree(Array.from({ length: t.size }, (_, i) => dataLeaf(i)));
      expect((await rootAt(source, t.size)).toString("hex")).toBe(t.root);
      for (const c of t.inclusion) expect(hex(await inclusionProof(source, c.index, t.size)), `${c.index}/${t.size}`).toEqual(c.proof);
      for (const c of t.consistency) {
        expect(hex(await consistencyProof(source, c.size1, t.size)), `${c.size1}->${t.size}`).toEqual(c.proof);
        expect((await rootAt(source, c.size1)).toString("hex")).toBe(c.root1);
      }
    }
  });

  it("reproduces the generated vectors of larger trees, reading O(log n) nodes in one batch", async () => {
    for (const t of large.trees) {
      const source = new CountingSource(storedTree(Array.from({ length: t.size }, (_, i) => dataLeaf(i))));
      const bound = 2 * Math.ceil(Math.log2(t.size)) + 2;
      for (const c of t.inclusion) {
        source.calls = source.nodes = 0;
        expect(hex(await inclusionProof(source, c.index, t.size))).toEqual(c.proof);
        expect(source.calls).toBeLessThanOrEqual(1);
        expect(source.nodes).toBeLessThanOrEqual(bound);
      }
      for (const c of t.consistency) {
        source.calls = source.nodes = 0;
        expect(hex(await consistencyProof(source, c.size1, t.size))).toEqual(c.proof);
        expect(source.calls).toBeLessThanOrEqual(1);
        expect(source.nodes).toBeLessThanOrEqual(bound);
      }
    }
  });

  it("proves against past sizes of a grown tree with the same result as a tree of that size", async () => {
    const big = storedTree(Array.from({ length: 300 }, (_, i) => dataLeaf(i)));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }), fc.integer({ min: 0, max: size }))), async ([size, index, size1]) => {
        const exact = storedTree(Array.from({ length: size }, (_, i) => dataLeaf(i)));
        expect(hex(await inclusionProof(big, index, size))).toEqual(hex(await inclusionProof(exact, index, size)));
        expect(hex(await consistencyProof(big, size1, size))).toEqual(hex(await consistencyProof(exact, size1, size)));
      }),
      { numRuns: 50 },
    );
  });

  it("fails loudly when a node is not stored", async () => {
    const source = storedTree([dataLeaf(0), dataLeaf(1), dataLeaf(2)]);
    await expect(inclusionProof(source, 0, 4)).rejects.toBeInstanceOf(MissingNodeError);
  });

  it("refuses a source that returns the wrong number or length of hashes", async () => {
    const short: HashSource = { hashes: async () => [] };
    await expect(inclusionProof(short, 0, 2)).rejects.toThrow(/returned 0 hashes/);
    const bad: HashSource = { hashes: async (ids) => ids.map(() => Buffer.alloc(20)) };
    await expect(inclusionProof(bad, 0, 2)).rejects.toThrow(/20-byte hash/);
  });
});
