import { readFileSync } from "node:fs";
import {
  Classification,
  HandlingCaveat,
  IntelligenceEvent,
  OrganisedCrimeActivity,
  PoliceDistrict,
  SourceReliability,
  type IntelligenceEvent as Event,
} from "@takitini/proto";
import { createLogger, createMetricsRegistry, eventIdFor, type TraceContext } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { buildApp } from "./app.js";
import { mapPoliceNoting, POLICE_NOTING_EVENT_TYPE } from "./mapping.js";
import { policeNotingRecord } from "./native.js";
import type { EventPublisher, PublishResult } from "./publisher.js";
import { readConfig } from "./config.js";

const example = JSON.parse(readFileSync(new URL("../examples/noting.json", import.meta.url), "utf8")) as Record<string, unknown>;
const at = new Date("2026-11-20T00:00:00Z");
const withField = (patch: Record<string, unknown>) => ({ ...example, ...patch });

describe("native record validation", () => {
  it("accepts the example and applies defaults", () => {
    const r = policeNotingRecord.parse(example);
    expect(r.releasable_to).toEqual([]);
    expect(r.persons[0]?.role).toBe("person_of_interest");
  });
  it.each([
    ["missing noting_id", { noting_id: undefined }, "noting_id"],
    ["wrong type", { grading: { source: "B", information: "2" } }, "grading.information"],
    ["unknown district", { district: "Gotham" }, "district"],
    ["bad timestamp", { recorded_at: "yesterday" }, "recorded_at"],
    ["control character", { group: "Mob\u0000" }, "group"],
    ["bad nested plate", { vehicles: [{ vehicle_id: "V1", plate: "qzx 482" }] }, "vehicles[0].plate"],
  ])("rejects %s", (_name, patch, path) => {
    const r = policeNotingRecord.safeParse(withField(patch));
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.map(String).join("."))).toContain(path.replace(/\[(\d+)\]/g, ".$1"));
  });
  it("rejects unknown fields", () => {
    expect(policeNotingRecord.safeParse(withField({ surprise: true })).success).toBe(false);
  });
});

describe("mapping to the typed event", () => {
  const event = mapPoliceNoting(policeNotingRecord.parse(example), at);
  it("derives a deterministic event id from the noting id", () => {
    expect(event.id).toBe(eventIdFor("POLICE", "NIC-2026-004217"));
    expect(mapPoliceNoting(policeNotingRecord.parse(example), new Date()).id).toBe(event.id);
  });
  it("maps envelope fields and Police defaults", () => {
    expect(event.eventType).toBe(POLICE_NOTING_EVENT_TYPE);
    expect(event.region).toBe(PoliceDistrict.POLICE_DISTRICT_EASTERN);
    expect(event.classification).toBe(Classification.CLASSIFICATION_RESTRICTED);
    expect(event.handling?.caveats).toEqual([HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY]);
    expect(event.grading?.sourceReliability).toBe(SourceReliability.SOURCE_RELIABILITY_B_USUALLY_RELIABLE);
    expect(event.legalBasis?.provision).toBe("IPP 11(e)(i)");
    expect(event.occurredAt?.toISOString()).toBe("2026-11-19T09:40:00.000Z");
    expect(event.publishedAt).toEqual(at);
    expect(event.payload?.$case).toBe("policeNoting");
    expect(event.payload?.value.activity).toBe(OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY);
  });
  it("maps subjects as typed entities and preserves macrons", () => {
    expect(event.subjects.map((s) => s.entity?.$case)).toEqual(["person", "organisation", "vehicle"]);
    const person = event.subjects[0]?.entity;
    expect(person?.$case === "person" && person.value.fullName).toBe("Hēmi Tāwhiri");
    expect(person?.$case === "person" && person.value.subjectId).toBe("police/person/P-88121");
    expect(event.payload?.value.locality).toBe("Ōpōtiki");
  });
  it("honours the record's own marking", () => {
    const e = mapPoliceNoting(policeNotingRecord.parse(withField({ classification: "IN-CONFIDENCE", caveats: ["RELEASABLE TO"], releasable_to: ["customs"], district: "Tāmaki Makaurau" })), at);
    expect(e.classification).toBe(Classification.CLASSIFICATION_IN_CONFIDENCE);
    expect(e.handling?.caveats).toEqual([HandlingCaveat.HANDLING_CAVEAT_RELEASABLE_TO]);
    expect(e.handling?.releasableTo).toEqual(["customs"]);
    expect(e.region).toBe(PoliceDistrict.POLICE_DISTRICT_AUCKLAND_CITY);
  });
  it("round-trips through protobuf bytes", () => {
    const decoded = IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish());
    expect(decoded).toEqual(event);
  });
});

class RecordingPublisher implements EventPublisher {
  published: { event: Event; trace: TraceContext }[] = [];
  fail = false;
  async publish(event: Event, trace: TraceContext): Promise<PublishResult> {
    if (this.fail) throw new Error("broker down");
    this.published.push({ event, trace });
    return { topic: "t", partition: 0, offset: String(this.published.length - 1) };
  }
  isReady() { return true; }
  async close() {}
}

describe("POST /v1/reports", () => {
  const make = () => {
    const publisher = new RecordingPublisher();
    const app = buildApp({ logger: createLogger("t", "silent"), metrics: createMetricsRegistry("t"), publisher, bodyLimit: 8192, now: () => at });
    return { app, publisher };
  };
  it("answers 202 with the event id and continues the caller's trace", async () => {
    const { app, publisher } = make();
    const res = await app.inject({ method: "POST", url: "/v1/reports", payload: example, headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } });
    expect(res.statusCode).toBe(202);
    expect(res.json().event_id).toBe(eventIdFor("POLICE", "NIC-2026-004217"));
    expect(res.json().trace_id).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(publisher.published).toHaveLength(1);
  });
  it("rejects invalid records with field paths and publishes nothing", async () => {
    const { app, publisher } = make();
    const res = await app.inject({ method: "POST", url: "/v1/reports", payload: withField({ district: "Gotham", extra: 1, persons: [{ person_id: "P1" }] }) });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe("VALIDATION_FAILED");
    expect(body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["district", "extra", "persons[0].name"]);
    expect(publisher.published).toHaveLength(0);
  });
  it.each([
    ["malformed JSON", "{", "application/json", 400, "MALFORMED_JSON"],
    ["a JSON array", "[]", "application/json", 400, "VALIDATION_FAILED"],
    ["prototype pollution", '{"__proto__": {"admin": true}}', "application/json", 400, "FORBIDDEN_KEY"],
    ["an oversized body", JSON.stringify(withField({ summary: "x".repeat(9000) })), "application/json", 413, "BODY_TOO_LARGE"],
    ["a non-JSON content type", "noting", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"],
  ])("rejects %s", async (_n, payload, type, status, code) => {
    const { app, publisher } = make();
    const res = await app.inject({ method: "POST", url: "/v1/reports", payload, headers: { "content-type": type } });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(publisher.published).toHaveLength(0);
  });
  it("answers 503 PUBLISH_FAILED when the broker does not acknowledge", async () => {
    const { app, publisher } = make();
    publisher.fail = true;
    const res = await app.inject({ method: "POST", url: "/v1/reports", payload: example });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe("PUBLISH_FAILED");
  });
});

describe("config", () => {
  it("has defaults and rejects a bad port", () => {
    expect(readConfig({}).PORT).toBe(8081);
    expect(() => readConfig({ PORT: "70000" })).toThrow(/PORT/);
  });
});
