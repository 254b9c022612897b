import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeEntry } from "../merkle/entry.js";
import { leafHash } from "../merkle/hash.js";
import { createSigner, type SignedTreeHead } from "../merkle/head.js";
import { CompactTree } from "../merkle/tree.js";
import { claimedIndex, parseEntry } from "./entry.js";
import { trustKeys } from "./head.js";
import { checkLedger, LedgerChecker, MAX_NODE_PROBLEMS, type StoredLeafRow, type StoredNodeRow } from "./ledger.js";

const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const trusted = trustKeys([signer.publicKey]);
const T0 = 1_732_400_000_000;

/** A valid ledger of n rows (as the writer stores them) with heads signed at `headSizes`. */
function ledger(n: number, headSizes: number[]): { rows: StoredLeafRow[]; heads: SignedTreeHead[] } {
  const tree = CompactTree.empty();
  const rows: StoredLeafRow[] = [];
  const heads: SignedTreeHead[] = [];
  if (headSizes.includes(0)) heads.push(signer.sign({ treeSize: 0, timestampMs: T0, rootHash: tree.root() }));
  for (let i = 0; i < n; i++) {
    const e = { index: i, appendedAtMs: T0 + i, kind: i % 3 === 0 ? "publish" : "decision", recordId: `rec-${i}`, payload: Buffer.from(`payload ${i}`) };
    const entry = encodeEntry(e);
    const h = leafHash(entry);
    tree.append(h);
    rows.push({ index: i, recordId: e.recordId, kind: e.kind, appendedAtMs: e.appendedAtMs, entry, leafHash: h });
    if (headSizes.includes(i + 1)) heads.push(signer.sign({ treeSize: i + 1, timestampMs: T0 + i + 1, rootHash: tree.root() }));
  }
  return { rows, heads };
}

/** The row a forger would write at `index` for a record of their own. */
function forgedRow(index: number): StoredLeafRow {
  const e = { index, appendedAtMs: T0 + index, kind: "decision", recordId: `forged-${index}`, payload: Buffer.from("nothing to see") };
  const entry = encodeEntry(e);
  return { index, recordId: e.recordId, kind: e.kind, appendedAtMs: e.appendedAtMs, entry, leafHash: leafHash(entry) };
}

const renumber = (rows: StoredLeafRow[]) => rows.map((r, i) => ({ ...r, index: i }));

