import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { AdapterServiceClient, PublishRequest, PublishResponse, PublishStreamResponse } from "@takitini/proto";
import { createLogger, createMetricsRegistry, continueTrace } from "@takitini/runtime";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { csvRowToRecord, CsvHeaderError, importFile, parseNdjsonLine } from "./bulk.js";
import { isoDateTime, plausibleDateTime } from "./dates.js";
import { district, envelope, mapSubjects, markingFields, nativeId, subjectFields, text, type AgencyDefaults } from "./fields.js";
import { closeGrpc, createGrpcDoor, GRPC_ERROR_CODE_KEY, GRPC_ISSUES_KEY, listenGrpc } from "./grpc.js";
import { HTTP_ERROR_CODES } from "./http.js";
import { Intake } from "./intake.js";
import type { AgencyAdapter, RecordKind } from "./kind.js";
import { jsonTextTooDeep } from "./limits.js";
import { checkHostileBodies, hostileBodies, httpDoorForTests, RecordingPublisher, TEST_EVENT_ID_KEY, testPublisher } from "./testing.js";

/*
 * Bad input, the marking floor and conflicts through all three doors, on a test
 * kind with markings, dates and subjects.
 */

const defaults: AgencyDefaults = { classification: "RESTRICTED", caveats: ["LAW ENFORCEMENT ONLY"], legalBasis: { instrument: "Test Act", provision: "s 1", description: "" } };
const schema = z.strictObject({
  ref: nativeId,
  district,
  seen_at: isoDateTime,
  /** A planned follow-up may be up to 30 days ahead. */
  follow_up_at: plausibleDateTime({ aheadDays: 30 }).optional(),
  note: text(200, { min: 1 }),
  count: z.number().int().min(0).default(0),
  ...markingFields,
  ...subjectFields,
});
const kind: RecordKind<z.infer<typeof schema>> = {
  recordType: "sighting",
  eventType: "police.organised_crime_noting",
  httpPath: "/v1/sightings",
  summary: "test kind",
  schema,
  nativeId: (r) => r.ref,
  map: (r, at) =>
    envelope({
      agency: "POLICE",
      eventType: "police.organised_crime_noting",
      nativeId: r.ref,
      occurredAt: r.seen_at,
      publishedAt: at,
      district: r.district,
      defaults,
      classification: r.classification,
      caveats: r.caveats,
      releasableTo: r.releasable_to,
      releasableToCountries: r.releasable_to_countries,
      subjects: mapSubjects("POLICE", r),
      payload: { $case: "policeNoting", value: { groupName: r.note, activity: "ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY" as never, commodities: [], summary: String(r.count), reportingUnit: "", locality: "" } },
    }),
  example: { ref: "S-1", district: "Eastern", seen_at: "2026-11-18T06:42:00+13:00", note: "Ōpōtiki", count: 2, persons: [{ person_id: "P-1", name: "Mere Ngata", dob: "1988-07-02" }] },
  synthesize: (_rng, i) => ({ ref: `S-${i}`, district: "Southern", seen_at: "2026-11-01T00:00:00Z", note: "Mātaura", count: i }),
};
const adapter: AgencyAdapter = { agency: "POLICE", service: "test-adapter", topic: "t.test", httpPort: 0, grpcPort: 0, kinds: [kind], defaults };
const now = new Date("2026-11-20T00:00:00Z");
const example = kind.example as Record<string, unknown>;
const record = (patch: Record<string, unknown> = {}) => ({ ...example, ...patch });

/** A logger whose lines can be read back. */
function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger("t", "info", new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
  return { logger, lines };
}

