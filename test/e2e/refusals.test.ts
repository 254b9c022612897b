/**
 * Refusals reach the ledger, on the suite's real (mutual-TLS, ACL-enforcing)
 * broker and PostgreSQL:
 * - the runtime's RefusalReporter, as an adapter's principal, writes one
 *   RefusalRecord per identified refusal and one RefusalSummary per window of
 *   unauthenticated ones to the refusals topic (idempotent producer);
 * - a principal the ACLs keep off the topic cannot write there, and the
 *   reporter neither blocks nor throws — it logs (without personal
 *   information), counts and drops;
 * - the audit ingests the topic into the ledger as `refusal` and
 *   `refusal_summary` records, searchable by kind and agency;
 * - the audit's own unauthenticated /v1 requests and the briefing's
 *   unauthenticated leader requests leave no record each, only a window's
 *   summary with the right count.
 * Each run has its own refusals, access and digest topics (granted by the
 * shipped ACL generator from their roles; the run's own agency topics make the
 * generator grant each adapter its refusals) and its own ledger schema.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { RefusalRecord, RefusalSummary } from "@takitini/proto";
import { createLogger, createMetricsRegistry, HEADERS, REFUSAL_EVENT_TYPES, RefusalReporter } from "@takitini/runtime";
import { logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { client, createRunTopics, header, readTopic } from "./kafka.js";
import { auditEnv, oversightHeaders, ROOT, startService, type RunningService } from "./stack.js";

const brokers = inject("brokers");
const databaseUrl = inject("databaseUrl");
const run = randomUUID().slice(0, 8);
const T = {
  refusals: `takitini.e2e.${run}.audit.refusals.v1`,
  access: `takitini.e2e.${run}.audit.briefing-access.v1`,
  digest: `takitini.e2e.${run}.briefings.v1`,
};
const silent = createLogger("e2e", "silent");

let audit: RunningService;
let briefing: RunningService;
const services: RunningService[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "takitini-e2e-refusals-"));
  await createRunTopics(
    [
      // The generator grants the refusals topic to the adapters of the agencies declared with it.
      ...["police", "customs", "mbie", "msd"].map((a) => ({ name: `takitini.e2e.${run}.intel.${a}.v1`, role: "intel" as const, partitions: 1 })),
      { name: T.refusals, role: "refusals" },
      { name: T.access, role: "briefing-access" },
      { name: T.digest, role: "briefings" },
    ],
    join(ROOT, "policies/data/subscribers.json"),
  );
  writeFileSync(join(dir, "secret"), randomUUID() + randomUUID());
  const common = { KAFKA_BROKERS: brokers.join(","), REFUSAL_WINDOW_MS: "1000" };
  audit = await startService("audit", { ...common, ...auditEnv(databaseUrl, `refusals-${run}`), GROUP_ID: `takitini-audit-e2e-refusals-${run}`, ACCESS_TOPICS: T.access, REFUSAL_TOPICS: T.refusals });
  services.push(audit);
  briefing = await startService("briefing", {
    ...common,
    ACCESS_TOPIC: T.access,
    DIGEST_TOPIC: T.digest,
    REFUSAL_TOPIC: T.refusals,
    GROUP_ID: `takitini-briefing-e2e-refusals-${run}`,
    INSTANCE_ID: `e2e-refusals-${run}`,
    BRIEFING_ROUNDING_SECRET_FILE: join(dir, "secret"),
  });
  services.push(briefing);
});

afterAll(async () => {
  const codes = await Promise.all(services.map((s) => s.stop("SIGTERM")));
  expect(codes.every((c) => c === 0)).toBe(true);
});

interface Listed {
  id: string;
  kind: string;
  agency: string;
  action: string;
  event_type: string;
}

async function api<T>(path: string, headers: Record<string, string> = oversightHeaders): Promise<{ status: number; body: T }> {
  const res = await fetch(`${audit.url}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as T };
}

/** Poll the oversight API until `found` holds of a search's records (or time out). */
async function until(path: string, found: (records: Listed[]) => boolean, timeoutMs = 60_000): Promise<Listed[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await api<{ records: Listed[] }>(path);
    expect(status).toBe(200);
    if (found(body.records)) return body.records;
    if (Date.now() > deadline) throw new Error(`${path}: not found in time; last ${JSON.stringify(body.records.slice(0, 5))}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const detail = async (id: string) => (await api<{ record: { detail: Record<string, unknown> } }>(`/v1/records/${encodeURIComponent(id)}`)).body.record.detail;

const marking = { door: "http", code: "MARKING_BELOW_FLOOR", principal: "spiffe://takitini.local/publisher/police/nia", recordType: "police.firearms_seizure", route: "/v1/records/:recordType", fieldPaths: ["caveats", "classification"], status: 400 };
const conflict = { door: "grpc", code: "CONFLICT", principal: "spiffe://takitini.local/publisher/police/nia", recordType: "police.firearms_seizure", route: "/takitini.adapter.v1.AdapterService/Publish", eventId: randomUUID(), fieldPaths: ["weight_grams"], status: 6 };
let ids: string[] = [];

describe("the runtime's RefusalReporter on the real broker", () => {
  it("writes, as an adapter's principal with an idempotent producer, one RefusalRecord per refusal and the window's summary, keyed by their ids", async () => {
    const reporter = new RefusalReporter(client(brokers, "police-adapter"), { topic: T.refusals, service: "police-adapter", windowMs: 60_000, logger: silent, metrics: createMetricsRegistry("e2e") }).start();
    ids = [reporter.refused(marking), reporter.refused(conflict)];
    for (const address of ["192.0.2.1", "192.0.2.1", "192.0.2.2", "2001:db8:1:2::1", "2001:db8:1:2::9"]) {
      reporter.unauthenticated({ door: "http", code: "PUBLISHER_CERTIFICATE_REQUIRED", route: "/v1/records/:recordType", address });
    }
    // The first connection (mutual TLS, the idempotent producer's id) may take a while; close() alone waits 5 s.
    expect(await reporter.flush(30_000)).toBe(true);
    await reporter.close();

    const seen = await readTopic(client(brokers), T.refusals, { until: (s) => s.message.key?.toString() === ids[1], timeoutMs: 60_000 });
    const mine = seen.filter((s) => s.message.key && [...ids].includes(s.message.key.toString()));
    expect(mine.map((s) => header(s.message, HEADERS.EVENT_TYPE))).toEqual([REFUSAL_EVENT_TYPES.REFUSAL, REFUSAL_EVENT_TYPES.REFUSAL]);
    // Keyed by id on a partitioned topic: no order between the two, so each is found by its id.
    const decoded = mine.map((s) => RefusalRecord.decode(s.message.value!));
    const records = ids.map((id) => decoded.find((r) => r.id === id));
    expect(records[0]).toMatchObject({ id: ids[0], service: "police-adapter", code: "MARKING_BELOW_FLOOR", fieldPaths: ["caveats", "classification"], principal: marking.principal });
    expect(records[1]).toMatchObject({ id: ids[1], door: "grpc", code: "CONFLICT", eventId: conflict.eventId });
    const summaries = seen.filter((s) => header(s.message, HEADERS.EVENT_TYPE) === REFUSAL_EVENT_TYPES.SUMMARY).map((s) => RefusalSummary.decode(s.message.value!));
    const summary = summaries.find((s) => s.service === "police-adapter");
    // Two IPv4 addresses and one IPv6 /64.
    expect(summary).toMatchObject({ door: "http", code: "PUBLISHER_CERTIFICATE_REQUIRED", route: "/v1/records/:recordType", count: 5, distinctAddresses: 3, distinctAddressesCapped: false });
    expect(seen.find((s) => s.message.key?.toString() === summary!.id)).toBeDefined();
  });

  it("as a principal the ACLs keep off the topic (a partner's): never blocks or throws, logs the refusal without personal information, and counts what it drops", async () => {
    const lines: string[] = [];
    const logger = createLogger("e2e", "info", new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    const metrics = createMetricsRegistry("e2e");
    const kafka = client(brokers, "partner-customs", { logLevel: logLevel.NOTHING });
    const reporter = new RefusalReporter(kafka, { topic: T.refusals, service: "police-adapter", queueMax: 5, closeTimeoutMs: 2000, logger, metrics }).start();
    const started = Date.now();
    for (let i = 0; i < 8; i++) reporter.refused({ ...marking, principal: `spiffe://takitini.local/publisher/police/system-${i}` });
    expect(Date.now() - started).toBeLessThan(100);
    const deadline = Date.now() + 30_000;
    while (!lines.some((l) => l.includes("REFUSALS_NOT_SENT")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const warned = JSON.parse(lines.find((l) => l.includes("REFUSALS_NOT_SENT"))!) as Record<string, unknown>;
    // An idempotent producer of a principal with no WRITE anywhere is refused its producer id (CLUSTER_…); with some WRITE, the topic (TOPIC_…).
    expect(warned).toMatchObject({ topic: T.refusals, kafkaError: expect.stringMatching(/^(CLUSTER|TOPIC)_AUTHORIZATION_FAILED$/) });
    expect(lines.join("\n")).not.toContain("spiffe://");
    await reporter.close();
    const text = await metrics.metrics();
    expect(text).toMatch(/refusals_dropped_total\{kind="refusal",reason="queue_full",service="e2e"\} 3/);
    expect(text).toMatch(/refusals_dropped_total\{kind="refusal",reason="shutdown",service="e2e"\} 5/);
    expect(text).toMatch(/refusals_reported_total\{kind="refusal",service="e2e"\} 0/);
  });
});

