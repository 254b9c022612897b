/**
 * Conflicts are kept: a record id that arrives again with different bytes (a
 * decision re-made under a new policy revision, say) is not a redelivery. The
 * ledger appends it as a `conflict` record linked to the original — its id
 * derived from the original id and the new bytes' hash, so the same conflict
 * delivered again is one leaf — carrying both hashes and the new bytes in full.
 * Same bytes: an idempotent duplicate. Pure.
 */
import { createHash } from "node:crypto";
import { ConflictRecord } from "@takitini/proto";
import { MAX_RECORD_ID_BYTES } from "../merkle/entry.js";
import type { LedgerRecord } from "./ledger.js";

export const CONFLICT_KIND = "conflict";
export const CONFLICT_PREFIX = "conflict:";

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * The conflict record id for `recordId` arriving with bytes hashing to `newSha256`:
 * `conflict:<record id>:<new sha256>` (the record id replaced by `sha256-<its hash>`
 * when the whole would pass the leaf entry's id limit).
 */
export function conflictRecordId(recordId: string, newSha256: string): string {
  const id = `${CONFLICT_PREFIX}${recordId}:${newSha256}`;
  if (Buffer.byteLength(id, "utf8") <= MAX_RECORD_ID_BYTES) return id;
  return `${CONFLICT_PREFIX}sha256-${sha256Hex(Buffer.from(recordId, "utf8"))}:${newSha256}`;
}

/** What the ledger holds under a record id. */
export interface HeldRecord {
  recordId: string;
  index: number;
  kind: string;
  payload: Uint8Array;
}

/** Whether `incoming` repeats `held` exactly (a redelivery): same bytes. The kind is part of the record id's namespace, so bytes decide. */
export const sameRecord = (held: HeldRecord, incoming: LedgerRecord) => Buffer.from(held.payload).equals(Buffer.from(incoming.payload));

/** The conflict record for `incoming`, whose id `held` already has with other bytes. */
export function conflictRecord(held: HeldRecord, incoming: LedgerRecord): LedgerRecord {
  const newSha256 = sha256Hex(incoming.payload);
  const payload = ConflictRecord.encode(
    ConflictRecord.fromPartial({
      originalRecordId: held.recordId,
      originalIndex: String(held.index),
      originalKind: held.kind,
      newKind: incoming.kind,
      originalSha256: sha256Hex(held.payload),
      newSha256,
      newPayload: Buffer.from(incoming.payload),
    }),
  ).finish();
  return { recordId: conflictRecordId(held.recordId, newSha256), kind: CONFLICT_KIND, payload };
}
