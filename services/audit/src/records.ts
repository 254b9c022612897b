import { AccessAction, AccessRecord, AUDIT_SCHEMA_VERSION, DecisionRecord, RefusalRecord, RefusalSummary } from "@takitini/proto";
import { HEADERS, headerValue, REFUSAL_EVENT_TYPES } from "@takitini/runtime";
import type { IHeaders } from "kafkajs";

/** Decode and check a decision record from the audit topic. */
export function decodeDecision(value: Buffer | null, headers: IHeaders | undefined): { ok: true; record: DecisionRecord } | { ok: false; reason: string } {
  if (!value || value.length === 0) return { ok: false, reason: "EMPTY_VALUE" };
  const schema = headerValue(headers, HEADERS.SCHEMA_VERSION);
  if (schema !== undefined && schema !== AUDIT_SCHEMA_VERSION) return { ok: false, reason: `UNSUPPORTED_SCHEMA_VERSION: ${schema.slice(0, 100)}` };
  let record: DecisionRecord;
  try {
    record = DecisionRecord.decode(value);
  } catch (err) {
    return { ok: false, reason: `DECODE_FAILED: ${(err as Error).message.slice(0, 200)}` };
  }
  const missing: string[] = [];
  if (record.id === "") missing.push("id");
  if (record.eventId === "") missing.push("event_id");
  if (record.subscriberId === "") missing.push("subscriber_id");
  if (record.outcome === "OUTCOME_UNSPECIFIED") missing.push("outcome");
  if (record.policyRevision === "") missing.push("policy_revision");
  if (missing.length > 0) return { ok: false, reason: `INVALID_DECISION: missing ${missing.join(", ")}` };
  return { ok: true, record };
}

const code = (value: string, prefix: string) => (value.startsWith(prefix) ? value.slice(prefix.length) : value).toLowerCase();

/** The oversight API's JSON form of a decision record. */
export function toApi(r: DecisionRecord) {
  return {
    id: r.id,
    event_id: r.eventId,
    subscriber_id: r.subscriberId,
    source_agency: code(r.sourceAgency, "AGENCY_"),
    event_type: r.eventType,
    region: code(r.region, "POLICE_DISTRICT_"),
    outcome: code(r.outcome, "OUTCOME_"),
    view: code(r.view, "VIEW_"),
    redacted_paths: r.redactedPaths,
    reasons: r.reasons,
    legal_basis: r.legalBasis,
    policy_revision: r.policyRevision,
    decided_at: r.decidedAt?.toISOString() ?? null,
    delivery_topic: r.deliveryTopic,
    trace_id: r.traceId,
    subject_ids: r.subjectIds,
    source: { topic: r.sourceTopic, partition: r.sourcePartition, offset: r.sourceOffset },
    // A community output's random delivery id: the only link from what a community reader holds to this decision.
    // Absent when none (so records from before it keep their derived document).
    ...(r.deliveryId ? { delivery_id: r.deliveryId } : {}),
  };
}

/** The `event-type` header values the audit's topics carry. */
export const AUDIT_RECORD_TYPES = { DECISION: "audit.decision", ACCESS: "audit.access", REFUSAL: REFUSAL_EVENT_TYPES.REFUSAL, REFUSAL_SUMMARY: REFUSAL_EVENT_TYPES.SUMMARY } as const;

/** The access records' channel of the exchange's TAXII server (foreign partners). */
export const TAXII_CHANNEL = "taxii.objects";

