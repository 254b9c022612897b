import { IntelligenceEvent } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { ContentIndex, ContentMemory, contentFingerprint, differingPaths, storedFingerprint } from "./content.js";
import { EventIdKey, eventIdFor } from "@takitini/runtime";
import fc from "fast-check";
import { ClaimIndex, claimDifferingPaths, claimsTopicFor, claimTransactionalId, contentDigests, decodeClaim, encodeClaim } from "./claims.js";
import { envelope, type AgencyDefaults } from "./fields.js";
import { TEST_EVENT_ID_KEY } from "./testing.js";

const defaults: AgencyDefaults = { classification: "RESTRICTED", caveats: ["LAW ENFORCEMENT ONLY"], legalBasis: { instrument: "Test Act", provision: "s 1", description: "" } };

function event(patch: { ref?: string; summary?: string; classification?: "SECRET"; at?: Date; persons?: string[]; occurred?: string; publisher?: string } = {}): IntelligenceEvent {
  const e = envelope({
    agency: "POLICE",
    eventType: "police.organised_crime_noting",
    nativeId: patch.ref ?? "N-1",
    occurredAt: patch.occurred ?? "2026-11-01T00:00:00Z",
    publishedAt: patch.at ?? new Date("2026-11-20T00:00:00Z"),
    district: "Eastern",
    defaults,
    classification: patch.classification,
    subjects: (patch.persons ?? ["Mere"]).map((name, i) => ({ entity: { $case: "person", value: { subjectId: `police/person/P-${i}`, fullName: name, aliases: [], dateOfBirth: "", address: "", phoneNumbers: [], documents: [], role: "SUBJECT_ROLE_ASSOCIATE" as never, isMinor: false } } })),
    payload: { $case: "policeNoting", value: { groupName: "Mob", activity: "ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY" as never, commodities: [], summary: patch.summary ?? "seen", reportingUnit: "NIC", locality: "Ōpōtiki" } },
  });
  return { ...e, id: eventIdFor(TEST_EVENT_ID_KEY, "POLICE", patch.ref ?? "N-1"), publisher: patch.publisher ?? "spiffe://takitini.local/publisher/police/nia" };
}
const bytes = (e: IntelligenceEvent) => IntelligenceEvent.encode(e).finish();

