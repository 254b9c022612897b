import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { IntelligenceEvent } from "@takitini/proto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { client, header, readTopic } from "./kafka.js";
import { publish, PUBLISHER } from "./publishers.js";
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
  const res = await publish(`${mesh.adapter.url}/v1/reports`, body, { publisher: PUBLISHER.police }, { headers });
  return { status: res.status, body: res.json() as Record<string, any>, headers: res.headers };
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
    // Every district's leaders and the public, read together (one reader over all their topics).
    const seen = await readTopic(kafka, community.map((s) => s.delivery_topic), { idleMs: 2500 });
    expect(seen.filter((m) => m.message.key?.toString() === accepted.event_id)).toEqual([]);
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
    // The dead-letter topic is shared (the audit dead-letters what it cannot read on other topics, which other
    // tests write garbage to): this record is the one from the Police topic at this partition and offset.
    const isMine = (s: { message: Parameters<typeof header>[0] }) =>
      header(s.message, "dlq-source-topic") === "takitini.intel.police.v1" && header(s.message, "dlq-source-offset") === meta!.baseOffset && header(s.message, "dlq-source-partition") === String(meta!.partition);
    const dlq = await readTopic(kafka, "takitini.deadletter.v1", { until: isMine });
    const mine = dlq.find(isMine);
    expect(mine).toBeDefined();
    expect(header(mine!.message, "dlq-reason")).toMatch(/^DECODE_FAILED/);

    // The exchange is still consuming: a valid report after the garbage is decided for everyone.
    const next = await post({ ...example, noting_id: `NIC-AFTER-${randomUUID().slice(0, 8)}` });
    expect(next.status).toBe(202);
    expect(await decisionsFor(next.body.event_id, subscribers.length)).toHaveLength(subscribers.length);
  });
});

describe("publishers are known, and what they are refused is audited (real TLS, real broker, the ledger)", () => {
  const since = new Date(Date.now() - 1000).toISOString();
  const run = randomUUID().slice(0, 8);
  /** Ledger records of `kind` from the police adapter since this block began, with their detail. */
  async function ledger(kind: string, query = ""): Promise<Record<string, any>[]> {
    const list = (await (await fetch(`${mesh.audit.url}/v1/records?kind=${kind}&agency=police&from=${encodeURIComponent(since)}&limit=500${query}`, { headers: oversightHeaders })).json()) as { records: { id: string }[] };
    return Promise.all(list.records.map(async (r) => ((await (await fetch(`${mesh.audit.url}/v1/records/${encodeURIComponent(r.id)}`, { headers: oversightHeaders })).json()) as { record: { detail: Record<string, any> } }).record.detail));
  }
  async function eventually<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const v = await f();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`not in the ledger in time: ${what}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const url = () => `${mesh.adapter.url}/v1/reports`;

  it("a genuine publish carries its publishing system into the ledger's publish record", async () => {
    const res = await post({ ...example, noting_id: `NIC-PUB-${run}` });
    expect(res.status).toBe(202);
    const record = await eventually("the publish record", async () => (await ledger("publish", `&event_id=${res.body.event_id}`))[0]);
    expect(record.publisher).toBe(`spiffe://takitini.local/publisher/${PUBLISHER.police}`);
  });

  it("an unauthenticated publish, another agency's certificate, a marking downgrade and a conflicting resubmission are refused, audited, and publish nothing", async () => {
    const traceOf = () => randomUUID().replaceAll("-", "");
    const noting = { ...example, noting_id: `NIC-REF-${run}` };
    // No certificate, several times: one summary for the window, not a row each.
    for (let i = 0; i < 3; i++) expect((await publish(url(), noting, "none")).status).toBe(401);
    // Customs' system at Police's door.
    const other = await publish(url(), noting, { publisher: PUBLISHER.customs });
    expect([other.status, other.json().error.code]).toEqual([403, "PUBLISHER_NOT_FOR_AGENCY"]);
    // Police's LAW ENFORCEMENT ONLY default removed.
    const downTrace = traceOf();
    const down = await post({ ...noting, caveats: [] }, { traceparent: `00-${downTrace}-00f067aa0ba902b7-01` });
    expect([down.status, down.body.error.code, down.body.error.issues.map((i: { path: string }) => i.path)]).toEqual([400, "MARKING_BELOW_FLOOR", ["caveats"]]);
    // Published once; then the same id with other content.
    const first = await post(noting);
    expect([first.status, first.body.duplicate]).toEqual([202, false]);
    const conflict = await post({ ...noting, summary: `${String(example["summary"])} (changed)` });
    expect([conflict.status, conflict.body.error.code]).toEqual([409, "CONFLICT"]);

    const refusals = await eventually("the refusals", async () => {
      const all = await ledger("refusal");
      const wrong = all.find((r) => r.code === "PUBLISHER_NOT_FOR_AGENCY" && r.principal === `spiffe://takitini.local/publisher/${PUBLISHER.customs}`);
      const marking = all.find((r) => r.code === "MARKING_BELOW_FLOOR" && r.trace_id === downTrace);
      const conflicted = all.find((r) => r.code === "CONFLICT" && r.event_id === first.body.event_id);
      return wrong && marking && conflicted ? { wrong, marking, conflicted } : undefined;
    });
    expect(refusals.marking).toMatchObject({ service: "police-adapter", door: "http", principal: `spiffe://takitini.local/publisher/${PUBLISHER.police}`, field_paths: ["caveats"] });
    expect(refusals.conflicted).toMatchObject({ principal: `spiffe://takitini.local/publisher/${PUBLISHER.police}`, field_paths: ["payload.policeNoting.summary"] });
    // Field paths, never values.
    expect(JSON.stringify(refusals)).not.toContain("(changed)");
    const summary = await eventually("the window's summary", async () => {
      // The refusals topic is the suite's: other files' Police adapters refuse callers without a certificate on other routes.
      const s = (await ledger("refusal_summary")).filter((r) => r.service === "police-adapter" && r.code === "PUBLISHER_CERTIFICATE_REQUIRED" && r.route === "/v1/reports");
      const count = s.reduce((n, r) => n + r.count, 0);
      return count >= 3 ? s : undefined;
    });
    expect(summary.every((r) => r.distinct_addresses >= 1)).toBe(true);
    expect(JSON.stringify(summary)).not.toContain("127.0.0.1");

    // Exactly one event with this native id reached the topic: the first genuine one.
    const seen = await readTopic(kafka, "takitini.intel.police.v1", { idleMs: 2000 });
    expect(seen.filter((m) => m.message.key?.toString() === first.body.event_id)).toHaveLength(1);
  });
});