describe("the HTTP door", () => {
  const door = () => httpDoorForTests(adapter, { now: () => now });
  const post = async (payload: unknown) => {
    const { app, publisher } = await door();
    const res = await app.inject({ method: "POST", url: kind.httpPath, payload: typeof payload === "string" ? payload : JSON.stringify(payload), headers: { "content-type": "application/json" } });
    await app.close();
    return { status: res.statusCode, body: res.json() as { error: { code: string; issues: { path: string; code: string }[] } }, calls: publisher.calls };
  };

  it("answers a 10,000-deep body 400 TOO_DEEP, not 500, before parsing it", async () => {
    for (const body of [`${"[".repeat(10_000)}${"]".repeat(10_000)}`, JSON.stringify(record({ note: "x" })).replace('"x"', `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`)]) {
      const r = await post(body);
      expect([r.status, r.body.error.code, r.body.error.issues]).toEqual([400, "TOO_DEEP", [{ path: "", code: "too_deep", message: "objects and arrays nested deeper than 32 levels" }]]);
      expect(r.calls).toEqual([]);
    }
  });

  it("takes 32 levels to validation, which refuses them as ordinary bad fields", async () => {
    const r = await post(record({ note: JSON.parse(`${"[".repeat(31)}1${"]".repeat(31)}`) }));
    expect([r.status, r.body.error.code, r.body.error.issues.map((i) => i.path)]).toEqual([400, "VALIDATION_FAILED", ["note"]]);
  });

  it("names a prototype key by its path", async () => {
    const r = await post('{"ref":"S-9","persons":[{"person_id":"P-1","__proto__":{"admin":true}}]}');
    expect([r.status, r.body.error.code, r.body.error.issues.map((i) => i.path)]).toEqual([400, "FORBIDDEN_KEY", ["persons[0].__proto__"]]);
  });

  it("answers a date outside its window 400 INVALID_DATE with the field path", async () => {
    const r = await post(record({ seen_at: "2026-11-21T00:00:00Z", persons: [{ person_id: "P-1", name: "A", dob: "1850-01-01" }] }));
    expect([r.status, r.body.error.code, r.body.error.issues.map((i) => [i.path, i.code])]).toEqual([400, "INVALID_DATE", [["seen_at", "INVALID_DATE"], ["persons[0].dob", "INVALID_DATE"]]]);
    expect((await post(record({ follow_up_at: "2026-12-19T00:00:00Z" }))).status).toBe(202);
    expect((await post(record({ follow_up_at: "2026-12-21T00:00:00Z" }))).body.error.issues.map((i) => i.path)).toEqual(["follow_up_at"]);
  });

  it("answers markings below the floor 400 MARKING_BELOW_FLOOR naming each field, and accepts raised ones", async () => {
    const r = await post(record({ classification: "IN-CONFIDENCE", caveats: [] }));
    expect([r.status, r.body.error.code, r.body.error.issues.map((i) => i.path)]).toEqual([400, "MARKING_BELOW_FLOOR", ["classification", "caveats"]]);
    expect(r.calls).toEqual([]);
    expect((await post(record({ classification: "SECRET", caveats: ["ORIGINATOR CONTROL", "LAW ENFORCEMENT ONLY"] }))).status).toBe(202);
  });

  it("answers the same id with the same content 200 duplicate, with other content 409 CONFLICT naming the fields", async () => {
    const { app, publisher } = await door();
    const send = (payload: unknown) => app.inject({ method: "POST", url: kind.httpPath, payload: payload as never });
    expect((await send(example)).statusCode).toBe(202);
    const same = await send(example);
    expect([same.statusCode, same.json().duplicate]).toEqual([200, true]);
    const changed = await send(record({ note: "Whakatāne", count: 3 }));
    expect(changed.statusCode).toBe(409);
    expect(changed.json().error).toEqual({
      code: "CONFLICT",
      message: "a record with this id was already published with different content; nothing was published",
      issues: [
        { path: "payload.policeNoting.groupName", code: "conflict", message: "differs from the record already published with this id" },
        { path: "payload.policeNoting.summary", code: "conflict", message: "differs from the record already published with this id" },
      ],
    });
    expect(JSON.stringify(changed.json())).not.toContain("Whakatāne");
    expect(publisher.published).toHaveLength(1);
    await app.close();
  });

  it("documents the new answers in its OpenAPI document", async () => {
    const { app } = await door();
    const doc = (await app.inject({ url: "/docs/json" })).json();
    expect(Object.keys(doc.paths[kind.httpPath].post.responses)).toContain("409");
    expect(doc.paths[kind.httpPath].post.responses["400"].description).toMatch(/TOO_DEEP.*MALFORMED_JSON/);
    for (const code of ["TOO_DEEP", "INVALID_DATE", "MARKING_BELOW_FLOOR", "CONFLICT", "MALFORMED_JSON", "BODY_TOO_LARGE"]) expect(HTTP_ERROR_CODES.has(code)).toBe(true);
    await app.close();
  });
});