describe("contentFingerprint", () => {
  it("is the same whenever the record is published, and differs with its content", () => {
    const a = contentFingerprint(event());
    expect(contentFingerprint(event({ at: new Date("2030-01-01T00:00:00Z") }))).toBe(a);
    // Which system sent it is not what it says: another of the agency's systems resubmitting it is a duplicate.
    expect(contentFingerprint(event({ publisher: "spiffe://takitini.local/publisher/police/other" }))).toBe(a);
    expect(contentFingerprint(event({ summary: "seen twice" }))).not.toBe(a);
    expect(contentFingerprint(event({ classification: "SECRET" }))).not.toBe(a);
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("is derivable from the bytes on the topic, and undefined for bytes that do not decode", () => {
    expect(storedFingerprint(bytes(event({ at: new Date(0) })))).toBe(contentFingerprint(event()));
    expect(storedFingerprint(Buffer.from([0xff, 0x01, 0x02]))).toBeUndefined();
  });
});

describe("differingPaths", () => {
  it("names the differing fields of the event, never their values", () => {
    const paths = differingPaths(event(), event({ summary: "Whakatōhea", classification: "SECRET", persons: ["Mere", "Hēmi"], at: new Date(0) }));
    expect(paths).toEqual(["classification", "subjects[1]", "payload.policeNoting.summary"]);
    expect(JSON.stringify(paths)).not.toMatch(/Whakatōhea|Hēmi|SECRET/);
  });

  it("sees dates, nested values and oneof branches", () => {
    expect(differingPaths(event(), event({ occurred: "2026-11-01T00:00:01Z" }))).toEqual(["occurredAt"]);
    expect(differingPaths(event(), event({ persons: ["Mere Ngata"] }))).toEqual(["subjects[0].entity.person.fullName"]);
    const other = { ...event(), payload: { $case: "policeFirearmsSeizure" as const, value: { firearmsCount: 1, firearmTypes: [], ammunitionRounds: 0, locality: "", linkedGroup: "", underWarrant: false } } };
    expect(differingPaths(event(), other)).toEqual(["payload"]);
    expect(differingPaths(event(), event({ at: new Date(0) }))).toEqual([]);
  });
});

describe("ContentMemory", () => {
  it("keeps the most recent records within its byte budget, and copies what it keeps", () => {
    const memory = new ContentMemory(10);
    const source = new Uint8Array([1, 2, 3, 4]);
    memory.remember("a", source);
    source[0] = 9;
    expect(memory.recall("a")).toEqual(new Uint8Array([1, 2, 3, 4]));
    memory.remember("b", new Uint8Array(4));
    memory.remember("c", new Uint8Array(4)); // 12 > 10: a goes
    expect([memory.recall("a"), memory.size, memory.bytes]).toEqual([undefined, 2, 8]);
    memory.remember("b", new Uint8Array(2)); // replaced, and now the most recent
    memory.remember("d", new Uint8Array(4));
    expect([memory.recall("c")?.length, memory.recall("b")?.length, memory.recall("d")?.length, memory.bytes]).toEqual([4, 2, 4, 10]);
    memory.remember("huge", new Uint8Array(11));
    expect([memory.recall("huge"), memory.bytes]).toEqual([undefined, 10]);
    const none = new ContentMemory(0);
    none.remember("a", new Uint8Array(1));
    expect(none.size).toBe(0);
  });
});

describe("ContentIndex", () => {
  const placed = { partition: 2, offset: "41" };

  it("judges a new id new, the same content a duplicate, other content a conflict with the differing paths", () => {
    const index = new ContentIndex(1024 * 1024);
    const first = event();
    expect(index.judge(first, contentFingerprint(first))).toEqual({ kind: "new" });
    index.placed(first.id, placed, contentFingerprint(first), bytes(first));
    const again = event({ at: new Date("2026-12-01T00:00:00Z") });
    expect(index.judge(again, contentFingerprint(again))).toEqual({ kind: "duplicate", placed });
    const changed = event({ summary: "other" });
    expect(index.judge(changed, contentFingerprint(changed))).toEqual({ kind: "conflict", placed, paths: ["payload.policeNoting.summary"] });
  });

  it("learns from the topic: the content-hash header, or the fingerprint recomputed from the value", () => {
    const index = new ContentIndex(1024 * 1024);
    const stored = event({ ref: "N-2", at: new Date(0) });
    index.learn(stored.id, placed, Buffer.from(bytes(stored)), undefined); // written before headers carried the hash
    const same = event({ ref: "N-2" });
    expect(index.judge(same, contentFingerprint(same)).kind).toBe("duplicate");
    const changed = event({ ref: "N-2", classification: "SECRET" });
    expect(index.judge(changed, contentFingerprint(changed))).toEqual({ kind: "conflict", placed, paths: ["classification"] });
    const withHeader = event({ ref: "N-3" });
    index.learn(withHeader.id, placed, null, contentFingerprint(withHeader));
    expect(index.judge(withHeader, contentFingerprint(withHeader)).kind).toBe("duplicate");
    expect(index.size).toBe(2);
  });

  it("still refuses a conflict whose previous version is out of memory, without paths", () => {
    const index = new ContentIndex(0);
    const first = event({ ref: "N-4" });
    index.placed(first.id, placed, contentFingerprint(first), bytes(first));
    const changed = event({ ref: "N-4", summary: "other" });
    expect(index.judge(changed, contentFingerprint(changed))).toEqual({ kind: "conflict", placed, paths: null });
  });

  it("treats an id whose stored bytes do not decode as a duplicate, as before fingerprints", () => {
    const index = new ContentIndex(1024);
    const e = event({ ref: "N-5" });
    index.learn(e.id, placed, Buffer.from([0xff, 0x01]), undefined);
    expect(index.judge(e, contentFingerprint(e)).kind).toBe("duplicate");
  });
});

describe("claims (claims.ts): what any instance judges a resubmission against", () => {
  const key = TEST_EVENT_ID_KEY;
  const variants = fc.record({
    summary: fc.constantFrom("seen", "Whakatōhea", "seen again"),
    classification: fc.constantFrom(undefined, "SECRET" as const),
    persons: fc.array(fc.constantFrom("Mere", "Hēmi", "Mere Ngata"), { minLength: 0, maxLength: 3 }),
    occurred: fc.constantFrom("2026-11-01T00:00:00Z", "2026-11-01T00:00:01Z"),
    at: fc.date({ min: new Date("2026-01-01T00:00:00Z"), max: new Date("2026-11-30T00:00:00Z"), noInvalidDate: true }),
  });

  it("names from a claim's digests exactly the paths differingPaths names from the two events", () => {
    fc.assert(
      fc.property(variants, variants, (a, b) => {
        const claimed = decodeClaim(encodeClaim({ partition: 0, offset: "0", fingerprint: contentFingerprint(event(a)), digests: contentDigests(event(a), key) }))!;
        expect(claimDifferingPaths(claimed.digests, event(b), key)).toEqual(differingPaths(event(a), event(b)));
      }),
    );
  });

  it("holds no value in clear, and its digests depend on the key and the event id", () => {
    const e = event({ summary: "Whakatōhea", persons: ["Hēmi"] });
    const text = encodeClaim({ partition: 1, offset: "7", fingerprint: contentFingerprint(e), digests: contentDigests(e, key) }).toString();
    expect(text).not.toMatch(/Whakatōhea|Hēmi|Ōpōtiki|Mob|P-0|Eastern/);
    const other = new EventIdKey(Buffer.from("another key of the adapters, 32 bytes or more"));
    expect(JSON.stringify(contentDigests(e, other))).not.toBe(JSON.stringify(contentDigests(e, key)));
    expect(JSON.stringify(contentDigests({ ...e, id: event({ ref: "N-2" }).id }, key))).not.toBe(JSON.stringify(contentDigests(e, key)));
  });

  it("judges in the index: new, duplicate, conflict with paths — and without paths once out of memory", () => {
    const claim = (e: IntelligenceEvent) => encodeClaim({ partition: 2, offset: "41", fingerprint: contentFingerprint(e), digests: contentDigests(e, key) });
    const index = new ClaimIndex(1024 * 1024, key);
    expect(index.judge(event(), contentFingerprint(event())).kind).toBe("new");
    index.learn(event().id, claim(event()));
    expect(index.judge(event({ at: new Date(0) }), contentFingerprint(event()))).toEqual({ kind: "duplicate", placed: { partition: 2, offset: "41" } });
    const changed = event({ summary: "other" });
    expect(index.judge(changed, contentFingerprint(changed))).toEqual({ kind: "conflict", placed: { partition: 2, offset: "41" }, paths: ["payload.policeNoting.summary"] });
    const forgetful = new ClaimIndex(0, key);
    forgetful.learn(event().id, claim(event()));
    expect(forgetful.judge(changed, contentFingerprint(changed))).toMatchObject({ kind: "conflict", paths: null });
    // A record that is not a claim this version understands is ignored.
    index.learn("x", Buffer.from("not json"));
    expect(index.has("x")).toBe(false);
  });

  it("names the claims topic and the partition's transactional id after the intel topic", () => {
    expect(claimsTopicFor("takitini.intel.police.v1")).toBe("takitini.claims.police.v1");
    // A run's own intel topic gets its own claims topic, never the shipped one.
    expect(claimsTopicFor("e2e-sub-1a2b.intel.customs.v1")).toBe("e2e-sub-1a2b.claims.customs.v1");
    expect(claimTransactionalId("takitini-police-adapter", "takitini.claims.police.v1", 3)).toBe("takitini-police-adapter.claims.takitini.claims.police.v1.3");
  });
});
