import { createHash } from "node:crypto";
import {
  AccessRecord,
  Agency,
  ConflictRecord,
  DecisionRecord,
  IntelligenceEvent,
  OversightQueryRecord,
  PolicyRevisionRecord,
  PublishedLink,
  PublishedRevision,
  PublishRecord,
  PurgeRecord,
  RefusalRecord,
  RefusalSummary,
  type SealedSubject,
} from "@takitini/proto";
import { intelTopicAgency } from "@takitini/runtime";
import { conflictRecordId } from "../ledger/conflict.js";
import type { LedgerRecord } from "../ledger/index.js";
import { accessToApi, refusalSummaryToApi, refusalToApi, toApi } from "../records.js";
import { outcomeOf } from "../reports/outcome.js";

/** What the ledger holds, by kind. */
export const KINDS = ["publish", "decision", "access", "oversight_query", "policy_revision", "refusal", "refusal_summary", "conflict", "report", "purge"] as const;
export type Kind = (typeof KINDS)[number];

/** Searchable columns of one record (audit_records), derived from its bytes. */
export interface IndexRow {
  recordId: string;
  kind: Kind;
  occurredAt: Date;
  agency: string;
  subscriberId: string;
  eventType: string;
  region: string;
  outcome: string;
  view: string;
  legalBasis: string;
  policyRevision: string;
  eventId: string;
  action: string;
  subjectIds: string[];
  /** The record's API form. */
  doc: Record<string, unknown>;
}

/** A record ready to append: its leaf (kind, id, canonical bytes) and its index row. */
export interface Appendable {
  ledger: LedgerRecord;
  index: IndexRow;
}

/**
 * An Appendable whose index row is made when first read, once. The ingest
 * appends leaves and indexes them by deriving each row from the leaf's own
 * bytes (ingest.ts `appendRecords`, derive.ts), so a row made from the record
 * as it was read is seldom needed: building it eagerly (the API form, the
 * subject list) cost as much again as the record's encoding, for every record.
 */
export function appendableOf(ledger: LedgerRecord, row: () => IndexRow): Appendable {
  let memo: IndexRow | undefined;
  return {
    ledger,
    get index() {
      return (memo ??= row());
    },
  };
}

const code = (value: string, prefix: string) => (value.startsWith(prefix) ? value.slice(prefix.length) : value).toLowerCase();

const blank = (recordId: string, kind: Kind, occurredAt: Date, doc: Record<string, unknown>): IndexRow => ({
  recordId,
  kind,
  occurredAt,
  agency: "",
  subscriberId: "",
  eventType: "",
  region: "",
  outcome: "",
  view: "",
  legalBasis: "",
  policyRevision: "",
  eventId: "",
  action: "",
  subjectIds: [],
  doc,
});

/**
 * A sealed record's subjects in its API form: `subject_ids` its refs (after any
 * in the clear) and `sealed_subjects` the sealed form, which the API opens
 * (subjects/open.ts). Nothing for a record that seals none, so a leaf appended
 * before sealing derives the doc it was indexed with.
 */
function sealedDoc(clear: readonly string[], sealed: readonly SealedSubject[]): Record<string, unknown> {
  if (sealed.length === 0) return {};
  return {
    subject_ids: [...clear, ...sealed.map((s) => s.ref)],
    sealed_subjects: sealed.map((s) => ({ ref: s.ref, ciphertext: Buffer.from(s.ciphertext).toString("base64") })),
  };
}

/** Subject ids in the clear (a record appended before sealing) and sealed subjects' refs: what audit_subjects holds for a record. */
const subjectsOf = (clear: readonly string[], sealed: readonly SealedSubject[]) => [...new Set([...clear, ...sealed.map((s) => s.ref)].filter((s) => s !== ""))];

