/**
 * Corrections and withdrawals through the three doors over one intake (HTTP
 * inject, gRPC on a loopback port, the NDJSON import), on a recording
 * publisher that answers like the Kafka one: the answers, the codes, the events
 * written — and that nothing is written on any refusal. On the real broker:
 * test/e2e/revisions.test.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { AdapterServiceClient, type CorrectResponse, type IntelligenceEvent, type WithdrawResponse } from "@takitini/proto";
import { correctionIdFor, createLogger, createMetricsRegistry, eventIdFor, withdrawalIdFor } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { importFile } from "./bulk.js";
import { district, envelope, markingFields, nativeId, text, type AgencyDefaults } from "./fields.js";
import { closeGrpc, createGrpcDoor, GRPC_ERROR_CODE_KEY, GRPC_ISSUES_KEY, GRPC_LATEST_EVENT_ID_KEY, listenGrpc } from "./grpc.js";
import { registerHttpDoor } from "./http.js";
import { Intake } from "./intake.js";
import type { AgencyAdapter, RecordKind } from "./kind.js";
import { importLine, WITHDRAWAL_EVENT_TYPE } from "./revisions.js";
import { hostileBodies, RecordingPublisher, RecordingRefusals, TEST_EVENT_ID_KEY as key, testPublisher } from "./testing.js";
import { HTTP_ERROR_CODES } from "./http.js";
import fc from "fast-check";
import { createHttpServer } from "@takitini/runtime";

const defaults: AgencyDefaults = { classification: "RESTRICTED", caveats: ["LAW ENFORCEMENT ONLY"], legalBasis: { instrument: "Policing Act 2008", provision: "s 9", description: "" } };
const schema = z.strictObject({ ref: nativeId, district, note: text(100, { min: 1 }), ...markingFields });
type Sighting = z.infer<typeof schema>;
const kindOf = (recordType: string, eventType: string, httpPath: string): RecordKind<Sighting> => ({
  recordType,
  eventType,
  httpPath,
  summary: "test kind",
  schema,
  nativeId: (r) => r.ref,
  map: (r, at) =>
    envelope({
      agency: "POLICE",
      eventType,
      nativeId: r.ref,
      occurredAt: at,
      publishedAt: at,
      district: r.district,
      defaults,
      classification: r.classification,
      caveats: r.caveats,
      payload: { $case: "policeNoting", value: { groupName: r.note, activity: "ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY" as never, commodities: [], summary: "", reportingUnit: "", locality: "" } },
    }),
  example: { ref: "S-1", district: "Eastern", note: "Ōpōtiki" },
  synthesize: (_rng, i) => ({ ref: `S-${i}`, district: "Southern", note: "Mātaura" }),
});
const sighting = kindOf("sighting", "police.organised_crime_noting", "/v1/sightings");
const seizure = kindOf("seizure", "police.firearms_seizure", "/v1/seizures");
const adapter: AgencyAdapter = { agency: "POLICE", service: "test-adapter", topic: "t.test", httpPort: 0, grpcPort: 0, kinds: [sighting, seizure], defaults };
const at = new Date("2026-11-20T00:00:00Z");
const SECRET = "Kua hē te kōnae";

function harness() {
  const publisher = new RecordingPublisher();
  const refusals = new RecordingRefusals();
  const lines: string[] = [];
  const logger = createLogger("t", "info", new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
  const metrics = createMetricsRegistry("t");
  const intake = new Intake(adapter, publisher, metrics, logger, { eventIdKey: key, now: () => at, refusals });
  return { publisher, refusals, lines, metrics, intake, logger };
}

async function httpHarness() {
  const h = harness();
  const app = createHttpServer({ service: "t", logger: h.logger, metrics: createMetricsRegistry("t-http"), readiness: [], bodyLimit: 64 * 1024 });
  await registerHttpDoor(app, adapter, h.intake, { identify: () => ({ ok: true, publisher: testPublisher("POLICE") }) });
  const post = async (url: string, payload: unknown) => {
    const res = await app.inject({ method: "POST", url, payload: payload as never, headers: { "content-type": "application/json" } });
    return { status: res.statusCode, body: res.json() as Record<string, any> };
  };
  const correct = (id: string, record: unknown, recordType = "sighting") => post(`/v1/records/${id}/corrections`, { record_type: recordType, record });
  const withdraw = (id: string, body: unknown) => post(`/v1/records/${id}/withdrawal`, body);
  return { ...h, app, post, correct, withdraw };
}

const v1 = eventIdFor(key, "POLICE", "S-1");

describe("corrections and withdrawals over HTTP", () => {
  it("publish → correct → the same again → correct the correction → withdraw by any version → again → no correction after", async () => {
    const h = await httpHarness();
    const first = await h.post("/v1/sightings", sighting.example);
    expect([first.status, first.body.event_id]).toEqual([202, v1]);

    const c1 = await h.correct(v1, { ...(sighting.example as object), note: "Ōpōtiki, corrected" });
    const v2 = correctionIdFor(key, "POLICE", v1);
    expect([c1.status, c1.body]).toEqual([202, expect.objectContaining({ event_id: v2, event_type: "police.organised_crime_noting", duplicate: false, supersedes_event_id: v1, original_event_id: v1, topic: "memory", partition: 0 })]);
    const written = h.publisher.published.at(-1)!;
    expect([written.id, written.supersedes, written.originalEventId, written.publisher, written.sourceRecordId]).toEqual([v2, v1, v1, testPublisher("POLICE").uri, "S-1"]);

    const again = await h.correct(v1, { ...(sighting.example as object), note: "Ōpōtiki, corrected" });
    expect([again.status, again.body.event_id, again.body.duplicate, again.body.offset]).toEqual([200, v2, true, c1.body.offset]);

    const c2 = await h.correct(v2, { ...(sighting.example as object), note: "Ōpōtiki, corrected twice" });
    const v3 = correctionIdFor(key, "POLICE", v2);
    expect([c2.status, c2.body.event_id, c2.body.supersedes_event_id, c2.body.original_event_id]).toEqual([202, v3, v2, v1]);

    // v1 was corrected already (into v2): another correction of it is refused, naming the latest.
    const stale = await h.correct(v1, { ...(sighting.example as object), note: "another idea" });
    expect([stale.status, stale.body.error.code, stale.body.error.latest_event_id]).toEqual([409, "RECORD_SUPERSEDED", v3]);

    const count = h.publisher.published.length;
    const w = await h.withdraw(v2, { reason: "entered_in_error", explanation: SECRET });
    const withdrawal = withdrawalIdFor(key, "POLICE", v1);
    expect([w.status, w.body]).toEqual([202, expect.objectContaining({ event_id: withdrawal, withdrawn_event_id: v3, duplicate: false, topic: "memory" })]);
    const event = h.publisher.published.at(-1)!;
    expect(event).toMatchObject({ id: withdrawal, eventType: WITHDRAWAL_EVENT_TYPE, originalEventId: v1, region: "POLICE_DISTRICT_UNSPECIFIED", classification: "CLASSIFICATION_RESTRICTED", publisher: testPublisher("POLICE").uri });
    expect(event.payload).toEqual({ $case: "recordWithdrawal", value: { withdrawnEventId: v3, reason: "WITHDRAWAL_REASON_ENTERED_IN_ERROR", explanation: SECRET } });

    // Withdrawn again, through another version, for another reason: the same withdrawal.
    const w2 = await h.withdraw(v1, { reason: "duplicate" });
    expect([w2.status, w2.body.event_id, w2.body.duplicate, w2.body.withdrawn_event_id]).toEqual([200, withdrawal, true, v3]);

    const late = await h.correct(v3, { ...(sighting.example as object), note: "too late" });
    expect([late.status, late.body.error.code]).toEqual([409, "RECORD_WITHDRAWN"]);
    // A withdrawal's own id names no record.
    expect((await h.withdraw(withdrawal, { reason: "other" })).body.error.code).toBe("RECORD_NOT_FOUND");
    expect(h.publisher.published.length).toBe(count + 1);

    const metrics = await h.metrics.getSingleMetricAsString("adapter_corrections_total");
    expect(metrics).toContain('adapter_corrections_total{door="http",outcome="accepted",service="t"} 2');
    expect(metrics).toContain('adapter_corrections_total{door="http",outcome="duplicate",service="t"} 1');
    expect(metrics).toContain('adapter_corrections_total{door="http",outcome="RECORD_SUPERSEDED",service="t"} 1');
    expect(metrics).toContain('adapter_corrections_total{door="http",outcome="RECORD_WITHDRAWN",service="t"} 1');
    const withdrawals = await h.metrics.getSingleMetricAsString("adapter_withdrawals_total");
    expect(withdrawals).toContain('adapter_withdrawals_total{door="http",outcome="accepted",service="t"} 1');
    expect(withdrawals).toContain('adapter_withdrawals_total{door="http",outcome="duplicate",service="t"} 1');
    // The logs name ids, never the record's values or the explanation.
    const log = h.lines.join("");
    expect(log).toContain(v2);
    for (const value of [SECRET, "corrected twice", "another idea", "too late"]) expect(log).not.toContain(value);
    await h.app.close();
  });

  it("refuses, publishing nothing: a malformed id (naming the path), another agency's id, an unknown one, another type, a bad record, markings below the floor", async () => {
    const h = await httpHarness();
    await h.post("/v1/sightings", sighting.example);
    const before = h.publisher.published.length;
    const good = sighting.example as Record<string, unknown>;
    const customs = eventIdFor(key, "CUSTOMS", "S-1");
    const cases: [Promise<{ status: number; body: Record<string, any> }>, number, string, string[]][] = [
      [h.correct("not-an-id", good), 400, "VALIDATION_FAILED", ["eventId"]],
      [h.correct(customs, good), 403, "RECORD_OF_ANOTHER_AGENCY", ["eventId"]],
      [h.correct(eventIdFor(key, "POLICE", "S-404"), good), 404, "RECORD_NOT_FOUND", ["eventId"]],
      [h.correct(v1, good, "seizure"), 400, "CORRECTION_TYPE_MISMATCH", ["record_type"]],
      [h.correct(v1, good, "rumour"), 404, "UNKNOWN_RECORD_TYPE", ["record_type"]],
      [h.correct(v1, { ...good, district: "Atlantis", extra: 1 }), 400, "VALIDATION_FAILED", ["district", "extra"]],
      [h.correct(v1, { ...good, classification: "UNCLASSIFIED" }), 400, "MARKING_BELOW_FLOOR", ["classification"]],
      [h.post(`/v1/records/${v1}/corrections`, { record: good, other: 1 }), 400, "VALIDATION_FAILED", ["record_type", "other"]],
      [h.post(`/v1/records/${v1}/corrections`, '{"record_type":"sighting","record":{"ref":"S-1","__proto__":{"x":1}}}'), 400, "FORBIDDEN_KEY", ["__proto__"]],
      [h.withdraw("not-an-id", { reason: "other" }), 400, "VALIDATION_FAILED", ["eventId"]],
      [h.withdraw(customs, { reason: "other" }), 403, "RECORD_OF_ANOTHER_AGENCY", ["eventId"]],
      [h.withdraw(eventIdFor(key, "POLICE", "S-404"), { reason: "other" }), 404, "RECORD_NOT_FOUND", ["eventId"]],
      [h.withdraw(v1, { reason: "bored" }), 400, "VALIDATION_FAILED", ["reason"]],
      [h.withdraw(v1, { reason: "other", explanation: "wrong person: passport LA123456" }), 400, "VALIDATION_FAILED", ["explanation"]],
      [h.withdraw(v1, { reason: "other", explanation: "x".repeat(1001) }), 400, "VALIDATION_FAILED", ["explanation"]],
    ];
    for (const [answer, status, code, paths] of cases) {
      const { status: got, body } = await answer;
      expect([got, body.error?.code, body.error?.issues.map((i: { path: string }) => i.path).sort()]).toEqual([status, code, [...paths].sort()]);
    }
    expect(h.publisher.published.length).toBe(before);
    // The ledger hears of another agency's record named (never which one) and of markings below the floor.
    expect(h.refusals.refusedRecords.map((r) => [r.code, r.eventId])).toEqual([
      ["RECORD_OF_ANOTHER_AGENCY", ""],
      ["MARKING_BELOW_FLOOR", v1],
      ["RECORD_OF_ANOTHER_AGENCY", ""],
    ]);
    expect(JSON.stringify(h.refusals.refusedRecords)).not.toContain(customs);
    await h.app.close();
  });

  it("answers a conflicting withdrawal id (withdrawn before at another moment) as the duplicate it is", async () => {
    const h = await httpHarness();
    await h.post("/v1/sightings", sighting.example);
    const first = await h.withdraw(v1, { reason: "other" });
    // Another clock: the second withdrawal's content differs (occurred_at), yet it is the same withdrawal.
    const later = new Intake(adapter, h.publisher, createMetricsRegistry("t2"), createLogger("t", "silent"), { eventIdKey: key, now: () => new Date(at.getTime() + 60_000) });
    const again = await later.withdraw(v1, { reason: "legal_direction" }, { traceId: "t", traceparent: "", spanId: "" } as never, "http", testPublisher("POLICE"));
    expect(again).toMatchObject({ ok: true, withdrawnEventId: v1, result: { eventId: first.body.event_id, duplicate: true } });
    expect(again.ok && again.result.conflict).toBeUndefined();
    expect(h.publisher.published.filter((e) => e.eventType === WITHDRAWAL_EVENT_TYPE)).toHaveLength(1);
    await h.app.close();
  });

  it("503 PUBLISH_FAILED with Retry-After when the broker does not acknowledge", async () => {
    const h = await httpHarness();
    await h.post("/v1/sightings", sighting.example);
    h.publisher.fail = true;
    const c = await h.app.inject({ method: "POST", url: `/v1/records/${v1}/corrections`, payload: { record_type: "sighting", record: sighting.example as never } });
    const w = await h.app.inject({ method: "POST", url: `/v1/records/${v1}/withdrawal`, payload: { reason: "other" } });
    expect([c.statusCode, c.json().error.code, c.headers["retry-after"]]).toEqual([503, "PUBLISH_FAILED", "2"]);
    expect([w.statusCode, w.json().error.code, w.headers["retry-after"]]).toEqual([503, "PUBLISH_FAILED", "2"]);
    await h.app.close();
  });
});

describe("hostile bodies on the correction and withdrawal routes", () => {
  it("never a 5xx, never a publish call, always a stable code from the catalogue — raw, and as the record of a correction", { timeout: 120_000 }, async () => {
    const h = await httpHarness();
    await h.post("/v1/sightings", sighting.example);
    try {
      await fc.assert(
        fc.asyncProperty(hostileBodies(sighting.example), fc.constantFrom("corrections", "withdrawal", "wrapped"), async (hostile, route) => {
          h.publisher.calls.length = 0;
          const text = Buffer.isBuffer(hostile.body) ? hostile.body.toString("latin1") : hostile.body;
          const payload = route === "wrapped" ? `{"record_type":"sighting","record":${text}}` : hostile.body;
          const res = await h.app.inject({ method: "POST", url: `/v1/records/${v1}/${route === "wrapped" ? "corrections" : route}`, payload, headers: { "content-type": "application/json" } });
          const code = (res.json() as { error?: { code?: string } }).error?.code;
          expect({ family: hostile.family, route, status: res.statusCode >= 400 && res.statusCode < 500, known: code !== undefined && HTTP_ERROR_CODES.has(code) }).toEqual({ family: hostile.family, route, status: true, known: true });
          expect(h.publisher.calls).toEqual([]);
        }),
        { numRuns: 150 },
      );
    } finally {
      await h.app.close();
    }
  });
});

describe("corrections and withdrawals over gRPC (real loopback connection)", () => {
  const h = harness();
  const server = createGrpcDoor(h.intake, { agency: "POLICE", tls: "insecure", identify: () => ({ ok: true, publisher: testPublisher("POLICE") }), maxMessageBytes: 64 * 1024, maxStreamRecords: 100, logger: h.logger });
  let client: InstanceType<typeof AdapterServiceClient>;
  beforeAll(async () => {
    client = new AdapterServiceClient(`127.0.0.1:${await listenGrpc(server, "127.0.0.1", 0, "insecure")}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await closeGrpc(server, 1000);
  });
  const correct = (supersedesEventId: string, record: unknown, recordType = "sighting") =>
    new Promise<{ err: grpc.ServiceError | null; res: CorrectResponse | undefined }>((resolve) => client.correct({ supersedesEventId, recordType, record: record as never }, (err, res) => resolve({ err, res })));
  const withdraw = (eventId: string, reason: string, explanation = "") =>
    new Promise<{ err: grpc.ServiceError | null; res: WithdrawResponse | undefined }>((resolve) => client.withdraw({ eventId, reason, explanation }, (err, res) => resolve({ err, res })));
  const refusal = (err: grpc.ServiceError | null) => [err?.code, err?.metadata.get(GRPC_ERROR_CODE_KEY)[0], (JSON.parse(String(err?.metadata.get(GRPC_ISSUES_KEY)[0] ?? "[]")) as { path: string }[]).map((i) => i.path)];

  it("corrects, answers the same correction as a duplicate, withdraws once, and refuses with the same codes as HTTP", async () => {
    const id = eventIdFor(key, "POLICE", "G-1");
    const record = { ref: "G-1", district: "Eastern", note: "Whakatōhea" };
    await new Promise((resolve) => client.publish({ recordType: "sighting", record: record as never }, resolve));
    const c = await correct(id, { ...record, note: "Whakatōhea, corrected" });
    const v2 = correctionIdFor(key, "POLICE", id);
    expect(c.err).toBeNull();
    expect(c.res).toMatchObject({ eventId: v2, eventType: "police.organised_crime_noting", duplicate: false, supersedesEventId: id, originalEventId: id });
    expect((await correct(id, { ...record, note: "Whakatōhea, corrected" })).res).toMatchObject({ eventId: v2, duplicate: true });
    const stale = await correct(id, { ...record, note: "otherwise" });
    expect(refusal(stale.err)).toEqual([grpc.status.FAILED_PRECONDITION, "RECORD_SUPERSEDED", [""]]);
    expect(stale.err?.metadata.get(GRPC_LATEST_EVENT_ID_KEY)[0]).toBe(v2);
    expect(stale.err?.details).toMatch(/^RECORD_SUPERSEDED/);

    const before = h.publisher.published.length;
    expect(refusal((await correct("nope", record)).err)).toEqual([grpc.status.INVALID_ARGUMENT, "VALIDATION_FAILED", ["supersedes_event_id"]]);
    expect(refusal((await correct(eventIdFor(key, "MSD", "G-1"), record)).err)).toEqual([grpc.status.PERMISSION_DENIED, "RECORD_OF_ANOTHER_AGENCY", ["supersedes_event_id"]]);
    expect(refusal((await correct(eventIdFor(key, "POLICE", "G-404"), record)).err)).toEqual([grpc.status.NOT_FOUND, "RECORD_NOT_FOUND", ["supersedes_event_id"]]);
    expect(refusal((await correct(v2, record, "seizure")).err)).toEqual([grpc.status.INVALID_ARGUMENT, "CORRECTION_TYPE_MISMATCH", ["record_type"]]);
    expect(refusal((await correct(v2, { ...record, district: "Atlantis" })).err)).toEqual([grpc.status.INVALID_ARGUMENT, "VALIDATION_FAILED", ["district"]]);
    expect(refusal((await withdraw(id, "")).err)).toEqual([grpc.status.INVALID_ARGUMENT, "VALIDATION_FAILED", ["reason"]]);
    expect(refusal((await withdraw(id, "other", "call 021 555 0199")).err)).toEqual([grpc.status.INVALID_ARGUMENT, "VALIDATION_FAILED", ["explanation"]]);
    expect(refusal((await withdraw(eventIdFor(key, "CUSTOMS", "G-1"), "other")).err)).toEqual([grpc.status.PERMISSION_DENIED, "RECORD_OF_ANOTHER_AGENCY", ["event_id"]]);
    expect(refusal((await withdraw(eventIdFor(key, "POLICE", "G-404"), "other")).err)).toEqual([grpc.status.NOT_FOUND, "RECORD_NOT_FOUND", ["event_id"]]);
    expect(h.publisher.published.length).toBe(before);

    const w = await withdraw(v2, "source_protection");
    const withdrawal = withdrawalIdFor(key, "POLICE", id);
    expect(w.res).toMatchObject({ eventId: withdrawal, withdrawnEventId: v2, duplicate: false });
    expect((await withdraw(id, "other")).res).toMatchObject({ eventId: withdrawal, duplicate: true });
    expect(refusal((await correct(v2, { ...record, note: "late" })).err)).toEqual([grpc.status.FAILED_PRECONDITION, "RECORD_WITHDRAWN", [""]]);
    expect(h.publisher.published.length).toBe(before + 1);
  });

  it("refuses a correction nested too deep from its raw bytes (before the recursive decoder)", async () => {
    await new Promise((resolve) => client.publish({ recordType: "sighting", record: { ref: "G-2", district: "Eastern", note: "n" } as never }, resolve));
    let deep: Record<string, unknown> = { x: 1 };
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const r = await correct(eventIdFor(key, "POLICE", "G-2"), { ref: "G-2", district: "Eastern", note: "n", deep });
    expect(refusal(r.err).slice(0, 2)).toEqual([grpc.status.INVALID_ARGUMENT, "TOO_DEEP"]);
  });
});

describe("corrections and withdrawals in an import", () => {
  it("tells a line's kind: a record, a correction (the import's type by default), a withdrawal", () => {
    expect(importLine({ ref: "x" }, "sighting")).toEqual({ kind: "record", record: { ref: "x" } });
    expect(importLine({ supersedes: "e", record: { ref: "x" } }, "sighting")).toEqual({ kind: "correction", eventId: "e", recordType: "sighting", record: { ref: "x" } });
    expect(importLine({ supersedes: "e", record_type: "seizure", record: { ref: "x" } }, "sighting")).toMatchObject({ kind: "correction", recordType: "seizure" });
    expect(importLine({ withdraw: "e", reason: "other" }, "sighting")).toEqual({ kind: "withdrawal", eventId: "e", request: { reason: "other" } });
    expect(importLine({ supersedes: "e", withdraw: "e" }, "sighting")).toMatchObject({ kind: "invalid" });
    expect(importLine({ supersedes: 7, record: {} }, "sighting")).toMatchObject({ kind: "invalid", issues: [{ path: "supersedes" }] });
    expect(importLine({ supersedes: "e" }, "sighting")).toMatchObject({ kind: "invalid", issues: [{ path: "record" }] });
  });

  it("publishes records, corrections and withdrawals in file order; rejects each bad line with its code", async () => {
    const h = harness();
    const dir = mkdtempSync(join(tmpdir(), "takitini-revisions-"));
    const file = join(dir, "in.ndjson");
    const b1 = eventIdFor(key, "POLICE", "B-1");
    const b2 = correctionIdFor(key, "POLICE", b1);
    const lines = [
      { ref: "B-1", district: "Eastern", note: "first" },
      { supersedes: b1, record: { ref: "B-1", district: "Eastern", note: "second" } },
      { supersedes: b1, record: { ref: "B-1", district: "Eastern", note: "second" } },
      { supersedes: b1, record: { ref: "B-1", district: "Eastern", note: "third" } },
      { supersedes: eventIdFor(key, "MBIE", "B-1"), record: { ref: "B-1", district: "Eastern", note: "x" } },
      { withdraw: eventIdFor(key, "POLICE", "B-404"), reason: "other" },
      { withdraw: b2, reason: "not_substantiated", explanation: "inquiries closed" },
      { withdraw: b1, reason: "other" },
      { supersedes: b2, record: { ref: "B-1", district: "Eastern", note: "fourth" } },
    ];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n"));
    const rejectsFile = join(dir, "rejects.ndjson");
    const s = await importFile({ intake: h.intake, by: testPublisher("POLICE"), recordType: "sighting", file, format: "ndjson", rejectsFile, batchSize: 10, progress: false });
    expect([s.rows, s.accepted, s.corrections, s.withdrawals, s.duplicates, s.rejected]).toEqual([9, 3, 1, 1, 2, 4]);
    const rejects = readFileSync(rejectsFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { line: number; code: string });
    expect(rejects.map((r) => [r.line, r.code])).toEqual([[4, "RECORD_SUPERSEDED"], [5, "RECORD_OF_ANOTHER_AGENCY"], [6, "RECORD_NOT_FOUND"], [9, "RECORD_WITHDRAWN"]]);
    expect(h.publisher.published.map((e: IntelligenceEvent) => [e.id, e.supersedes, e.originalEventId, e.eventType])).toEqual([
      [b1, "", "", "police.organised_crime_noting"],
      [b2, b1, b1, "police.organised_crime_noting"],
      [withdrawalIdFor(key, "POLICE", b1), "", b1, WITHDRAWAL_EVENT_TYPE],
    ]);
  });
});
