/**
 * The audit ledger on PostgreSQL: an append-only RFC 6962 Merkle log.
 *
 * appendBatch  one transaction per batch; a transaction-scoped advisory lock
 *              serialises writers, so indices are dense and never interleave, and
 *              each append inserts the tree's new state (ledger_tree_states: the
 *              service never UPDATEs a row, so its role needs only INSERT and
 *              SELECT). A record whose id is already held with the same bytes is
 *              a redelivery: not appended again, it reports the index it has.
 *              With other bytes it is kept as a linked `conflict` record
 *              (conflict.ts), never dropped.
 * proofs       read O(log n) stored hashes (see merkle/proof.ts).
 * heads        signed on demand (signHead) or when the tree grew (signHeadIfGrown,
 *              which HeadSchedule calls at an interval).
 */
import {
  CompactTree,
  consistencyProof,
  decodeEntry,
  encodeEntry,
  HASH_SIZE,
  inclusionProof,
  leafHash,
  rootAt,
  type HeadSigner,
  type SignedTreeHead,
  type StoredNode,
} from "../merkle/index.js";
import { conflictRecord, conflictRecordId, sameRecord, sha256Hex, type HeldRecord } from "./conflict.js";
import { migrate } from "./migrate.js";
import { packBytes, packFixed } from "./pack.js";
import { SqlHashSource } from "./source.js";
import type { SqlDatabase, SqlSession } from "./sql.js";

export interface LedgerRecord {
  recordId: string;
  /** What the record is: decision, publish, delivery, oversight-query, policy-revision, … */
  kind: string;
  /** The record's own canonical bytes. */
  payload: Uint8Array;
  /**
   * The first record under this id is the record, and a later one with other bytes
   * is no conflict but a redelivery (a policy revision's first sighting: every later
   * batch that carries the revision names another decision and time). Default: a
   * held id with other bytes is kept as a conflict record.
   */
  firstWins?: boolean;
  /**
   * Whether the bytes held under this id are this record again (default: the same
   * bytes). A publish record names the offset it was read at: the same event read
   * again at another offset is a redelivery, not a conflict.
   */
  sameAs?: (held: Uint8Array) => boolean;
}

export interface AppendOutcome {
  recordId: string;
  index: number;
  leafHash: Buffer;
  /** False when the record id was already in the ledger (or earlier in the batch). */
  appended: boolean;
  /** The record id was held with other bytes: the conflict record that keeps these (appended now, or already held). */
  conflict?: { recordId: string; index: number; leafHash: Buffer; appended: boolean };
}

/** Called inside the append's transaction with the leaves it added (derived indexes go here). */
export type AppendHook = (tx: SqlSession, appended: readonly { record: LedgerRecord; index: number; appendedAtMs: number }[]) => Promise<void>;

/**
 * The records of a batch, or a function that makes them in the append's transaction once it holds the
 * ledger's append lock (appendRecords seals subject ids there, so a subject key it makes commits with the
 * leaves that name it, or not at all).
 */
export type BatchRecords = readonly LedgerRecord[] | ((tx: SqlSession) => Promise<readonly LedgerRecord[]>);

export interface BatchOutcome {
  outcomes: AppendOutcome[];
  /** Leaves added: new records and new conflict records. */
  appended: number;
  /** Of those, conflict records: a record id that arrived again with different bytes. */
  conflicts: number;
  treeSize: number;
  rootHash: Buffer;
}

export interface TreeState {
  treeSize: number;
  rootHash: Buffer;
}

export interface StoredLeaf {
  index: number;
  recordId: string;
  kind: string;
  appendedAtMs: number;
  entry: Buffer;
  leafHash: Buffer;
}

export interface LedgerOptions {
  signer: HeadSigner;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /** Apply schema migrations on open (default true). */
  migrate?: boolean;
}

export class LedgerError extends Error {
  constructor(
    readonly code: "TREE_SIZE_OUT_OF_RANGE" | "RECORD_NOT_FOUND" | "STATE_CORRUPT" | "CONCURRENT_WRITE",
    message: string,
  ) {
    super(message);
  }
}

interface Held extends HeldRecord {
  leafHash: Buffer;
}

