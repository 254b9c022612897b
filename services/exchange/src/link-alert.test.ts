import { loadSharingPolicy, type SharingPolicy, type Subscriber } from "@takitini/policies";
import {
  Agency,
  Classification,
  DecisionRecord,
  HandlingCaveat,
  IntelligenceEvent,
  LinkAlertView,
  LinkRule,
  Outcome,
  PoliceDistrict,
  View,
  type LinkAlert,
  type LinkedRecord,
} from "@takitini/proto";
import { HEADERS } from "@takitini/runtime";
import { beforeAll, describe, expect, it } from "vitest";
import { factsOf, fullEvent, intelTopic, LINK_ID, LINKED_NOTING, LINKED_SEIZURE, linkAlertEvent, PERSONAL } from "./events.fixture.js";
import { alertAgreementIds, isLinkAlert, LINK_ALERT_VIEW_EVENT_TYPE, linkAlertProblems, linkAlertView, linkedSubjectIds } from "./link-alert.js";
import { admitEvent, DLQ_REASONS, planRecord, type Decide, type SourceRecord } from "./plan.js";
import { LINKED_OPERATION_REF, policyInput } from "./projection.js";
import { prepareDelivery } from "./subscribe/delivery.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ctx = { auditTopic: "t.audit", deadLetterTopic: "t.dlq", policyRevision: "rev", now: new Date("2026-11-20T01:00:05Z"), consumer: "g" };

const source = (event: IntelligenceEvent, topic = intelTopic(Agency.AGENCY_LINKAGE)): SourceRecord => ({
  topic,
  partition: 0,
  offset: "9",
  key: Buffer.from(event.id),
  value: Buffer.from(IntelligenceEvent.encode(event).finish()),
  headers: {},
});

/** The alert with its records changed. */
const withRecords = (change: (records: LinkedRecord[]) => LinkedRecord[], alert: Partial<LinkAlert> = {}) => {
  const base = linkAlertEvent();
  const records = base.payload?.$case === "linkAlert" ? base.payload.value.records : [];
  return linkAlertEvent({}, { records: change(structuredClone(records)), ...alert });
};

describe("the policy input of a link alert", () => {
  it("carries each record as the projection the exchange gives that record, from its facts, with the linked subject's position", () => {
    const input = policyInput(linkAlertEvent(), "customs");
    expect(input.event.linked).toEqual([
      { ...policyInput(LINKED_NOTING, "customs").event, operation_ref: LINKED_OPERATION_REF, subject_index: 0 },
      { ...policyInput(LINKED_SEIZURE, "customs").event, subject_index: 0 },
    ]);
    expect(input.event).toMatchObject({ source_agency: "LINKAGE", event_type: "linkage.link_alert", activity: "IDENTITY_DOCUMENT", subjects: [], region: "BAY_OF_PLENTY" });
  });

  it("names the rule as the alert's activity, \"\" for none", () => {
    for (const [rule, code] of [
      [LinkRule.LINK_RULE_COMPANY_REGISTRATION, "COMPANY_REGISTRATION"],
      [LinkRule.LINK_RULE_VEHICLE_PLATE, "VEHICLE_PLATE"],
      [LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH, "NAME_AND_DATE_OF_BIRTH"],
      [LinkRule.LINK_RULE_UNSPECIFIED, ""],
    ] as const) {
      expect(policyInput(linkAlertEvent({}, { rule }), "police").event.activity).toBe(code);
    }
  });

  it("carries no identifier, name or operation reference: only markings and shapes", () => {
    const text = JSON.stringify(policyInput(linkAlertEvent(), "police"));
    for (const s of [...PERSONAL, "police/person/P1", "customs/person/C7", "Operation Highwater", "NIC-2026-004217", "CUS-2026-0042"]) expect(text).not.toContain(s);
  });

  it("leaves out a record without facts, so the policy refuses the alert", () => {
    const event = withRecords(([a, b]) => [a!, { ...b!, facts: undefined }]);
    expect(policyInput(event, "police").event.linked).toHaveLength(1);
  });

  it("gives other events no linked records", () => {
    expect("linked" in policyInput(fullEvent("police.organised_crime_noting"), "police").event).toBe(false);
  });
});