describe("the intake: conflicts", () => {
  it("counts adapter_conflicts_total and logs the paths, never the values", async () => {
    const metrics = createMetricsRegistry("t");
    const { logger, lines } = capturedLogger();
    const intake = new Intake(adapter, new RecordingPublisher(), metrics, logger, { eventIdKey: TEST_EVENT_ID_KEY, now: () => now });
    await intake.submit("sighting", example, continueTrace({}), "http", testPublisher(adapter.agency));
    const r = await intake.submit("sighting", record({ note: "Te Kaha secret", persons: [{ person_id: "P-1", name: "Hēmi Tāwhiri" }] }), continueTrace({}), "http", testPublisher(adapter.agency));
    expect(!r.ok && [r.code, r.issues.map((i) => i.path)]).toEqual(["CONFLICT", ["subjects[0].entity.person.fullName", "subjects[0].entity.person.dateOfBirth", "payload.policeNoting.groupName"]]);
    const text = await metrics.metrics();
    expect(text).toMatch(/adapter_conflicts_total\{record_type="sighting",door="http",service="t"\} 1/);
    expect(text).toMatch(/adapter_records_rejected_total\{record_type="sighting",door="http",code="CONFLICT",service="t"\} 1/);
    const logged = lines.join("");
    expect(logged).toContain("subjects[0].entity.person.fullName");
    expect(logged).not.toMatch(/Te Kaha|Hēmi|Mere|1988/);
  });
});

/** A PublishRequest with the record's JSON text nested raw, so a test can send what the generated encoder would not. */
function rawRequest(recordType: string, record: Buffer): Buffer {
  const len = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
    out.push(n);
    return Buffer.from(out);
  };
  const type = Buffer.from(recordType);
  return Buffer.concat([Buffer.from([0x0a]), len(type.length), type, Buffer.from([0x12]), len(record.length), record]);
}

/** The Struct bytes of a record `depth` levels of {"a": …} deep, built without recursion. */
function deepStruct(depth: number): Buffer {
  const len = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
    out.push(n);
    return Buffer.from(out);
  };
  let struct = Buffer.alloc(0);
  for (let i = 1; i < depth; i++) {
    const value = Buffer.concat([Buffer.from([0x2a]), len(struct.length), struct]);
    const entry = Buffer.concat([Buffer.from([0x0a, 0x01, 0x61, 0x12]), len(value.length), value]);
    struct = Buffer.concat([Buffer.from([0x0a]), len(entry.length), entry]);
  }
  return struct;
}

