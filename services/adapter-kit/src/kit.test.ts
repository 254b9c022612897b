import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AdapterServiceClient, IntelligenceEvent, type PublishStreamResponse } from "@takitini/proto";
import { createHttpServer, createLogger, createMetricsRegistry, eventIdFor, peerAddress } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { csvRowToRecord, importFile, parseNdjsonLine } from "./bulk.js";
import { existingIsoWeek } from "./dates.js";
import { envelope, district, nativeId, text, type AgencyDefaults } from "./fields.js";
import { closeGrpc, createGrpcDoor, GRPC_ERROR_CODE_KEY, GRPC_ISSUES_KEY, GRPC_SUMMARY_KEY, listenGrpc, STREAM_CHUNK } from "./grpc.js";
import { openApiDocument, registerHttpDoor } from "./http.js";
import { ingest } from "./ingest.js";
import { Intake } from "./intake.js";
import type { AgencyAdapter, RecordKind } from "./kind.js";
import { forbiddenKeys } from "./limits.js";
import { RecordingPublisher, TEST_EVENT_ID_KEY, testPublisher } from "./testing.js";

const defaults: AgencyDefaults = { classification: "IN-CONFIDENCE", caveats: [], legalBasis: { instrument: "Test Act", provision: "s 1", description: "" } };
const schema = z.strictObject({ ref: nativeId, district, note: text(50, { min: 1 }), count: z.number().int().min(0), tags: z.array(z.string()).default([]) });
const kind: RecordKind<z.infer<typeof schema>> = {
  recordType: "sighting",
  eventType: "police.organised_crime_noting",
  httpPath: "/v1/sightings",
  summary: "test kind",
  schema,
  nativeId: (r) => r.ref,
  map: (r, at) => envelope({ agency: "POLICE", eventType: "police.organised_crime_noting", nativeId: r.ref, occurredAt: at, publishedAt: at, district: r.district, defaults, payload: { $case: "policeNoting", value: { groupName: r.note, activity: "ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY" as never, commodities: [], summary: String(r.count), reportingUnit: r.tags.join(","), locality: "" } } }),
  example: { ref: "S-1", district: "Eastern", note: "Ōpōtiki", count: 2 },
  synthesize: (_rng, i) => ({ ref: `S-${i}`, district: "Southern", note: "Mātaura", count: i }),
};
const adapter: AgencyAdapter = { agency: "POLICE", service: "test-adapter", topic: "t.test", httpPort: 0, grpcPort: 0, kinds: [kind], defaults };
const at = new Date("2026-11-20T00:00:00Z");

class MemoryPublisher extends RecordingPublisher {
  get log(): IntelligenceEvent[] {
    return this.published;
  }
}

const make = () => {
  const publisher = new MemoryPublisher();
  const intake = new Intake(adapter, publisher, createMetricsRegistry("t"), createLogger("t", "silent"), { eventIdKey: TEST_EVENT_ID_KEY, now: () => at });
  return { publisher, intake };
};

describe("ingest", () => {
  it("validates and maps, deriving the event id from the native id", () => {
    const r = ingest(adapter, "sighting", kind.example, at, { eventIdKey: TEST_EVENT_ID_KEY });
    expect(r.ok && r.event.id).toBe(eventIdFor(TEST_EVENT_ID_KEY, "POLICE", "S-1"));
  });
  it("refuses unknown record types, bad fields and prototype-pollution keys, with paths", () => {
    const unknown = ingest(adapter, "rumour", {}, at, { eventIdKey: TEST_EVENT_ID_KEY });
    expect(!unknown.ok && unknown.code).toBe("UNKNOWN_RECORD_TYPE");
    const bad = ingest(adapter, "sighting", { ref: "S-1", district: "Atlantis", note: "x", count: -1, extra: 1 }, at, { eventIdKey: TEST_EVENT_ID_KEY });
    expect(!bad.ok && bad.issues.map((i) => i.path).sort()).toEqual(["count", "district", "extra"]);
    const poisoned = ingest(adapter, "sighting", JSON.parse('{"ref":"S-1","tags":[{"__proto__":{"x":1}}]}'), at, { eventIdKey: TEST_EVENT_ID_KEY });
    expect(!poisoned.ok && poisoned.code).toBe("FORBIDDEN_KEY");
    expect(forbiddenKeys(JSON.parse('{"a":{"constructor":{"prototype":1}}}'))).toEqual(["a.constructor"]);
  });
});

