import { loadSharingPolicy, type SharingPolicy, type Subscriber } from "@takitini/policies";
import {
  ClearHoldBuildPhase,
  CountBand,
  IdentityDocumentKind,
  IntelligenceEvent,
  OperationPhase,
  PoliceDistrict,
  SubjectRole,
  SupportNotice,
  SupportService,
  type Subject,
} from "@takitini/proto";
import { isoWeekOf } from "@takitini/runtime";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENT_TYPES, fullEvent, intelTopic, operationUpdate, PERSONAL } from "./events.fixture.js";
import { agreementFor, COUNT_BANDS, countBand, isCommunityTier, randomDeliveryId, supportNotice } from "./notice.js";
import { planRecord } from "./plan.js";

const IDS = { deliveryId: "0f3c2a9e-7b1d-4c8e-9a2f-5d6e7f8a9b0c", agreementId: "community-eastern-police-support-notice" };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const bytes = (n: SupportNotice) => Buffer.from(SupportNotice.encode(n).finish());

describe("count bands", () => {
  it.each([
    [0, CountBand.COUNT_BAND_FEWER_THAN_6],
    [1, CountBand.COUNT_BAND_FEWER_THAN_6],
    [5, CountBand.COUNT_BAND_FEWER_THAN_6],
    [6, CountBand.COUNT_BAND_6_TO_9],
    [9, CountBand.COUNT_BAND_6_TO_9],
    [10, CountBand.COUNT_BAND_10_TO_19],
    [19, CountBand.COUNT_BAND_10_TO_19],
    [20, CountBand.COUNT_BAND_20_TO_49],
    [49, CountBand.COUNT_BAND_20_TO_49],
    [50, CountBand.COUNT_BAND_50_TO_99],
    [99, CountBand.COUNT_BAND_50_TO_99],
    [100, CountBand.COUNT_BAND_100_OR_MORE],
    [2_000_000, CountBand.COUNT_BAND_100_OR_MORE],
    [-4, CountBand.COUNT_BAND_FEWER_THAN_6],
    [Number.NaN, CountBand.COUNT_BAND_FEWER_THAN_6],
  ])("%d is %s", (n, band) => {
    expect(countBand(n)).toBe(band);
  });

  it("cover every count once, and every band but UNSPECIFIED", () => {
    for (let i = 1; i < COUNT_BANDS.length; i++) expect(COUNT_BANDS[i]!.from).toBe(COUNT_BANDS[i - 1]!.to + 1);
    expect(COUNT_BANDS[0]!.from).toBe(0);
    expect(COUNT_BANDS.map((b) => b.band)).toEqual(Object.values(CountBand).filter((b) => b !== CountBand.COUNT_BAND_UNSPECIFIED));
  });
});

