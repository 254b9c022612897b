/**
 * The full-recompute check of a stored ledger. Rows are fed in stored index
 * order (stream them: memory stays O(log n), plus a page of nodes when nodes
 * are checked); the checker recomputes every leaf
 * hash and the tree, and checks every signed head. It reports the first bad
 * index and what kind of tampering it found there:
 *
 *   modified            the row's entry does not hash to its stored leaf hash, is
 *                       malformed, or disagrees with the row's own columns
 *   deleted             no row at an index: a gap in the indices, a renumbered
 *                       hole (a row claims a later index and no row claims this
 *                       one), or fewer rows than a signed head covers
 *   inserted            a row claims an index already taken earlier — rows were
 *                       added at or after that index
 *   reordered           a row claims a later index and the row claiming this
 *                       index comes later
 *   head-signature      a head's signature is invalid or made with an untrusted key
 *   head-root-mismatch  the recomputed root differs from a validly signed head,
 *                       or from a root the verifier recorded earlier (a known
 *                       head: rows rewritten together with their leaf hashes);
 *                       the index is the first leaf no earlier good head attests
 *   node-modified       a stored perfect-subtree node (ledger_nodes) differs from
 *                       the one recomputed from the rows
 *   node-deleted        a perfect subtree the rows complete has no stored node
 *                       For node problems the index is the last leaf the node
 *                       covers (the append that completed it: where the stored
 *                       tree first went wrong), and `node` names it (level,
 *                       index). A stored
 *                       node over leaves beyond the last row is reported as
 *                       "deleted" at that row count (the writer stores nodes
 *                       only with their rows).
 *
 * Stored nodes are what the writer serves proofs from: a bad node does not
 * change what signed heads attest, but proofs built from it fail to verify.
 * The checker only compares nodes it is given (see `nodeRanges`/`checkNodes`;
 * checkStore reads them), and only over rows that passed the row checks.
 *
 * Independent of the writer: imports only the hash definition.
 */
import { emptyRoot, leafHash, nodeHash } from "../merkle/hash.js";
import { claimedIndex, parseEntry } from "./entry.js";
import { checkHeadSignature, type HeadRecord, type TrustedKeys } from "./head.js";

export interface StoredLeafRow {
  index: number;
  recordId: string;
  kind: string;
  appendedAtMs: number;
  /** The leaf entry (the canonical bytes the leaf hash covers). */
  entry: Uint8Array;
  leafHash: Uint8Array;
}

export type TamperKind =
  | "modified"
  | "deleted"
  | "inserted"
  | "reordered"
  | "head-signature"
  | "head-root-mismatch"
  | "node-modified"
  | "node-deleted";

export interface Problem {
  kind: TamperKind;
  index: number;
  detail: string;
  head?: { treeSize: number; timestampMs: number };
  /** The stored node concerned (node-* kinds). */
  node?: { level: number; index: number };
}

/**
 * A tree head the verifier recorded from an earlier check. The store cannot
 * take it back: rows and heads removed together (a rollback of the newest
 * history) are caught only against a head kept outside the store.
 */
export interface KnownHead {
  treeSize: number;
  rootHash: Uint8Array;
}

/** Node problems listed in a report; further ones are only counted. */
export const MAX_NODE_PROBLEMS = 100;

/** A perfect subtree of level ≥ 1: leaves [index × 2^level, (index + 1) × 2^level). */
export interface StoredNodeRow {
  level: number;
  index: number;
  hash: Uint8Array;
}

/** Stored nodes to read: level `level`, indices `from` to `to` inclusive. */
export interface NodeRange {
  level: number;
  from: number;
  to: number;
}

export interface LedgerReport {
  ok: boolean;
  /** Rows read. */
  rows: number;
  heads: number;
  /** The largest tree size whose root matched a validly signed head. */
  verifiedSize: number;
  /** Rows after the largest signed head (not yet attested; not an error). */
  unsignedTail: number;
  /** The newest head whose signature and root checked out: record it, and pass it back as a known head next time. */
  latestHead?: { treeSize: number; timestampMs: number; rootHash: string };
  /** Stored nodes compared with the recomputed tree (0 when nodes were not checked). */
  nodes: number;
  /** Node problems found; `problems` lists at most the first MAX_NODE_PROBLEMS of them. */
  nodeProblems: number;
  /** The problem at the lowest index, if any. */
  firstBad?: Problem;
  problems: Problem[];
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The verifier's own running root: perfect subtrees of decreasing width. */
class RunningRoot {
  private stack: { level: number; start: number; hash: Buffer }[] = [];
  private size = 0;