describe("a malformed alert is dead-lettered with a stable reason, never decided", () => {
  it.each([
    ["one record", "link_alert.records", withRecords(([a]) => [a!])],
    ["three records", "link_alert.records", withRecords(([a, b]) => [a!, b!, b!])],
    ["two records of one agency", "link_alert.records", withRecords(([a, b]) => [a!, { ...b!, sourceAgency: Agency.AGENCY_POLICE, facts: { ...b!.facts!, sourceAgency: Agency.AGENCY_POLICE } }])],
    ["a record without facts", "link_alert.records[1].facts", withRecords(([a, b]) => [a!, { ...b!, facts: undefined }])],
    ["a record without an event id", "link_alert.records[0].event_id", withRecords(([a, b]) => [{ ...a!, eventId: "" }, b!])],
    ["a record without a subject id", "link_alert.records[1].subject_id", withRecords(([a, b]) => [a!, { ...b!, subjectId: " " }])],
    ["a record without its agency", "link_alert.records[0].source_agency", withRecords(([a, b]) => [{ ...a!, sourceAgency: Agency.AGENCY_UNSPECIFIED, facts: { ...a!.facts!, sourceAgency: Agency.AGENCY_UNSPECIFIED } }, b!])],
    ["a record of the linkage service", "link_alert.records[1].source_agency", withRecords(([a, b]) => [a!, { ...b!, sourceAgency: Agency.AGENCY_LINKAGE, facts: { ...b!.facts!, sourceAgency: Agency.AGENCY_LINKAGE } }])],
    ["a record that is itself an alert", "link_alert.records[1].event_type", withRecords(([a, b]) => [a!, { ...b!, eventType: "linkage.link_alert", facts: { ...b!.facts!, eventType: "linkage.link_alert" } }])],
    ["facts of another record's type", "link_alert.records[1].facts.event_type", withRecords(([a, b]) => [a!, { ...b!, facts: { ...b!.facts!, eventType: "customs.suspicious_consignment" } }])],
    ["facts of another agency", "link_alert.records[1].facts.source_agency", withRecords(([a, b]) => [a!, { ...b!, facts: { ...b!.facts!, sourceAgency: Agency.AGENCY_MBIE } }])],
    ["facts without a classification", "link_alert.records[1].facts.classification", withRecords(([a, b]) => [a!, { ...b!, facts: { ...b!.facts!, classification: Classification.CLASSIFICATION_UNSPECIFIED } }])],
    ["facts without a region", "link_alert.records[0].facts.region", withRecords(([a, b]) => [{ ...a!, facts: { ...a!.facts!, region: PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED } }, b!])],
    ["a subject position the record has not", "link_alert.records[1].subject_index", withRecords(([a, b]) => [a!, { ...b!, subjectIndex: 1 }])],
    ["no link id", "link_alert.link_id", linkAlertEvent({}, { linkId: "" })],
    ["an unknown rule", "link_alert.rule", linkAlertEvent({}, { rule: LinkRule.LINK_RULE_UNSPECIFIED })],
    ["a confidence below 0", "link_alert.confidence", linkAlertEvent({}, { confidence: -0.01 })],
    ["a confidence above 1", "link_alert.confidence", linkAlertEvent({}, { confidence: 1.5 })],
    ["a confidence that is no number", "link_alert.confidence", linkAlertEvent({}, { confidence: Number.NaN })],
    ["no LinkAlert payload", "link_alert", linkAlertEvent({ payload: fullEvent("police.organised_crime_noting").payload })],
    ["another event type", "event_type", linkAlertEvent({ eventType: "linkage.hunch" })],
  ] as const)("%s: INVALID_EVENT naming %s", (_what, field, event) => {
    expect(linkAlertProblems(event)).toEqual([field]);
    let asked = 0;
    const plan = planRecord(source(event), [], () => (asked++, { allow: true, view: "full", redact: [], reasons: ["sharing.x"], legal_basis: "b", policy_revision: "rev" }), ctx);
    expect(plan).toMatchObject({ kind: "dead-letter", reason: `${DLQ_REASONS.INVALID}: missing or invalid ${field}` });
    expect(asked).toBe(0);
    // The reason names fields, never the alert's content.
    const reason = plan.kind === "dead-letter" ? plan.reason : "";
    for (const s of ["police/person/P1", "customs/person/C7", LINK_ID, LINKED_NOTING.id]) expect(reason).not.toContain(s);
  });

  it("an alert's payload published by an agency, on its own topic, is refused too", () => {
    const claimed = linkAlertEvent({ sourceAgency: Agency.AGENCY_POLICE });
    expect(admitEvent(source(claimed, intelTopic(Agency.AGENCY_POLICE)))).toMatchObject({ ok: false, reason: "INVALID_EVENT: missing or invalid source_agency" });
    expect(isLinkAlert(fullEvent("police.firearms_seizure"))).toBe(false);
    expect(linkAlertProblems(fullEvent("police.firearms_seizure"))).toEqual([]);
  });

  it("a complete alert is admitted, its envelope's region unspecified when its records lie in two districts (no other event's may be)", () => {
    expect(admitEvent(source(linkAlertEvent({ region: PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED }))).ok).toBe(true);
    expect(admitEvent(source(fullEvent("police.firearms_seizure", { region: PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED }), intelTopic(Agency.AGENCY_POLICE)))).toMatchObject({
      ok: false,
      reason: "INVALID_EVENT: missing or invalid region",
    });
  });
});

