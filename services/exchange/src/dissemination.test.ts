import { loadRegions, loadSharingPolicy, type SharingPolicy } from "@takitini/policies";
import { AggregateView, CountBand, DecisionRecord, IntelligenceEvent, OperationPhase, SupportNotice, SupportService } from "@takitini/proto";
import { beforeAll, describe, expect, it } from "vitest";
import { fullEvent, intelTopic, operationUpdate, PERSONAL, POLICE_MARKINGS } from "./events.fixture.js";
import { supportNotice } from "./notice.js";
import { planRecord, type Plan, type SourceRecord } from "./plan.js";

/**
 * The shipped policy through the exchange's planner: what each subscriber's topic
 * would receive for real events, and the decision records beside them.
 */

let policy: SharingPolicy;
beforeAll(async () => {
  policy = await loadSharingPolicy();
});

/** The event as read from its own agency's topic (provenance.ts: any other is a dead letter). */
const record = (event: IntelligenceEvent): SourceRecord => ({
  topic: intelTopic(event.sourceAgency),
  partition: 0,
  offset: "7",
  key: null,
  value: Buffer.from(IntelligenceEvent.encode(event).finish()),
  headers: {},
});

function plan(event: IntelligenceEvent): Extract<Plan, { kind: "disseminate" }> {
  const p = planRecord(record(event), policy.subscribers(), policy.decide, {
    auditTopic: "takitini.audit.decisions.v1",
    deadLetterTopic: "takitini.deadletter.v1",
    policyRevision: policy.revision,
    now: new Date("2026-11-20T00:00:00Z"),
    consumer: "test",
  });
  if (p.kind !== "disseminate") throw new Error(`expected dissemination, got ${p.reason}`);
  return p;
}

/** What each subscriber topic receives, decoded. */
function delivered(p: ReturnType<typeof plan>): Map<string, IntelligenceEvent> {
  const out = new Map<string, IntelligenceEvent>();
  for (const m of p.messages.filter((m) => m.topic.startsWith("takitini.deliver.") && !["aggregate.view", "support.notice"].includes(m.headers["event-type"]!))) {
    out.set(m.topic.replace(/^takitini\.deliver\.|\.v1$/g, ""), IntelligenceEvent.decode(m.value));
  }
  return out;
}

/** Aggregate-only views by subscriber. */
function aggregates(p: ReturnType<typeof plan>): Map<string, AggregateView> {
  const out = new Map<string, AggregateView>();
  for (const m of p.messages.filter((m) => m.headers["event-type"] === "aggregate.view")) out.set(m.topic.replace(/^takitini\.deliver\.|\.v1$/g, ""), AggregateView.decode(m.value));
  return out;
}

/** De-identified support notices by subscriber. */
function notices(p: ReturnType<typeof plan>): Map<string, SupportNotice> {
  const out = new Map<string, SupportNotice>();
  for (const m of p.messages.filter((m) => m.headers["event-type"] === "support.notice")) out.set(m.topic.replace(/^takitini\.deliver\.|\.v1$/g, ""), SupportNotice.decode(m.value));
  return out;
}

const personal = (e: IntelligenceEvent) => PERSONAL.filter((pi) => JSON.stringify(IntelligenceEvent.toJSON(e)).includes(pi));