describe("the full-recompute check", () => {
  it("passes an untouched ledger and reports the unsigned tail", () => {
    const { rows, heads } = ledger(40, [0, 1, 16, 33]);
    const report = checkLedger(rows, heads, trusted);
    expect(report).toMatchObject({ ok: true, rows: 40, heads: 4, verifiedSize: 33, unsignedTail: 7, problems: [] });
    expect(report.firstBad).toBeUndefined();
  });

  it("reads the writer's entries", () => {
    const { rows } = ledger(3, []);
    expect(parseEntry(rows[2]!.entry)).toEqual({ index: 2, appendedAtMs: T0 + 2, kind: "decision", recordId: "rec-2", payloadLength: 9 });
    expect(claimedIndex(rows[2]!.entry)).toBe(2);
    expect(parseEntry(rows[2]!.entry.subarray(0, 20))).toBeUndefined();
  });

  it("names a modified entry", () => {
    const { rows, heads } = ledger(20, [20]);
    const entry = Buffer.from(rows[7]!.entry);
    entry[entry.length - 1]! ^= 1;
    rows[7] = { ...rows[7]!, entry };
    expect(checkLedger(rows, heads, trusted).firstBad).toMatchObject({ kind: "modified", index: 7 });
  });

  it.each([
    ["record id", { recordId: "rec-other" }],
    ["kind", { kind: "delivery" }],
    ["appended-at", { appendedAtMs: T0 + 999 }],
    ["appended-at (by a fraction of a millisecond)", { appendedAtMs: T0 + 7.001 }],
  ])("names a modified %s column", (_, patch) => {
    const { rows, heads } = ledger(20, [20]);
    rows[7] = { ...rows[7]!, ...patch };
    expect(checkLedger(rows, heads, trusted).firstBad).toMatchObject({ kind: "modified", index: 7 });
  });

  it("names an entry rewritten together with its leaf hash by the head it breaks", () => {
    const { rows, heads } = ledger(20, [4, 12, 20]);
    const entry = encodeEntry({ index: 7, appendedAtMs: T0 + 7, kind: "decision", recordId: "rec-7", payload: Buffer.from("rewritten") });
    rows[7] = { ...rows[7]!, entry, leafHash: leafHash(entry) };
    const report = checkLedger(rows, heads, trusted);
    expect(report.firstBad).toMatchObject({ kind: "head-root-mismatch", index: 4, head: { treeSize: 12 } });
    expect(report.verifiedSize).toBe(4);
  });

  it("names a deleted row (a gap in the indices)", () => {
    const { rows, heads } = ledger(20, [20]);
    rows.splice(9, 1);
    expect(checkLedger(rows, heads, trusted).firstBad).toMatchObject({ kind: "deleted", index: 9 });
  });

  it("names a deleted row when the rest were renumbered to close the gap", () => {
    const { rows, heads } = ledger(20, [20]);
    rows.splice(9, 1);
    expect(checkLedger(renumber(rows), heads, trusted).firstBad).toMatchObject({ kind: "deleted", index: 9 });
  });

  it("names rows deleted from the end below a signed head", () => {
    const { rows, heads } = ledger(20, [10, 18]);
    expect(checkLedger(rows.slice(0, 15), heads, trusted)).toMatchObject({ ok: false, verifiedSize: 10, firstBad: { kind: "deleted", index: 15 } });
  });

  it("names an inserted row, the rest renumbered after it", () => {
    const { rows, heads } = ledger(20, [20]);
    rows.splice(6, 0, forgedRow(6));
    expect(checkLedger(renumber(rows), heads, trusted).firstBad).toMatchObject({ kind: "inserted", index: 6 });
  });

  it("names a copied row inserted with the rest renumbered", () => {
    const { rows, heads } = ledger(20, [20]);
    rows.splice(6, 0, { ...rows[3]!, recordId: "rec-3" });
    expect(checkLedger(renumber(rows), heads, trusted).firstBad).toMatchObject({ kind: "inserted", index: 3 });
  });

  it("names two swapped rows", () => {
    const { rows, heads } = ledger(20, [20]);
    const a = rows[5]!;
    rows[5] = { ...rows[12]!, index: 5 };
    rows[12] = { ...a, index: 12 };
    expect(checkLedger(rows, heads, trusted).firstBad).toMatchObject({ kind: "reordered", index: 5 });
  });

  it("names a head with an altered signature, and one signed by an untrusted key", () => {
    const { rows, heads } = ledger(20, [8, 20]);
    const sig = Buffer.from(heads[0]!.signature);
    sig[0]! ^= 0x80;
    heads[0] = { ...heads[0]!, signature: sig };
    const report = checkLedger(rows, heads, trusted);
    expect(report.firstBad).toMatchObject({ kind: "head-signature", index: 8, head: { treeSize: 8 } });
    expect(report.problems).toHaveLength(1);
    expect(report.verifiedSize).toBe(20);

    const stranger = createSigner(generateKeyPairSync("ed25519").privateKey);
    const untrusted = checkLedger(rows, [stranger.sign({ treeSize: 20, timestampMs: T0, rootHash: heads[1]!.rootHash })], trusted);
    expect(untrusted.firstBad).toMatchObject({ kind: "head-signature", index: 20 });
    expect(untrusted.firstBad?.detail).toMatch(/unknown-key/);
  });

  it("names a head whose root was altered and re-signed by nobody trusted", () => {
    const { rows, heads } = ledger(20, [20]);
    heads[0] = { ...heads[0]!, rootHash: Buffer.alloc(32) };
    expect(checkLedger(rows, heads, trusted).firstBad).toMatchObject({ kind: "head-signature", index: 20 });
  });

  it("reports the lowest index when there are several problems", () => {
    const { rows, heads } = ledger(30, [30]);
    const sig = Buffer.from(heads[0]!.signature);
    sig[3]! ^= 1;
    heads[0] = { ...heads[0]!, signature: sig };
    rows.splice(11, 1);
    expect(checkLedger(rows, heads, trusted).firstBad).toMatchObject({ kind: "deleted", index: 11 });
  });
});

