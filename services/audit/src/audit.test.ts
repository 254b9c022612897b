import { AccessAction, AccessRecord, DecisionRecord, Outcome, View } from "@takitini/proto";
import { createLogger, createMetricsRegistry, decisionIdFor } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { buildApp } from "./app.js";
import { decodeAuditRecord, decodeDecision, toApi } from "./records.js";
import { MemoryAccessLog, MemoryDecisionStore } from "./store.js";

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

function filled(): MemoryDecisionStore {
  const store = new MemoryDecisionStore();
  for (const e of [EVENT_A, EVENT_B]) for (const s of ["customs", "mbie", "msd", "community-eastern", "public"]) store.append(decision(e, s, s === "customs"));
  return store;
}

describe("store", () => {
  it("appends idempotently per record id", () => {
    const store = new MemoryDecisionStore();
    expect(store.append(decision(EVENT_A, "customs", true))).toBe(true);
    expect(store.append(decision(EVENT_A, "customs", true))).toBe(false);
    expect(store.size()).toBe(1);
  });
  it("filters by event, subscriber and outcome", () => {
    const store = filled();
    expect(store.query({ eventId: EVENT_A, limit: 100 }).decisions).toHaveLength(5);
    expect(store.query({ subscriberId: "customs", limit: 100 }).decisions.map((d) => d.eventId)).toEqual([EVENT_A, EVENT_B]);
    expect(store.query({ eventId: EVENT_B, outcome: "allow", limit: 100 }).decisions.map((d) => d.subscriberId)).toEqual(["customs"]);
    expect(store.query({ outcome: "deny", limit: 100 }).decisions).toHaveLength(8);
  });
  it("pages with a cursor, without gaps or repeats", () => {
    const store = filled();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = store.query({ limit: 3, cursor });
      seen.push(...page.decisions.map((d) => d.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(10);
  });
});

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
});

describe("GET /v1/decisions", () => {
  const app = buildApp({ logger: createLogger("t", "silent"), metrics: createMetricsRegistry("t"), store: filled(), access: new MemoryAccessLog(), readiness: [] });
  it("answers a filtered page", async () => {
    const res = await app.inject({ url: `/v1/decisions?event_id=${EVENT_A}&subscriber_id=customs` });
    expect(res.statusCode).toBe(200);
    expect(res.json().decisions).toHaveLength(1);
    expect(res.json().decisions[0].legal_basis).toBe("");
  });
  it.each([
    ["event_id=not-a-uuid", "event_id"],
    ["limit=0", "limit"],
    ["limit=abc", "limit"],
    ["subscriber_id=DROP%20TABLE", "subscriber_id"],
    ["colour=blue", "colour"],
    ["cursor=bm9wZQ", "cursor"],
  ])("rejects %s with the field path", async (qs, path) => {
    const res = await app.inject({ url: `/v1/decisions?${qs}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("INVALID_QUERY");
    expect(res.json().error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });
  it("fetches one decision by id, 404 for an unknown one", async () => {
    const id = decisionIdFor(EVENT_A, "msd");
    expect((await app.inject({ url: `/v1/decisions/${id}` })).json().subscriber_id).toBe("msd");
    expect((await app.inject({ url: `/v1/decisions/${decisionIdFor(EVENT_A, "nobody")}` })).statusCode).toBe(404);
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
    expect(r).toEqual({ ok: false, reason: "INVALID_ACCESS: missing event_id, decision_id" });
    const denied = access("a3", AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED, "customs", { requestedSubscriberId: "police" });
    expect(decodeAuditRecord(bytes(denied), accessHeaders)).toEqual({ ok: false, reason: "INVALID_ACCESS: missing reason" });
    expect(decodeAuditRecord(Buffer.from([0xff, 0x01]), accessHeaders).ok).toBe(false);
  });

  it("are listed by subscriber, also under the stream a refused request asked for", async () => {
    const log = new MemoryAccessLog();
    expect(log.append(access("g1", AccessAction.ACCESS_ACTION_SUBSCRIBE_GRANTED, "customs"))).toBe(true);
    expect(log.append(access("g1", AccessAction.ACCESS_ACTION_SUBSCRIBE_GRANTED, "customs"))).toBe(false);
    log.append(access("d1", AccessAction.ACCESS_ACTION_DELIVERED, "customs", { eventId: EVENT_A, decisionId: decisionIdFor(EVENT_A, "customs"), deliveryTopic: "takitini.deliver.customs.v1", deliveryOffset: "7" }));
    log.append(access("x1", AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED, "customs", { requestedSubscriberId: "police", reason: "NOT_YOUR_STREAM" }));
    const app = buildApp({ logger: createLogger("t", "silent"), metrics: createMetricsRegistry("t"), store: new MemoryDecisionStore(), access: log, readiness: [] });
    const police = (await app.inject({ url: "/v1/access?subscriber_id=police" })).json();
    expect(police.access.map((a: { id: string; action: string }) => [a.id, a.action])).toEqual([["x1", "subscribe_denied"]]);
    const delivered = (await app.inject({ url: `/v1/access?subscriber_id=customs&action=delivered&event_id=${EVENT_A}` })).json();
    expect(delivered.access).toHaveLength(1);
    expect(delivered.access[0].delivery).toEqual({ topic: "takitini.deliver.customs.v1", partition: 0, offset: "7" });
    const first = (await app.inject({ url: "/v1/access?subscriber_id=customs&limit=2" })).json();
    expect(first.access.map((a: { id: string }) => a.id)).toEqual(["g1", "d1"]);
    const second = (await app.inject({ url: `/v1/access?subscriber_id=customs&limit=2&cursor=${first.next_cursor}` })).json();
    expect(second.access.map((a: { id: string }) => a.id)).toEqual(["x1"]);
    expect(second.next_cursor).toBeNull();
    const bad = await app.inject({ url: "/v1/access?action=peeked&limit=9999" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["action", "limit"]);
  });
});
