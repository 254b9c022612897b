import { Agency, IntelligenceEvent, PoliceDistrict, PublishRecord } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { ingestRecord, type IngestTopics } from "../ingest.js";
import { flagAnomalies } from "./anomaly.js";
import { tokenHash } from "@takitini/runtime";
import { officerFor, parseTokens } from "./credentials.js";
import { decodeCursor, encodeCursor, recordsQuery } from "./query.js";

describe("anomaly flags", () => {
  const series = (counts: number[], metric: "allow" | "deny" | "access" = "allow") => ({ subscriberId: "mbie", metric, counts });

  it("flag a window far above the subscriber's own baseline", () => {
    expect(flagAnomalies([series([2, 3, 2, 1, 2, 40])])).toEqual([{ subscriber_id: "mbie", metric: "allow", count: 40, baseline_mean: 2, baseline_sd: 0.63, ratio: 20 }]);
  });

  it("do not flag steady volume, small numbers, or busy subscribers at their usual level", () => {
    expect(flagAnomalies([series([100, 120, 90, 110, 130])])).toEqual([]);
    expect(flagAnomalies([series([0, 0, 0, 0, 4])])).toEqual([]); // under the minimum count
    expect(flagAnomalies([series([5, 30, 2, 40, 35])])).toEqual([]); // volatile: within 3 sd
    expect(flagAnomalies([series([])])).toEqual([]);
  });

  it("judge a newcomer against a baseline of nothing, and rank by ratio", () => {
    const out = flagAnomalies([series([0, 0, 0, 12], "deny"), { subscriberId: "customs", metric: "access", counts: [1, 1, 1, 50] }]);
    expect(out.map((a) => [a.subscriber_id, a.metric])).toEqual([["customs", "access"], ["mbie", "deny"]]);
  });
});

describe("oversight credentials", () => {
  const registry = parseTokens(JSON.stringify({ [tokenHash("s3cret-token")]: "Officer Aroha" }), "tokens.json");

  it("map a presented token to its officer, and nothing else", () => {
    expect(officerFor(registry, "s3cret-token")).toBe("Officer Aroha");
    expect(officerFor(registry, "s3cret-tokeN")).toBeUndefined();
    expect(officerFor(registry, "")).toBeUndefined();
    expect(officerFor(registry, "x".repeat(600))).toBeUndefined();
  });

  it("refuse a tokens file that holds tokens rather than their hashes", () => {
    expect(() => parseTokens(JSON.stringify({ "s3cret-token": "Officer" }), "t.json")).toThrow(/SHA-256 hex/);
    expect(() => parseTokens("{", "t.json")).toThrow(/not JSON/);
  });




});

describe("query parameters", () => {
  it("parse every filter and keep cursors opaque", () => {
    const q = recordsQuery.parse({ kind: "decision", subscriber_id: "customs", from: "2026-11-20T00:00:00+13:00", limit: "20" });
    expect(q).toMatchObject({ kind: "decision", subscriber_id: "customs", limit: 20 });
    expect(q.from?.toISOString()).toBe("2026-11-19T11:00:00.000Z");
    expect(decodeCursor(encodeCursor(12345))).toBe(12345);
    expect(decodeCursor("bm9wZQ")).toBeNull();
  });
});

const TOPICS: IngestTopics = { auditTopic: "takitini.audit.decisions.v1", accessTopics: ["takitini.audit.briefing-access.v1"] };

describe("publish records", () => {
  it("hold metadata, subject ids and a hash of the bytes — never the event's content", () => {
    const event = IntelligenceEvent.fromPartial({
      id: "0b8a4f4e-6f0e-5c1a-9d0e-1f2a3b4c5d6e",
      sourceAgency: Agency.AGENCY_POLICE,
      eventType: "police.organised_crime_noting",
      region: PoliceDistrict.POLICE_DISTRICT_EASTERN,
      subjects: [{ entity: { $case: "person", value: { subjectId: "police/person/P1", fullName: "Hēmi Tāwhiri", phoneNumbers: ["021 555 0147"] } } }],
      payload: { $case: "policeNoting", value: { groupName: "Barbarians", summary: "seen at 12 Church Street" } },
    });
    const bytes = Buffer.from(IntelligenceEvent.encode(event).finish());
    const r = ingestRecord("takitini.intel.police.v1", 3, { value: bytes, headers: {}, offset: "41" }, TOPICS, new Date());
    if (!r.ok) throw new Error(r.reason);
    const leaf = Buffer.from(r.records[0]!.ledger.payload);
    for (const secret of ["Hēmi", "021 555", "Barbarians", "Church Street"]) expect(leaf.toString("utf8")).not.toContain(secret);
    const decoded = PublishRecord.decode(leaf);
    expect(decoded).toMatchObject({ eventId: event.id, subjectIds: ["police/person/P1"], sourcePartition: 3, sourceOffset: "41" });
    expect(decoded.contentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.records[0]!.ledger.recordId).toBe(`publish:${event.id}`);
  });

  it("dead-letter what cannot be read", () => {
    expect(ingestRecord("takitini.intel.police.v1", 0, { value: Buffer.from([0xff, 0x01]), headers: {}, offset: "1" }, { auditTopic: "a", accessTopics: [] }, new Date())).toMatchObject({ ok: false, reason: expect.stringMatching(/^DECODE_FAILED/) });
    expect(ingestRecord("takitini.intel.police.v1", 0, { value: null, headers: {}, offset: "1" }, { auditTopic: "a", accessTopics: [] }, new Date())).toEqual({ ok: false, reason: "EMPTY_VALUE" });
    expect(ingestRecord("a", 0, { value: Buffer.from([1]), headers: { "event-type": "audit.gossip" }, offset: "1" }, { auditTopic: "a", accessTopics: [] }, new Date())).toMatchObject({ ok: false, reason: "UNKNOWN_RECORD_TYPE: audit.gossip" });
  });
});