  /** Append a leaf hash; `completed` (if given) receives the perfect subtrees of level ≥ 1 it completes, lowest first. */
  push(h: Buffer, completed?: StoredNodeRow[]): void {
    let node = { level: 0, start: this.size++, hash: h };
    for (let top = this.stack.at(-1); top && top.level === node.level; top = this.stack.at(-1)) {
      this.stack.pop();
      node = { level: top.level + 1, start: top.start, hash: nodeHash(top.hash, node.hash) };
      completed?.push({ level: node.level, index: node.start / 2 ** node.level, hash: node.hash });
    }
    this.stack.push(node);
  }

  root(): Buffer {
    if (this.stack.length === 0) return emptyRoot();
    let acc = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i]!.hash, acc);
    return acc;
  }
}

export class LedgerChecker {
  private readonly heads: HeadRecord[];
  private readonly goodSignature: boolean[];
  private readonly problems: Problem[] = [];
  private readonly tree = new RunningRoot();
  private position = 0;
  private rows = 0;
  private nextHead = 0;
  private verifiedSize = 0;
  /** Set once a row problem is found: rows after it are only scanned for a claim of `pending`. */
  private rowsBroken = false;
  private pending: { index: number; claimed: number; seenClaim: boolean } | undefined;
  /** Nodes the recomputed tree completed that have not yet been compared with stored ones. */
  private completed: StoredNodeRow[] = [];
  private nodesCompared = 0;
  private nodeProblemCount = 0;

  /** Whether to collect the recomputed nodes for `checkNodes` (off: memory stays O(log n) without a node check). */
  private readonly collectNodes: boolean;
  private readonly known: KnownHead[];
  private nextKnown = 0;
  private latest: LedgerReport["latestHead"];

  constructor(heads: readonly HeadRecord[], trusted: TrustedKeys, opts: { checkNodes?: boolean; knownHeads?: readonly KnownHead[] } = {}) {
    this.collectNodes = opts.checkNodes ?? false;
    this.known = [...(opts.knownHeads ?? [])].sort((a, b) => a.treeSize - b.treeSize);
    this.heads = [...heads].sort((a, b) => a.treeSize - b.treeSize || a.timestampMs - b.timestampMs);
    this.goodSignature = this.heads.map((h) => {
      const verdict = checkHeadSignature(h, trusted);
      if (verdict !== "ok") {
        this.problems.push({
          kind: "head-signature",
          index: h.treeSize,
          detail: `tree head of size ${h.treeSize} at ${h.timestampMs}: ${verdict}`,
          head: { treeSize: h.treeSize, timestampMs: h.timestampMs },
        });
      }
      return verdict === "ok";
    });
    this.checkHeadsAt(0);
  }

  push(row: StoredLeafRow): void {
    this.rows++;
    if (this.rowsBroken) {
      if (this.pending && !this.pending.seenClaim && claimedIndex(row.entry) === this.pending.index) this.pending.seenClaim = true;
      return;
    }
    const p = this.position;
    if (row.index !== p) {
      if (row.index > p) this.rowProblem("deleted", p, `no row at index ${p}; the next row has index ${row.index}`);
      else this.rowProblem("inserted", row.index, `a second row with index ${row.index} follows index ${p - 1}`);
      return;
    }
    const h = leafHash(row.entry);
    if (!equal(h, row.leafHash)) return this.rowProblem("modified", p, "the entry does not hash to the stored leaf hash");
    const e = parseEntry(row.entry);
    if (!e) return this.rowProblem("modified", p, "the entry is malformed");
    if (e.recordId !== row.recordId) return this.rowProblem("modified", p, "the record id column differs from the entry's");
    if (e.kind !== row.kind) return this.rowProblem("modified", p, "the kind column differs from the entry's");
    if (e.appendedAtMs !== row.appendedAtMs) return this.rowProblem("modified", p, "the appended-at column differs from the entry's");
    if (e.index < p) return this.rowProblem("inserted", e.index, `the row at index ${p} is the entry for index ${e.index}: a row was inserted at or after ${e.index}`);
    if (e.index > p) {
      this.rowProblem("deleted", p, `the row at index ${p} is the entry for index ${e.index}`);
      this.pending = { index: p, claimed: e.index, seenClaim: false };
      return;
    }
    this.tree.push(h, this.collectNodes ? this.completed : undefined);
    this.position = p + 1;
    this.checkHeadsAt(this.position);
  }

