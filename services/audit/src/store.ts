import type { AccessRecord, DecisionRecord } from "@takitini/proto";

export interface DecisionQuery {
  eventId?: string | undefined;
  subscriberId?: string | undefined;
  outcome?: "allow" | "deny" | undefined;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string | undefined;
}

export interface DecisionPage {
  decisions: DecisionRecord[];
  nextCursor: string | null;
}

/** Where decision records are kept. Appends are idempotent per record id. */
export interface DecisionStore {
  /** Returns false when a record with the same id is already held (a redelivery). */
  append(record: DecisionRecord): boolean;
  get(id: string): DecisionRecord | undefined;
  query(q: DecisionQuery): DecisionPage;
  size(): number;
}

export class InvalidCursorError extends Error {}

export function encodeCursor(seq: number): string {
  return Buffer.from(`s:${seq}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): number {
  const raw = Buffer.from(cursor, "base64url").toString("utf8");
  const m = /^s:(\d{1,15})$/.exec(raw);
  if (!m) throw new InvalidCursorError("invalid cursor");
  return Number(m[1]);
}

/**
 * In-process store with indexes by event and subscriber; pages in append order.
 * Issue #6 replaces it with the PostgreSQL Merkle ledger behind the same interface.
 */
export class MemoryDecisionStore implements DecisionStore {
  private readonly rows: DecisionRecord[] = [];
  private readonly byId = new Map<string, number>();
  private readonly byEvent = new Map<string, number[]>();
  private readonly bySubscriber = new Map<string, number[]>();

  append(record: DecisionRecord): boolean {
    if (this.byId.has(record.id)) return false;
    const seq = this.rows.length;
    this.rows.push(record);
    this.byId.set(record.id, seq);
    push(this.byEvent, record.eventId, seq);
    push(this.bySubscriber, record.subscriberId, seq);
    return true;
  }

  get(id: string): DecisionRecord | undefined {
    const seq = this.byId.get(id);
    return seq === undefined ? undefined : this.rows[seq];
  }

  size(): number {
    return this.rows.length;
  }

  query(q: DecisionQuery): DecisionPage {
    const after = q.cursor === undefined ? -1 : decodeCursor(q.cursor);
    // Walk the narrowest index available; every candidate is then checked against all filters.
    const candidates =
      q.eventId !== undefined
        ? (this.byEvent.get(q.eventId) ?? [])
        : q.subscriberId !== undefined
          ? (this.bySubscriber.get(q.subscriberId) ?? [])
          : null;
    const out: DecisionRecord[] = [];
    let lastSeq = -1;
    let more = false;
    const consider = (seq: number): boolean => {
      if (seq <= after) return true;
      const r = this.rows[seq];
      if (!r || !matches(r, q)) return true;
      if (out.length === q.limit) {
        more = true;
        return false;
      }
      out.push(r);
      lastSeq = seq;
      return true;
    };
    if (candidates) {
      for (const seq of candidates) if (!consider(seq)) break;
    } else {
      for (let seq = after + 1; seq < this.rows.length; seq++) if (!consider(seq)) break;
    }
    return { decisions: out, nextCursor: more ? encodeCursor(lastSeq) : null };
  }
}

function push(index: Map<string, number[]>, key: string, seq: number): void {
  const list = index.get(key);
  if (list) list.push(seq);
  else index.set(key, [seq]);
}

function matches(r: DecisionRecord, q: DecisionQuery): boolean {
  if (q.eventId !== undefined && r.eventId !== q.eventId) return false;
  if (q.subscriberId !== undefined && r.subscriberId !== q.subscriberId) return false;
  if (q.outcome === "allow" && r.outcome !== "OUTCOME_ALLOW") return false;
  if (q.outcome === "deny" && r.outcome !== "OUTCOME_DENY") return false;
  return true;
}

export interface AccessQuery {
  subscriberId?: string | undefined;
  action?: AccessRecord["action"] | undefined;
  eventId?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/**
 * Access records (streams granted or refused, deliveries streamed), in append
 * order, idempotent per id. Issue #6 moves them into the ledger with the decisions.
 */
export class MemoryAccessLog {
  private readonly rows: AccessRecord[] = [];
  private readonly ids = new Set<string>();
  private readonly bySubscriber = new Map<string, number[]>();

  append(record: AccessRecord): boolean {
    if (this.ids.has(record.id)) return false;
    this.ids.add(record.id);
    const seq = this.rows.length;
    this.rows.push(record);
    // A refused request is filed under the stream it asked for as well as the asker.
    push(this.bySubscriber, record.subscriberId, seq);
    if (record.requestedSubscriberId !== "" && record.requestedSubscriberId !== record.subscriberId) push(this.bySubscriber, record.requestedSubscriberId, seq);
    return true;
  }

  size(): number {
    return this.rows.length;
  }

  query(q: AccessQuery): { records: AccessRecord[]; nextCursor: string | null } {
    const after = q.cursor === undefined ? -1 : decodeCursor(q.cursor);
    const seqs = q.subscriberId !== undefined ? (this.bySubscriber.get(q.subscriberId) ?? []) : this.rows.keys();
    const out: AccessRecord[] = [];
    let lastSeq = -1;
    for (const seq of seqs) {
      if (seq <= after) continue;
      const r = this.rows[seq]!;
      if (q.action !== undefined && r.action !== q.action) continue;
      if (q.eventId !== undefined && r.eventId !== q.eventId) continue;
      if (out.length === q.limit) return { records: out, nextCursor: encodeCursor(lastSeq) };
      out.push(r);
      lastSeq = seq;
    }
    return { records: out, nextCursor: null };
  }
}