describe("the LinkAlertView builder", () => {
  it("takes the named fields and nothing else: no facts, no subject positions, no envelope", () => {
    const event = linkAlertEvent();
    const view = linkAlertView(event, { deliveryId: "0f3c2a9e-7b1d-4c8e-9a2f-5d6e7f8a9b0c", agreementIds: ["customs-police-drug-supply", ""] })!;
    expect(view).toEqual(
      LinkAlertView.fromPartial({
        deliveryId: "0f3c2a9e-7b1d-4c8e-9a2f-5d6e7f8a9b0c",
        linkId: LINK_ID,
        rule: LinkRule.LINK_RULE_IDENTITY_DOCUMENT,
        confidence: 0.99,
        records: [
          { eventId: LINKED_NOTING.id, sourceAgency: Agency.AGENCY_POLICE, eventType: "police.organised_crime_noting", subjectId: "police/person/P1" },
          { eventId: LINKED_SEIZURE.id, sourceAgency: Agency.AGENCY_CUSTOMS, eventType: "customs.border_seizure", subjectId: "customs/person/C7" },
        ],
        agreementIds: ["customs-police-drug-supply", ""],
      }),
    );
    expect(Object.keys(LinkAlertView.toJSON(view) as object).sort()).toEqual(["agreementIds", "confidence", "deliveryId", "linkId", "records", "rule"]);
  });

  it("builds nothing for an event that is not an alert", () => {
    expect(linkAlertView(fullEvent("police.organised_crime_noting"), { deliveryId: "d", agreementIds: [] })).toBeNull();
  });

  it("names the agreement each record was released under, \"\" for the subscriber's own agency's", async () => {
    const policy = await loadSharingPolicy();
    const alert = linkAlertEvent().payload!.value as LinkAlert;
    const of = (id: string) => policy.subscribers().find((s) => s.id === id)!;
    const decided = (id: string) => policy.decide(policyInput(linkAlertEvent(), id));
    expect(alertAgreementIds(of("customs"), decided("customs"), alert)).toEqual(["customs-police-drug-supply", ""]);
    expect(alertAgreementIds(of("police"), decided("police"), alert)).toEqual(["", "police-customs-border-seizures"]);
  });

  it("the decision records name each record's linked subject", () => {
    expect(linkedSubjectIds(linkAlertEvent())).toEqual(["police/person/P1", "customs/person/C7"]);
    expect(linkedSubjectIds(fullEvent("police.organised_crime_noting"))).toEqual([]);
  });
});

