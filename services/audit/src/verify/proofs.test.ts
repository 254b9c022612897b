import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leafHash } from "../merkle/hash.js";
import { consistencyProof, inclusionProof, MemoryHashSource, rootAt } from "../merkle/proof.js";
import { CompactTree } from "../merkle/tree.js";
import { verifyConsistencyClaim, verifyInclusionClaim } from "./claims.js";
import { verifyConsistency, verifyInclusion } from "./proofs.js";

const load = (p: string) => JSON.parse(readFileSync(new URL(`../../test-vectors/${p}`, import.meta.url), "utf8"));
const tree8 = load("known/tree8.json");
const small = load("generated/small-trees.json");
const large = load("generated/large-trees.json");
const adversarialInclusion = load("adversarial/inclusion.json").cases as { desc: string; claim: unknown; want: { ok: boolean; reason?: string } }[];
const adversarialConsistency = load("adversarial/consistency.json").cases as { desc: string; claim: unknown; want: { ok: boolean; reason?: string } }[];
const h = (s: string) => Buffer.from(s, "hex");

describe("verifyInclusion (RFC 9162 §2.1.3.2)", () => {
  const leaves = (tree8.leaves as string[]).map((d) => leafHash(h(d)));

  it.each(tree8.inclusion as { index: number; size: number; proof: string[] }[])("accepts the known proof for leaf $index of $size", ({ index, size, proof }) => {
    expect(verifyInclusion(leaves[index]!, index, size, proof.map(h), h(tree8.roots[String(size)]))).toEqual({ ok: true });
  });

  it("accepts every generated proof", () => {
    for (const t of [...small.trees, ...large.trees]) {
      for (const c of t.inclusion) expect(verifyInclusion(h(c.leaf_hash), c.index, t.size, c.proof.map(h), h(t.root)), `${c.index}/${t.size}`).toEqual({ ok: true });
    }
  });

  it.each(adversarialInclusion)("$desc", ({ claim, want }) => {
    const got = verifyInclusionClaim(claim);
    if (want.reason) expect(got).toEqual(want);
    else expect(got.ok).toBe(want.ok);
  });

  it("takes sizes beyond 2^53 as bigint", () => {
    const leaf = leaves[0]!;
    expect(verifyInclusion(leaf, 2n ** 60n, 2n ** 60n + 1n, [], leaf)).toEqual({ ok: false, reason: "proof-too-short" });
    expect(verifyInclusion(leaf, 0, 2 ** 53, [], leaf)).toEqual({ ok: false, reason: "bad-argument" });
    expect(verifyInclusion(leaf, 0, 2n ** 64n, [], leaf)).toEqual({ ok: false, reason: "bad-argument" });
  });
});

describe("verifyConsistency (RFC 9162 §2.1.4.2)", () => {
  it.each(tree8.consistency as { size1: number; size2: number; proof: string[] }[])("accepts the known proof $size1 -> $size2", ({ size1, size2, proof }) => {
    expect(verifyConsistency(size1, size2, h(tree8.roots[String(size1)]), h(tree8.roots[String(size2)]), proof.map(h))).toEqual({ ok: true });
  });

  it("accepts every generated proof", () => {
    for (const t of [...small.trees, ...large.trees]) {
      for (const c of t.consistency) expect(verifyConsistency(c.size1, t.size, h(c.root1), h(t.root), c.proof.map(h)), `${c.size1}->${t.size}`).toEqual({ ok: true });
    }
  });

  it.each(adversarialConsistency)("$desc", ({ claim, want }) => {
    const got = verifyConsistencyClaim(claim);
    if (want.reason) expect(got).toEqual(want);
    else expect(got.ok).toBe(want.ok);
  });
});

describe("writer and verifier agree on random trees", () => {
  const build = (n: number, seed: number) => {
    const tree = CompactTree.empty();
    const source = new MemoryHashSource();
    const leaves: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const l = leafHash(Buffer.from(`${seed}:${i}`));
      leaves.push(l);
      source.push(l, tree.append(l));
    }
    return { source, leaves, root: tree.root() };
  };
  const flipBit = (proof: Buffer[], bit: number) => {
    const out = proof.map((p) => Buffer.from(p));
    const i = Math.floor(bit / 256) % out.length;
    out[i]![Math.floor((bit % 256) / 8)]! ^= 1 << bit % 8;
    return out;
  };

  it("every inclusion proof verifies and any single bit flip in it fails", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 600 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }), fc.nat(), fc.nat({ max: 256 * 12 }))),
        async ([n, index, seed, bit]) => {
          const t = build(n, seed);
          const proof = await inclusionProof(t.source, index, n);
          expect(verifyInclusion(t.leaves[index]!, index, n, proof, t.root)).toEqual({ ok: true });
          if (proof.length > 0) expect(verifyInclusion(t.leaves[index]!, index, n, flipBit(proof, bit), t.root).ok).toBe(false);
          const leaf = Buffer.from(t.leaves[index]!);
          leaf[bit % 32]! ^= 1 << bit % 8;
          expect(verifyInclusion(leaf, index, n, proof, t.root).ok).toBe(false);
          const root = Buffer.from(t.root);
          root[bit % 32]! ^= 1 << (bit >> 5) % 8;
          expect(verifyInclusion(t.leaves[index]!, index, n, proof, root).ok).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("every consistency proof verifies and any single bit flip in it or a root fails", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 600 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }), fc.nat(), fc.nat({ max: 256 * 12 }))),
        async ([n, size1, seed, bit]) => {
          const t = build(n, seed);
          const root1 = await rootAt(t.source, size1);
          const proof = await consistencyProof(t.source, size1, n);
          expect(verifyConsistency(size1, n, root1, t.root, proof)).toEqual({ ok: true });
          if (proof.length > 0) expect(verifyConsistency(size1, n, root1, t.root, flipBit(proof, bit)).ok).toBe(false);
          if (size1 < n) {
            const r1 = Buffer.from(root1);
            r1[bit % 32]! ^= 1 << bit % 8;
            expect(verifyConsistency(size1, n, r1, t.root, proof).ok).toBe(false);
            const r2 = Buffer.from(t.root);
            r2[bit % 32]! ^= 1 << bit % 8;
            expect(verifyConsistency(size1, n, root1, r2, proof).ok).toBe(false);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