interface StateRow {
  tree_size: string;
  root_hash: Buffer;
}

interface LeafRow {
  idx: string;
  record_id: string;
  kind: string;
  appended_at: Date;
  entry: Buffer;
  leaf_hash: Buffer;
}

const toLeaf = (r: LeafRow): StoredLeaf => ({
  index: Number(r.idx),
  recordId: r.record_id,
  kind: r.kind,
  appendedAtMs: r.appended_at.getTime(),
  entry: r.entry,
  leafHash: r.leaf_hash,
});

export class Ledger {
  /** The frontier as of the last committed append by this instance (reloaded if another writer moved on). */
  private tree: CompactTree | undefined;
  private readonly clock: () => number;

  private constructor(
    private readonly db: SqlDatabase,
    readonly signer: HeadSigner,
    clock: (() => number) | undefined,
  ) {
    this.clock = clock ?? Date.now;
  }

  /** The database the ledger is in. */
  get database(): SqlDatabase {
    return this.db;
  }

  /**
   * A ledger to append to without the signing key (the purge tools, run as the
   * owner): appendBatch works as for any writer (the same advisory lock), signing
   * a head throws. Does not migrate.
   */
  static appendOnly(db: SqlDatabase, opts: { clock?: () => number } = {}): Ledger {
    const refuse = (): never => {
      throw new Error("this ledger was opened to append only: it holds no signing key");
    };
    const signer: HeadSigner = {
      keyId: Buffer.alloc(32),
      get publicKey() {
        return refuse();
      },
      publicKeyPem: "",
      sign: refuse,
    };
    return new Ledger(db, signer, opts.clock);
  }

  static async open(db: SqlDatabase, opts: LedgerOptions): Promise<Ledger> {
    if (opts.migrate !== false) await migrate(db);
    await db.query("insert into ledger_keys (key_id, public_key) values ($1, $2) on conflict (key_id) do nothing", [
      opts.signer.keyId,
      opts.signer.publicKeyPem,
    ]);
    return new Ledger(db, opts.signer, opts.clock);
  }

  /**
   * Append records, idempotently per record id, in one transaction; `onAppended`
   * runs in that transaction with the leaves actually added. `records` may be a
   * function of the transaction, called under the append lock. `beforeLock` runs
   * in the transaction before the lock is taken: work that needs no lock (the
   * ingest seals records there) overlaps another append that holds it.
   */
  async appendBatch(records: BatchRecords, onAppended?: AppendHook, beforeLock?: (tx: SqlSession) => Promise<void>): Promise<BatchOutcome> {
    try {
      return await this.db.transaction(async (tx) => {
        if (beforeLock) await beforeLock(tx);
        return this.appendIn(tx, records, onAppended);
      });
    } catch (err) {
      this.tree = undefined; // whatever we cached may not have been committed
      throw err;
    }
  }