  /**
   * The stored nodes to read for the comparison `checkNodes` makes next: per
   * level, the index range of the nodes the recomputed tree completed since the
   * last `checkNodes`.
   */
  nodeRanges(): NodeRange[] {
    const byLevel = new Map<number, NodeRange>();
    for (const n of this.completed) {
      const r = byLevel.get(n.level);
      if (r) r.to = Math.max(r.to, n.index);
      else byLevel.set(n.level, { level: n.level, from: n.index, to: n.index });
    }
    return [...byLevel.values()];
  }

  /**
   * Compare the stored nodes of `nodeRanges()` (any order; nodes outside the
   * ranges are ignored) with the recomputed ones, and start afresh.
   */
  checkNodes(stored: Iterable<StoredNodeRow>): void {
    const held = new Map<string, Uint8Array>();
    for (const n of stored) held.set(`${n.level}/${n.index}`, n.hash);
    for (const want of this.completed) {
      this.nodesCompared++;
      const got = held.get(`${want.level}/${want.index}`);
      const first = want.index * 2 ** want.level;
      const span = `node (level ${want.level}, index ${want.index}) over leaves ${first}..${first + 2 ** want.level - 1}`;
      if (got === undefined) this.nodeProblem("node-deleted", want, `no stored ${span}`);
      else if (!equal(got, want.hash)) this.nodeProblem("node-modified", want, `the stored ${span} differs from the one recomputed from the rows`);
    }
    this.completed = [];
  }

  /**
   * After the last row: the number of rows the stored nodes must lie within.
   * Undefined when a row problem stopped the recomputation (nodes past it
   * cannot be judged).
   */
  nodeLimit(): number | undefined {
    return this.rowsBroken ? undefined : this.position;
  }

  /**
   * Stored nodes over leaves at or beyond `nodeLimit()` (others are ignored).
   * The writer stores a node only with the rows it covers, so such a node means
   * rows were deleted from the end (or the node was inserted): one "deleted"
   * problem at the first missing index, naming the lowest such node.
   */
  checkNodesBeyond(stored: Iterable<StoredNodeRow>): void {
    const limit = this.nodeLimit();
    if (limit === undefined) return;
    let lowest: StoredNodeRow | undefined;
    let count = 0;
    for (const n of stored) {
      if ((n.index + 1) * 2 ** n.level <= limit) continue;
      count++;
      if (!lowest || n.index * 2 ** n.level < lowest.index * 2 ** lowest.level) lowest = n;
    }
    if (!lowest) return;
    const first = lowest.index * 2 ** lowest.level;
    this.nodeProblemCount += count;
    this.problems.push({
      kind: "deleted",
      index: limit,
      detail:
        `${count} stored node(s) cover leaves beyond the ${limit} rows, e.g. (level ${lowest.level}, index ${lowest.index}) over leaves ` +
        `${first}..${first + 2 ** lowest.level - 1}: rows were deleted from the end (or nodes inserted)`,
      node: { level: lowest.level, index: lowest.index },
    });
  }

