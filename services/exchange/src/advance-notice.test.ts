import { loadSharingPolicy, type SharingPolicy } from "@takitini/policies";
import { Classification, CountBand, HandlingCaveat, IdentityDocumentKind, IntelligenceEvent, PoliceDistrict, SubjectRole, SupportNotice, SupportService, type Subject } from "@takitini/proto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENT_TYPES, fullEvent, intelTopic, PERSONAL } from "./events.fixture.js";
import { ADVANCE_NOTICE_EVENT_TYPE, advanceSupportNotice, COUNT_BANDS, isAdvanceNotice, supportNotice } from "./notice.js";
import { planRecord, SUPPORT_NOTICE_EVENT_TYPE } from "./plan.js";

/*
 * Police's support advance notice (police.support_advance_notice): before arrests,
 * MSD and Oranga Tamariki — and no one else — receive a SupportNotice built by
 * allow-list (district, ISO week, banded counts, support needed, the agreement's id),
 * never the event; whatever else an event of the type carries reaches no one.
 */

const IDS = { deliveryId: "0f3c2a9e-7b1d-4c8e-9a2f-5d6e7f8a9b0c", agreementId: "msd-police-support-advance-notice" };
const bytes = (n: SupportNotice) => Buffer.from(SupportNotice.encode(n).finish());

/** As the Police adapter maps one: RESTRICTED, no community release, no operation, no subjects. */
const NOTICE_MARKINGS = { classification: Classification.CLASSIFICATION_RESTRICTED, handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_NO_COMMUNITY_RELEASE], releasableTo: [], releasableToCountries: [] } };
const advanceNotice = (fields: Partial<IntelligenceEvent> = {}) => fullEvent(ADVANCE_NOTICE_EVENT_TYPE, { ...NOTICE_MARKINGS, operationRef: "", subjects: [], ...fields });
const payloadOf = (e: IntelligenceEvent) => (e.payload?.$case === "policeSupportAdvanceNotice" ? e.payload.value : undefined)!;
const withPayload = (e: IntelligenceEvent, value: Partial<ReturnType<typeof payloadOf>>) => IntelligenceEvent.fromPartial({ ...e, payload: { $case: "policeSupportAdvanceNotice", value: { ...payloadOf(e), ...value } } });

describe("the advance notice, built by allow-list", () => {
  const event = advanceNotice();

  it("holds exactly its named fields: no phase, no stage, counts as bands", () => {
    expect(advanceSupportNotice(event, IDS)).toEqual({
      deliveryId: IDS.deliveryId,
      eventType: "police.support_advance_notice",
      sourceAgency: "AGENCY_POLICE",
      region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
      week: "2026-W48",
      phase: "OPERATION_PHASE_UNSPECIFIED",
      clearHoldBuild: "CLEAR_HOLD_BUILD_PHASE_UNSPECIFIED",
      familiesAffected: CountBand.COUNT_BAND_10_TO_19,
      childrenAffected: CountBand.COUNT_BAND_20_TO_49,
      supportNeeded: [SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT, SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION],
      agreementId: IDS.agreementId,
    });
  });

  it("carries nothing of the envelope but the agency, type and district, whatever it holds", () => {
    // An event of the type with every envelope field set (the fixture's operation, subjects, record id, legal basis, publisher).
    const loaded = fullEvent(ADVANCE_NOTICE_EVENT_TYPE, { publisher: "spiffe://takitini.local/publisher/police/nia" });
    const b = bytes(advanceSupportNotice(loaded, IDS)!);
    for (const s of [...PERSONAL, loaded.id, loaded.operationRef, loaded.sourceRecordId, loaded.publisher, loaded.legalBasis!.instrument, loaded.legalBasis!.provision, loaded.legalBasis!.description, "police/person"]) {
      expect(b.includes(Buffer.from(s)), `"${s}" leaked`).toBe(false);
    }
    expect(advanceSupportNotice(loaded, IDS)).toEqual(advanceSupportNotice(event, IDS));
  });

  it("exists only for a support advance notice with an ISO week", () => {
    expect(EVENT_TYPES.filter((t) => advanceSupportNotice(fullEvent(t), IDS) !== null)).toEqual([ADVANCE_NOTICE_EVENT_TYPE]);
    for (const week of ["", "2026-11-24", "2026-W48 Ōpōtiki", "Operation Highwater", "2026-W54"]) expect(advanceSupportNotice(withPayload(event, { week }), IDS), week).toBeNull();
    // The community builder has no form of it: a community tier could not be sent one even if allowed.
    expect(supportNotice(event, IDS)).toBeNull();
    expect(EVENT_TYPES.filter((t) => isAdvanceNotice(fullEvent(t)))).toEqual([ADVANCE_NOTICE_EVENT_TYPE]);
  });

  it("lists each support service once, in enum order, without UNSPECIFIED", () => {
    const e = withPayload(event, { supportNeeded: [SupportService.SUPPORT_SERVICE_HARM_REDUCTION, SupportService.SUPPORT_SERVICE_UNSPECIFIED, SupportService.SUPPORT_SERVICE_REINTEGRATION, SupportService.SUPPORT_SERVICE_HARM_REDUCTION] });
    expect(advanceSupportNotice(e, IDS)!.supportNeeded).toEqual([SupportService.SUPPORT_SERVICE_REINTEGRATION, SupportService.SUPPORT_SERVICE_HARM_REDUCTION]);
  });

  it("no exact small count: 3 families with 1 child and none at all give the same bytes", () => {
    const small = (families: number, children: number) => bytes(advanceSupportNotice(withPayload(event, { familiesLikelyAffected: families, childrenLikelyAffected: children }), IDS)!);
    expect(small(3, 1)).toEqual(small(0, 0));
  });
});