/** Decode and check an access record (a partner's stream granted or refused, a delivery streamed). */
export function decodeAccess(value: Buffer | null, headers: IHeaders | undefined): { ok: true; record: AccessRecord } | { ok: false; reason: string } {
  if (!value || value.length === 0) return { ok: false, reason: "EMPTY_VALUE" };
  const schema = headerValue(headers, HEADERS.SCHEMA_VERSION);
  if (schema !== undefined && schema !== AUDIT_SCHEMA_VERSION) return { ok: false, reason: `UNSUPPORTED_SCHEMA_VERSION: ${schema.slice(0, 100)}` };
  let record: AccessRecord;
  try {
    record = AccessRecord.decode(value);
  } catch (err) {
    return { ok: false, reason: `DECODE_FAILED: ${(err as Error).message.slice(0, 200)}` };
  }
  const missing: string[] = [];
  if (record.id === "") missing.push("id");
  if (record.action === AccessAction.ACCESS_ACTION_UNSPECIFIED) missing.push("action");
  if (record.channel === "") missing.push("channel");
  if (record.sessionId === "") missing.push("session_id");
  if (record.occurredAt === undefined) missing.push("occurred_at");
  const denied =
    record.action === AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED ||
    record.action === AccessAction.ACCESS_ACTION_BRIEFING_DENIED ||
    record.action === AccessAction.ACCESS_ACTION_SUBMISSION_DENIED ||
    record.action === AccessAction.ACCESS_ACTION_COLLECTION_DENIED;
  if (!denied && record.subscriberId === "") missing.push("subscriber_id");
  if (denied && record.reason === "") missing.push("reason");
  // A briefing served or refused, a leader's submission received or refused: what was asked for, always.
  const briefing = [
    AccessAction.ACCESS_ACTION_BRIEFING_VIEWED,
    AccessAction.ACCESS_ACTION_BRIEFING_DENIED,
    AccessAction.ACCESS_ACTION_SUBMISSION_RECEIVED,
    AccessAction.ACCESS_ACTION_SUBMISSION_DENIED,
  ].includes(record.action);
  if (briefing && record.resource === "") missing.push("resource");
  // A TAXII refusal names what was asked for; a view served over TAXII, the agreement's legal basis and the STIX objects.
  if (record.action === AccessAction.ACCESS_ACTION_COLLECTION_DENIED && record.resource === "") missing.push("resource");
  if (record.action === AccessAction.ACCESS_ACTION_DELIVERED && record.channel === TAXII_CHANNEL) {
    if (record.legalBasis === "") missing.push("legal_basis");
    if (record.stixObjectIds.length === 0) missing.push("stix_object_ids");
  }
  // A received submission names the event it was published as.
  if (record.action === AccessAction.ACCESS_ACTION_SUBMISSION_RECEIVED && record.eventId === "") missing.push("event_id");
  // A delivered aggregate view has no event id (its decision names the event).
  if (record.action === AccessAction.ACCESS_ACTION_DELIVERED && record.decisionId === "") missing.push("decision_id");
  if (missing.length > 0) return { ok: false, reason: `INVALID_ACCESS: missing ${missing.join(", ")}` };
  return { ok: true, record };
}

/** A service name as it names a principal ("police-adapter", "briefing"). */
const SERVICE = /^[a-z0-9][a-z0-9-]{0,63}$/;

function decodeAs<T>(value: Buffer | null, headers: IHeaders | undefined, decode: (b: Buffer) => T): { ok: true; record: T } | { ok: false; reason: string } {
  if (!value || value.length === 0) return { ok: false, reason: "EMPTY_VALUE" };
  const schema = headerValue(headers, HEADERS.SCHEMA_VERSION);
  if (schema !== undefined && schema !== AUDIT_SCHEMA_VERSION) return { ok: false, reason: `UNSUPPORTED_SCHEMA_VERSION: ${schema.slice(0, 100)}` };
  try {
    return { ok: true, record: decode(value) };
  } catch (err) {
    return { ok: false, reason: `DECODE_FAILED: ${(err as Error).message.slice(0, 200)}` };
  }
}

/** Which fields of a refusal are missing or out of bounds (bounded, so one record cannot bloat the ledger's index). */
function refusalProblems(r: { id: string; service: string; door: string; code: string }, more: [string, boolean][]): string[] {
  const bad: string[] = [];
  if (r.id === "" || r.id.length > 100) bad.push("id");
  if (!SERVICE.test(r.service)) bad.push("service");
  if (r.door === "" || r.door.length > 32) bad.push("door");
  if (r.code === "" || r.code.length > 64) bad.push("code");
  for (const [field, wrong] of more) if (wrong) bad.push(field);
  return bad;
}

/** Decode and check one refusal of an identified caller (an adapter's, the briefing's). */
export function decodeRefusal(value: Buffer | null, headers: IHeaders | undefined): { ok: true; record: RefusalRecord } | { ok: false; reason: string } {
  const d = decodeAs(value, headers, (b) => RefusalRecord.decode(b));
  if (!d.ok) return d;
  const r = d.record;
  const bad = refusalProblems(r, [
    ["occurred_at", r.occurredAt === undefined || Number.isNaN(r.occurredAt.getTime())],
    ["principal", r.principal.length > 300],
    ["record_type", r.recordType.length > 100],
    ["route", r.route.length > 200],
    ["event_id", r.eventId.length > 100],
    ["field_paths", r.fieldPaths.length > 100 || r.fieldPaths.some((p) => p.length > 200)],
    ["trace_id", r.traceId.length > 64],
  ]);
  if (bad.length > 0) return { ok: false, reason: `INVALID_REFUSAL: missing or out of bounds ${bad.join(", ")}` };
  return { ok: true, record: r };
}