  private async appendIn(tx: SqlSession, batch: BatchRecords, onAppended?: AppendHook): Promise<BatchOutcome> {
    const state = await lockedState(tx);
    const records = typeof batch === "function" ? await batch(tx) : batch;
    let tree = this.tree;
    if (!tree || tree.size !== state.treeSize) tree = await loadTree(tx, state);
    const working = tree.clone();

    // What the ledger holds under each record id, and under the conflict id each record would get if its id is held with other bytes.
    const known = new Map<string, Held>();
    const looked = new Set<string>();
    const lookup = async (ids: string[]) => {
      const fresh = [...new Set(ids)].filter((id) => !looked.has(id));
      if (fresh.length === 0) return;
      for (const id of fresh) looked.add(id);
      const { rows } = await tx.query<{ record_id: string; idx: string; kind: string; entry: Buffer; leaf_hash: Buffer }>(
        "select record_id, idx, kind, entry, leaf_hash from ledger_leaves where record_id = any($1::text[])",
        [fresh],
      );
      for (const r of rows) known.set(r.record_id, { recordId: r.record_id, index: Number(r.idx), kind: r.kind, payload: decodeEntry(r.entry).payload, leafHash: r.leaf_hash });
    };
    await lookup(records.map((r) => r.recordId));
    // The conflict ids of records held with other bytes, in one more lookup: hashing every payload for a conflict id
    // that a record never held needs was work on every append.
    const differing = records.filter((r) => {
      const held = known.get(r.recordId);
      return held !== undefined && !(r.firstWins || (r.sameAs ? r.sameAs(held.payload) : sameRecord(held, r)));
    });
    await lookup(differing.map((r) => conflictRecordId(r.recordId, sha256Hex(r.payload))));

    const now = this.clock();
    const leaves: { index: number; record: LedgerRecord; entry: Buffer; hash: Buffer }[] = [];
    const nodes: StoredNode[] = [];
    const place = (record: LedgerRecord): Held => {
      const index = working.size;
      const entry = encodeEntry({ index, appendedAtMs: now, kind: record.kind, recordId: record.recordId, payload: record.payload });
      const hash = leafHash(entry);
      nodes.push(...working.append(hash));
      leaves.push({ index, record, entry, hash });
      const held = { recordId: record.recordId, index, kind: record.kind, payload: record.payload, leafHash: hash };
      known.set(record.recordId, held);
      return held;
    };
    const outcomes: AppendOutcome[] = [];
    for (const record of records) {
      const held = known.get(record.recordId);
      if (!held) {
        const added = place(record);
        outcomes.push({ recordId: record.recordId, index: added.index, leafHash: added.leafHash, appended: true });
        continue;
      }
      const outcome: AppendOutcome = { recordId: record.recordId, index: held.index, leafHash: held.leafHash, appended: false };
      outcomes.push(outcome);
      // The same id with other bytes: kept as a conflict record linked to the original (and a conflict id
      // that is itself held with other bytes — only a forged id could be — gets a conflict of its own).
      let original = held;
      let incoming = record;
      const redelivery = record.firstWins || (record.sameAs ? record.sameAs(held.payload) : sameRecord(held, record));
      while (!redelivery && !sameRecord(original, incoming)) {
        const conflict = conflictRecord(original, incoming);
        await lookup([conflict.recordId]);
        const heldConflict = known.get(conflict.recordId);
        if (!heldConflict) {
          const added = place(conflict);
          outcome.conflict = { recordId: conflict.recordId, index: added.index, leafHash: added.leafHash, appended: true };
          break;
        }
        outcome.conflict = { recordId: conflict.recordId, index: heldConflict.index, leafHash: heldConflict.leafHash, appended: false };
        original = heldConflict;
        incoming = conflict;
      }
    }

    const rootHash = working.root();
    if (leaves.length > 0) {
      // The entries and their hashes go as two binary parameters, cut apart by offset in SQL
      // (packBytes): a bytea[] parameter would travel as text, each value hex-escaped.
      const entries = packBytes(leaves.map((l) => l.entry));
      const inserted = await tx.query(
        `insert into ledger_leaves (idx, record_id, kind, appended_at, entry, leaf_hash)
         select u.idx, u.record_id, u.kind, $4::timestamptz, substring($5::bytea from u.at + 1 for u.len), substring($6::bytea from (u.ord - 1)::int * ${HASH_SIZE} + 1 for ${HASH_SIZE})
         from unnest($1::bigint[], $2::text[], $3::text[], $7::int[], $8::int[]) with ordinality as u(idx, record_id, kind, at, len, ord)
         on conflict do nothing`,
        [
          leaves.map((l) => String(l.index)),
          leaves.map((l) => l.record.recordId),
          leaves.map((l) => l.record.kind),
          new Date(now),
          entries.bytes,
          packFixed(leaves.map((l) => l.hash), HASH_SIZE),
          entries.offsets,
          entries.lengths,
        ],
      );
      if (inserted.rowCount !== leaves.length) {
        throw new LedgerError("CONCURRENT_WRITE", `inserted ${inserted.rowCount} of ${leaves.length} leaves: a writer bypassed the ledger lock`);
      }
      if (nodes.length > 0) {
        await tx.query(
          `insert into ledger_nodes (level, idx, hash) select u.level, u.idx, substring($3::bytea from (u.ord - 1)::int * ${HASH_SIZE} + 1 for ${HASH_SIZE}) from unnest($1::smallint[], $2::bigint[]) with ordinality as u(level, idx, ord)`,
          [nodes.map((n) => n.level), nodes.map((n) => String(n.index)), packFixed(nodes.map((n) => n.hash), HASH_SIZE)],
        );
      }
      const state = await tx.query("insert into ledger_tree_states (tree_size, root_hash) values ($1, $2) on conflict do nothing", [String(working.size), rootHash]);
      if (state.rowCount !== 1) throw new LedgerError("CONCURRENT_WRITE", `the tree state of size ${working.size} is already stored: a writer bypassed the ledger lock`);
      if (onAppended) await onAppended(tx, leaves.map((l) => ({ record: l.record, index: l.index, appendedAtMs: now })));
    }
    // Committed by the caller; on failure appendBatch drops the cache.
    this.tree = working;
    const conflicts = outcomes.filter((o) => o.conflict?.appended).length;
    return { outcomes, appended: leaves.length, conflicts, treeSize: working.size, rootHash };
  }

