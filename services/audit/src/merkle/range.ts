/**
 * Node arithmetic of the RFC 6962 tree, pure and storage-agnostic.
 *
 * A node is named by (level, index): the perfect subtree of 2^level leaves
 * starting at leaf index × 2^level. Level 0 nodes are the leaves. The ledger
 * stores every perfect subtree once it is complete (its hash never changes
 * afterwards), so any subtree hash the RFC's definitions need — perfect or not —
 * is a fold over at most ~log2(n) stored nodes:
 *
 *            [0,7) = MTH(D[0:7])             level
 *           /            \
 *       (2,0)            [4,7)  (not perfect: never stored, folded from (1,2), (0,6))
 *       /   \            /   \
 *    (1,0) (1,1)      (1,2)  (0,6)             1
 *    / \    / \       / \     |
 *   d0 d1  d2 d3     d4 d5    d6               0
 *
 * Sizes and indices are JavaScript numbers, exact up to 2^53; no bitwise
 * operators are used (they truncate to 32 bits).
 */

export interface NodeId {
  level: number;
  index: number;
}

/** A half-open range of leaf indices [begin, end). */
export interface Span {
  begin: number;
  end: number;
}

export class TreeRangeError extends RangeError {}

export function assertSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new TreeRangeError(`${name} must be a non-negative safe integer, got ${n}`);
}

const pow2 = (level: number) => 2 ** level;

/** The largest power of two strictly below n (n ≥ 2) — RFC 6962's split point k. */
export function splitPoint(n: number): number {
  if (!(n >= 2)) throw new TreeRangeError(`no split point below ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The largest level l with begin a multiple of 2^l and begin + 2^l ≤ end. */
function largestAlignedLevel(begin: number, end: number): number {
  let level = 0;
  for (;;) {
    const next = pow2(level + 1);
    if (begin % next !== 0 || begin + next > end) return level;
    level++;
  }
}

/**
 * The perfect subtrees that exactly cover [begin, end), left to right — the
 * range's compact decomposition. For the ranges RFC 6962 recursion produces
 * (and for every prefix [0, n)) the levels strictly decrease.
 */
export function perfectNodes(begin: number, end: number): NodeId[] {
  assertSize("begin", begin);
  assertSize("end", end);
  if (begin > end) throw new TreeRangeError(`empty range [${begin}, ${end})`);
  const out: NodeId[] = [];
  let at = begin;
  while (at < end) {
    const level = largestAlignedLevel(at, end);
    out.push({ level, index: at / pow2(level) });
    at += pow2(level);
  }
  return out;
}

/** The leaves a node covers. */
export function nodeSpan(id: NodeId): Span {
  const width = pow2(id.level);
  return { begin: id.index * width, end: (id.index + 1) * width };
}

/**
 * RFC 6962 §2.1.1 PATH(m, D[n]): the subtrees whose hashes form the audit path
 * of leaf m in the tree of n leaves, in proof order (nearest the leaf first).
 */
export function inclusionSpans(index: number, size: number): Span[] {
  assertSize("index", index);
  assertSize("size", size);
  if (index >= size) throw new TreeRangeError(`leaf index ${index} is not below tree size ${size}`);
  const spans: Span[] = [];
  const path = (begin: number, end: number): void => {
    const n = end - begin;
    if (n === 1) return;
    const k = splitPoint(n);
    if (index - begin < k) {
      path(begin, begin + k);
      spans.push({ begin: begin + k, end });
    } else {
      path(begin + k, end);
      spans.push({ begin, end: begin + k });
    }
  };
  path(0, size);
  return spans;
}

/**
 * RFC 6962 §2.1.2 PROOF(m, D[n]) = SUBPROOF(m, D[n], true): the subtrees whose
 * hashes prove the tree of size1 leaves is a prefix of the tree of size2, in
 * proof order. Empty when size1 = 0 or size1 = size2.
 */
export function consistencySpans(size1: number, size2: number): Span[] {
  assertSize("size1", size1);
  assertSize("size2", size2);
  if (size1 > size2) throw new TreeRangeError(`size1 ${size1} is larger than size2 ${size2}`);
  const spans: Span[] = [];
  if (size1 === 0 || size1 === size2) return spans;
  const subproof = (m: number, begin: number, end: number, complete: boolean): void => {
    const n = end - begin;
    if (m === n) {
      if (!complete) spans.push({ begin, end });
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      subproof(m, begin, begin + k, complete);
      spans.push({ begin: begin + k, end });
    } else {
      subproof(m - k, begin + k, end, false);
      spans.push({ begin, end: begin + k });
    }
  };
  subproof(size1, 0, size2, true);
  return spans;
}
