/**
 * The oversight index in SQL: written with each append (same transaction), read
 * by the oversight API. Every value is a bound parameter; every list is paged by
 * a keyset on the leaf index, never loaded whole.
 */
import type { SqlSession } from "../ledger/index.js";
import { openDocs, sealedRefs } from "../subjects/open.js";
import { keysByRef } from "../subjects/store.js";
import type { Series } from "./anomaly.js";
import { distinctLinks, linkFacing, MAX_LINKED_DISCLOSURES, MAX_LINKS, withDisclosures, type SubjectLink } from "./links.js";
import type { IndexRow, Kind } from "./records.js";
import { MAX_VERSION_DECISIONS, MAX_VERSIONS, originalOf, pickVersions, versionOf, type PublishRow, type RecordVersions } from "./versions.js";
import { decodeCursor, encodeCursor, type RecordsQuery } from "./query.js";

export interface RecordSummary {
  index: number;
  id: string;
  kind: string;
  occurred_at: string;
  agency: string;
  subscriber_id: string;
  event_type: string;
  region: string;
  outcome: string;
  view: string;
  legal_basis: string;
  policy_revision: string;
  event_id: string;
  action: string;
  /** The subjects the record names: opened by the server from the sealed form (subjects/open.ts), or in the clear for a record appended before sealing. */
  subject_ids: string[];
  /** Refs of sealed subjects whose key has been destroyed (erased). */
  erased_subject_refs: string[];
}

interface Row {
  idx: string;
  record_id: string;
  kind: string;
  occurred_at: Date;
  agency: string;
  subscriber_id: string;
  event_type: string;
  region: string;
  outcome: string;
  view: string;
  legal_basis: string;
  policy_revision: string;
  event_id: string;
  action: string;
  doc: Record<string, unknown>;
}

const COLUMNS = "r.idx, r.record_id, r.kind, r.occurred_at, r.agency, r.subscriber_id, r.event_type, r.region, r.outcome, r.view, r.legal_basis, r.policy_revision, r.event_id, r.action, r.doc";

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);

/** One index row as the API answers it; `r.doc` already opened (openRows). */
export function summary(r: Row): RecordSummary {
  return {
    index: Number(r.idx),
    id: r.record_id,
    kind: r.kind,
    occurred_at: r.occurred_at.toISOString(),
    agency: r.agency,
    subscriber_id: r.subscriber_id,
    event_type: r.event_type,
    region: r.region,
    outcome: r.outcome,
    view: r.view,
    legal_basis: r.legal_basis,
    policy_revision: r.policy_revision,
    event_id: r.event_id,
    action: r.action,
    subject_ids: strings(r.doc["subject_ids"]),
    erased_subject_refs: strings(r.doc["erased_subject_refs"]),
  };
}

/** Rows with their docs' sealed subjects opened (one key lookup for all). */
async function openRows<R extends Row>(db: SqlSession, rows: readonly R[]): Promise<R[]> {
  const docs = await openDocs(db, rows.map((r) => r.doc));
  return rows.map((r, i) => ({ ...r, doc: docs[i]! }));
}

/**
 * audit_subjects rows of a subject id: its ref while its key is held (a sealed
 * record), and the id itself (a record appended before sealing). `$n` is the
 * subject id's parameter.
 */
const subjectRows = (param: string) =>
  // One array (an init plan) so the lookup stays an index scan of audit_subjects' primary key.
  `select idx from audit_subjects where subject_id = any(array_append(array(select ref from subject_keys where subject_id = ${param}::text), ${param}::text))`;

/** Index the leaves an append added (called inside the append's transaction). */
export async function writeIndex(tx: SqlSession, rows: readonly { index: number; row: IndexRow }[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: IndexRow) => T) => rows.map((x) => f(x.row));
  // The docs go as one JSON array, element i the row's (jsonb `->` by position): a jsonb[]
  // parameter would travel as an array literal, each document escaped again inside it.
  await tx.query(
    `insert into audit_records (idx, record_id, kind, occurred_at, agency, subscriber_id, event_type, region, outcome, view, legal_basis, policy_revision, event_id, action, doc)
     select u.idx, u.record_id, u.kind, u.occurred_at, u.agency, u.subscriber_id, u.event_type, u.region, u.outcome, u.view, u.legal_basis, u.policy_revision, u.event_id, u.action,
            $15::jsonb -> (u.ord - 1)::int
     from unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
       with ordinality as u(idx, record_id, kind, occurred_at, agency, subscriber_id, event_type, region, outcome, view, legal_basis, policy_revision, event_id, action, ord)`,
    [
      rows.map((x) => String(x.index)),
      col((r) => r.recordId),
      col((r) => r.kind),
      col((r) => r.occurredAt),
      col((r) => r.agency),
      col((r) => r.subscriberId),
      col((r) => r.eventType),
      col((r) => r.region),
      col((r) => r.outcome),
      col((r) => r.view),
      col((r) => r.legalBasis),
      col((r) => r.policyRevision),
      col((r) => r.eventId),
      col((r) => r.action),
      JSON.stringify(rows.map((x) => x.row.doc)),
    ],
  );
  const subjects = rows.flatMap((x) => x.row.subjectIds.map((s) => [s, String(x.index)] as const));
  if (subjects.length > 0) {
    await tx.query("insert into audit_subjects (subject_id, idx) select * from unnest($1::text[], $2::bigint[]) on conflict do nothing", [
      subjects.map((s) => s[0]),
      subjects.map((s) => s[1]),
    ]);
  }
}