  /** The current (unsigned) tree size and root. */
  async state(): Promise<TreeState> {
    return latestState(this.db);
  }

  /** Sign and store a head for the current tree. */
  async signHead(): Promise<SignedTreeHead> {
    const s = await this.state();
    const head = this.signer.sign({ treeSize: s.treeSize, rootHash: s.rootHash, timestampMs: this.clock() });
    await this.db.query(
      "insert into ledger_heads (tree_size, issued_at_ms, root_hash, key_id, signature) values ($1, $2, $3, $4, $5) on conflict do nothing",
      [String(head.treeSize), String(head.timestampMs), head.rootHash, head.keyId, head.signature],
    );
    return head;
  }

  /** Sign a head only if the tree grew since the latest signed head (or none exists). */
  async signHeadIfGrown(): Promise<SignedTreeHead | undefined> {
    const [s, latest] = await Promise.all([this.state(), this.latestHead()]);
    if (latest && latest.treeSize >= s.treeSize) return undefined;
    return this.signHead();
  }

  async latestHead(): Promise<SignedTreeHead | undefined> {
    const heads = await this.heads({ latest: true });
    return heads[0];
  }

  /** Signed heads, oldest first (or only the latest). */
  async heads(opts: { latest?: boolean } = {}): Promise<SignedTreeHead[]> {
    const { rows } = await this.db.query<{ tree_size: string; issued_at_ms: string; root_hash: Buffer; key_id: Buffer; signature: Buffer }>(
      `select tree_size, issued_at_ms, root_hash, key_id, signature from ledger_heads
        order by tree_size ${opts.latest ? "desc" : "asc"}, issued_at_ms ${opts.latest ? "desc" : "asc"}
        ${opts.latest ? "limit 1" : ""}`,
    );
    return rows.map((r) => ({
      treeSize: Number(r.tree_size),
      timestampMs: Number(r.issued_at_ms),
      rootHash: r.root_hash,
      keyId: r.key_id,
      signature: r.signature,
    }));
  }

  async leaf(index: number): Promise<StoredLeaf | undefined> {
    const { rows } = await this.db.query<LeafRow>("select idx, record_id, kind, appended_at, entry, leaf_hash from ledger_leaves where idx = $1", [String(index)]);
    return rows[0] && toLeaf(rows[0]);
  }

  async leafByRecord(recordId: string): Promise<StoredLeaf | undefined> {
    const { rows } = await this.db.query<LeafRow>("select idx, record_id, kind, appended_at, entry, leaf_hash from ledger_leaves where record_id = $1", [recordId]);
    return rows[0] && toLeaf(rows[0]);
  }

  /** Audit path of leaf `index` in the tree of `treeSize` leaves (default: the current tree). */
  async inclusionProof(index: number, treeSize?: number): Promise<{ index: number; treeSize: number; proof: Buffer[] }> {
    const size = await this.checkedSize(treeSize);
    if (!(Number.isSafeInteger(index) && index >= 0 && index < size)) {
      throw new LedgerError("TREE_SIZE_OUT_OF_RANGE", `leaf ${index} is not in a tree of ${size} leaves`);
    }
    return { index, treeSize: size, proof: await inclusionProof(new SqlHashSource(this.db), index, size) };
  }