describe("the planner with the shipped policy", () => {
  let policy: SharingPolicy;
  beforeAll(async () => {
    policy = await loadSharingPolicy();
  });
  const plan = (event = linkAlertEvent()) => {
    const p = planRecord(source(event), policy.subscribers(), policy.decide, { ...ctx, policyRevision: policy.revision });
    if (p.kind !== "disseminate") throw new Error(`expected a dissemination, got ${p.reason}`);
    return p;
  };

  it("an allowed partner receives a LinkAlertView, in the decision's transaction, with its own event-type header and a random delivery id", () => {
    const p = plan();
    const delivered = p.messages.filter((m) => m.topic.startsWith("takitini.deliver."));
    expect(delivered.map((m) => m.topic).sort()).toEqual(["takitini.deliver.customs.v1", "takitini.deliver.police.v1"]);
    for (const m of delivered) {
      const d = p.decisions.find((x) => x.deliveryTopic === m.topic)!;
      const view = LinkAlertView.decode(m.value);
      expect(view.deliveryId).toMatch(UUID_V4);
      expect(m.key).toBe(d.id);
      expect(m.headers).toEqual({
        [HEADERS.EVENT_TYPE]: LINK_ALERT_VIEW_EVENT_TYPE,
        [HEADERS.SCHEMA_VERSION]: "takitini.intel.v1",
        [HEADERS.CONTENT_TYPE]: "application/x-protobuf",
        [HEADERS.TRACEPARENT]: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
        [HEADERS.DECISION_ID]: d.id,
        [HEADERS.DELIVERY_ID]: view.deliveryId,
        [HEADERS.POLICY_REVISION]: policy.revision,
        [HEADERS.VIEW]: "full",
      });
      expect(d.deliveryId).toBe(view.deliveryId);
    }
    const customs = LinkAlertView.decode(delivered.find((m) => m.topic === "takitini.deliver.customs.v1")!.value);
    expect(customs.agreementIds).toEqual(["customs-police-drug-supply", ""]);
    // Each delivery its own id.
    expect(new Set(delivered.map((m) => LinkAlertView.decode(m.value).deliveryId)).size).toBe(2);
  });

  it("records every decision with both records' legal bases and linked subjects; a denied subscriber gets nothing", () => {
    const p = plan();
    expect(p.decisions).toHaveLength(policy.subscribers().length);
    const police = p.decisions.find((d) => d.subscriberId === "police")!;
    expect([police.outcome, police.view, police.reasons, police.deliveryTopic, police.sourceAgency, police.eventType]).toEqual([
      Outcome.OUTCOME_ALLOW,
      View.VIEW_FULL,
      ["sharing.link_alert_records_visible", "sharing.link_alert_own_record", "sharing.police_customs_border_seizures"],
      "takitini.deliver.police.v1",
      Agency.AGENCY_LINKAGE,
      "linkage.link_alert",
    ]);
    expect(police.legalBasis).toMatch(/^\[POLICE police\.organised_crime_noting\] .*; \[CUSTOMS customs\.border_seizure\] Customs and Excise Act 2018, s 316/);
    for (const d of p.decisions) expect(d.subjectIds, d.subscriberId).toEqual(["police/person/P1", "customs/person/C7"]);
    for (const d of p.decisions.filter((x) => !["police", "customs"].includes(x.subscriberId))) {
      expect([d.outcome, d.deliveryTopic, d.deliveryId, d.legalBasis], d.subscriberId).toEqual([Outcome.OUTCOME_DENY, "", "", ""]);
      expect(d.reasons, d.subscriberId).toContain("sharing.linked_record_withheld");
    }
    const community = p.decisions.filter((d) => d.subscriberId.startsWith("community-") || d.subscriberId === "public");
    expect(community).toHaveLength(13);
    for (const d of community) expect(d.reasons, d.subscriberId).toContain("sharing.link_alert_not_for_community");
    // One audit record per decision, and nothing else but the two views.
    expect(p.messages.filter((m) => m.topic === "t.audit").map((m) => DecisionRecord.decode(m.value).id)).toEqual(p.decisions.map((d) => d.id));
    expect(p.messages).toHaveLength(p.decisions.length + 2);
  });

  it("a denied partner is told nothing, and no community tier ever receives an alert, whatever a policy says", () => {
    const everyone: Decide = () => ({ allow: true, view: "full", redact: [], reasons: ["sharing.x"], legal_basis: "b", policy_revision: "rev" });
    const subscribers = [
      { id: "customs", tier: "partner_agency", agency: "CUSTOMS", delivery_topic: "t.customs", agreements: [] },
      { id: "community-eastern", tier: "community_leader", delivery_topic: "t.community", agreements: [] },
      { id: "public", tier: "public", delivery_topic: "t.public", agreements: [] },
    ] as unknown as Subscriber[];
    const p = planRecord(source(linkAlertEvent()), subscribers, everyone, ctx);
    if (p.kind !== "disseminate") throw new Error("expected a dissemination");
    expect(p.messages.filter((m) => m.topic !== "t.audit").map((m) => m.topic)).toEqual(["t.customs"]);
    expect(p.decisions.filter((d) => d.deliveryTopic !== "").map((d) => d.subscriberId)).toEqual(["customs"]);
    const denied = planRecord(source(linkAlertEvent()), subscribers.slice(0, 1), () => ({ allow: false, view: "none", redact: [], reasons: ["sharing.linked_record_withheld"], legal_basis: "", policy_revision: "rev" }), ctx);
    if (denied.kind !== "disseminate") throw new Error("expected a dissemination");
    expect(denied.messages.map((m) => m.topic)).toEqual(["t.audit"]);
  });
});

