import { AggregateView, IntelligenceEvent, NoticeCause, RecordRecipients, WithdrawalReason } from "@takitini/proto";
import type { Subscriber } from "@takitini/policies";
import { describe, expect, it } from "vitest";
import { fullEvent } from "../events.fixture.js";
import { planRecord, type Decide } from "../plan.js";
import { prepareDelivery, type DeliveryRecord } from "./delivery.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const customs = { id: "customs", delivery_topic: "takitini.deliver.customs.v1" } as Subscriber;
const allowFull: Decide = () => ({ allow: true, view: "full", redact: [], reasons: ["sharing.x"], legal_basis: "basis", policy_revision: "rev-1" });
const allowRedacted: Decide = () => ({ allow: true, view: "redacted", redact: ["subjects"], reasons: ["sharing.y"], legal_basis: "basis", policy_revision: "rev-2" });

/** What the exchange itself writes to a partner's topic (plan.ts), as a consumer reads it back. */
function delivered(decide: Decide, traceparent?: string): DeliveryRecord {
  const event = fullEvent("police.organised_crime_noting");
  const headers = traceparent ? { traceparent: Buffer.from(traceparent) } : {};
  const plan = planRecord(
    { topic: "takitini.intel.police.v1", partition: 0, offset: "7", key: Buffer.from(event.id), value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers },
    [customs],
    decide,
    { auditTopic: "takitini.audit.decisions.v1", deadLetterTopic: "takitini.deadletter.v1", policyRevision: "rev", now: new Date(), consumer: "test" },
  );
  if (plan.kind !== "disseminate") throw new Error("expected a dissemination");
  const m = plan.messages.find((x) => x.topic === customs.delivery_topic)!;
  return {
    topic: m.topic,
    partition: 1,
    offset: "12",
    value: m.value,
    headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)])),
  };
}