/** A decision: its id is the decision id (one per event and subscriber). */
/**
 * The record each decision and publish payload made here was encoded from. A
 * protobuf record decoded from its own encoding is the record again, so the
 * sealing (subjects/records.ts) and the index's derivation from the leaf
 * (derive.ts) take it from here rather than decode those bytes once more — the
 * ingest had decoded each record three times. Bytes from anywhere else (the
 * index check, the verifier: read back from PostgreSQL) are decoded. Weak: an
 * entry goes with its payload.
 */
const encodedFrom = {
  decision: new WeakMap<Uint8Array, DecisionRecord>(),
  publish: new WeakMap<Uint8Array, PublishRecord>(),
};

/** A decision record's payload, remembered as encoded from `r` (never mutate `r` afterwards). */
function decisionPayload(r: DecisionRecord): Uint8Array {
  const bytes = DecisionRecord.encode(r).finish();
  encodedFrom.decision.set(bytes, r);
  return bytes;
}

/** A publish record's payload, remembered as encoded from `r` (never mutate `r` afterwards). */
function publishPayload(r: PublishRecord): Uint8Array {
  const bytes = PublishRecord.encode(r).finish();
  encodedFrom.publish.set(bytes, r);
  return bytes;
}

/** The decision record a payload holds: the one it was encoded from here, else decoded. */
export const decisionOf = (payload: Uint8Array): DecisionRecord => encodedFrom.decision.get(payload) ?? DecisionRecord.decode(payload);

/** The publish record a payload holds: the one it was encoded from here, else decoded. */
export const publishOf = (payload: Uint8Array): PublishRecord => encodedFrom.publish.get(payload) ?? PublishRecord.decode(payload);

export function fromDecision(r: DecisionRecord, at: Date): Appendable {
  return appendableOf({ recordId: r.id, kind: "decision", payload: decisionPayload(r) }, () => decisionRow(r, at));
}

/** A decision's index row (derive.ts derives a decision leaf's row with it). */
export function decisionRow(r: DecisionRecord, at: Date): IndexRow {
  const doc = { ...toApi(r), ...sealedDoc(r.subjectIds, r.sealedSubjects) };
  return {
    ...blank(r.id, "decision", r.decidedAt ?? at, doc),
    agency: code(r.sourceAgency, "AGENCY_"),
    subscriberId: r.subscriberId,
    eventType: r.eventType,
    region: code(r.region, "POLICE_DISTRICT_"),
    outcome: code(r.outcome, "OUTCOME_"),
    view: code(r.view, "VIEW_"),
    legalBasis: r.legalBasis,
    policyRevision: r.policyRevision,
    eventId: r.eventId,
    subjectIds: subjectsOf(r.subjectIds, r.sealedSubjects),
  };
}

/** An access at a door out of the mesh (a Subscribe stream, a delivery on it, a briefing). */
export function fromAccess(r: AccessRecord, at: Date): Appendable {
  return appendableOf({ recordId: r.id, kind: "access", payload: AccessRecord.encode(r).finish() }, () => accessRow(r, at));
}

/** An access record's index row (derive.ts derives an access leaf's row with it). */
export function accessRow(r: AccessRecord, at: Date): IndexRow {
  const doc = accessToApi(r);
  return {
    ...blank(r.id, "access", r.occurredAt ?? at, doc),
    subscriberId: r.subscriberId !== "" ? r.subscriberId : r.requestedSubscriberId,
    eventId: r.eventId,
    action: code(r.action, "ACCESS_ACTION_"),
    // A view served abroad over TAXII names the agreement's legal basis: searchable like a decision's.
    legalBasis: r.legalBasis,
  };
}

/**
 * That an event was published: metadata and a hash of its bytes, never its
 * content. The id is derived from the event id, so a redelivery is one leaf.
 */
/**
 * The subjects an event concerns, for "who has seen this person": its own
 * subjects' ids, and for a link alert (which names no subject of its own) the
 * two linked subjects — whoever is told of the link is told something about both.
 */
export function subjectIdsOf(event: IntelligenceEvent): string[] {
  const own = event.subjects.map((s) => s.entity?.value.subjectId ?? "");
  const linked = event.payload?.$case === "linkAlert" ? event.payload.value.records.map((r) => r.subjectId) : [];
  return [...new Set([...own, ...linked].filter((id) => id !== ""))];
}

