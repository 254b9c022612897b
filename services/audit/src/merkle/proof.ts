/**
 * Proof generation from stored hashes. Every hash a proof needs is the MTH of a
 * span; every span is a fold over its perfect decomposition, and every perfect
 * subtree's hash is stored. So a proof at any size costs one batched read of
 * O(log² n) worst case — in practice under 2·log2(n) — node hashes, never a
 * rehash of leaves.
 */
import { HASH_SIZE } from "./hash.js";
import { consistencySpans, inclusionSpans, perfectNodes, TreeRangeError, type NodeId, type Span } from "./range.js";
import { foldRight } from "./tree.js";

/** Where proof generation reads node hashes from (the ledger, or memory in tests). */
export interface HashSource {
  /** The hashes of `ids`, in the same order. Must throw if any is not stored. */
  hashes(ids: readonly NodeId[]): Promise<Uint8Array[]>;
}

export class MissingNodeError extends Error {
  constructor(readonly id: NodeId) {
    super(`node (level ${id.level}, index ${id.index}) is not stored`);
  }
}

/** The MTHs of `spans`, with one read of every node they need. */
export async function spanHashes(source: HashSource, spans: readonly Span[]): Promise<Buffer[]> {
  const groups = spans.map((s) => perfectNodes(s.begin, s.end));
  const ids = groups.flat();
  const hashes = ids.length === 0 ? [] : await source.hashes(ids);
  if (hashes.length !== ids.length) throw new Error(`hash source returned ${hashes.length} hashes for ${ids.length} nodes`);
  let at = 0;
  return groups.map((g) => {
    const part = hashes.slice(at, at + g.length);
    at += g.length;
    for (const h of part) if (h.length !== HASH_SIZE) throw new Error(`hash source returned a ${h.length}-byte hash`);
    return foldRight(part);
  });
}

/** RFC 6962 audit path of leaf `index` in the tree of `size` leaves. */
export function inclusionProof(source: HashSource, index: number, size: number): Promise<Buffer[]> {
  return spanHashes(source, inclusionSpans(index, size));
}

/** RFC 6962 consistency proof between the trees of `size1` and `size2` leaves. */
export function consistencyProof(source: HashSource, size1: number, size2: number): Promise<Buffer[]> {
  return spanHashes(source, consistencySpans(size1, size2));
}

/** MTH(D[0:size]) from stored hashes — the root the tree had at any past size. */
export async function rootAt(source: HashSource, size: number): Promise<Buffer> {
  if (size === 0) return foldRight([]);
  const [root] = await spanHashes(source, [{ begin: 0, end: size }]);
  return root!;
}

/**
 * All perfect-subtree hashes of a list of leaf hashes, kept in memory: the
 * reference hash source for tests, test-vector generation and small trees.
 */
export class MemoryHashSource implements HashSource {
  /** levels[l][i] = hash of node (l, i). */
  readonly levels: Buffer[][] = [[]];

  constructor(leafHashes: readonly Uint8Array[] = []) {
    for (const h of leafHashes) this.push(h);
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  push(leafHash: Uint8Array, nodes?: readonly { level: number; index: number; hash: Buffer }[]): void {
    this.levels[0]!.push(Buffer.from(leafHash));
    for (const n of nodes ?? []) this.put(n.level, n.index, n.hash);
  }

  put(level: number, index: number, hash: Buffer): void {
    while (this.levels.length <= level) this.levels.push([]);
    const row = this.levels[level]!;
    if (index !== row.length) throw new TreeRangeError(`node (${level}, ${index}) stored out of order`);
    row.push(hash);
  }

  async hashes(ids: readonly NodeId[]): Promise<Buffer[]> {
    return ids.map((id) => {
      const h = this.levels[id.level]?.[id.index];
      if (!h) throw new MissingNodeError(id);
      return h;
    });
  }
}