/** Decode and check a window's summary of unauthenticated refusals. */
export function decodeRefusalSummary(value: Buffer | null, headers: IHeaders | undefined): { ok: true; record: RefusalSummary } | { ok: false; reason: string } {
  const d = decodeAs(value, headers, (b) => RefusalSummary.decode(b));
  if (!d.ok) return d;
  const s = d.record;
  const start = s.windowStart?.getTime() ?? Number.NaN;
  const end = s.windowEnd?.getTime() ?? Number.NaN;
  const bad = refusalProblems(s, [
    ["route", s.route === "" || s.route.length > 200],
    ["window_start", Number.isNaN(start)],
    ["window_end", Number.isNaN(end) || end < start],
    ["count", s.count < 1],
    ["distinct_addresses", s.distinctAddresses > s.count],
  ]);
  if (bad.length > 0) return { ok: false, reason: `INVALID_REFUSAL_SUMMARY: missing or out of bounds ${bad.join(", ")}` };
  return { ok: true, record: s };
}

export type AuditRecord =
  | { kind: "decision"; record: DecisionRecord }
  | { kind: "access"; record: AccessRecord }
  | { kind: "refusal"; record: RefusalRecord }
  | { kind: "refusal_summary"; record: RefusalSummary };

/**
 * Decode whatever the audit's topics carry, by its `event-type` header. A record
 * without the header is a decision (the exchange's first format); an unknown
 * type is an error, so it is dead-lettered rather than misread. Which kinds a
 * topic may carry is the ingest's business (ingest.ts).
 */
export function decodeAuditRecord(value: Buffer | null, headers: IHeaders | undefined): { ok: true; value: AuditRecord } | { ok: false; reason: string } {
  const type = headerValue(headers, HEADERS.EVENT_TYPE);
  if (type === undefined || type === AUDIT_RECORD_TYPES.DECISION) {
    const d = decodeDecision(value, headers);
    return d.ok ? { ok: true, value: { kind: "decision", record: d.record } } : d;
  }
  if (type === AUDIT_RECORD_TYPES.ACCESS) {
    const a = decodeAccess(value, headers);
    return a.ok ? { ok: true, value: { kind: "access", record: a.record } } : a;
  }
  if (type === AUDIT_RECORD_TYPES.REFUSAL) {
    const r = decodeRefusal(value, headers);
    return r.ok ? { ok: true, value: { kind: "refusal", record: r.record } } : r;
  }
  if (type === AUDIT_RECORD_TYPES.REFUSAL_SUMMARY) {
    const r = decodeRefusalSummary(value, headers);
    return r.ok ? { ok: true, value: { kind: "refusal_summary", record: r.record } } : r;
  }
  return { ok: false, reason: `UNKNOWN_RECORD_TYPE: ${type.slice(0, 100)}` };
}

/** The oversight API's JSON form of an access record. */
export function accessToApi(r: AccessRecord) {
  return {
    id: r.id,
    action: code(r.action, "ACCESS_ACTION_"),
    subscriber_id: r.subscriberId,
    requested_subscriber_id: r.requestedSubscriberId,
    channel: r.channel,
    certificate_sha256: r.certificateSha256,
    reason: r.reason,
    event_id: r.eventId,
    decision_id: r.decisionId,
    delivery: r.deliveryTopic === "" ? null : { topic: r.deliveryTopic, partition: r.deliveryPartition, offset: r.deliveryOffset },
    session_id: r.sessionId,
    occurred_at: r.occurredAt?.toISOString() ?? null,
    trace_id: r.traceId,
    resource: r.resource,
    regions: r.regions,
    legal_basis: r.legalBasis,
    stix_object_ids: r.stixObjectIds,
  };
}

/** The oversight API's JSON form of a refusal of an identified caller. */
export function refusalToApi(r: RefusalRecord) {
  return {
    id: r.id,
    service: r.service,
    door: r.door,
    code: r.code,
    principal: r.principal,
    record_type: r.recordType,
    route: r.route,
    event_id: r.eventId,
    field_paths: r.fieldPaths,
    status: r.status,
    occurred_at: r.occurredAt?.toISOString() ?? null,
    trace_id: r.traceId,
  };
}

/** The oversight API's JSON form of a window's summary of unauthenticated refusals. */
export function refusalSummaryToApi(s: RefusalSummary) {
  return {
    id: s.id,
    service: s.service,
    door: s.door,
    code: s.code,
    route: s.route,
    window_start: s.windowStart?.toISOString() ?? null,
    window_end: s.windowEnd?.toISOString() ?? null,
    count: s.count,
    distinct_addresses: s.distinctAddresses,
    distinct_addresses_capped: s.distinctAddressesCapped,
  };
}
