import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { consistencySpans, inclusionSpans, nodeSpan, perfectNodes, splitPoint, TreeRangeError, type Span } from "./range.js";

const vectors = JSON.parse(readFileSync(new URL("../../test-vectors/known/proof-nodes.json", import.meta.url), "utf8"));
const asPairs = (spans: Span[]) => spans.map((s) => perfectNodes(s.begin, s.end).map((n) => [n.level, n.index]));

describe("node arithmetic", () => {
  it("splits at the largest power of two below n", () => {
    expect([2, 3, 4, 5, 8, 9, 1000, 2 ** 40 + 1].map(splitPoint)).toEqual([1, 2, 2, 4, 4, 8, 512, 2 ** 40]);
    expect(() => splitPoint(1)).toThrow(TreeRangeError);
  });

  it("decomposes a prefix into perfect subtrees of decreasing size", () => {
    expect(perfectNodes(0, 0)).toEqual([]);
    expect(perfectNodes(0, 7)).toEqual([
      { level: 2, index: 0 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    expect(perfectNodes(0, 2 ** 20)).toEqual([{ level: 20, index: 0 }]);
    expect(perfectNodes(3, 9)).toEqual([
      { level: 0, index: 3 },
      { level: 2, index: 1 },
      { level: 0, index: 8 },
    ]);
  });

  it("names exact nodes above 2^32 (no 32-bit bitwise arithmetic)", () => {
    const n = 2 ** 33 + 5;
    const nodes = perfectNodes(0, n);
    expect(nodes).toEqual([
      { level: 33, index: 0 },
      { level: 2, index: 2 ** 31 },
      { level: 0, index: 2 ** 33 + 4 },
    ]);
    expect(nodes.map(nodeSpan).at(-1)).toEqual({ begin: 2 ** 33 + 4, end: n });
    expect(inclusionSpans(2 ** 33 + 4, n)).toEqual([
      { begin: 2 ** 33, end: 2 ** 33 + 4 },
      { begin: 0, end: 2 ** 33 },
    ]);
    expect(inclusionSpans(2 ** 33 + 1, n)).toEqual([
      { begin: 2 ** 33, end: 2 ** 33 + 1 },
      { begin: 2 ** 33 + 2, end: 2 ** 33 + 4 },
      { begin: 2 ** 33 + 4, end: n },
      { begin: 0, end: 2 ** 33 },
    ]);
  });

  it.each(vectors.inclusion as { size: number; index: number; nodes: number[][][] }[])("inclusion nodes for leaf $index of $size", ({ size, index, nodes }) => {
    expect(asPairs(inclusionSpans(index, size))).toEqual(nodes);
  });

  it.each(vectors.inclusion_errors as { size: number; index: number }[])("no inclusion proof for leaf $index of $size", ({ size, index }) => {
    expect(() => inclusionSpans(index, size)).toThrow(TreeRangeError);
  });

  it.each(vectors.consistency as { size1: number; size2: number; nodes: number[][][] }[])("consistency nodes $size1 -> $size2", ({ size1, size2, nodes }) => {
    expect(asPairs(consistencySpans(size1, size2))).toEqual(nodes);
  });

  it.each(vectors.consistency_errors as { size1: number; size2: number }[])("no consistency proof $size1 -> $size2", ({ size1, size2 }) => {
    expect(() => consistencySpans(size1, size2)).toThrow(TreeRangeError);
  });

  it("rejects sizes that are not non-negative safe integers", () => {
    expect(() => perfectNodes(0, 2.5)).toThrow(TreeRangeError);
    expect(() => inclusionSpans(-1, 3)).toThrow(TreeRangeError);
    expect(() => consistencySpans(1, 2 ** 53)).toThrow(TreeRangeError);
  });
});
