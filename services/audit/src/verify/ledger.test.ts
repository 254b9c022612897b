import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encodeEntry } from "../merkle/entry.js";
import { leafHash } from "../merkle/hash.js";
import { createSigner, type SignedTreeHead } from "../merkle/head.js";
import { CompactTree } from "../merkle/tree.js";
import { claimedIndex, parseEntry } from "./entry.js";
import { trustKeys } from "./head.js";
import { checkLedger, type StoredLeafRow } from "./ledger.js";

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
