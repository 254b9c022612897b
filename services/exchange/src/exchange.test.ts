import {
  AggregateView,
  Agency,
  Classification,
  DecisionRecord,
  HandlingCaveat,
  IntelligenceEvent,
  OrganisedCrimeActivity,
  PoliceDistrict,
} from "@takitini/proto";
import { decisionIdFor } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { enumCode, policyInput } from "./projection.js";
import { applyRedactions, parsePath } from "./redaction.js";
import { fullEvent, intelTopic } from "./events.fixture.js";
import { decodeEvent, planRecord, type Decide, type SourceRecord } from "./plan.js";

const EVENT = IntelligenceEvent.fromPartial({
  id: "0b8a4f4e-6f0e-5c1a-9d0e-1f2a3b4c5d6e",
  sourceAgency: Agency.AGENCY_POLICE,
  eventType: "police.organised_crime_noting",
  region: PoliceDistrict.POLICE_DISTRICT_EASTERN,
  classification: Classification.CLASSIFICATION_RESTRICTED,
  handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: [], releasableToCountries: ["AUS", "GBR"] },
  subjects: [
    { entity: { $case: "person", value: { subjectId: "police/person/P1", fullName: "Hēmi Tāwhiri", phoneNumbers: ["021 555 0147"] } } },
    { entity: { $case: "vehicle", value: { subjectId: "police/vehicle/V1", plate: "QZX482", make: "Toyota" } } },
  ],
  payload: { $case: "policeNoting", value: { groupName: "Barbarians", activity: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY, summary: "s" } },
});

const record = (value: Buffer | null, headers: SourceRecord["headers"] = {}): SourceRecord => ({
  topic: "takitini.intel.police.v1",
  partition: 2,
  offset: "41",
  key: null,
  value,
  headers,
});
const bytes = (e: IntelligenceEvent) => Buffer.from(IntelligenceEvent.encode(e).finish());
const subscribers = [
  { id: "customs", tier: "partner_agency", delivery_topic: "t.customs" },
  { id: "msd", tier: "partner_agency", delivery_topic: "t.msd" },
  { id: "community-eastern", tier: "community_leader", delivery_topic: "t.community" },
] as never[];
const ctx = { auditTopic: "t.audit", deadLetterTopic: "t.dlq", policyRevision: "rev", now: new Date("2026-11-20T00:00:00Z"), consumer: "g" };

describe("policy projection", () => {
  it("strips proto enum prefixes and carries no personal information", () => {
    const input = policyInput(EVENT, "customs");
    expect(input).toEqual({
      subscriber_id: "customs",
      event: {
        id: EVENT.id,
        source_agency: "POLICE",
        event_type: "police.organised_crime_noting",
        classification: "RESTRICTED",
        caveats: ["LAW_ENFORCEMENT_ONLY"],
        releasable_to: [],
        releasable_to_countries: ["AUS", "GBR"],
        region: "EASTERN",
        activity: "DRUG_SUPPLY",
        operation_ref: "",
        operation_phase: "",
        subject_kinds: ["PERSON", "VEHICLE"],
        subjects: [
          { kind: "PERSON", role: "UNSPECIFIED", minor: false },
          { kind: "VEHICLE", role: "", minor: false },
        ],
        has_personal_information: true,
      },
    });
    expect(JSON.stringify(input)).not.toMatch(/Hēmi|QZX482|0147/);
    expect(enumCode("AGENCY_POLICE", "AGENCY_")).toBe("POLICE");
  });
});

