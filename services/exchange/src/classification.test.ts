import { declaredFields, descriptorSet, IntelligenceEvent, OperationPhase, type FileDescriptorSet } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { aggregateView } from "./aggregate.js";
import { ALERT_VIEW_SOURCES, FIELD_CLASSIFICATION, OUTPUT_MESSAGES, VIEWS, classificationProblems, type ClassifiedView } from "./classification.js";
import { EVENT_TYPES, fullEvent, linkAlertEvent, operationUpdate, POLICE_MARKINGS } from "./events.fixture.js";
import { linkAlertView } from "./link-alert.js";
import { supportNotice } from "./notice.js";

const PKG = "takitini.intel.v1";
const set = descriptorSet();
const declared = declaredFields(set, PKG);

describe("every field of every event message is classified for every view", () => {
  it("the build's descriptors: nothing unclassified, nothing stale", () => {
    expect(declared.length).toBeGreaterThan(100);
    expect(classificationProblems(declared)).toEqual([]);
  });

  it("covers the envelope, the common messages and every agency's payloads", () => {
    const messages = new Set(declared.map((d) => d.message).filter((m) => !OUTPUT_MESSAGES.has(m)));
    expect(new Set(Object.keys(FIELD_CLASSIFICATION))).toEqual(messages);
    for (const m of ["IntelligenceEvent", "Person", "LegalBasis", "PoliceOperationUpdate", "CustomsBorderSeizure", "MbieTraffickingIndicator", "MsdCommunityResilienceReport"]) expect(messages).toContain(m);
  });

  it("fails when a field is added to an event message and not classified (a descriptor copy with one more field)", () => {
    const copy = structuredClone(set) as FileDescriptorSet;
    const file = copy.file.find((f) => f.package === PKG && f.messageType.some((m) => m.name === "PoliceOperationUpdate"))!;
    const message = file.messageType.find((m) => m.name === "PoliceOperationUpdate")!;
    message.field.push({ ...message.field.find((f) => f.name === "summary")!, name: "informant_name", number: 99, jsonName: "informantName" });
    expect(classificationProblems(declaredFields(copy, PKG))).toEqual(VIEWS.map((v) => `PoliceOperationUpdate.informant_name: not classified for the ${v} view`));
  });

  it("fails when a new event message is declared and not classified", () => {
    const copy = structuredClone(set) as FileDescriptorSet;
    const file = copy.file.find((f) => f.package === PKG && f.messageType.some((m) => m.name === "LegalBasis"))!;
    file.messageType.push({ ...file.messageType.find((m) => m.name === "LegalBasis")!, name: "Informant" });
    expect(classificationProblems(declaredFields(copy, PKG))).toContain("Informant.description: not classified for the notice view");
  });

  it("fails on a field classified for only some views, on 'policy' outside the redacted view, and on a row for a field that is gone", () => {
    const partial = { ...FIELD_CLASSIFICATION, LegalBasis: { ...FIELD_CLASSIFICATION.LegalBasis, description: { full: "pass", redacted: "pass", aggregate: "never" } } };
    expect(classificationProblems(declared, partial as never)).toEqual(["LegalBasis.description: not classified for the notice view", "LegalBasis.description: not classified for the alert view"]);
    const policyInNotice = { ...FIELD_CLASSIFICATION, Vehicle: { ...FIELD_CLASSIFICATION.Vehicle, plate: { full: "pass", redacted: "policy", aggregate: "never", notice: "policy", alert: "never" } } };
    expect(classificationProblems(declared, policyInNotice as never)).toEqual(['Vehicle.plate: "policy" applies to the redacted view only, not notice']);
    const stale = { ...FIELD_CLASSIFICATION, Vehicle: { ...FIELD_CLASSIFICATION.Vehicle, vin: FIELD_CLASSIFICATION.Vehicle!.plate! } };
    expect(classificationProblems(declared, stale)).toEqual(["Vehicle.vin: classified, but no event message declares it"]);
  });
});

/** The declared fields with one more on a message: a descriptor copy. */
function withField(message: string, like: string, name: string) {
  const copy = structuredClone(set) as FileDescriptorSet;
  const file = copy.file.find((f) => f.package === PKG && f.messageType.some((m) => m.name === message))!;
  const m = file.messageType.find((x) => x.name === message)!;
  m.field.push({ ...m.field.find((f) => f.name === like)!, name, number: 99, jsonName: name });
  return declaredFields(copy, PKG);
}

