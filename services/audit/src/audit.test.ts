import { AccessAction, AccessRecord, DecisionRecord, Outcome, View } from "@takitini/proto";
import { decisionIdFor } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { decodeAuditRecord, decodeDecision, toApi } from "./records.js";

const EVENT_A = "0b8a4f4e-6f0e-5c1a-9d0e-1f2a3b4c5d6e";
const EVENT_B = "1c9b5a5f-7a1f-5d2b-8e1f-2a3b4c5d6e7f";

function decision(eventId: string, subscriberId: string, allow: boolean): DecisionRecord {
  return DecisionRecord.fromPartial({
    id: decisionIdFor(eventId, subscriberId),
    eventId,
    subscriberId,
    outcome: allow ? Outcome.OUTCOME_ALLOW : Outcome.OUTCOME_DENY,
    view: allow ? View.VIEW_FULL : View.VIEW_NONE,
    reasons: [allow ? "sharing.customs_police_drug_supply" : "sharing.default_deny"],
    policyRevision: "rev1",
    decidedAt: new Date("2026-11-20T00:00:00Z"),
  });
}


describe("decision records from Kafka", () => {
  it("decodes a valid record", () => {
    const bytes = Buffer.from(DecisionRecord.encode(decision(EVENT_A, "customs", true)).finish());
    const r = decodeDecision(bytes, {});
    expect(r.ok && r.record.subscriberId).toBe("customs");
  });
  it.each([
    ["empty", Buffer.alloc(0), "EMPTY_VALUE"],
    ["garbage", Buffer.from([0xff, 0xff, 0xff, 0xff]), "DECODE_FAILED"],
    ["incomplete", Buffer.from(DecisionRecord.encode(DecisionRecord.fromPartial({ id: "x" })).finish()), "INVALID_DECISION"],
  ])("rejects %s records with a reason", (_n, bytes, reason) => {
    const r = decodeDecision(bytes, {});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason.startsWith(reason)).toBe(true);
  });
  it("renders the API form with bare codes", () => {
    const api = toApi(decision(EVENT_A, "customs", true));
    expect(api.outcome).toBe("allow");
    expect(api.view).toBe("full");
  });
  it("carries a community output's delivery id, the link from what a community reader holds to the decision, and no key without one", () => {
    const community = toApi({ ...decision(EVENT_A, "community-eastern", true), deliveryId: "0f3c2a9e-7b1d-4c8e-9a2f-5d6e7f8a9b0c" });
    expect(community).toMatchObject({ subscriber_id: "community-eastern", delivery_id: "0f3c2a9e-7b1d-4c8e-9a2f-5d6e7f8a9b0c" });
    expect(Object.keys(toApi(decision(EVENT_A, "customs", true)))).not.toContain("delivery_id");
    // The signed bytes hold it too.
    expect(DecisionRecord.decode(DecisionRecord.encode({ ...decision(EVENT_A, "community-eastern", true), deliveryId: "d-1" }).finish()).deliveryId).toBe("d-1");
  });
});

function access(id: string, action: AccessRecord["action"], subscriberId: string, extra: Partial<AccessRecord> = {}): AccessRecord {
  return AccessRecord.fromPartial({
    id,
    action,
    subscriberId,
    requestedSubscriberId: subscriberId,
    channel: "grpc.subscribe",
    sessionId: "s1",
    occurredAt: new Date("2026-11-20T00:00:00Z"),
    ...extra,
  });
}

const bytes = (r: AccessRecord) => Buffer.from(AccessRecord.encode(r).finish());