describe("the node check (ledger_nodes against the recomputed tree)", () => {
  /** The rows, heads and the perfect-subtree nodes the writer stores for them. */
  function withNodes(n: number, headSizes: number[]) {
    const { rows, heads } = ledger(n, headSizes);
    const tree = CompactTree.empty();
    const nodes: StoredNodeRow[] = [];
    for (const r of rows) nodes.push(...tree.append(r.leafHash));
    return { rows, heads, nodes };
  }
  const at = (nodes: StoredNodeRow[], level: number, index: number) => nodes.findIndex((x) => x.level === level && x.index === index);

  it("passes the writer's nodes and counts every one of them", () => {
    const { rows, heads, nodes } = withNodes(45, [45]);
    expect(nodes).toHaveLength(45 - 4); // n − popcount(n) perfect subtrees of level ≥ 1
    expect(checkLedger(rows, heads, trusted, nodes)).toMatchObject({ ok: true, nodes: 41, nodeProblems: 0, problems: [] });
  });

  it("names a modified node by (level, index) and the last leaf it covers (the append that wrote it)", () => {
    const { rows, heads, nodes } = withNodes(45, [45]);
    const i = at(nodes, 3, 2);
    const hash = Buffer.from(nodes[i]!.hash);
    hash[0]! ^= 1;
    nodes[i] = { ...nodes[i]!, hash };
    const report = checkLedger(rows, heads, trusted, nodes);
    expect(report).toMatchObject({ ok: false, verifiedSize: 45, nodeProblems: 1 });
    expect(report.firstBad).toMatchObject({ kind: "node-modified", index: 23, node: { level: 3, index: 2 } });
    expect(report.firstBad?.detail).toMatch(/leaves 16\.\.23/);
  });

  it("names a deleted node", () => {
    const { rows, heads, nodes } = withNodes(45, [45]);
    nodes.splice(at(nodes, 1, 9), 1);
    expect(checkLedger(rows, heads, trusted, nodes).firstBad).toMatchObject({ kind: "node-deleted", index: 19, node: { level: 1, index: 9 } });
  });

  it("names the node written first when several are bad, and the lower one of two written by the same append", () => {
    const { rows, heads, nodes } = withNodes(64, [64]);
    nodes.splice(at(nodes, 5, 0), 1); // leaves 0..31, written with leaf 31
    nodes.splice(at(nodes, 1, 15), 1); // leaves 30..31, written with leaf 31
    nodes.splice(at(nodes, 1, 20), 1); // leaves 40..41
    const report = checkLedger(rows, heads, trusted, nodes);
    expect(report.nodeProblems).toBe(3);
    expect(report.firstBad).toMatchObject({ kind: "node-deleted", index: 31, node: { level: 1, index: 15 } });
    expect(report.problems.map((p) => p.node)).toEqual([
      { level: 1, index: 15 },
      { level: 5, index: 0 },
      { level: 1, index: 20 },
    ]);
  });

  it("lists at most MAX_NODE_PROBLEMS node problems but counts them all", () => {
    const { rows, heads } = withNodes(600, [600]);
    const report = checkLedger(rows, heads, trusted, []);
    expect(report).toMatchObject({ ok: false, nodes: 600 - 4, nodeProblems: 600 - 4, verifiedSize: 600 });
    expect(report.problems).toHaveLength(MAX_NODE_PROBLEMS);
    expect(report.firstBad).toMatchObject({ kind: "node-deleted", index: 1, node: { level: 1, index: 0 } });
  });

  it("reads nodes past the last row as rows deleted from the end, even with no head covering them", () => {
    const { rows, heads, nodes } = withNodes(40, [20]);
    const report = checkLedger(rows.slice(0, 33), heads, trusted, nodes);
    expect(report.firstBad).toMatchObject({ kind: "deleted", index: 33, node: { level: 1, index: 16 } });
    expect(report.firstBad?.detail).toMatch(/beyond the 33 rows/);
    // deleting at a node boundary leaves no node past the rows: only a signed head would show it
    expect(checkLedger(rows.slice(0, 32), heads, trusted, nodes.filter((x) => (x.index + 1) * 2 ** x.level <= 32)).ok).toBe(true);
  });

  it("merges the evidence of nodes and a head past the last row into one problem", () => {
    const { rows, heads, nodes } = withNodes(40, [40]);
    const report = checkLedger(rows.slice(0, 33), heads, trusted, nodes);
    expect(report.problems.filter((p) => p.kind === "deleted")).toHaveLength(1);
    expect(report.firstBad?.detail).toMatch(/signed head covers 40 leaves.*beyond the 33 rows/);
  });

  it("names a row rewritten with its leaf hash by the head it breaks, and the nodes it changes", () => {
    const { rows, heads, nodes } = withNodes(20, [4, 20]);
    const entry = encodeEntry({ index: 9, appendedAtMs: T0 + 9, kind: "publish", recordId: "rec-9", payload: Buffer.from("rewritten") });
    rows[9] = { ...rows[9]!, entry, leafHash: leafHash(entry) };
    const report = checkLedger(rows, heads, trusted, nodes);
    expect(report.firstBad).toMatchObject({ kind: "head-root-mismatch", index: 4 });
    expect(report.problems.filter((p) => p.kind === "node-modified").map((p) => p.node)).toEqual([
      { level: 1, index: 4 },
      { level: 2, index: 2 },
      { level: 3, index: 1 },
      { level: 4, index: 0 },
    ]);
  });

  it("judges no node past the first bad row", () => {
    const { rows, heads, nodes } = withNodes(40, [40]);
    rows.splice(10, 1);
    // level-1 nodes from leaf 6 on are gone too: only those the 10 good rows complete are missed
    const report = checkLedger(rows, heads, trusted, nodes.filter((x) => x.level !== 1 || x.index < 3));
    expect(report.problems.map((p) => [p.kind, p.index])).toEqual([
      ["deleted", 10],
      ["node-deleted", 7],
      ["node-deleted", 9],
    ]);
    expect(report.firstBad).toMatchObject({ kind: "node-deleted", index: 7, node: { level: 1, index: 3 } });
  });

  it("asks for the nodes each stretch of rows completes, and forgets them once compared", () => {
    const { rows, heads, nodes } = withNodes(16, [16]);
    const checker = new LedgerChecker(heads, trusted, { checkNodes: true });
    for (const r of rows.slice(0, 8)) checker.push(r);
    expect(checker.nodeRanges()).toEqual([
      { level: 1, from: 0, to: 3 },
      { level: 2, from: 0, to: 1 },
      { level: 3, from: 0, to: 0 },
    ]);
    checker.checkNodes(nodes.filter((x) => x.index * 2 ** x.level < 8));
    expect(checker.nodeRanges()).toEqual([]);
    for (const r of rows.slice(8)) checker.push(r);
    expect(checker.nodeRanges()).toEqual([
      { level: 1, from: 4, to: 7 },
      { level: 2, from: 2, to: 3 },
      { level: 3, from: 1, to: 1 },
      { level: 4, from: 0, to: 0 },
    ]);
    checker.checkNodes(nodes);
    expect(checker.finish()).toMatchObject({ ok: true, nodes: 15 });
  });

  it("collects no nodes unless asked to", () => {
    const { rows, heads } = withNodes(16, [16]);
    const checker = new LedgerChecker(heads, trusted);
    for (const r of rows) checker.push(r);
    expect(checker.nodeRanges()).toEqual([]);
    expect(checker.finish()).toMatchObject({ ok: true, nodes: 0 });
  });
});