describe("the HTTP door", () => {
  const build = async (publisher: MemoryPublisher, intake: Intake) => {
    const app = createHttpServer({ service: "t", logger: createLogger("t", "silent"), metrics: createMetricsRegistry("t2"), readiness: [], bodyLimit: 4096 });
    await registerHttpDoor(app, adapter, intake, { identify: () => ({ ok: true, publisher: testPublisher("POLICE") }) });
    return app;
  };
  it("answers 202 once, then 200 duplicate with the same event id and nothing new published", async () => {
    const { publisher, intake } = make();
    const app = await build(publisher, intake);
    const first = await app.inject({ method: "POST", url: "/v1/sightings", payload: kind.example });
    const again = await app.inject({ method: "POST", url: "/v1/sightings", payload: kind.example });
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(200);
    expect(again.json().duplicate).toBe(true);
    expect(again.json().event_id).toBe(first.json().event_id);
    expect(publisher.log).toHaveLength(1);
  });
  it.each([
    [{ ...(kind.example as object), count: "2" }, 400, "VALIDATION_FAILED"],
    ['{"ref":"S-9","__proto__":{"admin":true}}', 400, "FORBIDDEN_KEY"],
    ["{", 400, "MALFORMED_JSON"],
    [{ ...(kind.example as object), note: "x".repeat(5000) }, 413, "BODY_TOO_LARGE"],
  ])("refuses bad input with a stable code and publishes nothing (%#)", async (payload, status, code) => {
    const { publisher, intake } = make();
    const app = await build(publisher, intake);
    const res = await app.inject({ method: "POST", url: "/v1/sightings", payload: payload as never, headers: { "content-type": "application/json" } });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(publisher.log).toHaveLength(0);
  });
  it("answers 503 PUBLISH_FAILED when the broker does not acknowledge", async () => {
    const { publisher, intake } = make();
    publisher.fail = true;
    const res = await (await build(publisher, intake)).inject({ method: "POST", url: "/v1/sightings", payload: kind.example });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe("PUBLISH_FAILED");
  });
  it("serves OpenAPI docs generated from the schemas", async () => {
    const { publisher, intake } = make();
    const app = await build(publisher, intake);
    const doc = (await app.inject({ url: "/docs/json" })).json();
    expect(doc.paths["/v1/sightings"].post.requestBody.content["application/json"].schema.required).toEqual(expect.arrayContaining(["ref", "district", "note", "count"]));
    expect((await app.inject({ url: "/docs" })).statusCode).toBeLessThan(400);
    expect(openApiDocument(adapter).openapi).toBe("3.1.0");
  });
});

/**
 * A gRPC door on a loopback port with a client, for one describe block: the
 * records it publishes are in `publisher`. Options override the defaults.
 */