describe("redaction applier", () => {
  it("removes the policy's field paths and nothing else", () => {
    const out = applyRedactions(EVENT, ["subjects[*].person.full_name", "subjects[*].person.phone_numbers", "subjects[*].vehicle.plate"]);
    const person = out.subjects[0]?.entity;
    const vehicle = out.subjects[1]?.entity;
    expect(person?.$case === "person" && person.value.fullName).toBe("");
    expect(person?.$case === "person" && person.value.phoneNumbers).toEqual([]);
    expect(person?.$case === "person" && person.value.subjectId).toBe("police/person/P1");
    expect(vehicle?.$case === "vehicle" && vehicle.value.plate).toBe("");
    expect(vehicle?.$case === "vehicle" && vehicle.value.make).toBe("Toyota");
    expect(JSON.stringify(IntelligenceEvent.toJSON(out))).not.toMatch(/Hēmi|QZX482|0147/);
  });
  it("does not mutate its input, and ignores paths that match nothing", () => {
    applyRedactions(EVENT, ["subjects[*].person.full_name", "no.such.path"]);
    expect(EVENT.subjects[0]?.entity?.$case === "person" && EVENT.subjects[0].entity.value.fullName).toBe("Hēmi Tāwhiri");
  });
  it("rejects malformed paths", () => {
    expect(() => parsePath("subjects[*")).toThrow(/invalid redaction path/);
    expect(() => parsePath("")).toThrow();
  });
});

describe("decoding", () => {
  it.each([
    ["an empty value", record(null), "EMPTY_VALUE"],
    ["garbage bytes", record(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), "DECODE_FAILED"],
    ["another schema version", record(bytes(EVENT), { "schema-version": Buffer.from("takitini.intel.v9") }), "UNSUPPORTED_SCHEMA_VERSION"],
    ["an envelope without id or payload", record(bytes(IntelligenceEvent.fromPartial({ eventType: "x" }))), "INVALID_EVENT"],
  ])("refuses %s with a reason", (_n, rec, reason) => {
    const r = decodeEvent(rec);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason.startsWith(reason)).toBe(true);
  });
});