/**
 * Whether an event is the linkage service's: it claims the linkage agency and
 * came on a link-alert topic (`[<prefix>.]intel.linkage.v<N>`), which only the
 * linkage service may write (its Kafka ACLs). Pure.
 */
export const fromLinkage = (agency: string, topic: string) => agency === Agency.AGENCY_LINKAGE && intelTopicAgency(topic) === "linkage";

const positionOf = (ids: readonly string[], id: string) => (id !== "" && ids.includes(id) ? ids.indexOf(id) : ids.length);

/**
 * A link alert's link as its publish record carries it: rule and confidence in
 * the clear, and each linked record with the position of its subject among the
 * record's subjects (`subjectIds`; past the end for a record naming none),
 * never the subject id itself. Undefined for any other event, and for an alert
 * that did not come from the linkage service on its own topic (the audit records
 * every event on an agency topic as published, its claimed agency unchecked).
 */
export function publishedLinkOf(event: IntelligenceEvent, subjectIds: readonly string[], topic: string): PublishedLink | undefined {
  if (event.payload?.$case !== "linkAlert" || !fromLinkage(event.sourceAgency, topic)) return undefined;
  const a = event.payload.value;
  return PublishedLink.fromPartial({
    linkId: a.linkId,
    rule: a.rule,
    confidence: a.confidence,
    records: a.records.map((r) => ({ eventId: r.eventId, sourceAgency: r.sourceAgency, eventType: r.eventType, subjectPosition: positionOf(subjectIds, r.subjectId) })),
  });
}

/** A UUID as the mesh writes event ids (lower-case hex, 8-4-4-4-12). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Whether an event came from its own agency's topic: the agency it claims is
 * the agency whose topic (`[<prefix>.]intel.<agency>.v<N>`) it was read from,
 * which only that agency's adapter may write (its Kafka ACLs). Pure.
 */
export const onOwnTopic = (agency: string, topic: string) => {
  const owner = intelTopicAgency(topic);
  return owner !== undefined && owner === code(agency, "AGENCY_") && agency !== Agency.AGENCY_UNSPECIFIED;
};

/**
 * A revision the ledger believes: from the agency's own topic (`onOwnTopic`),
 * naming the record's first version and either the version it corrects or the
 * version it withdraws (never both), each a well-formed UUID other than the
 * event's own id. Undefined otherwise. Pure.
 */
export function believedRevision(revision: PublishedRevision | undefined, eventId: string, agency: string, topic: string): PublishedRevision | undefined {
  if (!revision || !onOwnTopic(agency, topic)) return undefined;
  const { originalEventId: original, supersedesEventId: supersedes, withdrawnEventId: withdrawn } = revision;
  if (!UUID.test(original) || original === eventId) return undefined;
  const correction = supersedes !== "" && withdrawn === "";
  const withdrawal = withdrawn !== "" && supersedes === "";
  if (correction ? !UUID.test(supersedes) || supersedes === eventId : !withdrawal || !UUID.test(withdrawn) || withdrawn === eventId) return undefined;
  return revision;
}

/**
 * A correction's or a withdrawal's revision as its publish record carries it:
 * a correction (envelope `supersedes` and `original_event_id`) names the
 * record's first version and the version it corrects; a withdrawal (payload
 * RecordWithdrawal) the first version, the version withdrawn and the reason —
 * never the explanation. Undefined for a record's first version, and for a
 * revision the ledger does not believe (`believedRevision`: off its agency's
 * own topic, or ids that are not UUIDs).
 */
export function publishedRevisionOf(event: IntelligenceEvent, topic: string): PublishedRevision | undefined {
  const revision =
    event.payload?.$case === "recordWithdrawal"
      ? PublishedRevision.fromPartial({ originalEventId: event.originalEventId, withdrawnEventId: event.payload.value.withdrawnEventId, reason: event.payload.value.reason })
      : event.supersedes !== "" || event.originalEventId !== ""
        ? PublishedRevision.fromPartial({ originalEventId: event.originalEventId, supersedesEventId: event.supersedes })
        : undefined;
  return believedRevision(revision, event.id, event.sourceAgency, topic);
}

