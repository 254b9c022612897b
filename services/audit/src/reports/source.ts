/**
 * The rows of a quarterly report, read out of the ledger's leaves (SQL shell).
 *
 * The index (audit_records) only finds the candidate leaves by kind and time;
 * every figure comes from the leaf entry itself (ledger_leaves.entry, the bytes
 * its leaf hash covers): the payload is decoded and its fields derived by the
 * same functions that index it (oversight/records.ts), and its own time — not
 * the index's — decides whether it falls in the quarter. Read in pages of
 * PAGE leaves by index, never loaded as one result.
 */
import { DecisionRecord, PublishRecord, RefusalRecord, RefusalSummary } from "@takitini/proto";
import type { SqlSession } from "../ledger/index.js";
import { decodeEntry } from "../merkle/index.js";
import { decisionRow, publishRow } from "../oversight/records.js";
import type { DecisionRow, PublishRow, QuarterRows, RefusalRow } from "./model.js";

const PAGE = 5000;
export const REPORT_SOURCE_KINDS = ["publish", "decision", "refusal", "refusal_summary"] as const;

/** The leaves of the report's kinds dated in [from, to), as rows. */
export async function readQuarterRows(db: SqlSession, from: Date, to: Date): Promise<QuarterRows> {
  const out: QuarterRows = { publishes: [], decisions: [], refusals: [] };
  const within = (at: Date) => at.getTime() >= from.getTime() && at.getTime() < to.getTime();
  let after = -1;
  for (;;) {
    const { rows } = await db.query<{ idx: string; entry: Buffer }>(
      `select l.idx, l.entry from audit_records r join ledger_leaves l on l.idx = r.idx
       where r.kind = any($1::text[]) and r.occurred_at >= $2 and r.occurred_at < $3 and r.idx > $4
       order by r.idx limit ${PAGE}`,
      [[...REPORT_SOURCE_KINDS], from, to, String(after)],
    );
    for (const r of rows) {
      const row = leafRow(r.entry);
      if (row && within(row.row.at)) (out[row.into] as unknown[]).push(row.row);
    }
    if (rows.length < PAGE) return out;
    after = Number(rows[rows.length - 1]!.idx);
  }
}

type Derived = { into: "publishes"; row: PublishRow } | { into: "decisions"; row: DecisionRow } | { into: "refusals"; row: RefusalRow };

/** One leaf entry as a report row (null for a kind the report does not read). Pure. */
export function leafRow(entry: Uint8Array): Derived | null {
  const leaf = decodeEntry(entry);
  const at = new Date(leaf.appendedAtMs);
  switch (leaf.kind) {
    case "publish": {
      const r = PublishRecord.decode(leaf.payload);
      const index = publishRow(r, at);
      return { into: "publishes", row: { at: index.occurredAt, region: index.region, eventType: index.eventType, outcome: r.outcome.map((o) => ({ measure: o.measure, category: o.category, value: o.value })) } };
    }
    case "decision": {
      const index = decisionRow(DecisionRecord.decode(leaf.payload), at);
      if (index.outcome !== "allow" && index.outcome !== "deny") return null;
      return { into: "decisions", row: { at: index.occurredAt, region: index.region, subscriberId: index.subscriberId, outcome: index.outcome, legalBasis: index.legalBasis } };
    }
    case "refusal": {
      const r = RefusalRecord.decode(leaf.payload);
      return { into: "refusals", row: { at: r.occurredAt ?? at, kind: "refusal", service: r.service, code: r.code, count: 1 } };
    }
    case "refusal_summary": {
      const s = RefusalSummary.decode(leaf.payload);
      return { into: "refusals", row: { at: s.windowEnd ?? at, kind: "refusal_summary", service: s.service, code: s.code, count: s.count } };
    }
    default:
      return null;
  }
}