describe("planning one record", () => {
  const decide: Decide = (input) =>
    input.subscriber_id === "customs"
      ? { allow: true, view: "full", redact: [], reasons: ["sharing.customs_police_drug_supply"], legal_basis: "IPP 11(e)(i)", policy_revision: "rev" }
      : input.subscriber_id === "msd"
        ? { allow: true, view: "redacted", redact: ["subjects[*].person.full_name"], reasons: ["r"], legal_basis: "b", policy_revision: "rev" }
        : { allow: false, view: "none", redact: [], reasons: ["sharing.community_no_raw_events"], legal_basis: "", policy_revision: "rev" };

  it("writes one decision per subscriber and a view only where allowed", () => {
    const plan = planRecord(record(bytes(EVENT), { traceparent: Buffer.from("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") }), subscribers, decide, ctx);
    if (plan.kind !== "disseminate") throw new Error("expected dissemination");
    expect(plan.decisions.map((d) => [d.subscriberId, d.outcome, d.deliveryTopic])).toEqual([
      ["customs", "OUTCOME_ALLOW", "t.customs"],
      ["msd", "OUTCOME_ALLOW", "t.msd"],
      ["community-eastern", "OUTCOME_DENY", ""],
    ]);
    expect(plan.decisions.map((d) => d.id)).toEqual(["customs", "msd", "community-eastern"].map((s) => decisionIdFor(EVENT.id, s)));
    expect(plan.decisions.every((d) => d.traceId === "4bf92f3577b34da6a3ce929d0e0e4736")).toBe(true);
    expect(plan.decisions[0]?.subjectIds).toEqual(["police/person/P1", "police/vehicle/V1"]);
    expect(plan.decisions[2]?.legalBasis).toBe("");
    const topics = plan.messages.map((m) => m.topic);
    expect(topics.filter((t) => t === "t.audit")).toHaveLength(3);
    expect(topics).not.toContain("t.community");
    const msd = IntelligenceEvent.decode(plan.messages.find((m) => m.topic === "t.msd")!.value);
    expect(msd.subjects[0]?.entity?.$case === "person" && msd.subjects[0].entity.value.fullName).toBe("");
    const audit = DecisionRecord.decode(plan.messages.find((m) => m.topic === "t.audit")!.value);
    expect(audit.sourceOffset).toBe("41");
  });

  it("names the agreement's legal basis on a foreign partner's delivery (its TAXII audit records it), on no domestic one", () => {
    const withAbroad = [...subscribers, { id: "aus-afp", tier: "foreign_partner", delivery_topic: "t.aus-afp" }] as never[];
    const abroad: Decide = (input) =>
      input.subscriber_id === "aus-afp" ? { allow: true, view: "redacted", redact: ["subjects[*].person.full_name"], reasons: ["sharing.aus_afp"], legal_basis: "IPP 12", policy_revision: "rev" } : decide(input);
    const plan = planRecord(record(bytes(EVENT)), withAbroad, abroad, ctx);
    if (plan.kind !== "disseminate") throw new Error("expected dissemination");
    const header = (topic: string) => plan.messages.find((m) => m.topic === topic)!.headers["legal-basis"];
    expect(header("t.aus-afp")?.toString()).toBe("IPP 12");
    expect(header("t.customs")).toBeUndefined();
    expect(header("t.msd")).toBeUndefined();
  });

  it("never delivers an aggregate-only view raw", () => {
    // A noting has no aggregate view: allowed only in aggregate, it delivers nothing.
    const plan = planRecord(record(bytes(EVENT)), subscribers, () => ({ allow: true, view: "aggregate_only", redact: [], reasons: ["x"], legal_basis: "b", policy_revision: "rev" }), ctx);
    expect(plan.kind === "disseminate" && plan.messages.every((m) => m.topic === "t.audit")).toBe(true);
    expect(plan.kind === "disseminate" && plan.decisions.every((d) => d.deliveryTopic === "")).toBe(true);
  });

  it("delivers a community tier's aggregate-only view as an AggregateView keyed by a random delivery id, in the same plan as its decision", () => {
    const seizure = fullEvent("customs.border_seizure");
    const aggregateOnly: Decide = (input) =>
      input.subscriber_id === "community-eastern"
        ? { allow: true, view: "aggregate_only", redact: [], reasons: ["sharing.community_customs_aggregates"], legal_basis: "aggregate", policy_revision: "rev" }
        : { allow: false, view: "none", redact: [], reasons: ["sharing.default_deny"], legal_basis: "", policy_revision: "rev" };
    const plan = planRecord({ ...record(bytes(seizure)), topic: intelTopic(seizure.sourceAgency) }, subscribers, aggregateOnly, ctx);
    if (plan.kind !== "disseminate") throw new Error("expected dissemination");
    const toCommunity = plan.messages.filter((m) => m.topic === "t.community");
    expect(toCommunity).toHaveLength(1);
    const decision = plan.decisions.find((d) => d.subscriberId === "community-eastern")!;
    expect(decision.id).toBe(decisionIdFor(seizure.id, "community-eastern"));
    const deliveryId = decision.deliveryId;
    expect(deliveryId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(toCommunity[0]).toMatchObject({ key: deliveryId, headers: { "event-type": "aggregate.view", view: "aggregate_only", "delivery-id": deliveryId } });
    // Nothing a community reader holds derives from the event: no decision id, no trace.
    expect(toCommunity[0]!.headers["decision-id"]).toBeUndefined();
    expect(toCommunity[0]!.headers.traceparent).toBeUndefined();
    const view = AggregateView.decode(toCommunity[0]!.value);
    expect(view).toMatchObject({ decisionId: "", deliveryId, eventType: "customs.border_seizure", region: seizure.region });
    expect(decision.deliveryTopic).toBe("t.community");
  });

  it("fails closed when policy evaluation throws", () => {
    const plan = planRecord(record(bytes(EVENT)), subscribers, () => { throw new Error("wasm trap"); }, ctx);
    if (plan.kind !== "disseminate") throw new Error("expected dissemination");
    expect(plan.decisions.every((d) => d.outcome === "OUTCOME_DENY" && d.reasons[0] === "exchange.policy_evaluation_failed")).toBe(true);
    expect(plan.messages.every((m) => m.topic === "t.audit")).toBe(true);
  });

  it("dead-letters what it cannot read, keeping the bytes and the source position", () => {
    const plan = planRecord(record(Buffer.from([0xff])), subscribers, decide, ctx);
    if (plan.kind !== "dead-letter") throw new Error("expected dead letter");
    expect(plan.message.topic).toBe("t.dlq");
    expect(plan.message.value).toEqual(Buffer.from([0xff]));
    expect(plan.message.headers["dlq-source-offset"]).toBe("41");
    expect(plan.message.headers["dlq-reason"]).toMatch(/^DECODE_FAILED/);
  });
});
