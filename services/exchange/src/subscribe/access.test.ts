import { AccessAction, AccessRecord } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { accessDelivered, accessDenied, accessGranted, accessMessage, ACCESS_EVENT_TYPE, CHANNEL } from "./access.js";
import { DENIAL } from "./identity.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const now = new Date("2026-03-01T02:03:04.005Z");
const session = { sessionId: "5d0f2f55-3c8e-4b8e-9a53-0a1f6f3b2c11" };
const customs = { subscriberId: "customs", certificateSha256: "ab".repeat(32) };
const view = {
  eventId: "6b0c1b4e-0d5e-4a57-9a0e-3c2f1d0e9b8a",
  decisionId: "0f4c9a51-1b2d-5e3f-8a7b-6c5d4e3f2a1b",
  topic: "takitini.deliver.customs.v1",
  partition: 2,
  offset: "41",
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
};

describe("access records", () => {
  it("records a grant with the certificate's identity, never a request field", () => {
    const r = accessGranted(session, customs, now);
    expect(r).toMatchObject({
      action: AccessAction.ACCESS_ACTION_SUBSCRIBE_GRANTED,
      subscriberId: "customs",
      requestedSubscriberId: "customs",
      channel: CHANNEL,
      certificateSha256: customs.certificateSha256,
      reason: "",
      eventId: "",
      sessionId: session.sessionId,
      occurredAt: now,
    });
    expect(r.id).toMatch(UUID);
  });

  it("records a denial with what was asked for and why", () => {
    const r = accessDenied(session, customs, "police", DENIAL.NOT_OWN_STREAM, now);
    expect(r).toMatchObject({
      action: AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED,
      subscriberId: "customs",
      requestedSubscriberId: "police",
      reason: "NOT_OWN_STREAM",
      certificateSha256: customs.certificateSha256,
      channel: CHANNEL,
    });
    const anonymous = accessDenied(session, { subscriberId: "", certificateSha256: "" }, "x".repeat(5000), DENIAL.NO_CLIENT_CERTIFICATE, now);
    expect(anonymous.subscriberId).toBe("");
    expect(anonymous.requestedSubscriberId).toHaveLength(200);
  });

  it("records each delivery with its event, decision, position and trace", () => {
    const r = accessDelivered(session, customs, view, now);
    expect(r).toMatchObject({
      action: AccessAction.ACCESS_ACTION_DELIVERED,
      subscriberId: "customs",
      requestedSubscriberId: "customs",
      eventId: view.eventId,
      decisionId: view.decisionId,
      deliveryTopic: view.topic,
      deliveryPartition: 2,
      deliveryOffset: "41",
      traceId: view.traceId,
      reason: "",
    });
  });

  it("gives every access its own id (a re-read is a second disclosure)", () => {
    const ids = new Set(Array.from({ length: 50 }, () => accessDelivered(session, customs, view, now).id));
    expect(ids.size).toBe(50);
  });

  it("writes protobuf with the audit headers, deliveries keyed by event and the rest by session", () => {
    const traceparent = `00-${view.traceId}-00f067aa0ba902b7-01`;
    const delivered = accessDelivered(session, customs, view, now);
    const m = accessMessage(delivered, traceparent);
    expect(m.key).toBe(view.eventId);
    expect(m.headers).toEqual({
      "event-type": ACCESS_EVENT_TYPE,
      "schema-version": "takitini.audit.v1",
      "content-type": "application/x-protobuf",
      traceparent,
      "decision-id": view.decisionId,
    });
    expect(AccessRecord.decode(m.value)).toEqual(delivered);

    const grant = accessMessage(accessGranted(session, customs, now), undefined);
    expect(grant.key).toBe(session.sessionId);
    expect(grant.headers).not.toHaveProperty("traceparent");
    expect(grant.headers).not.toHaveProperty("decision-id");
  });
});