describe("a link alert: every field classified for every view, and a LinkAlertView field only from an alert field the table lets through", () => {
  it("classifies LinkAlert, LinkedRecord, LinkedRecordFacts and LinkedSubjectShape, and sources every LinkAlertView field", () => {
    for (const m of ["LinkAlert", "LinkedRecord", "LinkedRecordFacts", "LinkedSubjectShape"]) {
      const fields = declared.filter((d) => d.message === m).map((d) => d.field);
      expect(fields.length, m).toBeGreaterThan(2);
      expect(Object.keys(FIELD_CLASSIFICATION[m]!).sort(), m).toEqual(fields.sort());
    }
    for (const m of ["LinkAlertView", "LinkAlertViewRecord"]) {
      expect(Object.keys(ALERT_VIEW_SOURCES[m]!).sort(), m).toEqual(declared.filter((d) => d.message === m).map((d) => d.field).sort());
    }
  });

  it("the facts, and the linked subject's position, reach no view; the alert is never delivered as the event", () => {
    for (const m of ["LinkedRecordFacts", "LinkedSubjectShape"]) {
      for (const [f, views] of Object.entries(FIELD_CLASSIFICATION[m]!)) expect(Object.values(views), `${m}.${f}`).toEqual(VIEWS.map(() => "never"));
    }
    expect(FIELD_CLASSIFICATION.LinkedRecord!.facts).toEqual(FIELD_CLASSIFICATION.LinkedRecordFacts!.region);
    expect(FIELD_CLASSIFICATION.LinkedRecord!.subject_index!.alert).toBe("never");
    expect(FIELD_CLASSIFICATION.IntelligenceEvent!.link_alert).toEqual({ full: "never", redacted: "never", aggregate: "never", notice: "never", alert: "pass" });
    // And the alert view carries nothing of any envelope, nor of any other event's payload.
    for (const [m, fields] of Object.entries(FIELD_CLASSIFICATION)) {
      if (["LinkAlert", "LinkedRecord"].includes(m)) continue;
      for (const [f, views] of Object.entries(fields)) if (`${m}.${f}` !== "IntelligenceEvent.link_alert") expect(views.alert, `${m}.${f}`).toBe("never");
    }
  });

  it("fails when a field is added to an alert's message and not classified", () => {
    expect(classificationProblems(withField("LinkedRecordFacts", "activity", "locality"))).toEqual(VIEWS.map((v) => `LinkedRecordFacts.locality: not classified for the ${v} view`));
    expect(classificationProblems(withField("LinkAlert", "link_id", "match_token"))).toEqual(VIEWS.map((v) => `LinkAlert.match_token: not classified for the ${v} view`));
  });

  it("fails when a field is added to LinkAlertView without a source", () => {
    expect(classificationProblems(withField("LinkAlertView", "link_id", "match_token"))).toEqual(["LinkAlertView.match_token: no source for the alert view"]);
    expect(classificationProblems(withField("LinkAlertViewRecord", "subject_id", "full_name"))).toEqual(["LinkAlertViewRecord.full_name: no source for the alert view"]);
  });

  it("fails when a view field is sourced from a field the table does not let through, or the table lets through what no view field takes", () => {
    const fromFacts = { ...ALERT_VIEW_SOURCES, LinkAlertViewRecord: { ...ALERT_VIEW_SOURCES.LinkAlertViewRecord, subject_id: "LinkedRecordFacts.subjects" } };
    expect(classificationProblems(declared, FIELD_CLASSIFICATION, fromFacts)).toEqual([
      'LinkAlertViewRecord.subject_id: its source LinkedRecordFacts.subjects is not classified "pass" for the alert view',
      "LinkedRecord.subject_id: classified for the alert view, but no LinkAlertView field takes it",
    ]);
    const loose = { ...FIELD_CLASSIFICATION, LinkedRecordFacts: { ...FIELD_CLASSIFICATION.LinkedRecordFacts, region: { ...FIELD_CLASSIFICATION.LinkedRecordFacts!.region!, alert: "pass" as const } } };
    expect(classificationProblems(declared, loose)).toEqual(["LinkedRecordFacts.region: classified for the alert view, but no LinkAlertView field takes it"]);
  });
});

