import { randomUUID } from "node:crypto";
import { AccessAction, AccessRecord, AUDIT_SCHEMA_VERSION } from "@takitini/proto";
import { HEADERS, PROTOBUF_CONTENT_TYPE } from "@takitini/runtime";
import type { Identity } from "./identity.js";

/**
 * Access records for the Subscribe door: one per grant, per denial and per view
 * handed over, written to the audit topic before the partner is given anything.
 * Pure builders; the id is a fresh UUID (a re-read is a second disclosure).
 */

/** The door, as recorded in AccessRecord.channel. */
export const CHANNEL = "grpc.subscribe";
/** `event-type` header of access records on the audit topic. */
export const ACCESS_EVENT_TYPE = "audit.access";
/** A request field echoed into the audit is cut to this length (it is the client's to choose). */
const MAX_ECHO = 200;

export interface Session {
  /** Per-stream id tying the grant and its deliveries together. */
  sessionId: string;
}

export function accessGranted(session: Session, identity: Identity, now: Date): AccessRecord {
  return AccessRecord.fromPartial({
    id: randomUUID(),
    action: AccessAction.ACCESS_ACTION_SUBSCRIBE_GRANTED,
    subscriberId: identity.subscriberId,
    requestedSubscriberId: identity.subscriberId,
    channel: CHANNEL,
    certificateSha256: identity.certificateSha256,
    sessionId: session.sessionId,
    occurredAt: now,
  });
}

/**
 * A refused request. `subscriberId` is the certificate's identity when it had one
 * (empty when there was none to take); `requested` is what the client asked for.
 */
export function accessDenied(
  session: Session,
  who: { subscriberId: string; certificateSha256: string },
  requested: string,
  reason: string,
  now: Date,
): AccessRecord {
  return AccessRecord.fromPartial({
    id: randomUUID(),
    action: AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED,
    subscriberId: who.subscriberId,
    requestedSubscriberId: requested.slice(0, MAX_ECHO),
    channel: CHANNEL,
    certificateSha256: who.certificateSha256,
    reason,
    sessionId: session.sessionId,
    occurredAt: now,
  });
}

export interface DeliveredView {
  eventId: string;
  decisionId: string;
  topic: string;
  partition: number;
  offset: string;
  /** Trace id of the request that published the event; empty if the delivery carried none. */
  traceId: string;
}

export function accessDelivered(session: Session, identity: Identity, view: DeliveredView, now: Date): AccessRecord {
  return AccessRecord.fromPartial({
    id: randomUUID(),
    action: AccessAction.ACCESS_ACTION_DELIVERED,
    subscriberId: identity.subscriberId,
    requestedSubscriberId: identity.subscriberId,
    channel: CHANNEL,
    certificateSha256: identity.certificateSha256,
    eventId: view.eventId,
    decisionId: view.decisionId,
    deliveryTopic: view.topic,
    deliveryPartition: view.partition,
    deliveryOffset: view.offset,
    sessionId: session.sessionId,
    occurredAt: now,
    traceId: view.traceId,
  });
}

export interface AuditMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * The Kafka message for an access record. Deliveries are keyed by event id (so
 * they share a partition with the event's decision records), grants and denials
 * by session.
 */
export function accessMessage(record: AccessRecord, traceparent: string | undefined): AuditMessage {
  const headers: Record<string, string> = {
    [HEADERS.EVENT_TYPE]: ACCESS_EVENT_TYPE,
    [HEADERS.SCHEMA_VERSION]: AUDIT_SCHEMA_VERSION,
    [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
  };
  if (traceparent) headers[HEADERS.TRACEPARENT] = traceparent;
  if (record.decisionId) headers[HEADERS.DECISION_ID] = record.decisionId;
  return {
    key: record.eventId || record.sessionId,
    value: Buffer.from(AccessRecord.encode(record).finish()),
    headers,
  };
}
