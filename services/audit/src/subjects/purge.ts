/**
 * Destroying subjects' keys, as the purge tools (tools/erase.ts, tools/purge.ts)
 * do it, in an order that is safe to stop at any point and run again:
 *
 *   1. append a `purge` record naming the refs (never a subject id) through the
 *      ledger — appendBatch takes the ledger's advisory lock, so this is safe
 *      beside a running writer (which reloads its tree when the size moved).
 *      Its id is a function of the reason and the refs, and the first record
 *      under an id wins (LedgerRecord.firstWins): run again, it is not appended
 *      twice nor kept as a conflict;
 *   2. delete the refs' rows from subject_keys — in the same transaction as 1,
 *      under the append lock, so no record appended after the purge record can
 *      be sealed under a key it destroys (the appends make and read keys under
 *      that lock too: subjects/store.ts), and the key check of audit:verify
 *      (indexcheck/keys.ts) never sees a purge record whose keys are still held.
 *      A purge record an earlier version appended without deleting (stopped
 *      there) is held already: its keys are deleted on their own, under the lock;
 *   3. VACUUM FULL subject_keys: a DELETE only marks the row dead — its bytes
 *      stay in the table's and its indexes' data files until vacuumed; VACUUM
 *      FULL writes the table and its indexes anew, without them (and any dead
 *      row an aborted insert left);
 *   4. pg_switch_wal(), where the role may (superuser, or EXECUTE granted): the
 *      WAL segment that recorded the key's insert is closed, so a physical
 *      backup started afterwards — pg_basebackup streams WAL from the start of
 *      its first segment — begins in a segment that never held the key. Not
 *      permitted, the outcome says so (walSwitched false).
 *
 * Stopped before 3, a re-run finds no key and still runs 3. No key is destroyed
 * without its purge record, and no purge record is appended without its keys
 * destroyed.
 */
import { createHash } from "node:crypto";
import { PurgeReason, PurgeRecord } from "@takitini/proto";
import { appendRecords } from "../ingest.js";
import { takeAppendLock, type Ledger, type SqlDatabase, type SqlSession } from "../ledger/index.js";
import { fromPurge } from "../oversight/records.js";
import type { SubjectRecords } from "./retention.js";

export type Reason = "retention" | "erasure";

const REASONS: Record<Reason, PurgeReason> = { retention: PurgeReason.PURGE_REASON_RETENTION, erasure: PurgeReason.PURGE_REASON_ERASURE };

/** `purge:<reason>:<32 hex of SHA-256 over the sorted refs>`: the same purge again is the same record id. */
export function purgeRecordId(reason: Reason, refs: readonly string[]): string {
  return `purge:${reason}:${createHash("sha256").update([...refs].sort().join("\n")).digest("hex").slice(0, 32)}`;
}

export interface PurgeRequest {
  reason: Reason;
  refs: readonly string[];
  authority: string;
  requestedBy: string;
  at: Date;
  /** SHA-256 of the retention policy applied (retention only). */
  retentionPolicySha256?: string;
}

/** The purge record for a request (pure). */
export function purgeRecord(p: PurgeRequest): PurgeRecord {
  const refs = [...new Set(p.refs)].sort();
  return PurgeRecord.fromPartial({
    id: purgeRecordId(p.reason, refs),
    reason: REASONS[p.reason],
    refs,
    authority: p.authority,
    requestedBy: p.requestedBy,
    occurredAt: p.at,
    retentionPolicySha256: p.retentionPolicySha256 ?? "",
  });
}

export interface PurgeOutcome {
  recordId: string;
  /** Leaf index of the purge record (appended now or by an earlier run). */
  index: number;
  /** False when an earlier run appended it. */
  appended: boolean;
  /** Key rows deleted now. */
  deleted: number;
}

export interface Rewritten {
  /** The purge, when there were refs to destroy. */
  purge: PurgeOutcome | undefined;
  /** Whether the WAL segment was switched after the rewrite (step 4). */
  walSwitched: boolean;
}

/** Steps 1–4 for the request's refs (none: steps 3 and 4). */
export async function destroyKeys(db: SqlDatabase, ledger: Ledger, p: PurgeRequest): Promise<Rewritten> {
  let outcome: PurgeOutcome | undefined;
  if (p.refs.length > 0) {
    const record = purgeRecord(p);
    const destroy = async (tx: SqlSession) => (await tx.query("delete from subject_keys where ref = any($1::text[])", [record.refs])).rowCount ?? 0;
    let deleted = 0;
    const out = await appendRecords(ledger, [fromPurge(record, p.at)], async (tx) => void (deleted = await destroy(tx)));
    const o = out.outcomes[0]!;
    if (!o.appended) {
      // Appended by an earlier run: whatever keys it names that are still held go now, under the append lock.
      deleted = await db.transaction(async (tx) => {
        await takeAppendLock(tx);
        return destroy(tx);
      });
    }
    outcome = { recordId: o.recordId, index: o.index, appended: o.appended, deleted };
  }
  await db.query("vacuum full subject_keys");
  const walSwitched = await db.query("select pg_switch_wal()").then(
    () => true,
    (err: { code?: string }) => {
      // 42501: not permitted to this role; 55000: WAL control functions cannot run during recovery (a standby).
      if (err.code === "42501" || err.code === "55000") return false;
      throw err;
    },
  );
  return { purge: outcome, walSwitched };
}

/** The refs a subject id has a key under (one at most). */
export async function refsOfSubject(db: SqlSession, subjectId: string): Promise<string[]> {
  const { rows } = await db.query<{ ref: string }>("select ref from subject_keys where subject_id = $1", [subjectId]);
  return rows.map((r) => r.ref);
}

/** How many index rows name a subject id in the clear (leaves appended before sealing: append-only, not erasable). */
export async function clearMentions(db: SqlSession, subjectId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>("select count(*)::int as n from audit_subjects where subject_id = $1", [subjectId]);
  return rows[0]?.n ?? 0;
}

/** Every subject key with, per kind, the latest record naming it — read without the subject ids. */
export async function subjectRecords(db: SqlSession): Promise<SubjectRecords[]> {
  const { rows } = await db.query<{ ref: string; created_at: Date; kind: string | null; latest: Date | null }>(
    `select k.ref, k.created_at, r.kind, max(r.occurred_at) as latest
       from subject_keys k
       left join audit_subjects s on s.subject_id = k.ref
       left join audit_records r on r.idx = s.idx
      group by k.ref, k.created_at, r.kind`,
  );
  const by = new Map<string, SubjectRecords>();
  for (const r of rows) {
    let s = by.get(r.ref);
    if (!s) by.set(r.ref, (s = { ref: r.ref, keyCreatedAt: r.created_at, latest: [] }));
    if (r.kind !== null && r.latest !== null) s.latest.push({ kind: r.kind, occurredAt: r.latest });
  }
  return [...by.values()];
}
