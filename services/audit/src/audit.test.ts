import { DecisionRecord, Outcome, View } from "@takitini/proto";
import { createLogger, createMetricsRegistry, decisionIdFor } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { buildApp } from "./app.js";
import { decodeDecision, toApi } from "./records.js";
import { MemoryDecisionStore } from "./store.js";

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
  const app = buildApp({ logger: createLogger("t", "silent"), metrics: createMetricsRegistry("t"), store: filled(), readiness: [] });
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
