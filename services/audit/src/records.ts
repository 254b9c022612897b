import { AccessAction, AccessRecord, AUDIT_SCHEMA_VERSION, DecisionRecord } from "@takitini/proto";
import { HEADERS, headerValue } from "@takitini/runtime";
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
  };
}

/** The `event-type` header values the audit topic carries. */
export const AUDIT_RECORD_TYPES = { DECISION: "audit.decision", ACCESS: "audit.access" } as const;

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
  const denied = record.action === AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED || record.action === AccessAction.ACCESS_ACTION_BRIEFING_DENIED;
  if (!denied && record.subscriberId === "") missing.push("subscriber_id");
  if (denied && record.reason === "") missing.push("reason");
  const briefing = record.action === AccessAction.ACCESS_ACTION_BRIEFING_VIEWED || record.action === AccessAction.ACCESS_ACTION_BRIEFING_DENIED;
  if (briefing && record.resource === "") missing.push("resource");
  // A delivered aggregate view has no event id (its decision names the event).
  if (record.action === AccessAction.ACCESS_ACTION_DELIVERED && record.decisionId === "") missing.push("decision_id");
  if (missing.length > 0) return { ok: false, reason: `INVALID_ACCESS: missing ${missing.join(", ")}` };
  return { ok: true, record };
}

export type AuditRecord = { kind: "decision"; record: DecisionRecord } | { kind: "access"; record: AccessRecord };

/**
 * Decode whatever the audit topic carries, by its `event-type` header. A record
 * without the header is a decision (the exchange's first format); an unknown
 * type is an error, so it is dead-lettered rather than misread.
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
  };
}