describe("access records on the audit topic", () => {
  const accessHeaders = { "event-type": "audit.access", "schema-version": "takitini.audit.v1" };

  it("are told from decisions by the event-type header", () => {
    const granted = access("a1", AccessAction.ACCESS_ACTION_SUBSCRIBE_GRANTED, "customs");
    const r = decodeAuditRecord(bytes(granted), accessHeaders);
    expect(r.ok && r.value.kind).toBe("access");
    const d = decodeAuditRecord(Buffer.from(DecisionRecord.encode(decision(EVENT_A, "customs", true)).finish()), { "event-type": "audit.decision" });
    expect(d.ok && d.value.kind).toBe("decision");
    // The exchange's first format had no header: still a decision.
    expect(decodeAuditRecord(Buffer.from(DecisionRecord.encode(decision(EVENT_A, "msd", false)).finish()), {}).ok).toBe(true);
  });

  it("refuse unknown record types and incomplete records, naming what is missing", () => {
    expect(decodeAuditRecord(Buffer.from([1]), { "event-type": "audit.gossip" })).toEqual({ ok: false, reason: "UNKNOWN_RECORD_TYPE: audit.gossip" });
    const delivered = access("a2", AccessAction.ACCESS_ACTION_DELIVERED, "customs");
    const r = decodeAuditRecord(bytes(delivered), accessHeaders);
    expect(r).toEqual({ ok: false, reason: "INVALID_ACCESS: missing decision_id" });
    const denied = access("a3", AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED, "customs", { requestedSubscriberId: "police" });
    expect(decodeAuditRecord(bytes(denied), accessHeaders)).toEqual({ ok: false, reason: "INVALID_ACCESS: missing reason" });
    expect(decodeAuditRecord(Buffer.from([0xff, 0x01]), accessHeaders).ok).toBe(false);
  });

  it("hold a view served abroad over TAXII to its legal basis and STIX ids, and a TAXII refusal to its reason and resource", () => {
    const served = access("t1", AccessAction.ACCESS_ACTION_DELIVERED, "aus-abf", { channel: "taxii.objects", decisionId: "d-1", eventId: EVENT_A });
    expect(decodeAuditRecord(bytes(served), accessHeaders)).toEqual({ ok: false, reason: "INVALID_ACCESS: missing legal_basis, stix_object_ids" });
    const complete = AccessRecord.fromPartial({ ...served, legalBasis: "Customs and Excise Act 2018, s 318", stixObjectIds: ["report--00000000-0000-5000-8000-000000000001"] });
    expect(decodeAuditRecord(bytes(complete), accessHeaders).ok).toBe(true);
    // A Subscribe delivery needs neither.
    expect(decodeAuditRecord(bytes(access("t2", AccessAction.ACCESS_ACTION_DELIVERED, "customs", { decisionId: "d-2" })), accessHeaders).ok).toBe(true);
    const refused = access("t3", AccessAction.ACCESS_ACTION_COLLECTION_DENIED, "aus-abf", { channel: "taxii.objects", requestedSubscriberId: "gbr-nca" });
    expect(decodeAuditRecord(bytes(refused), accessHeaders)).toEqual({ ok: false, reason: "INVALID_ACCESS: missing reason, resource" });
    expect(decodeAuditRecord(bytes(AccessRecord.fromPartial({ ...refused, reason: "NOT_OWN_COLLECTION", resource: "/api/collections/x/objects/" })), accessHeaders).ok).toBe(true);
  });

  it("hold a leader's submission to what it must name: the resource, the event it became, a refusal's reason", () => {
    const received = access("s1", AccessAction.ACCESS_ACTION_SUBMISSION_RECEIVED, "community-eastern", { channel: "briefing.http" });
    expect(decodeAuditRecord(bytes(received), accessHeaders)).toEqual({ ok: false, reason: "INVALID_ACCESS: missing resource, event_id" });
    const complete = { ...received, resource: "/v1/submissions#TK-7Q4M-2WXC", eventId: EVENT_A };
    expect(decodeAuditRecord(bytes(AccessRecord.fromPartial(complete)), accessHeaders).ok).toBe(true);
    const refused = access("s2", AccessAction.ACCESS_ACTION_SUBMISSION_DENIED, "community-eastern", { channel: "briefing.http", resource: "/v1/submissions" });
    expect(decodeAuditRecord(bytes(refused), accessHeaders)).toEqual({ ok: false, reason: "INVALID_ACCESS: missing reason" });
    expect(decodeAuditRecord(bytes(AccessRecord.fromPartial({ ...refused, reason: "REGION_OUT_OF_SCOPE" })), accessHeaders).ok).toBe(true);
  });


});