// Distinctive strings, so a match in the bytes can only be a leak.
const canary = fc.stringMatching(/^Zq[a-zāēīōū]{6,12}$/);
const canaries = (min: number) => fc.array(canary, { minLength: min, maxLength: 3 });

const person = (name: string, i: number): Subject => ({
  entity: {
    $case: "person",
    value: { subjectId: `${name}/id/${i}`, fullName: name, aliases: [`${name}y`], dateOfBirth: "2014-02-03", address: `${name} Street`, phoneNumbers: [`021 ${name}`], documents: [{ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, number: `${name}DOC`, issuingCountry: "NZ" }], role: SubjectRole.SUBJECT_ROLE_VICTIM, isMinor: true },
  },
});

const district = fc.constantFrom(...Object.values(PoliceDistrict).filter((d) => d !== PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED));
const weekArb = fc.tuple(fc.integer({ min: 2020, max: 2030 }), fc.integer({ min: 1, max: 52 })).map(([y, w]) => `${y}-W${String(w).padStart(2, "0")}`);

/**
 * A random advance notice in a random district with canaries in every envelope field
 * a record could carry: the record id, the legal basis, the publisher, releasable-to —
 * and, when `named`, an operation reference (a code name) and subjects (names, places
 * in addresses, documents), which the adapter never sets.
 */
const noticeArb = (named: boolean) =>
  fc
    .record({
      id: fc.uuid(),
      native: canary,
      text: fc.record({ operationRef: named ? canary : fc.constant(""), description: canary, instrument: canary, provision: canary, publisher: canary, releasable: canaries(0) }),
      names: named ? canaries(0) : fc.constant([] as string[]),
      district,
      week: weekArb,
      families: fc.integer({ min: 0, max: 500 }),
      children: fc.integer({ min: 0, max: 2000 }),
      support: fc.subarray(Object.values(SupportService)),
      at: fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true }),
    })
    .map((r) => ({
      r,
      event: IntelligenceEvent.fromPartial({
        ...advanceNotice(),
        id: r.id,
        region: r.district,
        occurredAt: r.at,
        publishedAt: r.at,
        legalBasis: { instrument: r.text.instrument, provision: r.text.provision, description: r.text.description },
        operationRef: r.text.operationRef,
        sourceRecordId: r.native,
        publisher: r.text.publisher,
        handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_NO_COMMUNITY_RELEASE, ...(r.text.releasable.length > 0 ? [HandlingCaveat.HANDLING_CAVEAT_RELEASABLE_TO] : [])], releasableTo: r.text.releasable },
        subjects: r.names.map(person),
        payload: { $case: "policeSupportAdvanceNotice", value: { week: r.week, familiesLikelyAffected: r.families, childrenLikelyAffected: r.children, supportNeeded: r.support } },
      }),
    }));

/** Every planted string of a generated event, and its ids (the empty ones left out). */
const plantedOf = ({ r }: { r: { id: string; native: string; text: Record<string, string | string[]>; names: string[] } }) =>
  [r.id, r.native, ...Object.values(r.text).flat(), ...r.names.flatMap((n, i) => [n, `${n}/id/${i}`, `${n} Street`, `${n}DOC`])].filter((s) => s !== "");

const WELFARE = ["msd", "oranga-tamariki"];