export function publishRecord(event: IntelligenceEvent, bytes: Uint8Array, source: { topic: string; partition: number; offset: string }): PublishRecord {
  const subjectIds = subjectIdsOf(event);
  return PublishRecord.fromPartial({
    eventId: event.id,
    sourceAgency: event.sourceAgency,
    eventType: event.eventType,
    region: event.region,
    classification: event.classification,
    publishedAt: event.publishedAt,
    subjectIds,
    contentSha256: createHash("sha256").update(bytes).digest("hex"),
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: source.offset,
    publisher: event.publisher,
    // Codes and quantities only (reports/outcome.ts): what the quarterly outcome reports sum.
    outcome: outcomeOf(event),
    link: publishedLinkOf(event, subjectIds, source.topic),
    revision: publishedRevisionOf(event, source.topic),
  });
}

export function fromPublish(r: PublishRecord, at: Date): Appendable {
  // The same event read again at another offset (a publish retried after its first attempt landed) is a redelivery.
  return appendableOf(
    { recordId: publishRecordId(r.eventId), kind: "publish", payload: publishPayload(r), sameAs: (held) => samePublish(held, r) },
    () => publishRow(r, at),
  );
}

const publishRecordId = (eventId: string) => `publish:${eventId}`;

/** A publish record's index row (derive.ts derives a publish leaf's row with it). */
export function publishRow(r: PublishRecord, at: Date): IndexRow {
  const recordId = publishRecordId(r.eventId);
  const doc = {
    event_id: r.eventId,
    source_agency: code(r.sourceAgency, "AGENCY_"),
    event_type: r.eventType,
    region: code(r.region, "POLICE_DISTRICT_"),
    classification: code(r.classification, "CLASSIFICATION_"),
    published_at: r.publishedAt?.toISOString() ?? null,
    subject_ids: r.subjectIds,
    content_sha256: r.contentSha256,
    source: { topic: r.sourceTopic, partition: r.sourcePartition, offset: r.sourceOffset },
    // The agency system that published it, as its certificate named it at the adapter's door.
    publisher: r.publisher,
    // Only when there is one: a publish leaf written before outcome summaries existed derives the row it was indexed with.
    ...(r.outcome.length > 0 ? { outcome: r.outcome.map((o) => ({ measure: o.measure, category: o.category, value: o.value })) } : {}),
    ...sealedDoc(r.subjectIds, r.sealedSubjects),
    // Only a link alert's: every other publish leaf derives the row it was indexed with before links existed.
    ...(r.link && fromLinkage(r.sourceAgency, r.sourceTopic) ? { link: linkDoc(r.link, r.subjectIds, r.sealedSubjects) } : {}),
    // Only a correction's or a withdrawal's, believed again from the leaf: every other publish leaf derives the row it was indexed with before revisions existed.
    ...revisionDoc(believedRevision(r.revision, r.eventId, r.sourceAgency, r.sourceTopic)),
  };
  return {
    ...blank(recordId, "publish", r.publishedAt ?? at, doc),
    agency: doc.source_agency,
    eventType: r.eventType,
    region: doc.region,
    eventId: r.eventId,
    subjectIds: subjectsOf(r.subjectIds, r.sealedSubjects),
  };
}

/**
 * A revision in a publish record's API form (`revision`): a correction's first
 * version and the version it corrects, or a withdrawal's first version, the
 * version withdrawn and the reason. `revision.original_event_id` is what a
 * record's versions are found by (store.ts `recordVersions`; the index
 * audit_records_versions, migration 012).
 */
function revisionDoc(r: PublishedRevision | undefined): Record<string, unknown> {
  if (!r) return {};
  return {
    revision:
      r.withdrawnEventId !== ""
        ? { kind: "withdrawal", original_event_id: r.originalEventId, withdrawn_event_id: r.withdrawnEventId, reason: code(r.reason, "WITHDRAWAL_REASON_") }
        : { kind: "correction", original_event_id: r.originalEventId, supersedes_event_id: r.supersedesEventId },
  };
}