/** `%` and `_` are literal in a legal-basis search. */
const likeLiteral = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Newest first, narrowed by every filter given; `cursor` continues after the last index seen. */
export async function searchRecords(
  db: SqlSession,
  q: RecordsQuery,
): Promise<{ records: RecordSummary[]; docs: Record<string, unknown>[]; nextCursor: string | null } | { badCursor: true }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const bind = (v: unknown) => `$${params.push(v)}`;
  if (q.kind) where.push(`r.kind = ${bind(q.kind)}`);
  if (q.agency) where.push(`r.agency = ${bind(q.agency)}`);
  if (q.subscriber_id) where.push(`r.subscriber_id = ${bind(q.subscriber_id)}`);
  if (q.event_type) where.push(`r.event_type = ${bind(q.event_type)}`);
  if (q.region) where.push(`r.region = ${bind(q.region)}`);
  if (q.event_id) where.push(`r.event_id = ${bind(q.event_id)}`);
  if (q.outcome) where.push(`r.outcome = ${bind(q.outcome)}`);
  if (q.legal_basis) where.push(`r.legal_basis ilike ${bind(likeLiteral(q.legal_basis))}`);
  if (q.from) where.push(`r.occurred_at >= ${bind(q.from)}`);
  if (q.to) where.push(`r.occurred_at <= ${bind(q.to)}`);
  if (q.subject_id) where.push(`r.idx in (${subjectRows(bind(q.subject_id))})`);
  if (q.cursor !== undefined) {
    const after = decodeCursor(q.cursor);
    if (after === null) return { badCursor: true };
    where.push(`r.idx < ${bind(after)}`);
  }
  const sql = `select ${COLUMNS} from audit_records r ${where.length ? `where ${where.join(" and ")}` : ""} order by r.idx desc limit ${bind(q.limit + 1)}`;
  const { rows } = await db.query<Row>(sql, params);
  const kept = await openRows(db, rows.slice(0, q.limit));
  const page = kept.map(summary);
  const last = page[page.length - 1];
  // Each record's API form (doc) too, from the same rows: no second query per record.
  return { records: page, docs: kept.map((r) => r.doc), nextCursor: rows.length > q.limit && last ? encodeCursor(last.index) : null };
}

export interface RecordDetail {
  /** Its subjects opened by the server (subject_ids, erased_subject_refs). */
  row: RecordSummary;
  /** The record's API form as derived from its leaf: sealed subjects as refs and ciphertext, as the signed bytes hold them. */
  doc: Record<string, unknown>;
  /** The same with its sealed subjects opened (subjects/open.ts). */
  openedDoc: Record<string, unknown>;
  leafHash: Buffer;
  appendedAt: Date;
}

export async function recordById(db: SqlSession, id: string): Promise<RecordDetail | undefined> {
  const { rows } = await db.query<Row & { leaf_hash: Buffer; appended_at: Date }>(
    `select ${COLUMNS}, l.leaf_hash, l.appended_at from audit_records r join ledger_leaves l on l.idx = r.idx where r.record_id = $1`,
    [id],
  );
  const [r] = await openRows(db, rows.slice(0, 1));
  return r && rows[0] ? { row: summary(r), doc: rows[0].doc, openedDoc: r.doc, leafHash: r.leaf_hash, appendedAt: r.appended_at } : undefined;
}

/**
 * A record's history, given any version's event id (versions.ts): the record's
 * first version, its corrections in ledger order and its withdrawal, each
 * with its publish record (subjects opened) and the decisions made on it.
 * Found by the first version's id each revision names (migration 012's index
 * on the doc's `revision.original_event_id`). Undefined when the ledger holds
 * no publish record of the id and no revision naming it.
 */
