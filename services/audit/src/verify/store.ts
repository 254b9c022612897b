/**
 * Reading a stored ledger for the check, with the verifier's own SQL (it does
 * not use the writer's store code). Rows stream in pages by index, so a ledger
 * of any size is checked in O(page) memory.
 */
import type { HeadRecord, TrustedKeys } from "./head.js";
import { LedgerChecker, type LedgerReport, type StoredLeafRow } from "./ledger.js";

export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

interface LeafRow {
  idx: string;
  record_id: string;
  kind: string;
  appended_at_ms: string;
  entry: Buffer;
  leaf_hash: Buffer;
}

interface HeadRow {
  tree_size: string;
  issued_at_ms: string;
  root_hash: Buffer;
  key_id: Buffer;
  signature: Buffer;
}

export async function readHeads(db: Queryable): Promise<HeadRecord[]> {
  const { rows } = await db.query("select tree_size, issued_at_ms, root_hash, key_id, signature from ledger_heads order by tree_size, issued_at_ms");
  return (rows as HeadRow[]).map((r) => ({
    treeSize: Number(r.tree_size),
    timestampMs: Number(r.issued_at_ms),
    rootHash: r.root_hash,
    keyId: r.key_id,
    signature: r.signature,
  }));
}

/** Every row in index order, `pageSize` at a time. */
export async function* readLeaves(db: Queryable, pageSize = 5000): AsyncGenerator<StoredLeafRow> {
  let after = "-1";
  for (;;) {
    const { rows } = await db.query(
      `select idx, record_id, kind, extract(epoch from appended_at) * 1000 as appended_at_ms, entry, leaf_hash
         from ledger_leaves where idx > $1 order by idx limit $2`,
      [after, pageSize],
    );
    for (const r of rows as LeafRow[]) {
      yield {
        index: Number(r.idx),
        recordId: r.record_id,
        kind: r.kind,
        // Not an integer (a timestamp moved by less than a millisecond) never equals the entry's.
        appendedAtMs: Number(r.appended_at_ms),
        entry: r.entry,
        leafHash: r.leaf_hash,
      };
    }
    if (rows.length < pageSize) return;
    after = (rows.at(-1) as LeafRow).idx;
  }
}

/** The public keys the store lists (convenience only: a verifier should be given its keys). */
export async function readStoredKeys(db: Queryable): Promise<string[]> {
  const { rows } = await db.query("select public_key from ledger_keys order by registered_at");
  return (rows as { public_key: string }[]).map((r) => r.public_key);
}

/** Re-read the whole store, recompute the tree and check every signed head. */
export async function checkStore(db: Queryable, trusted: TrustedKeys, pageSize?: number): Promise<LedgerReport> {
  const checker = new LedgerChecker(await readHeads(db), trusted);
  for await (const row of readLeaves(db, pageSize)) checker.push(row);
  return checker.finish();
}