describe("what is left unclassified, and leaders' submissions", () => {
  /** Every message an IntelligenceEvent can hold, field by field from the envelope down. */
  const reachable = () => {
    const fields = new Map<string, typeof declared>();
    for (const d of declared) fields.set(d.message, [...(fields.get(d.message) ?? []), d]);
    const seen = new Set<string>();
    const visit = (message: string) => {
      if (seen.has(message) || !fields.has(message)) return;
      seen.add(message);
      for (const d of fields.get(message)!) if (d.type.startsWith(`.${PKG}.`)) visit(d.type.slice(PKG.length + 2));
    };
    visit("IntelligenceEvent");
    return seen;
  };

  it("only messages no event can hold are left out: outputs, a submission's receipt, the briefing's note", () => {
    expect(reachable()).toContain("CommunitySubmission");
    for (const m of ["LinkAlert", "LinkedRecord", "LinkedRecordFacts", "LinkedSubjectShape"]) expect(reachable()).toContain(m);
    for (const m of OUTPUT_MESSAGES) {
      expect(declared.some((d) => d.message === m), `${m} is declared`).toBe(true);
      expect(reachable().has(m), `${m} is part of an event`).toBe(false);
    }
    expect([...OUTPUT_MESSAGES]).toEqual(expect.arrayContaining(["SubmissionReceipt", "SubmissionNote", "LinkAlertView", "LinkAlertViewRecord"]));
  });

  it("a leader's submission reaches partners' raw views only: never an aggregate, never a community output", () => {
    expect(FIELD_CLASSIFICATION.IntelligenceEvent!.community_submission).toEqual({ full: "pass", redacted: "pass", aggregate: "never", notice: "never", alert: "never" });
    const fields = declared.filter((d) => d.message === "CommunitySubmission").map((d) => d.field);
    expect(fields.sort()).toEqual(["briefing_week", "kind", "locality", "organisation", "reference", "subscriber_id", "text", "topic"]);
    for (const f of fields) {
      const views = FIELD_CLASSIFICATION.CommunitySubmission![f]!;
      expect([views.full, views.aggregate, views.notice], f).toEqual(["pass", "never", "never"]);
    }
    // The leader's words and the place named, who sent it and its reference: removable by the policy's categories.
    for (const f of ["text", "locality", "reference", "organisation", "subscriber_id"]) expect(FIELD_CLASSIFICATION.CommunitySubmission![f]!.redacted, f).toBe("policy");
  });
});

/** The event with every field the view may not carry removed, by the table and the descriptors. */
function onlyClassified(event: IntelligenceEvent, view: ClassifiedView): IntelligenceEvent {
  const fields = new Map<string, typeof declared>();
  for (const d of declared) fields.set(d.message, [...(fields.get(d.message) ?? []), d]);
  const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  const keep = (json: Record<string, unknown>, message: string) => {
    for (const d of fields.get(message) ?? []) {
      const key = camel(d.field);
      if (!(key in json)) continue;
      if (FIELD_CLASSIFICATION[message]![d.field]![view] === "never") delete json[key];
      else if (d.type.startsWith(`.${PKG}.`) && fields.has(d.type.slice(PKG.length + 2))) {
        const inner = d.type.slice(PKG.length + 2);
        for (const v of [json[key]].flat()) keep(v as Record<string, unknown>, inner);
      }
    }
  };
  const json = IntelligenceEvent.toJSON(event) as Record<string, unknown>;
  keep(json, "IntelligenceEvent");
  return IntelligenceEvent.fromJSON(json);
}

describe("the builders read only what the table lets their view carry", () => {
  it.each(EVENT_TYPES)("%s: its aggregate view is the same built from the fields classified for aggregate alone", (type) => {
    const event = fullEvent(type);
    const ids = { decisionId: "", deliveryId: "d" };
    expect(aggregateView(onlyClassified(event, "aggregate"), ids)).toEqual(aggregateView(event, ids));
  });

  it.each([OperationPhase.OPERATION_PHASE_RESOLUTION, OperationPhase.OPERATION_PHASE_CONCLUDED])("an operation update in %s: its notice is the same built from the fields classified for notice alone", (phase) => {
    const event = operationUpdate(phase, POLICE_MARKINGS);
    const kept = onlyClassified(event, "notice");
    // The check is not vacuous: the kept event has lost its free text, subjects and ids.
    expect([kept.id, kept.operationRef, kept.subjects.length, kept.legalBasis, kept.payload?.$case === "policeOperationUpdate" && kept.payload.value.summary]).toEqual(["", "", 0, undefined, ""]);
    const ids = { deliveryId: "d", agreementId: "a" };
    expect(supportNotice(kept, ids)).toEqual(supportNotice(event, ids));
  });

  it("a link alert: its view is the same built from the fields classified for the alert view alone", () => {
    const event = linkAlertEvent();
    const kept = onlyClassified(event, "alert");
    // The check is not vacuous: the kept event has lost its envelope, the facts and the subjects' positions.
    const records = kept.payload?.$case === "linkAlert" ? kept.payload.value.records : [];
    expect([kept.id, kept.sourceAgency, kept.classification, records.length, records.map((r) => [r.facts, r.subjectIndex])]).toEqual([
      "",
      "AGENCY_UNSPECIFIED",
      "CLASSIFICATION_UNSPECIFIED",
      2,
      [
        [undefined, 0],
        [undefined, 0],
      ],
    ]);
    const opts = { deliveryId: "d", agreementIds: ["a", ""] };
    expect(linkAlertView(kept, opts)).toEqual(linkAlertView(event, opts));
  });
});