/**
 * A link in a publish record's API form: each linked record names its subject by
 * the subject's ref (the id itself for a record appended before sealing, "" for
 * a position the record does not hold), which the API opens (oversight/links.ts).
 */
function linkDoc(link: PublishedLink, clear: readonly string[], sealed: readonly SealedSubject[]): Record<string, unknown> {
  const subjects = [...clear, ...sealed.map((s) => s.ref)];
  return {
    link_id: link.linkId,
    rule: code(link.rule, "LINK_RULE_"),
    confidence: link.confidence,
    records: link.records.map((r) => ({
      event_id: r.eventId,
      agency: code(r.sourceAgency, "AGENCY_"),
      event_type: r.eventType,
      subject_ref: subjects[r.subjectPosition] ?? "",
    })),
  };
}

/** Whether the bytes held are a publish record of the same event as `r`, where it was read (topic, partition, offset) aside; false for bytes that are none. Pure. */
export function samePublish(held: Uint8Array, r: PublishRecord): boolean {
  const unplaced = (p: PublishRecord) => Buffer.from(PublishRecord.encode({ ...p, sourceTopic: "", sourcePartition: 0, sourceOffset: "" }).finish());
  try {
    return unplaced(PublishRecord.decode(held)).equals(unplaced(r));
  } catch {
    return false;
  }
}

export function fromPolicyRevision(r: PolicyRevisionRecord, at: Date): Appendable {
  const recordId = `policy-revision:${r.revision}`;
  const doc = { revision: r.revision, first_seen_at: r.firstSeenAt?.toISOString() ?? null, first_decision_id: r.firstDecisionId };
  return {
    // First seen wins: the same revision carried by a later batch (another decision, another time) is not a conflict.
    ledger: { recordId, kind: "policy_revision", payload: PolicyRevisionRecord.encode(r).finish(), firstWins: true },
    index: { ...blank(recordId, "policy_revision", r.firstSeenAt ?? at, doc), policyRevision: r.revision },
  };
}

export function fromOversightQuery(r: OversightQueryRecord, at: Date): Appendable {
  const doc = {
    officer: r.officer,
    // The account's role, once the contract carries it (OversightQueryRecord.officer_role; see recording.ts).
    ...("officerRole" in r ? { officer_role: String(r.officerRole) } : {}),
    channel: r.channel,
    method: r.method,
    route: r.route,
    parameters: Object.fromEntries(r.parameters.map((p) => [p.name, p.value])),
    status: r.status,
    result_count: r.resultCount,
    ...sealedDoc([], r.sealedSubjects),
  };
  return {
    ledger: { recordId: r.id, kind: "oversight_query", payload: OversightQueryRecord.encode(r).finish() },
    // A query about a subject is indexed under the subject's ref (none before sealing): kept and purged with the subject's other records.
    index: { ...blank(r.id, "oversight_query", r.occurredAt ?? at, doc), action: `${r.method} ${r.route}`, subjectIds: subjectsOf([], r.sealedSubjects) },
  };
}

/** The agency whose adapter a service name is ("police-adapter" → "police"); "" for any other service. */
export function adapterAgency(service: string): string {
  const m = /^(police|customs|mbie|msd)-adapter$/.exec(service);
  return m ? m[1]! : "";
}

/**
 * One refusal of an identified caller (an adapter's or the briefing's). Its id is
 * prefixed, so a writer of the refusals topic cannot take another kind's record
 * id (a decision's id is derived, so guessable) and have the genuine record
 * dropped as a redelivery.
 */