function grpcDoorUnderTest(options: { maxStreamRecords: number } & Partial<Parameters<typeof createGrpcDoor>[1]>) {
  const { publisher, intake } = make();
  const server = createGrpcDoor(intake, { agency: "POLICE", tls: "insecure", identify: () => ({ ok: true, publisher: testPublisher("POLICE") }), maxMessageBytes: 64 * 1024, logger: createLogger("t", "silent"), ...options });
  const door = { publisher, client: undefined as unknown as InstanceType<typeof AdapterServiceClient> };
  beforeAll(async () => {
    door.client = new AdapterServiceClient(`127.0.0.1:${await listenGrpc(server, "127.0.0.1", 0, "insecure")}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    door.client.close();
    await closeGrpc(server, 1000);
  });
  return door;
}

describe("the gRPC door (real loopback connection)", () => {
  const { publisher, intake } = make();
  const server = createGrpcDoor(intake, { agency: "POLICE", tls: "insecure", identify: () => ({ ok: true, publisher: testPublisher("POLICE") }), maxMessageBytes: 64 * 1024, maxStreamRecords: 100, logger: createLogger("t", "silent") });
  let client: InstanceType<typeof AdapterServiceClient>;
  beforeAll(async () => {
    const port = await listenGrpc(server, "127.0.0.1", 0, "insecure");
    client = new AdapterServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await closeGrpc(server, 1000);
  });
  const unary = (recordType: string, record: unknown) =>
    new Promise<{ err: grpc.ServiceError | null; res: { eventId: string; duplicate: boolean } | undefined }>((resolve) =>
      client.publish({ recordType, record: record as never }, (err, res) => resolve({ err, res })),
    );

  it("publishes a record and recognises its resubmission", async () => {
    const a = await unary("sighting", { ref: "G-1", district: "Eastern", note: "Whakatōhea", count: 3 });
    const b = await unary("sighting", { ref: "G-1", district: "Eastern", note: "Whakatōhea", count: 3 });
    expect(a.err).toBeNull();
    expect(a.res?.eventId).toBe(eventIdFor(TEST_EVENT_ID_KEY, "POLICE", "G-1"));
    expect(b.res?.duplicate).toBe(true);
    expect(publisher.log.filter((e) => e.id === a.res?.eventId)).toHaveLength(1);
  });
  it("answers INVALID_ARGUMENT with the stable code and field paths", async () => {
    const { err } = await unary("sighting", { ref: "G-2", district: "Nowhere", note: "", count: 1 });
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.metadata.get(GRPC_ERROR_CODE_KEY)[0]).toBe("VALIDATION_FAILED");
    const issues = JSON.parse(String(err?.metadata.get(GRPC_ISSUES_KEY)[0])) as { path: string }[];
    expect(issues.map((i) => i.path).sort()).toEqual(["district", "note"]);
  });
  it("streams many records: good ones published, each bad one reported by position", async () => {
    const summary = await new Promise<PublishStreamResponse>((resolve, reject) => {
      const call = client.publishStream((err, res) => (err ? reject(err) : resolve(res!)));
      call.write({ recordType: "sighting", record: { ref: "GS-1", district: "Southern", note: "a", count: 1 } as never });
      call.write({ recordType: "sighting", record: { ref: "GS-2", district: "Southern", note: "b", count: -5 } as never });
      call.write({ recordType: "rumour", record: {} as never });
      call.write({ recordType: "sighting", record: { ref: "GS-1", district: "Southern", note: "a", count: 1 } as never });
      call.write({ recordType: "sighting", record: { ref: "GS-3", district: "Southern", note: "c", count: 3 } as never });
      call.end();
    });
    expect(summary.accepted).toBe(2);
    expect(summary.duplicates).toBe(1);
    expect(summary.rejected.map((r) => [r.index, r.code])).toEqual([[1, "VALIDATION_FAILED"], [2, "UNKNOWN_RECORD_TYPE"]]);
  });
  it("takes a stream up to its record limit and refuses the rest, saying in the trailer what was taken", async () => {
    const before = publisher.log.length;
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = client.publishStream((e) => resolve(e));
      for (let i = 0; i < 103; i++) call.write({ recordType: "sighting", record: { ref: `OV-${i}`, district: "Eastern", note: "n", count: 1 } as never });
      call.end();
    });
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.metadata.get(GRPC_ERROR_CODE_KEY)[0]).toBe("TOO_MANY_RECORDS");
    const taken = JSON.parse(String(err?.metadata.get(GRPC_SUMMARY_KEY)[0])) as { accepted: number; eventIds: string[] };
    expect([taken.accepted, taken.eventIds.length]).toEqual([100, 100]);
    expect(publisher.log.slice(before).map((e) => e.sourceRecordId)).toEqual(Array.from({ length: 100 }, (_, i) => `OV-${i}`));
  });
});

describe("PublishStream validates and publishes as it reads", () => {
  const door = grpcDoorUnderTest({ maxStreamRecords: 5000 });
  const publisher = door.publisher;
  it("in chunks of at most STREAM_CHUNK records of one type, in order, rejections by their position in the stream", async () => {
    const n = STREAM_CHUNK * 2 + 37;
    const summary = await new Promise<PublishStreamResponse>((resolve, reject) => {
      const call = door.client.publishStream((err, res) => (err ? reject(err) : resolve(res!)));
      for (let i = 0; i < n; i++) call.write({ recordType: "sighting", record: { ref: `CH-${i}`, district: i === 700 ? "Atlantis" : "Eastern", note: "n", count: 1 } as never });
      call.end();
    });
    expect([summary.accepted, summary.rejected.map((r) => [r.index, r.code])]).toEqual([n - 1, [[700, "VALIDATION_FAILED"]]]);
    const sizes = publisher.calls.filter((c) => c.method === "publishMany").map((c) => c.events.length);
    expect(sizes).toEqual([STREAM_CHUNK, STREAM_CHUNK - 1, 37]);
    expect(publisher.log.map((e) => e.sourceRecordId)).toEqual(Array.from({ length: n }, (_, i) => `CH-${i}`).filter((r) => r !== "CH-700"));
  });
});

describe("a PublishStream that goes silent", () => {
  const door = grpcDoorUnderTest({ maxStreamRecords: 100, streamIdleMs: 1000 });
  const publisher = door.publisher;
  const record = (ref: string) => ({ recordType: "sighting", record: { ref, district: "Eastern", note: "n", count: 1 } as never });

  it("is ended DEADLINE_EXCEEDED (STREAM_IDLE) after the idle deadline: what it sent is taken and summarised, nothing after", async () => {
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = door.client.publishStream((e) => resolve(e));
      call.write(record("ID-1"));
      call.write(record("ID-2"));
      // Then silence, never ending the stream; a record sent after the deadline is not read.
      setTimeout(() => call.write(record("ID-LATE")), 2500);
    });
    expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(err?.metadata.get(GRPC_ERROR_CODE_KEY)[0]).toBe("STREAM_IDLE");
    const taken = JSON.parse(String(err?.metadata.get(GRPC_SUMMARY_KEY)[0])) as { accepted: number };
    expect(taken.accepted).toBe(2);
    await new Promise((r) => setTimeout(r, 2000));
    expect(publisher.log.map((e) => e.sourceRecordId)).toEqual(["ID-1", "ID-2"]);
  });

  it("is not ended while it keeps sending, however long it lasts in all", async () => {
    const summary = await new Promise<PublishStreamResponse>((resolve, reject) => {
      const call = door.client.publishStream((err, res) => (err ? reject(err) : resolve(res!)));
      let i = 0;
      // A record every 100 ms for 2.5 s: past the 1 s deadline in all, never silent that long.
      const timer = setInterval(() => {
        call.write(record(`KA-${i++}`));
        if (i === 25) {
          clearInterval(timer);
          call.end();
        }
      }, 150);
    });
    expect(summary.accepted).toBe(25);
  });
});

describe("the gRPC door's rate limits", () => {
  const door = grpcDoorUnderTest({ maxStreamRecords: 100, rateLimit: { perAddressPerMinute: 0, perPrincipalPerMinute: 4 } });
  const publisher = door.publisher;
  const unary = (ref: string) => new Promise<grpc.ServiceError | null>((resolve) => door.client.publish({ recordType: "sighting", record: { ref, district: "Eastern", note: "n", count: 1 } as never }, (err) => resolve(err)));

  it("refuses a publisher over its allowance with RESOURCE_EXHAUSTED RATE_LIMITED and Retry-After, publishing nothing more", async () => {
    expect(await unary("RL-1")).toBeNull();
    expect(await unary("RL-2")).toBeNull();
    const streamed = await new Promise<PublishStreamResponse>((resolve, reject) => {
      const call = door.client.publishStream((err, res) => (err ? reject(err) : resolve(res!)));
      for (let i = 3; i <= 5; i++) call.write({ recordType: "sighting", record: { ref: `RL-${i}`, district: "Eastern", note: "n", count: 1 } as never });
      call.end();
    });
    // Two left of four: the stream's three-record chunk does not fit, and is refused record by record.
    expect(streamed.rejected.map((r) => [r.index, r.code])).toEqual([[0, "RATE_LIMITED"], [1, "RATE_LIMITED"], [2, "RATE_LIMITED"]]);
    // Refused attempts count against the allowance too (a flood does not refill it).
    const err = await unary("RL-6");
    expect([err?.code, err?.metadata.get(GRPC_ERROR_CODE_KEY)[0]]).toEqual([grpc.status.RESOURCE_EXHAUSTED, "RATE_LIMITED"]);
    expect(Number(err?.metadata.get("retry-after")[0])).toBeGreaterThan(0);
    expect(publisher.log.map((e) => e.sourceRecordId)).toEqual(["RL-1", "RL-2"]);
  });

  it("keys an address without its port", () => {
    expect(peerAddress("ipv4:127.0.0.1:51234")).toBe("127.0.0.1");
    expect(peerAddress("ipv6:[::1]:51234")).toBe("::1");
  });
});

describe("the bulk door", () => {
  it("parses NDJSON lines and typed CSV headers into records", () => {
    expect(parseNdjsonLine(3, '{"a":1}')).toEqual({ line: 3, raw: '{"a":1}', record: { a: 1 } });
    expect("error" in parseNdjsonLine(4, "{oops")).toBe(true);
    const r = csvRowToRecord(["ref", "count:number", "tags:list", "persons.0.name", "persons.0.minor:boolean", "blank"], ["S-1", "7", "a; b", "Mere Ngata", "true", ""]);
    expect(r).toEqual({ record: { ref: "S-1", count: 7, tags: ["a", "b"], persons: [{ name: "Mere Ngata", minor: true }] } });
    expect("error" in csvRowToRecord(["a", "b"], ["1"])).toBe(true);
  });

  it("imports good rows, reports each bad row with its line number, and skips resubmissions", async () => {
    const { publisher, intake } = make();
    const dir = mkdtempSync(join(tmpdir(), "takitini-bulk-"));
    const file = join(dir, "in.ndjson");
    writeFileSync(file, ['{"ref":"B-1","district":"Eastern","note":"Ōpōtiki","count":1}', "", "{not json", '{"ref":"B-2","district":"Mars","note":"x","count":1}', '{"ref":"B-1","district":"Eastern","note":"Ōpōtiki","count":1}', '{"ref":"B-3","district":"Northland","note":"y","count":2}'].join("\n"));
    const s = await importFile({ intake, by: testPublisher("POLICE"), recordType: "sighting", file, format: "ndjson", rejectsFile: join(dir, "rejects.ndjson"), batchSize: 2, progress: false });
    expect([s.rows, s.accepted, s.duplicates, s.rejected]).toEqual([5, 2, 1, 2]);
    const rejects = readFileSync(join(dir, "rejects.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { line: number; code: string });
    expect(rejects.map((r) => [r.line, r.code])).toEqual([[3, "MALFORMED_JSON"], [4, "VALIDATION_FAILED"]]);
    expect(publisher.log.map((e) => e.sourceRecordId)).toEqual(["B-1", "B-3"]);
    const first = publisher.log[0]!;
    expect(first.payload?.$case === "policeNoting" && first.payload.value.groupName).toBe("Ōpōtiki");
  });

  it("imports CSV with typed headers", async () => {
    const { publisher, intake } = make();
    const dir = mkdtempSync(join(tmpdir(), "takitini-bulk-"));
    const file = join(dir, "in.csv");
    writeFileSync(file, "ref,district,note,count:number,tags:list\nC-1,Waitematā,Tāmaki,4,a;b\nC-2,Eastern,,1,\n");
    const s = await importFile({ intake, by: testPublisher("POLICE"), recordType: "sighting", file, format: "csv", rejectsFile: join(dir, "r.ndjson"), batchSize: 10, progress: false });
    expect([s.accepted, s.rejected]).toEqual([1, 1]);
    expect(publisher.log[0]?.payload?.$case === "policeNoting" && publisher.log[0].payload.value.reportingUnit).toBe("a,b");
  });
});

describe("existingIsoWeek", () => {
  it.each(["2015-W53", "2020-W53", "2025-W01", "2025-W52"])("accepts %s", (week) => {
    expect(existingIsoWeek.safeParse(week).success).toBe(true);
  });

  it.each(["2025-W53", "2026-W54", "2026-W00", "2026-W1", "2026W46", "2026-46", "2026-11-09", ""])("rejects %j", (week) => {
    expect(existingIsoWeek.safeParse(week).success).toBe(false);
  });
});