describe("the support notice, built by allow-list", () => {
  const event = operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION);

  it("holds exactly its named fields", () => {
    expect(supportNotice(event, IDS)).toEqual({
      deliveryId: IDS.deliveryId,
      eventType: "police.operation_update",
      sourceAgency: "AGENCY_POLICE",
      region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
      week: "2026-W47",
      phase: OperationPhase.OPERATION_PHASE_RESOLUTION,
      clearHoldBuild: ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_CLEAR,
      familiesAffected: CountBand.COUNT_BAND_10_TO_19,
      childrenAffected: CountBand.COUNT_BAND_20_TO_49,
      supportNeeded: [SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING],
      agreementId: IDS.agreementId,
    });
  });

  it("carries no free text, subject, reference or legal-basis description of the event", () => {
    const b = bytes(supportNotice(event, IDS)!);
    const p = event.payload?.$case === "policeOperationUpdate" ? event.payload.value : undefined;
    const text = [...PERSONAL, p!.summary, p!.codeName, p!.targetGroup, ...p!.localities, event.operationRef, event.sourceRecordId, event.legalBasis!.description, event.legalBasis!.instrument, event.legalBasis!.provision, "police/person/P1", "Mongrel Mob"];
    for (const s of text) expect(b.includes(Buffer.from(s)), `"${s}" leaked`).toBe(false);
  });

  it("no id that derives from the event: the delivery id given, never the event's or the native record's", () => {
    const b = bytes(supportNotice(event, IDS)!);
    expect(b.includes(Buffer.from(event.id))).toBe(false);
    expect(b.includes(Buffer.from(event.sourceRecordId))).toBe(false);
    const ids = new Set(Array.from({ length: 50 }, randomDeliveryId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });

  it("no exact small count: 3 families and 1 child are both 'fewer than 6', as are 0", () => {
    const small = (families: number, children: number) =>
      supportNotice(IntelligenceEvent.fromPartial({ ...event, payload: { $case: "policeOperationUpdate", value: { ...(event.payload!.value as object), familiesAffected: families, childrenAffected: children } } }), IDS)!;
    expect([small(3, 1).familiesAffected, small(3, 1).childrenAffected]).toEqual([CountBand.COUNT_BAND_FEWER_THAN_6, CountBand.COUNT_BAND_FEWER_THAN_6]);
    expect(bytes(small(3, 1))).toEqual(bytes(small(0, 5)));
  });

  it("no time finer than the ISO week: two moments of one week give the same bytes", () => {
    const at = (iso: string) => supportNotice(operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION, { occurredAt: new Date(iso), publishedAt: new Date(iso) }), IDS)!;
    // Monday 00:01 and Sunday 23:59 of 2026-W47 in New Zealand (NZDT, UTC+13).
    expect(bytes(at("2026-11-15T11:01:00Z"))).toEqual(bytes(at("2026-11-22T10:59:59Z")));
    expect(at("2026-11-15T11:01:00Z").week).toBe("2026-W47");
    expect(Object.keys(SupportNotice.toJSON(at("2026-11-15T11:01:00Z")) as object)).not.toContain("occurredAt");
  });

  it("exists only for an operation update at resolution or conclusion", () => {
    expect(EVENT_TYPES.filter((t) => supportNotice(fullEvent(t), IDS) !== null)).toEqual(["police.operation_update"]);
    for (const phase of [OperationPhase.OPERATION_PHASE_UNSPECIFIED, OperationPhase.OPERATION_PHASE_PLANNING, OperationPhase.OPERATION_PHASE_ACTIVE]) {
      expect(supportNotice(operationUpdate(phase), IDS)).toBeNull();
    }
    expect(supportNotice(operationUpdate(OperationPhase.OPERATION_PHASE_CONCLUDED), IDS)?.phase).toBe(OperationPhase.OPERATION_PHASE_CONCLUDED);
  });

  it("lists each support service once, in enum order, without UNSPECIFIED", () => {
    const e = IntelligenceEvent.fromPartial({
      ...event,
      payload: {
        $case: "policeOperationUpdate",
        value: { ...(event.payload!.value as object), supportNeeded: [SupportService.SUPPORT_SERVICE_HARM_REDUCTION, SupportService.SUPPORT_SERVICE_UNSPECIFIED, SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT, SupportService.SUPPORT_SERVICE_HARM_REDUCTION] },
      },
    });
    expect(supportNotice(e, IDS)!.supportNeeded).toEqual([SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT, SupportService.SUPPORT_SERVICE_HARM_REDUCTION]);
  });

  it("names the agreement a decision relied on, by its rule and event type", () => {
    const s = { id: "c", tier: "community_leader", agreements: [{ id: "a1", rule: "sharing.x", event_types: ["police.firearms_seizure"] }, { id: "a2", rule: "sharing.x", event_types: ["police.operation_update"] }] } as unknown as Subscriber;
    expect(agreementFor(s, { reasons: ["sharing.x"] }, "police.operation_update")?.id).toBe("a2");
    expect(agreementFor(s, { reasons: ["sharing.y"] }, "police.operation_update")).toBeUndefined();
  });

  it("goes to community tiers only", () => {
    expect(["partner_agency", "community_leader", "public", "oversight"].filter((t) => isCommunityTier(t as never))).toEqual(["community_leader", "public"]);
  });
});

// Distinctive strings, so a match in the bytes can only be a leak.
const canary = fc.stringMatching(/^Zq[a-zāēīōū]{6,12}$/);
const canaries = (min: number) => fc.array(canary, { minLength: min, maxLength: 3 });

const person = (name: string, i: number): Subject => ({
  entity: {
    $case: "person",
    value: { subjectId: `${name}/id/${i}`, fullName: name, aliases: [`${name}y`], dateOfBirth: "2011-02-03", address: `${name} Street`, phoneNumbers: [`021 ${name}`], documents: [{ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, number: `${name}DOC`, issuingCountry: "NZ" }], role: SubjectRole.SUBJECT_ROLE_VICTIM, isMinor: true },
  },
});