export async function recordVersions(db: SqlSession, eventId: string): Promise<RecordVersions | undefined> {
  const publishRows = async (sql: string, params: unknown[]): Promise<PublishRow[]> => {
    const { rows } = await db.query<Row>(sql, params);
    const opened = await openRows(db, rows);
    // The revision as the leaf holds it (the doc before opening: opening touches subjects only).
    return opened.map((r, i) => ({ summary: summary(r), doc: rows[i]!.doc }));
  };
  const [asked] = await publishRows(`select ${COLUMNS} from audit_records r where r.kind = 'publish' and r.event_id = $1 order by r.idx limit 1`, [eventId]);
  const original = originalOf(eventId, asked);
  const rows = await publishRows(
    `select ${COLUMNS} from audit_records r
     where r.kind = 'publish' and (r.event_id = $1 or (r.doc ? 'revision' and r.doc #>> '{revision,original_event_id}' = $1))
     order by r.idx limit $2`,
    [original, MAX_VERSIONS + 1],
  );
  const found = pickVersions(eventId, original, asked, rows.slice(0, MAX_VERSIONS));
  if (!found) return undefined;
  const picked = found.rows;
  const ids = picked.map((p) => p.summary.event_id);
  const { rows: decisions } = await db.query<{ event_id: string; doc: Record<string, unknown> }>(
    `select e.id as event_id, d.doc from unnest($1::text[]) e(id)
     cross join lateral (select r.doc from audit_records r where r.event_id = e.id and r.kind = 'decision' order by r.idx limit $2) d`,
    [ids, MAX_VERSION_DECISIONS + 1],
  );
  const versions = picked.map((p) => versionOf(p, decisions.filter((d) => d.event_id === p.summary.event_id).map((d) => d.doc)));
  return {
    event_id: eventId,
    original_event_id: found.original,
    withdrawn: versions.some((v) => v.version === "withdrawal"),
    versions,
    more_versions: rows.length > MAX_VERSIONS,
  };
}

export interface Disclosure {
  event_id: string;
  event_type: string;
  agency: string;
  subscriber_id: string;
  view: string;
  legal_basis: string;
  policy_revision: string;
  decided_at: string;
  decision_id: string;
  delivery_topic: string;
}

/**
 * "Who has seen information about this person": every decision that let a
 * subscriber have an event naming the subject (by pseudonymous subject id),
 * newest first, with the legal basis relied on; and how many were refused.
 * A subject whose key was destroyed has no ref any more: nothing is found.
 */
export interface Seen {
  disclosures: Disclosure[];
  denied: number;
  nextCursor: string | null;
}

export async function whoHasSeen(db: SqlSession, subjectId: string, page: { limit: number; cursor?: string | undefined }): Promise<Seen | { badCursor: true }> {
  const params: unknown[] = [subjectId];
  let after = "";
  if (page.cursor !== undefined) {
    const c = decodeCursor(page.cursor);
    if (c === null) return { badCursor: true as const };
    params.push(c);
    after = `and s.idx < $${params.length}`;
  }
  params.push(page.limit + 1);
  // Driven from the subject's own rows (audit_subjects' primary key), so the plan
  // does not depend on table statistics: a person's records, then their decisions.
  const { rows } = await db.query<Row>(
    `with s as materialized (select idx from (${subjectRows("$1")}) x ${after.replace("and s.idx", "where idx")})
     select ${COLUMNS} from s join audit_records r on r.idx = s.idx
     where r.kind = 'decision' and r.outcome = 'allow'
     order by s.idx desc limit $${params.length}`,
    params,
  );
  const denied = await db.query<{ n: string }>(
    `with s as materialized (${subjectRows("$1")})
     select count(*) as n from s join audit_records r on r.idx = s.idx where r.kind = 'decision' and r.outcome = 'deny'`,
    [subjectId],
  );
  const list = rows.slice(0, page.limit);
  const disclosures: Disclosure[] = list.map((r) => ({
    event_id: r.event_id,
    event_type: r.event_type,
    agency: r.agency,
    subscriber_id: r.subscriber_id,
    view: r.view,
    legal_basis: r.legal_basis,
    policy_revision: r.policy_revision,
    decided_at: r.occurred_at.toISOString(),
    decision_id: r.record_id,
    delivery_topic: typeof r.doc["delivery_topic"] === "string" ? (r.doc["delivery_topic"] as string) : "",
  }));
  const last = list[list.length - 1];
  return { disclosures, denied: Number(denied.rows[0]?.n ?? 0), nextCursor: rows.length > page.limit && last ? encodeCursor(Number(last.idx)) : null };
}

/**
 * Who has seen this person, across agencies: `whoHasSeen`, and on the first
 * page (no cursor) the subject's links — every link alert in the ledger naming
 * the subject (the linkage service's, on its topic: records.ts `fromLinkage`,
 * checked again from the leaf), newest first, at most MAX_LINKS — each with the
 * other subject's own disclosures (at most MAX_LINKED_DISCLOSURES). One hop:
 * the other subject's links are not followed. A subject whose key was destroyed
 * has no ref any more: nothing is found for it, on either side of a link.
 */
