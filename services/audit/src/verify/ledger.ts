/**
 * The full-recompute check of a stored ledger. Rows are fed in stored index
 * order (stream them: memory stays O(log n)); the checker recomputes every leaf
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
 *   head-root-mismatch  the recomputed root differs from a validly signed head
 *                       (rows rewritten together with their leaf hashes); the
 *                       index is the first leaf no earlier good head attests
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

export type TamperKind = "modified" | "deleted" | "inserted" | "reordered" | "head-signature" | "head-root-mismatch";

export interface Problem {
  kind: TamperKind;
  index: number;
  detail: string;
  head?: { treeSize: number; timestampMs: number };
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
  /** The problem at the lowest index, if any. */
  firstBad?: Problem;
  problems: Problem[];
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The verifier's own running root: perfect subtrees of decreasing width. */
class RunningRoot {
  private stack: { width: number; hash: Buffer }[] = [];

  push(h: Buffer): void {
    let node = { width: 1, hash: h };
    for (let top = this.stack.at(-1); top && top.width === node.width; top = this.stack.at(-1)) {
      this.stack.pop();
      node = { width: top.width * 2, hash: nodeHash(top.hash, node.hash) };
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

  constructor(heads: readonly HeadRecord[], trusted: TrustedKeys) {
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
    this.tree.push(h);
    this.position = p + 1;
    this.checkHeadsAt(this.position);
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
    if (!this.rowsBroken && lastHead > this.rows) {
      this.problems.push({ kind: "deleted", index: this.rows, detail: `a signed head covers ${lastHead} leaves but only ${this.rows} rows remain` });
    }
    const problems = this.problems.slice();
    const firstBad = problems.reduce<Problem | undefined>((best, q) => (best === undefined || q.index < best.index ? q : best), undefined);
    return {
      ok: problems.length === 0,
      rows: this.rows,
      heads: this.heads.length,
      verifiedSize: this.verifiedSize,
      unsignedTail: Math.max(0, this.rows - lastHead),
      ...(firstBad ? { firstBad } : {}),
      problems,
    };
  }

  private rowProblem(kind: TamperKind, index: number, detail: string): void {
    this.problems.push({ kind, index, detail });
    this.rowsBroken = true;
  }

  private checkHeadsAt(size: number): void {
    let root: Buffer | undefined;
    for (; this.nextHead < this.heads.length && this.heads[this.nextHead]!.treeSize === size; this.nextHead++) {
      const i = this.nextHead;
      if (!this.goodSignature[i]) continue;
      const h = this.heads[i]!;
      root ??= this.tree.root();
      if (equal(root, h.rootHash)) {
        this.verifiedSize = Math.max(this.verifiedSize, size);
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

/** Check a whole ledger held in memory. */
export function checkLedger(rows: Iterable<StoredLeafRow>, heads: readonly HeadRecord[], trusted: TrustedKeys): LedgerReport {
  const checker = new LedgerChecker(heads, trusted);
  for (const r of rows) checker.push(r);
  return checker.finish();
}
