import { IntelligenceEvent, WithdrawalReason } from "@takitini/proto";
import { agencyOfEventId, correctionIdFor, eventIdFor, withdrawalIdFor } from "@takitini/runtime";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClaimIndex, claimRevision, decodeClaim, encodeClaim, type ClaimedRevision } from "./claims.js";
import { envelope, type AgencyDefaults } from "./fields.js";
import { correctionEvent, findRecord, parseWithdrawal, withdrawalEvent, WITHDRAWAL_EVENT_TYPE, type RecordChain, type RevisionIndex } from "./revisions.js";
import { TEST_EVENT_ID_KEY as key } from "./testing.js";

const NOTING = "police.organised_crime_noting";

/** A claim index in a map: id → its record's first version and type. */
function indexOf(entries: [string, ClaimedRevision][]): RevisionIndex {
  const m = new Map(entries);
  return { revision: (id) => m.get(id) };
}

const v1 = eventIdFor(key, "POLICE", "N-1");
const v2 = correctionIdFor(key, "POLICE", v1);
const v3 = correctionIdFor(key, "POLICE", v2);
const w = withdrawalIdFor(key, "POLICE", v1);

describe("findRecord", () => {
  it("refuses what is not an event id, naming the path", () => {
    const r = findRecord(indexOf([]), key, "POLICE", "../etc/passwd", "eventId");
    expect(r).toMatchObject({ ok: false, code: "VALIDATION_FAILED", issues: [{ path: "eventId" }] });
  });
  it("refuses another agency's id without looking it up (claimed or not, the same answer)", () => {
    const customs = eventIdFor(key, "CUSTOMS", "N-1");
    const claimed = findRecord(indexOf([[customs, { original: customs, eventType: "customs.border_seizure" }]]), key, "POLICE", customs, "eventId");
    const unknown = findRecord(indexOf([]), key, "POLICE", customs, "eventId");
    expect(claimed).toEqual(unknown);
    expect(claimed).toMatchObject({ ok: false, code: "RECORD_OF_ANOTHER_AGENCY" });
  });
  it("answers RECORD_NOT_FOUND for an unclaimed id of this agency and for a withdrawal's id", () => {
    expect(findRecord(indexOf([]), key, "POLICE", v1, "eventId")).toMatchObject({ ok: false, code: "RECORD_NOT_FOUND", issues: [{ path: "eventId" }] });
    const index = indexOf([[v1, { original: v1, eventType: NOTING }], [w, { original: v1, eventType: WITHDRAWAL_EVENT_TYPE }]]);
    expect(findRecord(index, key, "POLICE", w, "withdraw")).toMatchObject({ ok: false, code: "RECORD_NOT_FOUND", issues: [{ path: "withdraw" }] });
  });
  it("finds the first version, the latest and whether it is withdrawn, from any version", () => {
    const index = indexOf([
      [v1, { original: v1, eventType: NOTING }],
      [v2, { original: v1, eventType: NOTING }],
      [v3, { original: v1, eventType: NOTING }],
    ]);
    for (const named of [v1, v2, v3]) {
      expect(findRecord(index, key, "POLICE", named, "eventId")).toEqual({ ok: true, chain: { named, original: v1, eventType: NOTING, latest: v3, withdrawalId: w, withdrawn: false } });
    }
    const withdrawn = indexOf([
      [v1, { original: v1, eventType: NOTING }],
      [v2, { original: v1, eventType: NOTING }],
      [w, { original: v1, eventType: WITHDRAWAL_EVENT_TYPE }],
    ]);
    expect(findRecord(withdrawn, key, "POLICE", v1, "eventId")).toMatchObject({ ok: true, chain: { latest: v2, withdrawn: true } });
  });
  it("takes a claim from before corrections (no type, no original) as a first version of unknown type", () => {
    const index = new ClaimIndex(1024, key);
    index.learn(v1, Buffer.from(JSON.stringify({ v: 1, partition: 0, offset: "7", fingerprint: "f", digests: {} })));
    expect(index.revision(v1)).toEqual({ original: v1, eventType: undefined });
    expect(findRecord(index, key, "POLICE", v1, "eventId")).toMatchObject({ ok: true, chain: { original: v1, eventType: undefined, latest: v1 } });
  });
  it("walks any chain to its end (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 29 }), fc.boolean(), (n, pick, withdrawn) => {
        const versions = [v1];
        while (versions.length < n) versions.push(correctionIdFor(key, "POLICE", versions.at(-1)!));
        const entries: [string, ClaimedRevision][] = versions.map((id) => [id, { original: v1, eventType: NOTING }]);
        if (withdrawn) entries.push([w, { original: v1, eventType: WITHDRAWAL_EVENT_TYPE }]);
        const named = versions[pick % n]!;
        const r = findRecord(indexOf(entries), key, "POLICE", named, "eventId");
        expect(r).toEqual({ ok: true, chain: { named, original: v1, eventType: NOTING, latest: versions.at(-1), withdrawalId: w, withdrawn } });
      }),
    );
  });
});

