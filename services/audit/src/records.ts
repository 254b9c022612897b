import { AUDIT_SCHEMA_VERSION, DecisionRecord } from "@takitini/proto";
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
