/**
 * The writer's incremental tree: a compact range (frontier) over [0, size) —
 * one hash per perfect subtree in the binary decomposition of size, at most
 * log2(size)+1 of them. Appending a leaf is amortised O(1) hashing and reports
 * the perfect subtrees it completed, which the store keeps; the root is a fold
 * over the frontier, O(log n).
 */
import { emptyRoot, HASH_SIZE, nodeHash } from "./hash.js";
import { assertSize, perfectNodes, type NodeId } from "./range.js";

export interface StoredNode extends NodeId {
  hash: Buffer;
}

/** Fold the hashes of a range's perfect decomposition (left to right) into the range's MTH. */
export function foldRight(hashes: readonly Uint8Array[]): Buffer {
  const last = hashes.at(-1);
  if (last === undefined) return emptyRoot();
  let acc: Buffer = Buffer.from(last);
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

export class CompactTree {
  private constructor(
    private leaves: number,
    private readonly frontier: StoredNode[],
  ) {}

  static empty(): CompactTree {
    return new CompactTree(0, []);
  }

  /** The node ids whose hashes restore a tree of `size` leaves (see `fromFrontier`). */
  static frontierIds(size: number): NodeId[] {
    return perfectNodes(0, size);
  }

  /** Restore a tree from the hashes of `frontierIds(size)`, in that order. */
  static fromFrontier(size: number, hashes: readonly Uint8Array[]): CompactTree {
    assertSize("size", size);
    const ids = perfectNodes(0, size);
    if (ids.length !== hashes.length) throw new Error(`a tree of ${size} leaves needs ${ids.length} frontier hashes, got ${hashes.length}`);
    return new CompactTree(
      size,
      ids.map((id, i) => ({ ...id, hash: checkedHash(hashes[i]!) })),
    );
  }

  get size(): number {
    return this.leaves;
  }

  /** The frontier's nodes, largest first (copies). */
  nodes(): StoredNode[] {
    return this.frontier.map((n) => ({ ...n, hash: Buffer.from(n.hash) }));
  }

  /** MTH(D[0:size]). */
  root(): Buffer {
    return foldRight(this.frontier.map((n) => n.hash));
  }

  /**
   * Append one leaf hash (leaf index = the size before the call). Returns the
   * perfect subtrees of level ≥ 1 this leaf completed, lowest first.
   */
  append(leafHash: Uint8Array): StoredNode[] {
    const index = this.leaves;
    this.frontier.push({ level: 0, index, hash: checkedHash(leafHash) });
    this.leaves = index + 1;
    const completed: StoredNode[] = [];
    for (;;) {
      const right = this.frontier.at(-1)!;
      const left = this.frontier.at(-2);
      if (left === undefined || left.level !== right.level) break;
      this.frontier.length -= 2;
      const merged: StoredNode = { level: left.level + 1, index: left.index / 2, hash: nodeHash(left.hash, right.hash) };
      this.frontier.push(merged);
      completed.push(merged);
    }
    return completed;
  }

  clone(): CompactTree {
    return new CompactTree(this.leaves, this.nodes());
  }
}

function checkedHash(h: Uint8Array): Buffer {
  if (h.length !== HASH_SIZE) throw new Error(`a tree hash has ${HASH_SIZE} bytes, got ${h.length}`);
  return Buffer.from(h);
}
