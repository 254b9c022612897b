/**
 * Reading a stored ledger for the check, with the verifier's own SQL (it does
 * not use the writer's store code). Rows stream in pages by index, so a ledger
 * of any size is checked in O(page) memory; after each page, the stored nodes
 * the page completes are read and compared with the recomputed ones.
 *
 * The reads are separate statements: to check a ledger that is being written,
 * give checkStore one connection inside a REPEATABLE READ (read-only)
 * transaction, so every read sees the same snapshot (the verify command does).
 */
import type { HeadRecord, TrustedKeys } from "./head.js";
import { LedgerChecker, MAX_NODE_PROBLEMS, type KnownHead, type LedgerReport, type NodeRange, type StoredLeafRow, type StoredNodeRow } from "./ledger.js";

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

interface NodeRow {
  level: number;
  idx: string;
  hash: Buffer;
}

const toNode = (r: NodeRow): StoredNodeRow => ({ level: Number(r.level), index: Number(r.idx), hash: r.hash });

/** The stored nodes in `ranges` (one statement, an index range scan per level). */
export async function readNodes(db: Queryable, ranges: readonly NodeRange[]): Promise<StoredNodeRow[]> {
  if (ranges.length === 0) return [];
  const { rows } = await db.query(
    `select n.level, n.idx, n.hash
       from unnest($1::smallint[], $2::bigint[], $3::bigint[]) as r(level, lo, hi)
       join ledger_nodes n on n.level = r.level and n.idx between r.lo and r.hi`,
    [ranges.map((r) => r.level), ranges.map((r) => String(r.from)), ranges.map((r) => String(r.to))],
  );
  return (rows as NodeRow[]).map(toNode);
}

/** Up to `limit` stored nodes per level that are not complete within the first `size` leaves. */
export async function readNodesBeyond(db: Queryable, size: number, limit = MAX_NODE_PROBLEMS): Promise<StoredNodeRow[]> {
  const { rows } = await db.query(
    `select n.level, n.idx, n.hash
       from generate_series(1, 63) as l(level)
       cross join lateral (
         select level, idx, hash from ledger_nodes
          where level = l.level and idx >= ($1::bigint >> l.level)
          order by idx limit $2) n
      order by n.level, n.idx`,
    [String(size), limit],
  );
  return (rows as NodeRow[]).map(toNode);
}

export interface CheckStoreOptions {
  /** Rows per read (default 5000). */
  pageSize?: number;
  /** Compare ledger_nodes with the recomputed tree (default true). */
  nodes?: boolean;
  /** Tree heads recorded from earlier checks (a rollback of rows and heads together shows only against these). */
  knownHeads?: readonly KnownHead[];
  /** Called after each page with the rows read so far. */
  onProgress?: (rows: number) => void;
}

/** The public keys the store lists (convenience only: a verifier should be given its keys). */
export async function readStoredKeys(db: Queryable): Promise<string[]> {
  const { rows } = await db.query("select public_key from ledger_keys order by registered_at");
  return (rows as { public_key: string }[]).map((r) => r.public_key);
}

/** Re-read the whole store, recompute the tree, check every signed head and every stored node. */
export async function checkStore(db: Queryable, trusted: TrustedKeys, options: number | CheckStoreOptions = {}): Promise<LedgerReport> {
  const opts = typeof options === "number" ? { pageSize: options } : options;
  const pageSize = opts.pageSize ?? 5000;
  const nodes = opts.nodes ?? true;
  const checker = new LedgerChecker(await readHeads(db), trusted, { checkNodes: nodes, ...(opts.knownHeads ? { knownHeads: opts.knownHeads } : {}) });
  let rows = 0;
  for await (const row of readLeaves(db, pageSize)) {
    checker.push(row);
    if (++rows % pageSize === 0) {
      if (nodes) checker.checkNodes(await readNodes(db, checker.nodeRanges()));
      opts.onProgress?.(rows);
    }
  }
  if (nodes) {
    checker.checkNodes(await readNodes(db, checker.nodeRanges()));
    const limit = checker.nodeLimit();
    if (limit !== undefined) checker.checkNodesBeyond(await readNodesBeyond(db, limit));
  }
  opts.onProgress?.(rows);
  return checker.finish();
}