/** A random operation update at resolution or conclusion in a random district, with canaries in every free-text and subject field. */
const operationArb = fc
  .record({
    id: fc.uuid(),
    native: canary,
    text: fc.record({ codeName: canary, targetGroup: canary, summary: canary, localities: canaries(1), operationRef: canary, description: canary, instrument: canary, provision: canary, publisher: canary, releasable: canaries(0) }),
    names: canaries(1),
    district: fc.constantFrom(...Object.values(PoliceDistrict).filter((d) => d !== PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED)),
    phase: fc.constantFrom(OperationPhase.OPERATION_PHASE_RESOLUTION, OperationPhase.OPERATION_PHASE_CONCLUDED),
    families: fc.integer({ min: 0, max: 500 }),
    children: fc.integer({ min: 0, max: 500 }),
    at: fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true }),
  })
  .map((r) => ({
    r,
    event: IntelligenceEvent.fromPartial({
      ...operationUpdate(r.phase),
      id: r.id,
      region: r.district,
      occurredAt: r.at,
      publishedAt: r.at,
      legalBasis: { instrument: r.text.instrument, provision: r.text.provision, description: r.text.description },
      operationRef: r.text.operationRef,
      sourceRecordId: r.native,
      publisher: r.text.publisher,
      handling: { caveats: [], releasableTo: r.text.releasable },
      subjects: r.names.map(person),
      payload: {
        $case: "policeOperationUpdate",
        value: { codeName: r.text.codeName, phase: r.phase, targetGroup: r.text.targetGroup, arrests: 17, charges: 93, familiesAffected: r.families, childrenAffected: r.children, summary: r.text.summary, localities: r.text.localities, supportNeeded: [SupportService.SUPPORT_SERVICE_REINTEGRATION] },
      },
    }),
  }));

/** Every planted string of a generated event, and its ids. */
const plantedOf = ({ r }: { r: { id: string; native: string; text: Record<string, string | string[]>; names: string[] } }) => [r.id, r.native, ...Object.values(r.text).flat(), ...r.names];

describe("property: no planted string reaches a notice", () => {
  let policy: SharingPolicy;
  beforeAll(async () => {
    policy = await loadSharingPolicy();
  });

  it("the builder: none of the event's free text, subjects or ids in the encoded bytes; counts only as their band; the week of when", () => {
    fc.assert(
      fc.property(operationArb, (g) => {
        const n = supportNotice(g.event, IDS)!;
        const b = bytes(n);
        for (const s of plantedOf(g)) expect(b.includes(Buffer.from(s)), `"${s}" leaked`).toBe(false);
        const within = (band: CountBand, v: number) => COUNT_BANDS.some((x) => x.band === band && v >= x.from && v <= x.to);
        expect(within(n.familiesAffected, g.r.families) && within(n.childrenAffected, g.r.children)).toBe(true);
        expect(n.week).toBe(isoWeekOf(g.r.at));
      }),
      { numRuns: 300 },
    );
  });

  it("the planner with the shipped policy: what every community topic receives, value, key and headers, holds none of it", () => {
    const subscribers = policy.subscribers();
    const community = new Set(subscribers.filter((s) => isCommunityTier(s.tier)).map((s) => s.delivery_topic));
    let notices = 0;
    fc.assert(
      fc.property(operationArb, (g) => {
        const plan = planRecord(
          { topic: intelTopic(g.event.sourceAgency), partition: 0, offset: "1", key: Buffer.from(g.event.id), value: Buffer.from(IntelligenceEvent.encode(g.event).finish()), headers: {} },
          subscribers,
          policy.decide,
          { auditTopic: "a", deadLetterTopic: "d", policyRevision: policy.revision, now: new Date(), consumer: "t" },
        );
        if (plan.kind !== "disseminate") throw new Error(plan.reason);
        for (const m of plan.messages.filter((m) => community.has(m.topic))) {
          notices++;
          expect(m.headers["event-type"]).toBe("support.notice");
          const all = Buffer.concat([m.value, Buffer.from(m.key), Buffer.from(JSON.stringify(m.headers))]);
          for (const s of [...plantedOf(g), plan.decisions.find((d) => d.deliveryTopic === m.topic)!.id]) expect(all.includes(Buffer.from(s)), `"${s}" leaked`).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
    // Eastern's leaders are among the subscribers: some generated operations reached them.
    expect(notices).toBeGreaterThan(0);
  });
});
