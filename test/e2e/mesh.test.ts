import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { IntelligenceEvent } from "@takitini/proto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { client, header, readTopic } from "./kafka.js";
import { oversightHeaders, startMesh } from "./stack.js";

const example = JSON.parse(
  readFileSync(new URL("../../services/police-adapter/examples/noting.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

interface ApiDecision {
  id: string;
  event_id: string;
  subscriber_id: string;
  outcome: string;
  view: string;
  reasons: string[];
  legal_basis: string;
  policy_revision: string;
  delivery_topic: string;
  trace_id: string;
}

const brokers = inject("brokers");
const kafka = client(brokers);
let mesh: Awaited<ReturnType<typeof startMesh>>;
let subscribers: { id: string; tier: string; delivery_topic: string }[];

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${mesh.adapter.url}/v1/reports`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
}

async function decisionsFor(eventId: string, expected: number): Promise<ApiDecision[]> {
  const deadline = Date.now() + 60_000;
  let got: ApiDecision[] = [];
  while (Date.now() < deadline) {
    const res = await fetch(`${mesh.audit.url}/v1/decisions?event_id=${eventId}&limit=500`, { headers: oversightHeaders });
    got = ((await res.json()) as { decisions: ApiDecision[] }).decisions;
    if (got.length >= expected) return got;
    await new Promise((r) => setTimeout(r, 200));
  }
  return got;
}

beforeAll(async () => {
  mesh = await startMesh(brokers, inject("databaseUrl"));
  subscribers = ((await (await fetch(`${mesh.exchange.url}/v1/policy`)).json()) as { subscribers: typeof subscribers }).subscribers;
});

afterAll(async () => {
  if (!mesh) return;
  // Graceful shutdown: every service exits 0 on SIGTERM (producer flushed, group left).
  const codes = await Promise.all(mesh.all.map((s) => s.stop("SIGTERM")));
  expect(codes).toEqual([0, 0, 0]);
});

describe("a Police report crosses the mesh on a real broker", () => {
  const notingId = `NIC-E2E-${randomUUID().slice(0, 8)}`;
  const traceId = randomUUID().replaceAll("-", "");
  let accepted: Record<string, any>;

  beforeAll(async () => {
    const res = await post({ ...example, noting_id: notingId }, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(res.status).toBe(202);
    accepted = res.body;
  });

  it("has subscribers of every tier registered from policy data", () => {
    expect(subscribers.map((s) => s.id)).toEqual(expect.arrayContaining(["customs", "community-eastern", "public"]));
  });

  it("delivers the full noting to Customs, with the trace carried through", async () => {
    const customs = subscribers.find((s) => s.id === "customs")!;
    const seen = await readTopic(kafka, customs.delivery_topic, { until: (s) => s.message.key?.toString() === accepted.event_id });
    const mine = seen.filter((s) => s.message.key?.toString() === accepted.event_id);
    expect(mine).toHaveLength(1);
    const event = IntelligenceEvent.decode(mine[0]!.message.value!);
    expect(event.id).toBe(accepted.event_id);
    expect(event.sourceRecordId).toBe(notingId);
    expect(event.payload?.$case === "policeNoting" && event.payload.value.locality).toBe("Ōpōtiki");
    expect(header(mine[0]!.message, "view")).toBe("full");
    expect(header(mine[0]!.message, "schema-version")).toBe("takitini.intel.v1");
    expect(header(mine[0]!.message, "traceparent")).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it("holds exactly one decision per (event, subscriber) in the audit, allow and deny", async () => {
    const decisions = await decisionsFor(accepted.event_id, subscribers.length);
    // Wait a little longer: a duplicate would arrive now, not never.
    await new Promise((r) => setTimeout(r, 1500));
    const again = await decisionsFor(accepted.event_id, subscribers.length);
    expect(again).toHaveLength(subscribers.length);
    expect(new Set(decisions.map((d) => d.subscriber_id))).toEqual(new Set(subscribers.map((s) => s.id)));
    const customs = decisions.find((d) => d.subscriber_id === "customs")!;
    expect(customs.outcome).toBe("allow");
    expect(customs.legal_basis).not.toBe("");
    expect(customs.policy_revision).toMatch(/^[0-9a-f]{8,}$/);
    expect(customs.trace_id).toBe(traceId);
    for (const d of decisions.filter((d) => d.subscriber_id !== "customs")) {
      expect(d.outcome).toBe("deny");
      expect(d.delivery_topic).toBe("");
      expect(d.reasons.length).toBeGreaterThan(0);
    }
  });

  it("gives community tiers nothing raw", async () => {
    await decisionsFor(accepted.event_id, subscribers.length); // same transaction as any delivery
    const community = subscribers.filter((s) => s.tier === "community_leader" || s.tier === "public");
    expect(community.length).toBeGreaterThan(0);
    for (const s of community) {
      const seen = await readTopic(kafka, s.delivery_topic, { idleMs: 2500 });
      expect(seen.filter((m) => m.message.key?.toString() === accepted.event_id)).toEqual([]);
    }
  });
});

describe("bad input", () => {
  it("rejects an invalid report with field paths and publishes nothing", async () => {
    const notingId = `NIC-BAD-${randomUUID().slice(0, 8)}`;
    const res = await post({ ...example, noting_id: notingId, district: "Atlantis", grading: { source: "Z", information: 2 }, extra_field: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["district", "extra_field", "grading.source"]);
    const police = await readTopic(kafka, "takitini.intel.police.v1", { idleMs: 2500 });
    const ids = police.map((m) => IntelligenceEvent.decode(m.message.value!).sourceRecordId);
    expect(ids).not.toContain(notingId);
  });

  it("dead-letters an undecodable record with the reason, and carries on", async () => {
    const producer = kafka.producer();
    await producer.connect();
    const [meta] = await producer.send({
      topic: "takitini.intel.police.v1",
      acks: -1,
      messages: [{ key: "garbage", value: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]) }],
    });
    await producer.disconnect();
    const dlq = await readTopic(kafka, "takitini.deadletter.v1", {
      until: (s) => header(s.message, "dlq-source-offset") === meta!.baseOffset && header(s.message, "dlq-source-partition") === String(meta!.partition),
    });
    const mine = dlq.find((s) => header(s.message, "dlq-source-offset") === meta!.baseOffset && header(s.message, "dlq-source-partition") === String(meta!.partition));
    expect(mine).toBeDefined();
    expect(header(mine!.message, "dlq-reason")).toMatch(/^DECODE_FAILED/);
    expect(header(mine!.message, "dlq-source-topic")).toBe("takitini.intel.police.v1");

    // The exchange is still consuming: a valid report after the garbage is decided for everyone.
    const next = await post({ ...example, noting_id: `NIC-AFTER-${randomUUID().slice(0, 8)}` });
    expect(next.status).toBe(202);
    expect(await decisionsFor(next.body.event_id, subscribers.length)).toHaveLength(subscribers.length);
  });
});