describe("the gRPC door", () => {
  const publisher = new RecordingPublisher();
  const intake = new Intake(adapter, publisher, createMetricsRegistry("t"), createLogger("t", "silent"), { eventIdKey: TEST_EVENT_ID_KEY, now: () => now });
  const server = createGrpcDoor(intake, { agency: adapter.agency, tls: "insecure", identify: () => ({ ok: true, publisher: testPublisher(adapter.agency) }), maxMessageBytes: 1024 * 1024, maxStreamRecords: 100, logger: createLogger("t", "silent") });
  let client: InstanceType<typeof AdapterServiceClient>;
  let raw: grpc.Client;
  beforeAll(async () => {
    const port = await listenGrpc(server, "127.0.0.1", 0, "insecure");
    client = new AdapterServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    raw.close();
    await closeGrpc(server, 1000);
  });
  type Answer = { err: grpc.ServiceError | null; code?: string; issues: { path: string }[] };
  const answer = (resolve: (a: Answer) => void) => (err: grpc.ServiceError | null) =>
    resolve({ err, code: err ? String(err.metadata.get(GRPC_ERROR_CODE_KEY)[0]) : undefined, issues: err ? (JSON.parse(String(err.metadata.get(GRPC_ISSUES_KEY)[0])) as { path: string }[]) : [] });
  const unary = (record: unknown) => new Promise<Answer>((resolve) => client.publish({ recordType: "sighting", record: record as never }, answer(resolve)));
  const unaryBytes = (bytes: Buffer) =>
    new Promise<Answer>((resolve) => raw.makeUnaryRequest("/takitini.adapter.v1.AdapterService/Publish", (b: Buffer) => b, (b: Buffer) => PublishResponse.decode(b), bytes, answer(resolve)));

  it("refuses a record nested 5,000 deep INVALID_ARGUMENT TOO_DEEP (the decoder alone answered INTERNAL)", async () => {
    const a = await unaryBytes(rawRequest("sighting", deepStruct(5_000)));
    expect([a.err?.code, a.code, a.issues.map((i) => i.path)]).toEqual([grpc.status.INVALID_ARGUMENT, "TOO_DEEP", [""]]);
    const within = await unaryBytes(rawRequest("sighting", deepStruct(32)));
    expect([within.err?.code, within.code]).toEqual([grpc.status.INVALID_ARGUMENT, "VALIDATION_FAILED"]);
  });

  it("refuses a __proto__ key FORBIDDEN_KEY with its path, where the decoder would drop it silently", async () => {
    const bytes = Buffer.from(PublishRequest.encode({ recordType: "sighting", record: { ...example, persons: [{ person_id: "P-1", name: "A", __PROTO__: { admin: true } }] } }).finish());
    const a = await unaryBytes(Buffer.from(bytes.toString("latin1").replace("__PROTO__", "__proto__"), "latin1"));
    expect([a.err?.code, a.code, a.issues.map((i) => i.path)]).toEqual([grpc.status.INVALID_ARGUMENT, "FORBIDDEN_KEY", ["persons[0].__proto__"]]);
  });

  it("refuses markings below the floor and dates outside their window INVALID_ARGUMENT, with the paths", async () => {
    const floor = await unary(record({ ref: "G-1", caveats: ["ORIGINATOR CONTROL"] }));
    expect([floor.err?.code, floor.code, floor.issues.map((i) => i.path)]).toEqual([grpc.status.INVALID_ARGUMENT, "MARKING_BELOW_FLOOR", ["caveats"]]);
    const date = await unary(record({ ref: "G-1", seen_at: "1899-06-01T00:00:00Z" }));
    expect([date.err?.code, date.code, date.issues.map((i) => i.path)]).toEqual([grpc.status.INVALID_ARGUMENT, "INVALID_DATE", ["seen_at"]]);
  });

  it("answers a conflicting resubmission ALREADY_EXISTS with the differing paths", async () => {
    expect((await unary(record({ ref: "G-2" }))).err).toBeNull();
    expect((await unary(record({ ref: "G-2" }))).err).toBeNull();
    const c = await unary(record({ ref: "G-2", count: 9 }));
    expect([c.err?.code, c.code, c.issues.map((i) => i.path)]).toEqual([grpc.status.ALREADY_EXISTS, "CONFLICT", ["payload.policeNoting.summary"]]);
  });

  it("reports each refusal of a stream by position, a too-deep record among them", async () => {
    const summary = await new Promise<PublishStreamResponse>((resolve, reject) => {
      const call = raw.makeClientStreamRequest("/takitini.adapter.v1.AdapterService/PublishStream", (b: Buffer) => b, (b: Buffer) => PublishStreamResponse.decode(b), (err, res) => (err ? reject(err) : resolve(res!)));
      const one = (r: unknown) => Buffer.from(PublishRequest.encode({ recordType: "sighting", record: r as never }).finish());
      call.write(one(record({ ref: "GS-1" })));
      call.write(rawRequest("sighting", deepStruct(100)));
      call.write(one(record({ ref: "GS-2", classification: "UNCLASSIFIED" })));
      call.write(one(record({ ref: "GS-1", note: "changed" })));
      call.end();
    });
    expect(summary.accepted).toBe(1);
    expect(summary.rejected.map((r) => [r.index, r.code, r.issues.map((i) => i.path)])).toEqual([
      [1, "TOO_DEEP", [""]],
      [2, "MARKING_BELOW_FLOOR", ["classification"]],
      [3, "CONFLICT", ["payload.policeNoting.groupName"]],
    ]);
  });
});