describe("canary: nothing of the facts reaches a delivered view", () => {
  /** Facts whose every free-text field holds a canary, and whose codes differ from anything the view may carry. */
  const CANARIES = ["CANARY_ACTIVITY", "CANARY_PHASE", "CANARY_KIND", "CANARY_ROLE", "canary-releasable"];
  const canaried = () =>
    withRecords((records) =>
      records.map((r) => ({
        ...r,
        subjectIndex: 0,
        facts: {
          ...r.facts!,
          region: PoliceDistrict.POLICE_DISTRICT_SOUTHERN,
          classification: Classification.CLASSIFICATION_TOP_SECRET,
          handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_EMBARGO_UNTIL_CONCLUDED], releasableTo: ["canary-releasable"] },
          activity: "CANARY_ACTIVITY",
          operationPhase: "CANARY_PHASE",
          hasOperationRef: true,
          subjects: [{ kind: "CANARY_KIND", role: "CANARY_ROLE", minor: true }],
          hasPersonalInformation: true,
        },
      })),
    );

  it("an alert allowed to every partner: its views hold the link and the records' ids only", () => {
    const everyone: Decide = () => ({ allow: true, view: "full", redact: [], reasons: ["sharing.x"], legal_basis: "b", policy_revision: "rev" });
    const subscribers = ["police", "customs", "mbie", "msd"].map((id) => ({ id, tier: "partner_agency", agency: id.toUpperCase(), delivery_topic: `t.${id}`, agreements: [] })) as unknown as Subscriber[];
    const event = canaried();
    // The policy was asked about the canaries (they are the facts it decides on)...
    expect(JSON.stringify(policyInput(event, "police"))).toContain("CANARY_ACTIVITY");
    const p = planRecord(source(event), subscribers, everyone, ctx);
    if (p.kind !== "disseminate") throw new Error("expected a dissemination");
    const views = p.messages.filter((m) => m.topic !== "t.audit");
    expect(views).toHaveLength(4);
    for (const m of views) {
      // ...and no delivery carries one: not in its bytes, its headers or its decoded form.
      const decoded = LinkAlertView.toJSON(LinkAlertView.decode(m.value)) as Record<string, unknown>;
      const text = `${m.value.toString("latin1")} ${JSON.stringify(m.headers)} ${JSON.stringify(decoded)}`;
      for (const c of [...CANARIES, "SOUTHERN", "TOP_SECRET", "EMBARGO", "facts", "subjectIndex", "Operation Highwater", "BAY_OF_PLENTY", "RESTRICTED", "spiffe://"]) expect(text, `${m.topic}: ${c}`).not.toContain(c);
      // Nothing decodes as more than the view's own fields.
      expect(Object.keys(decoded).sort()).toEqual(["agreementIds", "confidence", "deliveryId", "linkId", "records", "rule"]);
      for (const r of decoded.records as Record<string, unknown>[]) expect(Object.keys(r).sort()).toEqual(["eventId", "eventType", "sourceAgency", "subjectId"]);
    }
  });

  it("a delivered view read back by Subscribe carries it as link_alert, and a tampered one is refused", () => {
    const p = planRecord(source(canaried()), [{ id: "police", tier: "partner_agency", agency: "POLICE", delivery_topic: "t.police", agreements: [] } as unknown as Subscriber], () => ({ allow: true, view: "full", redact: [], reasons: ["sharing.x"], legal_basis: "b", policy_revision: "rev-9" }), ctx);
    if (p.kind !== "disseminate") throw new Error("expected a dissemination");
    const m = p.messages.find((x) => x.topic === "t.police")!;
    const record = { topic: m.topic, partition: 0, offset: "3", value: m.value, headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)])) };
    const prepared = prepareDelivery(record);
    if (!prepared.ok) throw new Error(prepared.reason);
    expect(prepared.response.linkAlert?.linkId).toBe(LINK_ID);
    expect([prepared.response.event, prepared.response.aggregate, prepared.response.view, prepared.response.decisionId, prepared.response.policyRevision]).toEqual([undefined, undefined, "full", p.decisions[0]!.id, "rev-9"]);
    expect(prepared.view).toMatchObject({ eventId: "", decisionId: p.decisions[0]!.id, topic: "t.police" });
    expect(JSON.stringify(prepared.response)).not.toContain("CANARY");
    expect(prepareDelivery({ ...record, headers: { ...record.headers, [HEADERS.DELIVERY_ID]: Buffer.from("another") } })).toEqual({ ok: false, reason: "DELIVERY_MISMATCH" });
    expect(prepareDelivery({ ...record, headers: { ...record.headers, [HEADERS.VIEW]: Buffer.from("redacted") } })).toEqual({ ok: false, reason: "UNEXPECTED_VIEW" });
  });
});

describe("the facts fixture mirrors the linkage service's", () => {
  it("keeps markings and shapes only", () => {
    const text = JSON.stringify(factsOf(LINKED_NOTING));
    for (const s of [...PERSONAL, "police/person/P1", "Operation Highwater", "NIC-2026-004217"]) expect(text).not.toContain(s);
  });
});