describe("claims know a record's first version and type", () => {
  const event = (patch: Partial<IntelligenceEvent>): IntelligenceEvent => ({ ...IntelligenceEvent.fromPartial({ eventType: NOTING }), ...patch });
  it("a first version's claim names its type only; a correction's its first version too", () => {
    expect(claimRevision(event({ id: v1 }))).toEqual({ eventType: NOTING });
    expect(claimRevision(event({ id: v2, supersedes: v1, originalEventId: v1 }))).toEqual({ original: v1, eventType: NOTING });
    const index = new ClaimIndex(1024, key);
    index.learn(v2, encodeClaim({ partition: 1, offset: "3", fingerprint: "f", digests: {}, ...claimRevision(event({ id: v2, originalEventId: v1 })) }));
    expect(index.revision(v2)).toEqual({ original: v1, eventType: NOTING });
    expect(index.revision(v1)).toBeUndefined();
  });
  it("a claim whose revision fields are of the wrong type is not understood", () => {
    expect(decodeClaim(Buffer.from(JSON.stringify({ v: 1, partition: 0, offset: "1", fingerprint: "f", digests: {}, original: 7 })))).toBeUndefined();
    expect(decodeClaim(Buffer.from(JSON.stringify({ v: 1, partition: 0, offset: "1", fingerprint: "f", digests: {}, eventType: ["x"] })))).toBeUndefined();
  });
});

const defaults: AgencyDefaults = { classification: "RESTRICTED", caveats: ["LAW ENFORCEMENT ONLY"], legalBasis: { instrument: "Policing Act 2008", provision: "s 9", description: "d" } };
const chain: RecordChain = { named: v2, original: v1, eventType: NOTING, latest: v2, withdrawalId: w, withdrawn: false };
const mapped = envelope({
  agency: "POLICE",
  eventType: NOTING,
  nativeId: "N-1",
  occurredAt: "2026-11-01T00:00:00Z",
  publishedAt: new Date("2026-11-02T00:00:00Z"),
  district: "Eastern",
  defaults,
  payload: { $case: "policeNoting", value: { groupName: "g", activity: "ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY" as never, commodities: [], summary: "", reportingUnit: "", locality: "" } },
});

describe("correctionEvent", () => {
  it("re-identifies the corrected record: its id from the version named, supersedes it, names the first version", () => {
    const r = correctionEvent(chain, key, "POLICE", { ...mapped, id: v1 });
    expect(r).toMatchObject({ ok: true, event: { id: v3, supersedes: v2, originalEventId: v1, eventType: NOTING, sourceRecordId: "N-1" } });
    expect(r.ok && agencyOfEventId(r.event.id)).toBe("POLICE");
  });
  it("refuses another type (naming record_type) and a withdrawn record", () => {
    expect(correctionEvent(chain, key, "POLICE", { ...mapped, eventType: "police.firearms_seizure" })).toMatchObject({ ok: false, code: "CORRECTION_TYPE_MISMATCH", issues: [{ path: "record_type" }] });
    expect(correctionEvent({ ...chain, withdrawn: true }, key, "POLICE", mapped)).toMatchObject({ ok: false, code: "RECORD_WITHDRAWN" });
    // A record of unknown type (claimed before corrections) takes a correction of any of the agency's types.
    expect(correctionEvent({ ...chain, eventType: undefined }, key, "POLICE", { ...mapped, eventType: "police.firearms_seizure" }).ok).toBe(true);
  });
});

describe("withdrawals", () => {
  it("validate the reason and the explanation, naming the field, never echoing the text", () => {
    expect(parseWithdrawal({ reason: "entered_in_error" })).toEqual({ ok: true, value: { reason: "entered_in_error" } });
    expect(parseWithdrawal({ reason: "other", explanation: "  Kua hē te kōnae.  " })).toEqual({ ok: true, value: { reason: "other", explanation: "Kua hē te kōnae." } });
    const paths = (raw: unknown) => {
      const r = parseWithdrawal(raw);
      return r.ok ? [] : r.issues.map((i) => i.path);
    };
    expect(paths({})).toEqual(["reason"]);
    expect(paths({ reason: "because" })).toEqual(["reason"]);
    expect(paths({ reason: "other", explanation: "x".repeat(1001) })).toEqual(["explanation"]);
    expect(paths({ reason: "other", extra: 1 })).toEqual(["extra"]);
    expect(paths(null)).toEqual([""]);
    for (const identifier of ["call 021 555 0199", "passport LA123456", "mere@example.nz"]) {
      const r = parseWithdrawal({ reason: "other", explanation: `wrong person, ${identifier}` });
      expect(r.ok).toBe(false);
      expect(JSON.stringify(r)).not.toContain(identifier.split(" ").at(-1));
    }
  });
  it("make the withdrawal event: its id, the latest version, the agency's defaults, no region, the first version", () => {
    const now = new Date("2026-11-20T00:00:00Z");
    const e = withdrawalEvent(chain, "POLICE", defaults, { reason: "not_substantiated", explanation: "inquiries closed" }, now);
    expect(e).toMatchObject({
      id: w,
      eventType: WITHDRAWAL_EVENT_TYPE,
      sourceAgency: "AGENCY_POLICE",
      region: "POLICE_DISTRICT_UNSPECIFIED",
      classification: "CLASSIFICATION_RESTRICTED",
      handling: { caveats: ["HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY"], releasableTo: [], releasableToCountries: [] },
      legalBasis: { instrument: "Policing Act 2008", provision: "s 9" },
      originalEventId: v1,
      supersedes: "",
      occurredAt: now,
      publishedAt: now,
      payload: { $case: "recordWithdrawal", value: { withdrawnEventId: v2, reason: WithdrawalReason.WITHDRAWAL_REASON_NOT_SUBSTANTIATED, explanation: "inquiries closed" } },
    });
    // It encodes (the oneof and enums are the generated types').
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish()).payload).toEqual(e.payload);
  });
});