describe("the audit's ledger", () => {
  it("holds the adapters' refusals as `refusal` records, searchable by kind and agency, with field paths and no values", async () => {
    expect(ids).toHaveLength(2);
    const listed = await until("/v1/records?kind=refusal&agency=police&limit=500", (r) => ids.every((id) => r.some((x) => x.id === `refusal:${id}`)));
    const first = listed.find((x) => x.id === `refusal:${ids[0]}`)!;
    expect(first).toMatchObject({ kind: "refusal", agency: "police", event_type: "police.firearms_seizure", action: "police-adapter http MARKING_BELOW_FLOOR" });
    expect(await detail(first.id)).toMatchObject({ service: "police-adapter", door: "http", code: "MARKING_BELOW_FLOOR", principal: marking.principal, field_paths: ["caveats", "classification"], status: 400 });
    const summaries = await until("/v1/records?kind=refusal_summary&agency=police&limit=500", (r) => r.length > 0);
    expect(await detail(summaries[0]!.id)).toMatchObject({ service: "police-adapter", count: 5, distinct_addresses: 3 });
  });

  it("keeps no row per unauthenticated /v1 request, only the window's summary with the count", async () => {
    const asked = [`/v1/records?kind=decision&r=${run}`, "/%761/records", "/v1/records"];
    for (const path of asked) expect((await fetch(`${audit.url}${path}`)).status).toBe(401);
    expect((await fetch(`${audit.url}/v1/records`, { headers: { authorization: "Bearer not-an-oversight-token" } })).status).toBe(401);
    const summaries = await until("/v1/records?kind=refusal_summary&limit=500", (r) => r.some((x) => x.action === "audit http OVERSIGHT_CREDENTIAL_REQUIRED /v1/records ×4"));
    const mine = summaries.find((x) => x.action === "audit http OVERSIGHT_CREDENTIAL_REQUIRED /v1/records ×4")!;
    const d = await detail(mine.id);
    expect(d).toMatchObject({ service: "audit", door: "http", code: "OVERSIGHT_CREDENTIAL_REQUIRED", route: "/v1/records", count: 4, distinct_addresses: 1 });
    expect(JSON.stringify(d)).not.toContain(run);
    // No oversight query was recorded for them: every recorded one names an officer.
    const queries = (await api<{ records: Listed[] }>("/v1/records?kind=oversight_query&limit=500")).body.records;
    for (const q of queries) expect((await detail(q.id))["officer"]).not.toBe("");
  });

  it("holds the briefing's unauthenticated leader requests as one summary per window, and no access record for them (only its digests' own)", async () => {
    for (const path of ["/v1/briefings/eastern", "/v1/briefings/northland", "/v1/briefings/eastern?week=2026-W01"]) expect((await fetch(`${briefing.url}${path}`)).status, path).toBe(401);
    const summaries = await until("/v1/records?kind=refusal_summary&limit=500", (r) => r.some((x) => x.action === "briefing http UNAUTHENTICATED /v1/briefings/:region ×3"));
    const mine = summaries.find((x) => x.action === "briefing http UNAUTHENTICATED /v1/briefings/:region ×3")!;
    expect(await detail(mine.id)).toMatchObject({ service: "briefing", door: "http", code: "UNAUTHENTICATED", route: "/v1/briefings/:region", count: 3 });
    const access = (await api<{ records: Listed[] }>("/v1/records?kind=access&limit=500")).body.records;
    expect(access.filter((r) => r.action !== "briefing_viewed")).toEqual([]);
    for (const r of access) expect((await detail(r.id))["channel"]).toBe("briefing.digest");
  });
});