export function fromRefusal(r: RefusalRecord, at: Date): Appendable {
  const recordId = `refusal:${r.id}`;
  return {
    ledger: { recordId, kind: "refusal", payload: RefusalRecord.encode(r).finish() },
    index: {
      ...blank(recordId, "refusal", r.occurredAt ?? at, refusalToApi(r)),
      agency: adapterAgency(r.service),
      eventType: r.recordType,
      eventId: r.eventId,
      action: `${r.service} ${r.door} ${r.code}`,
    },
  };
}

/** Unauthenticated refusals at one door, code and route, counted over a window; dated by the window's end. */
export function fromRefusalSummary(s: RefusalSummary, at: Date): Appendable {
  const recordId = `refusal-summary:${s.id}`;
  return {
    ledger: { recordId, kind: "refusal_summary", payload: RefusalSummary.encode(s).finish() },
    index: {
      ...blank(recordId, "refusal_summary", s.windowEnd ?? at, refusalSummaryToApi(s)),
      agency: adapterAgency(s.service),
      action: `${s.service} ${s.door} ${s.code} ${s.route} ×${s.count}`,
    },
  };
}

/**
 * The policy revisions a batch of decisions introduces, each once, carried by
 * its first decision (a revision already in the ledger is a no-op append).
 */
export function revisionsOf(decisions: readonly DecisionRecord[], at: Date): Appendable[] {
  const seen = new Map<string, DecisionRecord>();
  for (const d of decisions) if (d.policyRevision !== "" && !seen.has(d.policyRevision)) seen.set(d.policyRevision, d);
  return [...seen.values()].map((d) =>
    fromPolicyRevision(PolicyRevisionRecord.fromPartial({ revision: d.policyRevision, firstSeenAt: d.decidedAt ?? at, firstDecisionId: d.id }), at),
  );
}

/**
 * A record id that arrived again with different bytes (ledger/conflict.ts),
 * dated when it was appended. Searchable by the new version's columns (its
 * subscriber, event, region, …: `deriveNew`, which is oversight/derive.ts's
 * per-kind derivation) under kind `conflict`; the doc links the original and
 * shows the new version in its API form.
 */
export function fromConflict(c: ConflictRecord, at: Date, deriveNew?: (kind: string, payload: Uint8Array, at: Date) => IndexRow | undefined): Appendable {
  const recordId = conflictRecordId(c.originalRecordId, c.newSha256);
  let newer: IndexRow | undefined;
  try {
    newer = deriveNew?.(c.newKind, c.newPayload, at);
  } catch {
    newer = undefined; // bytes that do not decode as their kind: kept in the leaf, shown by their hash
  }
  const doc = {
    original_record_id: c.originalRecordId,
    original_index: Number(c.originalIndex),
    original_kind: c.originalKind,
    new_kind: c.newKind,
    original_sha256: c.originalSha256,
    new_sha256: c.newSha256,
    new_record: newer?.doc ?? null,
  };
  return {
    ledger: { recordId, kind: "conflict", payload: ConflictRecord.encode(c).finish() },
    index: { ...(newer ?? blank(recordId, "conflict", at, doc)), recordId, kind: "conflict", occurredAt: at, doc },
  };
}

/**
 * Subjects' keys destroyed (tools/erase.ts): the refs, the reason, the authority
 * relied on and who ran it — never a subject id. Searchable by its authority as
 * the legal basis; it names no subject (the refs are in its doc).
 */
export function fromPurge(r: PurgeRecord, at: Date): Appendable {
  const reason = code(r.reason, "PURGE_REASON_");
  const doc = {
    id: r.id,
    reason,
    refs: r.refs,
    authority: r.authority,
    requested_by: r.requestedBy,
    occurred_at: r.occurredAt?.toISOString() ?? null,
    retention_policy_sha256: r.retentionPolicySha256,
  };
  return {
    // Run again (a purge stopped part-way), the first record under the id stands: not appended twice, not a conflict.
    ledger: { recordId: r.id, kind: "purge", payload: PurgeRecord.encode(r).finish(), firstWins: true },
    index: { ...blank(r.id, "purge", r.occurredAt ?? at, doc), legalBasis: r.authority, action: `purge ${reason} ×${r.refs.length}` },
  };
}