describe("heads recorded from an earlier check (known heads)", () => {
  it("reports the newest good head to record", () => {
    const { rows, heads } = ledger(30, [10, 20]);
    expect(checkLedger(rows, heads, trusted).latestHead).toEqual({ treeSize: 20, timestampMs: T0 + 20, rootHash: heads[1]!.rootHash.toString("hex") });
    expect(checkLedger(rows, [], trusted).latestHead).toBeUndefined();
  });

  it("passes a ledger that still holds what was recorded", () => {
    const { rows, heads } = ledger(30, [10, 20, 30]);
    const known = [{ treeSize: 20, rootHash: heads[1]!.rootHash }, { treeSize: 10, rootHash: heads[0]!.rootHash }];
    expect(checkLedger(rows, heads, trusted, undefined, known)).toMatchObject({ ok: true, verifiedSize: 30 });
  });

  it("catches rows and heads removed together, which the store alone cannot show", () => {
    const { rows, heads } = ledger(30, [10, 20, 30]);
    const rolledBack = { rows: rows.slice(0, 22), heads: heads.slice(0, 2) };
    expect(checkLedger(rolledBack.rows, rolledBack.heads, trusted)).toMatchObject({ ok: true, unsignedTail: 2 });
    const report = checkLedger(rolledBack.rows, rolledBack.heads, trusted, undefined, [{ treeSize: 30, rootHash: heads[2]!.rootHash }]);
    expect(report.firstBad).toMatchObject({ kind: "deleted", index: 22 });
    expect(report.firstBad?.detail).toMatch(/recorded earlier covers 30 leaves but only 22 rows remain/);
  });

  it("catches history rewritten and re-signed with the trusted key", () => {
    const { rows, heads } = ledger(30, [30]);
    const recorded = { treeSize: 30, rootHash: heads[0]!.rootHash };
    // the key holder rewrites row 12 and signs a fresh head over the new tree
    const entry = encodeEntry({ index: 12, appendedAtMs: T0 + 12, kind: "publish", recordId: "rec-12", payload: Buffer.from("rewritten") });
    rows[12] = { ...rows[12]!, entry, leafHash: leafHash(entry) };
    const tree = CompactTree.empty();
    for (const r of rows) tree.append(r.leafHash);
    const resigned = [signer.sign({ treeSize: 30, timestampMs: T0 + 99, rootHash: tree.root() })];
    expect(checkLedger(rows, resigned, trusted).ok).toBe(true);
    expect(checkLedger(rows, resigned, trusted, undefined, [recorded]).firstBad).toMatchObject({ kind: "head-root-mismatch", index: 0 });
  });
});