describe("the operational embargo", () => {
  it.each([OperationPhase.OPERATION_PHASE_PLANNING, OperationPhase.OPERATION_PHASE_ACTIVE])("nothing about an operation in %s leaves law enforcement", (phase) => {
    const p = plan(operationUpdate(phase));
    expect([...delivered(p).keys()]).toEqual([]);
    for (const d of p.decisions.filter((d) => ["msd", "mbie", "community-bay-of-plenty", "public"].includes(d.subscriberId))) {
      expect(d.reasons).toContain("sharing.operational_embargo");
    }
  });

  it("at resolution MSD receives the event with every subject, free text and operational detail removed", () => {
    const p = plan(operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION));
    const views = delivered(p);
    expect([...views.keys()].sort()).toEqual(["msd"]);
    for (const [, notice] of views) {
      expect(personal(notice)).toEqual([]);
      expect(notice.subjects).toEqual([]);
      expect(notice.operationRef).toBe("");
      expect(notice.sourceRecordId).toBe("");
      expect(notice.region).toBe("POLICE_DISTRICT_BAY_OF_PLENTY");
      if (notice.payload?.$case !== "policeOperationUpdate") throw new Error("expected an operation update");
      expect(notice.payload.value).toMatchObject({
        phase: OperationPhase.OPERATION_PHASE_RESOLUTION,
        familiesAffected: 12,
        childrenAffected: 47,
        supportNeeded: [SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING],
        codeName: "",
        targetGroup: "",
        localities: [],
        arrests: 0,
        charges: 0,
        summary: "",
      });
    }
    const msd = p.decisions.find((d) => d.subscriberId === "msd")!;
    expect(msd).toMatchObject({ outcome: "OUTCOME_ALLOW", view: "VIEW_REDACTED", reasons: ["sharing.msd_police_operation_support_notice"], policyRevision: policy.revision });
    expect(msd.legalBasis).toMatch(/^Oranga Tamariki Act 1989/);
    expect(msd.redactedPaths).toContain("subjects");
  });

  it("at resolution the region's community leaders receive a SupportNotice built by allow-list, never the event", () => {
    const p = plan(operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION));
    expect([...notices(p).keys()]).toEqual(["community-bay-of-plenty"]);
    const notice = notices(p).get("community-bay-of-plenty")!;
    const decision = p.decisions.find((d) => d.subscriberId === "community-bay-of-plenty")!;
    // Exactly what the allow-list builder makes of the event (notice.test.ts pins its fields), under the agreement relied on.
    expect(notice).toEqual(supportNotice(operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION), { deliveryId: decision.deliveryId, agreementId: "community-bay-of-plenty-police-support-notice" }));
    expect([notice.familiesAffected, notice.childrenAffected]).toEqual([CountBand.COUNT_BAND_10_TO_19, CountBand.COUNT_BAND_20_TO_49]);
    expect(decision.deliveryId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(decision).toMatchObject({ outcome: "OUTCOME_ALLOW", view: "VIEW_REDACTED", deliveryTopic: "takitini.deliver.community-bay-of-plenty.v1" });
    // The message names the delivery only: no decision id, no trace, no event id as key.
    const m = p.messages.find((m) => m.topic === "takitini.deliver.community-bay-of-plenty.v1")!;
    expect(m.key).toBe(decision.deliveryId);
    expect(m.headers).toEqual({ "event-type": "support.notice", "schema-version": "takitini.intel.v1", "content-type": m.headers["content-type"], "delivery-id": decision.deliveryId, "policy-revision": policy.revision, view: "redacted" });
    // A second planning of the same event is a second delivery, with its own id.
    expect(plan(operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION)).decisions.find((d) => d.subscriberId === "community-bay-of-plenty")!.deliveryId).not.toBe(decision.deliveryId);
  });

  it("another region's community leaders are not sent the notice: Southern's go to Southern's leaders only", () => {
    const p = plan(operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION, { region: "POLICE_DISTRICT_SOUTHERN" as never }));
    expect([...delivered(p).keys()]).toEqual(["msd"]);
    expect([...notices(p).keys()]).toEqual(["community-southern"]);
    const leaders = p.decisions.filter((d) => d.subscriberId.startsWith("community-"));
    expect(leaders).toHaveLength(12);
    for (const d of leaders.filter((d) => d.subscriberId !== "community-southern")) {
      expect(d).toMatchObject({ outcome: "OUTCOME_DENY", reasons: ["sharing.outside_subscriber_regions"] });
      expect(d.deliveryId).toBe("");
    }
  });

  it.each(loadRegions().regions.map((r) => [r.code, r.slug] as const))("a notice in %s reaches that district's community leaders and no other's", (code, slug) => {
    const p = plan(operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION, { region: `POLICE_DISTRICT_${code}` as never }));
    const topics = p.messages.map((m) => m.topic).filter((t) => t.includes(".community-"));
    expect(topics).toEqual([`takitini.deliver.community-${slug}.v1`]);
    expect(notices(p).get(`community-${slug}`)!.region).toBe(`POLICE_DISTRICT_${code}`);
  });
});

describe("redacted views on the subscriber topics", () => {
  it("Police receive an exploitation complaint with the employer but without the exploited worker", () => {
    const p = plan(fullEvent("mbie.exploitation_complaint", { operationRef: "" }));
    const police = delivered(p).get("police")!;
    const [poi, victim, worker, gang] = police.subjects.map((s) => s.entity);
    expect(worker?.$case === "person" && worker.value).toMatchObject({ fullName: "", phoneNumbers: [], documents: [], dateOfBirth: "", address: "", subjectId: "mbie/person/W1", isMinor: true });
    expect(victim?.$case === "person" && victim.value.fullName).toBe("");
    expect(poi?.$case === "person" && poi.value.fullName).toBe("Hēmi Tāwhiri");
    expect(gang?.$case === "organisation" && gang.value.name).toBe("Mongrel Mob Barbarians");
    expect(personal(police)).not.toContain("Sione Taufa");
    expect(personal(police)).not.toContain("Mere Ngata");
  });

  it("aggregate-only views are decided, recorded and delivered as aggregates, never raw", () => {
    const p = plan(fullEvent("msd.community_resilience_report", { subjects: [], operationRef: "" }));
    expect([...delivered(p).keys()]).toEqual([]);
    const community = p.decisions.find((d) => d.subscriberId === "community-bay-of-plenty")!;
    expect(community).toMatchObject({ outcome: "OUTCOME_ALLOW", view: "VIEW_AGGREGATE_ONLY", deliveryTopic: "takitini.deliver.community-bay-of-plenty.v1" });
    expect([...aggregates(p).keys()].sort()).toEqual(["community-bay-of-plenty", "public"]);
    // A community tier's view names a random delivery id, which only the decision record links back.
    expect(aggregates(p).get("community-bay-of-plenty")).toMatchObject({ decisionId: "", deliveryId: community.deliveryId });
    expect(community.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(community.deliveryId).not.toBe(community.id);
  });

  it("every delivered message is the event the decision record describes", () => {
    const p = plan(fullEvent("customs.border_seizure", { ...POLICE_MARKINGS, operationRef: "" }));
    const audit = p.messages.filter((m) => m.topic === "takitini.audit.decisions.v1").map((m) => DecisionRecord.decode(m.value));
    for (const m of p.messages.filter((m) => m.topic.startsWith("takitini.deliver."))) {
      const d = audit.find((a) => a.deliveryTopic === m.topic)!;
      if (d.deliveryId) expect([m.headers["delivery-id"], m.key, m.headers["decision-id"]]).toEqual([d.deliveryId, d.deliveryId, undefined]);
      else expect(m.headers["decision-id"]).toBe(d.id);
      expect(m.headers["policy-revision"]).toBe(policy.revision);
    }
    expect(audit.find((d) => d.subscriberId === "police")).toMatchObject({ outcome: "OUTCOME_ALLOW", view: "VIEW_FULL" });
  });
});