  finish(): LedgerReport {
    if (this.pending?.seenClaim) {
      const problem = this.problems.find((q) => q.kind === "deleted" && q.index === this.pending!.index)!;
      problem.kind = "reordered";
      problem.detail += `, and the entry for index ${this.pending.index} comes later`;
    } else if (this.pending) {
      const problem = this.problems.find((q) => q.kind === "deleted" && q.index === this.pending!.index)!;
      problem.detail += `, and no row holds the entry for index ${this.pending.index}`;
    }
    const lastHead = this.heads.at(-1)?.treeSize ?? 0;
    const lastKnown = this.known.at(-1)?.treeSize ?? 0;
    if (!this.rowsBroken && Math.max(lastHead, lastKnown) > this.rows) {
      const detail =
        lastKnown > lastHead
          ? `a head recorded earlier covers ${lastKnown} leaves but only ${this.rows} rows remain (and the store's heads cover ${lastHead}): rows and heads were removed`
          : `a signed head covers ${lastHead} leaves but only ${this.rows} rows remain`;
      const byNodes = this.problems.find((q) => q.kind === "deleted" && q.index === this.rows);
      if (byNodes) byNodes.detail = `${detail}; ${byNodes.detail}`;
      else this.problems.push({ kind: "deleted", index: this.rows, detail });
    }
    const problems = this.problems.slice();
    const firstBad = problems.reduce<Problem | undefined>((best, q) => (best === undefined || q.index < best.index ? q : best), undefined);
    return {
      ok: problems.length === 0,
      rows: this.rows,
      heads: this.heads.length,
      verifiedSize: this.verifiedSize,
      ...(this.latest ? { latestHead: this.latest } : {}),
      unsignedTail: Math.max(0, this.rows - lastHead),
      nodes: this.nodesCompared,
      nodeProblems: this.nodeProblemCount,
      ...(firstBad ? { firstBad } : {}),
      problems,
    };
  }

  /** Nodes are compared in the order they complete, so the first node problem has the lowest index. */
  private nodeProblem(kind: TamperKind, node: StoredNodeRow, detail: string): void {
    if (++this.nodeProblemCount > MAX_NODE_PROBLEMS) return;
    this.problems.push({ kind, index: (node.index + 1) * 2 ** node.level - 1, detail, node: { level: node.level, index: node.index } });
  }

  private rowProblem(kind: TamperKind, index: number, detail: string): void {
    this.problems.push({ kind, index, detail });
    this.rowsBroken = true;
  }

  private checkHeadsAt(size: number): void {
    let root: Buffer | undefined;
    // Known heads first: a head the store signed at this size does not vouch for a root the verifier recorded differently.
    for (; this.nextKnown < this.known.length && this.known[this.nextKnown]!.treeSize <= size; this.nextKnown++) {
      const k = this.known[this.nextKnown]!;
      root ??= this.tree.root();
      if (!equal(root, k.rootHash)) {
        this.problems.push({
          kind: "head-root-mismatch",
          index: this.verifiedSize,
          detail: `the recomputed root of the first ${size} leaves differs from the root recorded earlier for that size; a leaf at or after ${this.verifiedSize} was rewritten`,
        });
      }
    }
    for (; this.nextHead < this.heads.length && this.heads[this.nextHead]!.treeSize === size; this.nextHead++) {
      const i = this.nextHead;
      if (!this.goodSignature[i]) continue;
      const h = this.heads[i]!;
      root ??= this.tree.root();
      if (equal(root, h.rootHash)) {
        this.verifiedSize = Math.max(this.verifiedSize, size);
        this.latest = { treeSize: h.treeSize, timestampMs: h.timestampMs, rootHash: Buffer.from(h.rootHash).toString("hex") };
      } else {
        this.problems.push({
          kind: "head-root-mismatch",
          index: this.verifiedSize,
          detail: `the recomputed root of the first ${size} leaves differs from the head signed at ${h.timestampMs}; a leaf at or after ${this.verifiedSize} was rewritten`,
          head: { treeSize: h.treeSize, timestampMs: h.timestampMs },
        });
      }
    }
  }
}

/** Check a whole ledger held in memory; with `nodes`, its stored perfect-subtree nodes too. */
export function checkLedger(
  rows: Iterable<StoredLeafRow>,
  heads: readonly HeadRecord[],
  trusted: TrustedKeys,
  nodes?: readonly StoredNodeRow[],
  knownHeads?: readonly KnownHead[],
): LedgerReport {
  const checker = new LedgerChecker(heads, trusted, { checkNodes: nodes !== undefined, ...(knownHeads ? { knownHeads } : {}) });
  for (const r of rows) checker.push(r);
  if (nodes) {
    checker.checkNodes(nodes);
    checker.checkNodesBeyond(nodes);
  }
  return checker.finish();
}