export async function whoHasSeenAcross(db: SqlSession, subjectId: string, page: { limit: number; cursor?: string | undefined }): Promise<(Seen & { links: SubjectLink[] }) | { badCursor: true }> {
  const own = await whoHasSeen(db, subjectId, page);
  if ("badCursor" in own) return own;
  const links: SubjectLink[] = [];
  if (page.cursor === undefined) {
    for (const link of await linksOf(db, subjectId)) {
      const seen = await whoHasSeen(db, link.linked_subject_id, { limit: MAX_LINKED_DISCLOSURES });
      if ("badCursor" in seen) continue; // no cursor was given
      links.push(withDisclosures(link, { disclosures: seen.disclosures, denied: seen.denied, more: seen.nextCursor !== null }));
    }
  }
  return { ...own, links };
}

/** The links naming a subject, facing it (links.ts), from the link alerts' publish records under the subject's ref. */
async function linksOf(db: SqlSession, subjectId: string) {
  const { rows } = await db.query<Row>(
    `with s as materialized (${subjectRows("$1")})
     select ${COLUMNS} from s join audit_records r on r.idx = s.idx
     where r.kind = 'publish' and r.agency = 'linkage' and r.doc ? 'link'
     order by s.idx desc limit $2`,
    [subjectId, MAX_LINKS],
  );
  const keys = await keysByRef(db, rows.flatMap((r) => sealedRefs(r.doc)));
  return distinctLinks(rows.map((r) => linkFacing(subjectId, r.doc, r.occurred_at, keys)));
}

/** Decisions per subscriber per time bucket, allow and deny. */
export async function disclosureStats(db: SqlSession, q: { from?: Date | undefined; to?: Date | undefined; bucket: "hour" | "day" | "week" }) {
  const params: unknown[] = [q.bucket];
  const where = ["kind = 'decision'"];
  if (q.from) where.push(`occurred_at >= $${params.push(q.from)}`);
  if (q.to) where.push(`occurred_at <= $${params.push(q.to)}`);
  const { rows } = await db.query<{ start: Date; subscriber_id: string; allow: string; deny: string }>(
    `select date_trunc($1, occurred_at, 'UTC') as start, subscriber_id,
            count(*) filter (where outcome = 'allow') as allow, count(*) filter (where outcome = 'deny') as deny
     from audit_records where ${where.join(" and ")} group by 1, 2 order by 1, 2 limit 100000`,
    params,
  );
  const buckets = rows.map((r) => ({ start: r.start.toISOString(), subscriber_id: r.subscriber_id, allow: Number(r.allow), deny: Number(r.deny) }));
  const totals = new Map<string, { subscriber_id: string; allow: number; deny: number }>();
  for (const b of buckets) {
    const t = totals.get(b.subscriber_id) ?? { subscriber_id: b.subscriber_id, allow: 0, deny: 0 };
    t.allow += b.allow;
    t.deny += b.deny;
    totals.set(b.subscriber_id, t);
  }
  return { buckets, totals: [...totals.values()].sort((a, b) => a.subscriber_id.localeCompare(b.subscriber_id)) };
}

/** Per subscriber and metric, counts in `baseline` windows before the latest one and in it, oldest first. */
export async function anomalySeries(db: SqlSession, q: { windowSeconds: number; baseline: number; at: Date }): Promise<Series[]> {
  const since = new Date(q.at.getTime() - (q.baseline + 1) * q.windowSeconds * 1000);
  const { rows } = await db.query<{ subscriber_id: string; metric: Series["metric"]; w: number; n: string }>(
    `select subscriber_id,
            case when kind = 'conflict' then 'conflict' when kind = 'decision' then outcome else 'access' end as metric,
            floor(extract(epoch from ($1::timestamptz - occurred_at)) / $2)::int as w,
            count(*) as n
     from audit_records
     where occurred_at > $3 and occurred_at <= $1
       and ((subscriber_id <> '' and (kind = 'decision' or (kind = 'access' and action in ('delivered', 'briefing_viewed'))))
            -- a conflict record, whoever it concerns (a publish's has no subscriber)
            or kind = 'conflict')
     group by 1, 2, 3`,
    [q.at, q.windowSeconds, since],
  );
  const series = new Map<string, Series>();
  for (const r of rows) {
    const key = `${r.subscriber_id}|${r.metric}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = { subscriberId: r.subscriber_id, metric: r.metric, counts: new Array(q.baseline + 1).fill(0) }));
    // w = 0 is the latest window; counts run oldest first.
    if (r.w >= 0 && r.w <= q.baseline) s.counts[q.baseline - r.w] = Number(r.n);
  }
  return [...series.values()];
}

export type { Kind };