describe("property: nothing of the operation reaches MSD or Oranga Tamariki but the allow-listed fields", () => {
  let policy: SharingPolicy;
  beforeAll(async () => {
    policy = await loadSharingPolicy();
  });
  const plan = (event: IntelligenceEvent) => {
    const p = planRecord(
      { topic: intelTopic(event.sourceAgency), partition: 0, offset: "1", key: Buffer.from(event.id), value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: {} },
      policy.subscribers(),
      policy.decide,
      { auditTopic: "audit", deadLetterTopic: "dlq", policyRevision: policy.revision, now: new Date("2026-11-20T00:00:00Z"), consumer: "t" },
    );
    if (p.kind !== "disseminate") throw new Error(p.reason);
    return p;
  };

  it("the builder: no planted string in the bytes; counts only as their band; the week as stated", () => {
    fc.assert(
      fc.property(noticeArb(true), (g) => {
        const n = advanceSupportNotice(g.event, IDS)!;
        const b = bytes(n);
        for (const s of plantedOf(g)) expect(b.includes(Buffer.from(s)), `"${s}" leaked`).toBe(false);
        const within = (band: CountBand, v: number) => COUNT_BANDS.some((x) => x.band === band && v >= x.from && v <= x.to);
        expect(within(n.familiesAffected, g.r.families) && within(n.childrenAffected, g.r.children)).toBe(true);
        expect([n.week, n.region, n.eventType]).toEqual([g.r.week, g.r.district, ADVANCE_NOTICE_EVENT_TYPE]);
      }),
      { numRuns: 300 },
    );
  });

  it("the planner with the shipped policy: MSD and Oranga Tamariki each receive one SupportNotice, holding none of it in value, key or headers; no one else receives anything", () => {
    const subscribers = policy.subscribers();
    const welfareTopics = new Set(subscribers.filter((s) => WELFARE.includes(s.id)).map((s) => s.delivery_topic));
    fc.assert(
      fc.property(noticeArb(false), (g) => {
        const p = plan(g.event);
        const delivered = p.messages.filter((m) => m.topic !== "audit");
        // RELEASABLE_TO (a caveat the adapter refuses) names no welfare agency here: then no one receives it.
        if (g.r.text.releasable.length > 0) {
          expect(delivered).toEqual([]);
          return;
        }
        expect(delivered.map((m) => m.topic).sort()).toEqual([...welfareTopics].sort());
        for (const m of delivered) {
          expect(m.headers["event-type"]).toBe(SUPPORT_NOTICE_EVENT_TYPE);
          const n = SupportNotice.decode(m.value);
          expect(SupportNotice.encode(n).finish()).toEqual(new Uint8Array(m.value));
          const d = p.decisions.find((x) => x.deliveryTopic === m.topic)!;
          expect([m.key, m.headers["decision-id"], m.headers["delivery-id"], n.deliveryId, d.deliveryId]).toEqual([d.id, d.id, n.deliveryId, d.deliveryId, n.deliveryId]);
          const all = Buffer.concat([m.value, Buffer.from(m.key), Buffer.from(JSON.stringify(m.headers))]);
          for (const s of plantedOf(g)) expect(all.includes(Buffer.from(s)), `"${s}" leaked`).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("the planner: an advance notice that names an operation or a subject goes to no one", () => {
    fc.assert(
      fc.property(
        noticeArb(true).filter((g) => g.r.text.operationRef !== "" || g.r.names.length > 0),
        (g) => {
          const p = plan(g.event);
          expect(p.messages.filter((m) => m.topic !== "audit")).toEqual([]);
          for (const id of WELFARE) expect(p.decisions.find((d) => d.subscriberId === id)!.reasons).toContain("sharing.advance_notice_names_operation");
        },
      ),
      { numRuns: 100 },
    );
  });

  it("records each decision with its reasons and legal basis; the delivered notice names its agreement", () => {
    const p = plan(advanceNotice());
    for (const id of WELFARE) {
      const d = p.decisions.find((x) => x.subscriberId === id)!;
      expect([d.outcome, d.view, d.reasons, d.deliveryTopic]).toEqual(["OUTCOME_ALLOW", "VIEW_REDACTED", [`sharing.${id.replace("-", "_")}_police_support_advance_notice`], `takitini.deliver.${id}.v1`]);
      expect(d.legalBasis).toMatch(/^Oranga Tamariki Act 1989, s 66C/u);
      const m = p.messages.find((x) => x.topic === d.deliveryTopic)!;
      expect(SupportNotice.decode(m.value).agreementId).toBe(`${id}-police-support-advance-notice`);
    }
    const others = p.decisions.filter((d) => !WELFARE.includes(d.subscriberId));
    expect(others).toHaveLength(policy.subscribers().length - WELFARE.length);
    for (const d of others) expect([d.outcome, d.deliveryTopic, d.deliveryId]).toEqual(["OUTCOME_DENY", "", ""]);
  });

  it("a partner allowed it in full by some future policy still never receives the event", () => {
    const subscribers = policy.subscribers().filter((s) => s.id === "customs");
    const p = planRecord(
      { topic: "takitini.intel.police.v1", partition: 0, offset: "1", key: null, value: Buffer.from(IntelligenceEvent.encode(advanceNotice()).finish()), headers: {} },
      subscribers,
      () => ({ allow: true, view: "full", redact: [], reasons: ["sharing.x"], legal_basis: "b", policy_revision: "r" }),
      { auditTopic: "audit", deadLetterTopic: "dlq", policyRevision: "r", now: new Date(), consumer: "t" },
    );
    if (p.kind !== "disseminate") throw new Error(p.reason);
    expect(p.messages.filter((m) => m.topic !== "audit")).toEqual([]);
  });
});