describe("the bulk door", () => {
  const make = () => {
    const publisher = new RecordingPublisher();
    return { publisher, intake: new Intake(adapter, publisher, createMetricsRegistry("t"), createLogger("t", "silent"), { eventIdKey: TEST_EVENT_ID_KEY, now: () => now }) };
  };
  const dir = () => mkdtempSync(join(tmpdir(), "takitini-doors-"));

  it("refuses an NDJSON line nested too deep before parsing it", () => {
    const line = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
    expect(parseNdjsonLine(7, line)).toEqual({ line: 7, raw: line, error: { path: "", code: "TOO_DEEP", message: "objects and arrays nested deeper than 32 levels" } });
    expect("record" in parseNdjsonLine(8, JSON.stringify(example))).toBe(true);
  });

  it("builds CSV records on objects without prototypes", () => {
    const r = csvRowToRecord(["ref", "persons.0.name", "grading.source", "extra:json"], ["S-1", "Mere", "A", '{"k":[1]}']);
    if (!("record" in r)) throw new Error("expected a record");
    expect(Object.getPrototypeOf(r.record)).toBeNull();
    expect(Object.getPrototypeOf(r.record.grading)).toBeNull();
    expect(Object.getPrototypeOf((r.record.persons as object[])[0])).toBeNull();
    expect(JSON.parse(JSON.stringify(r.record))).toEqual({ ref: "S-1", persons: [{ name: "Mere" }], grading: { source: "A" }, extra: { k: [1] } });
  });

  it.each([
    [["ref", "__proto__.admin:boolean"], "__proto__.admin:boolean", 'column 2 ("__proto__.admin:boolean"): "__proto__" is not allowed in a field path'],
    [["ref", "persons.0.constructor"], "persons.0.constructor", 'column 2 ("persons.0.constructor"): "constructor" is not allowed in a field path'],
    [["prototype", "ref"], "prototype", 'column 1 ("prototype"): "prototype" is not allowed in a field path'],
    [["ref", "persons.1000000.name"], "persons.1000000.name", 'column 2 ("persons.1000000.name"): list index 1000000 is over 999'],
  ])("refuses the CSV header %j, naming the column", (header, path, message) => {
    expect(csvRowToRecord(header, header.map(() => "x"))).toEqual({ error: { path, code: expect.any(String), message } });
  });

  it("refuses a CSV cell of JSON nested too deep", () => {
    expect(csvRowToRecord(["ref", "note:json"], ["S-1", "[".repeat(40) + "]".repeat(40)])).toEqual({ error: { path: "note", code: "TOO_DEEP", message: "objects and arrays nested deeper than 32 levels" } });
  });

  it("stops a CSV import with a refused header before publishing anything", async () => {
    const { publisher, intake } = make();
    const d = dir();
    const file = join(d, "in.csv");
    writeFileSync(file, "ref,district,seen_at,note,persons.0.__proto__.x\nS-1,Eastern,2026-11-01T00:00:00Z,n,1\n");
    const run = importFile({ intake, by: testPublisher("POLICE"), recordType: "sighting", file, format: "csv", rejectsFile: join(d, "r.ndjson"), batchSize: 10, progress: false });
    await expect(run).rejects.toBeInstanceOf(CsvHeaderError);
    await expect(run).rejects.toThrow('column 5 ("persons.0.__proto__.x"): "__proto__" is not allowed in a field path');
    expect(publisher.calls).toEqual([]);
  });

  it("reports too-deep lines, markings below the floor, bad dates and conflicts in a rejects file only its owner can read", async () => {
    const { publisher, intake } = make();
    const d = dir();
    const file = join(d, "in.ndjson");
    const rejectsFile = join(d, "in.ndjson.rejects.ndjson");
    writeFileSync(rejectsFile, "left over from an earlier run\n", { mode: 0o644 });
    writeFileSync(
      file,
      [
        JSON.stringify(record({ ref: "B-1" })),
        `{"ref":${"[".repeat(100)}${"]".repeat(100)}}`,
        JSON.stringify(record({ ref: "B-2", classification: "SENSITIVE" })),
        JSON.stringify(record({ ref: "B-3", seen_at: "2030-01-01T00:00:00Z" })),
        JSON.stringify(record({ ref: "B-1", note: "other" })),
        JSON.stringify(record({ ref: "B-1" })),
      ].join("\n"),
    );
    const s = await importFile({ intake, by: testPublisher("POLICE"), recordType: "sighting", file, format: "ndjson", rejectsFile, batchSize: 2, progress: false });
    expect([s.rows, s.accepted, s.duplicates, s.rejected]).toEqual([6, 1, 1, 4]);
    const rejects = readFileSync(rejectsFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { line: number; code: string; issues: { path: string }[] });
    expect(rejects.map((r) => [r.line, r.code, r.issues.map((i) => i.path)])).toEqual([
      [2, "TOO_DEEP", [""]],
      [3, "MARKING_BELOW_FLOOR", ["classification"]],
      [4, "INVALID_DATE", ["seen_at"]],
      [5, "CONFLICT", ["payload.policeNoting.groupName"]],
    ]);
    expect(statSync(rejectsFile).mode & 0o777).toBe(0o600);
    expect(publisher.published.map((e) => e.sourceRecordId)).toEqual(["B-1"]);
    const fresh = join(d, "fresh.rejects.ndjson");
    await importFile({ intake, by: testPublisher("POLICE"), recordType: "sighting", file, format: "ndjson", rejectsFile: fresh, batchSize: 10, progress: false });
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
  });
});

describe("hostile bodies", () => {
  it("come in every family, deep ones past the limit", () => {
    const sample = fc.sample(hostileBodies(example), { numRuns: 400, seed: 1 });
    expect(new Set(sample.map((h) => h.family))).toEqual(new Set(["deep nesting", "huge string", "odd Unicode key", "wrong type", "prototype key", "random JSON", "random text", "random bytes"]));
    for (const h of sample.filter((h) => h.family === "deep nesting")) expect(jsonTextTooDeep(String(h.body))).toBe(true);
  });

  checkHostileBodies(adapter, { numRuns: 60 });
});