  /** Inclusion proof for a record by id. */
  async proveRecord(recordId: string, treeSize?: number): Promise<{ leaf: StoredLeaf; treeSize: number; proof: Buffer[] }> {
    const leaf = await this.leafByRecord(recordId);
    if (!leaf) throw new LedgerError("RECORD_NOT_FOUND", `no record ${recordId} in the ledger`);
    const p = await this.inclusionProof(leaf.index, treeSize);
    return { leaf, treeSize: p.treeSize, proof: p.proof };
  }

  async consistencyProof(size1: number, size2?: number): Promise<{ size1: number; size2: number; proof: Buffer[] }> {
    const s2 = await this.checkedSize(size2);
    if (!(Number.isSafeInteger(size1) && size1 >= 0 && size1 <= s2)) {
      throw new LedgerError("TREE_SIZE_OUT_OF_RANGE", `size1 ${size1} is not between 0 and ${s2}`);
    }
    return { size1, size2: s2, proof: await consistencyProof(new SqlHashSource(this.db), size1, s2) };
  }

  /** The root the tree had at `treeSize` leaves, from stored hashes. */
  async rootAt(treeSize: number): Promise<Buffer> {
    return rootAt(new SqlHashSource(this.db), await this.checkedSize(treeSize));
  }

  private async checkedSize(treeSize: number | undefined): Promise<number> {
    const { treeSize: current } = await this.state();
    if (treeSize === undefined) return current;
    if (!(Number.isSafeInteger(treeSize) && treeSize >= 0 && treeSize <= current)) {
      throw new LedgerError("TREE_SIZE_OUT_OF_RANGE", `tree size ${treeSize} is not between 0 and ${current}`);
    }
    return treeSize;
  }
}

/** The newest stored tree state. */
async function latestState(db: SqlSession): Promise<TreeState> {
  const { rows } = await db.query<StateRow>("select tree_size, root_hash from ledger_tree_states order by tree_size desc limit 1");
  const r = rows[0];
  if (!r) throw new LedgerError("STATE_CORRUPT", "ledger_tree_states has no row");
  return { treeSize: Number(r.tree_size), rootHash: r.root_hash };
}

/**
 * Serialise appenders on the ledger's append lock (transaction-scoped, so it goes
 * with the commit or rollback; keyed by the schema, so ledgers in different
 * schemas do not wait for each other), then read the state. Two statements: under
 * READ COMMITTED the read after the wait sees what the previous holder committed.
 */
async function lockedState(tx: SqlSession): Promise<TreeState> {
  await takeAppendLock(tx);
  return latestState(tx);
}

/** Wait for the ledger's append lock, held until `tx` ends (the purge deletes keys under it: subjects/purge.ts). */
export async function takeAppendLock(tx: SqlSession): Promise<void> {
  await tx.query("select pg_advisory_xact_lock(hashtext(current_schema() || '.ledger_append'))");
}

/** Restore the frontier from O(log n) stored nodes and check it against the stored root. */
async function loadTree(tx: SqlSession, state: TreeState): Promise<CompactTree> {
  const hashes = await new SqlHashSource(tx).hashes(CompactTree.frontierIds(state.treeSize));
  const tree = CompactTree.fromFrontier(state.treeSize, hashes);
  if (!tree.root().equals(state.rootHash)) {
    throw new LedgerError("STATE_CORRUPT", `the stored nodes of the ${state.treeSize}-leaf tree do not fold to the stored root`);
  }
  return tree;
}

/** Signs a head every `intervalMs` when the tree has grown. */
export class HeadSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ledger: Ledger,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.running = this.running.then(() => this.ledger.signHeadIfGrown()).catch(this.onError);
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stop the timer and wait for a signing in progress, signing nothing more (a writer that lost its lock). start() resumes. */
  async pause(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Stop the timer, wait for a signing in progress, then sign a final head if the tree grew. */
  async stop(): Promise<SignedTreeHead | undefined> {
    await this.pause();
    return this.ledger.signHeadIfGrown();
  }
}