describe("a delivery record becomes a Subscribe response", () => {
  it("carries the view, decision, revision and the publisher's trace continued", () => {
    const record = delivered(allowFull, `00-${TRACE}-00f067aa0ba902b7-01`);
    const p = prepareDelivery(record);
    if (!p.ok) throw new Error(p.reason);
    expect(p.response.event?.id).toBe("6b0c1a2e-1111-5000-8000-000000000001");
    expect(p.response.event?.sourceRecordId).toBe("NIC-2026-004217");
    expect(p.response.view).toBe("full");
    expect(p.response.policyRevision).toBe("rev-1");
    expect(p.response.decisionId).toBe(record.headers!["decision-id"]!.toString());
    expect(p.response.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    // A new span for this hop: neither the exchange's nor the publisher's.
    expect(p.response.traceparent).not.toBe(record.headers!.traceparent!.toString());
    expect(p.trace.traceparent).toBe(p.response.traceparent);
    expect(p.view).toEqual({
      eventId: "6b0c1a2e-1111-5000-8000-000000000001",
      decisionId: p.response.decisionId,
      topic: "takitini.deliver.customs.v1",
      partition: 1,
      offset: "12",
      traceId: TRACE,
    });
  });

  it("hands over a redacted view as written, with its view name", () => {
    const p = prepareDelivery(delivered(allowRedacted, `00-${TRACE}-00f067aa0ba902b7-01`));
    if (!p.ok) throw new Error(p.reason);
    expect(p.response.view).toBe("redacted");
    expect(p.response.policyRevision).toBe("rev-2");
    expect(p.response.event?.subjects).toEqual([]);
    const full = prepareDelivery(delivered(allowFull));
    expect(full.ok && full.response.event?.subjects.length).toBeGreaterThan(0);
  });

  it("records no publisher trace id when the delivery carried none", () => {
    const record = delivered(allowFull);
    delete record.headers!.traceparent;
    const p = prepareDelivery(record);
    if (!p.ok) throw new Error(p.reason);
    expect(p.view.traceId).toBe("");
    expect(p.response.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it.each([
    ["an empty value", (r: DeliveryRecord) => ({ ...r, value: Buffer.alloc(0) }), "EMPTY_VALUE"],
    ["another schema version", (r: DeliveryRecord) => ({ ...r, headers: { ...r.headers, "schema-version": Buffer.from("takitini.intel.v9") } }), "UNSUPPORTED_SCHEMA_VERSION"],
    ["no decision id", (r: DeliveryRecord) => ({ ...r, headers: { ...r.headers, "decision-id": Buffer.from("") } }), "NO_DECISION_ID"],
    ["an aggregate-only view", (r: DeliveryRecord) => ({ ...r, headers: { ...r.headers, view: Buffer.from("aggregate_only") } }), "UNEXPECTED_VIEW"],
    ["bytes that are no event", (r: DeliveryRecord) => ({ ...r, value: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]) }), "DECODE_FAILED"],
    ["an event without an id", (r: DeliveryRecord) => ({ ...r, value: Buffer.from(IntelligenceEvent.encode(IntelligenceEvent.fromPartial({ eventType: "x" })).finish()) }), "NO_EVENT_ID"],
  ])("never hands over %s", (_what, spoil, reason) => {
    expect(prepareDelivery(spoil(delivered(allowFull)))).toEqual({ ok: false, reason });
  });
});

describe("aggregate views on a partner's topic", () => {
  it("are handed over as AggregateView, never as an event, and their access record names the decision", () => {
    const event = fullEvent("police.wastewater_indicator");
    const plan = planRecord(
      { topic: "takitini.intel.police.v1", partition: 0, offset: "5", key: null, value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: {} },
      [{ id: "msd", tier: "partner_agency", delivery_topic: "takitini.deliver.msd.v1" } as never],
      () => ({ allow: true, view: "aggregate_only", redact: [], reasons: ["r"], legal_basis: "b", policy_revision: "rev" }),
      { auditTopic: "a", deadLetterTopic: "d", policyRevision: "rev", now: new Date(), consumer: "g" },
    );
    if (plan.kind !== "disseminate") throw new Error("expected dissemination");
    const m = plan.messages.find((x) => x.topic === "takitini.deliver.msd.v1")!;
    const prepared = prepareDelivery({ topic: m.topic, partition: 0, offset: "9", value: m.value, headers: m.headers });
    if (!prepared.ok) throw new Error(prepared.reason);
    expect(prepared.response.event).toBeUndefined();
    expect(AggregateView.toJSON(prepared.response.aggregate!)).toMatchObject({ eventType: "police.wastewater_indicator" });
    expect(prepared.response.view).toBe("aggregate_only");
    expect(prepared.view).toMatchObject({ eventId: "", decisionId: m.headers["decision-id"] });
    // An aggregate view whose header claims a raw view is refused, and vice versa.
    expect(prepareDelivery({ topic: m.topic, partition: 0, offset: "9", value: m.value, headers: { ...m.headers, view: "full" } })).toEqual({ ok: false, reason: "UNEXPECTED_VIEW" });
  });
});

describe("withdrawal notices on a partner's topic", () => {
  it("are handed over as WithdrawalNotice, no content, with the delivery id the decision record names", () => {
    const original = fullEvent("police.organised_crime_noting");
    const withdrawal = IntelligenceEvent.fromPartial({
      id: "6b0c1a2e-1111-5000-8000-0000000000ff",
      sourceAgency: original.sourceAgency,
      eventType: "record.withdrawal",
      classification: original.classification,
      originalEventId: original.id,
      payload: { $case: "recordWithdrawal", value: { withdrawnEventId: original.id, reason: WithdrawalReason.WITHDRAWAL_REASON_ENTERED_IN_ERROR, explanation: "" } },
    });
    const held = RecordRecipients.fromPartial({ latestEventId: original.id, eventType: original.eventType, partners: [{ subscriberId: "customs", eventId: original.id }] });
    const plan = planRecord(
      { topic: "takitini.intel.police.v1", partition: 0, offset: "8", key: null, value: Buffer.from(IntelligenceEvent.encode(withdrawal).finish()), headers: {} },
      [{ ...customs, tier: "partner_agency" }],
      () => {
        throw new Error("a withdrawal is not the policy's to decide");
      },
      { auditTopic: "a", deadLetterTopic: "d", policyRevision: "rev", now: new Date(), consumer: "g", recipients: () => held },
    );
    if (plan.kind !== "disseminate") throw new Error("expected dissemination");
    const m = plan.messages.find((x) => x.topic === customs.delivery_topic)!;
    const prepared = prepareDelivery({ topic: m.topic, partition: 0, offset: "9", value: m.value, headers: m.headers });
    if (!prepared.ok) throw new Error(prepared.reason);
    expect(prepared.response.event).toBeUndefined();
    expect(prepared.response.withdrawalNotice).toMatchObject({ eventId: original.id, cause: NoticeCause.NOTICE_CAUSE_WITHDRAWN, reason: WithdrawalReason.WITHDRAWAL_REASON_ENTERED_IN_ERROR });
    expect(prepared.response.view).toBe("none");
    expect(prepared.response.withdrawalNotice!.deliveryId).toBe(plan.decisions[0]!.deliveryId);
    // A notice whose delivery id differs from its header's, or that claims a raw view, is refused.
    expect(prepareDelivery({ topic: m.topic, partition: 0, offset: "9", value: m.value, headers: { ...m.headers, "delivery-id": "x" } })).toEqual({ ok: false, reason: "DELIVERY_MISMATCH" });
    expect(prepareDelivery({ topic: m.topic, partition: 0, offset: "9", value: m.value, headers: { ...m.headers, view: "full" } })).toEqual({ ok: false, reason: "UNEXPECTED_VIEW" });
  });
});

describe("support notices on a partner's topic", () => {
  it("are handed over as SupportNotice, never decoded as an event, with the delivery id the decision record names", () => {
    const msd = { id: "msd", tier: "partner_agency", agency: "MSD", delivery_topic: "takitini.deliver.msd.v1", agreements: [{ id: "msd-police-support-advance-notice", rule: "sharing.x", event_types: ["police.support_advance_notice"] }] } as unknown as Subscriber;
    const notice = fullEvent("police.support_advance_notice", { operationRef: "", subjects: [] });
    const plan = planRecord(
      { topic: "takitini.intel.police.v1", partition: 0, offset: "8", key: null, value: Buffer.from(IntelligenceEvent.encode(notice).finish()), headers: {} },
      [msd],
      () => ({ allow: true, view: "redacted", redact: ["source_record_id"], reasons: ["sharing.x"], legal_basis: "b", policy_revision: "rev" }),
      { auditTopic: "a", deadLetterTopic: "d", policyRevision: "rev", now: new Date(), consumer: "g" },
    );
    if (plan.kind !== "disseminate") throw new Error("expected dissemination");
    const m = plan.messages.find((x) => x.topic === msd.delivery_topic)!;
    const prepared = prepareDelivery({ topic: m.topic, partition: 0, offset: "9", value: m.value, headers: m.headers });
    if (!prepared.ok) throw new Error(prepared.reason);
    expect(prepared.response.event).toBeUndefined();
    expect(prepared.response.supportNotice).toMatchObject({ eventType: "police.support_advance_notice", week: "2026-W48", agreementId: "msd-police-support-advance-notice" });
    expect(prepared.response.supportNotice!.deliveryId).toBe(plan.decisions[0]!.deliveryId);
    expect([prepared.response.view, prepared.view.eventId, prepared.view.decisionId]).toEqual(["redacted", "", plan.decisions[0]!.id]);
    expect(prepareDelivery({ topic: m.topic, partition: 0, offset: "9", value: m.value, headers: { ...m.headers, "delivery-id": "x" } })).toEqual({ ok: false, reason: "DELIVERY_MISMATCH" });
    expect(prepareDelivery({ topic: m.topic, partition: 0, offset: "9", value: m.value, headers: { ...m.headers, view: "full" } })).toEqual({ ok: false, reason: "UNEXPECTED_VIEW" });
  });
});
