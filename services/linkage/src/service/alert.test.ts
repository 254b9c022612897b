import {
  Agency,
  Classification,
  HandlingCaveat,
  IntelligenceEvent,
  LinkRule,
  OrganisedCrimeActivity,
  PoliceDistrict,
  SubjectRole,
  IdentityDocumentKind,
  Commodity,
} from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { alertMessage, factsOf, higherClassification, LINK_ALERT_EVENT_TYPE, linkAlertEvent, type FoundLink } from "./alert.js";

const person = (subjectId: string, role = SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST, isMinor = false) => ({
  entity: {
    $case: "person" as const,
    value: {
      subjectId,
      fullName: "Hēmi Tāwhiri",
      aliases: ["Bro"],
      dateOfBirth: "1991-03-14",
      address: "12 Church Street, Ōpōtiki",
      phoneNumbers: ["021 555 0147"],
      documents: [{ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, number: "LA9981234", issuingCountry: "NZL" }],
      role,
      isMinor,
    },
  },
});

const noting = IntelligenceEvent.fromPartial({
  id: "0b4c3f1e-0000-8000-8000-000000000001",
  sourceAgency: Agency.AGENCY_POLICE,
  eventType: "police.organised_crime_noting",
  region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
  classification: Classification.CLASSIFICATION_RESTRICTED,
  handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: ["customs", "mbie"] },
  operationRef: "OP HIGHWATER",
  sourceRecordId: "NIA-2026-1",
  subjects: [person("police/person/1"), person("police/person/2", SubjectRole.SUBJECT_ROLE_VICTIM, true)],
  payload: { $case: "policeNoting", value: { activity: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY, summary: "Hēmi Tāwhiri seen at 12 Church Street", groupName: "", locality: "Ōpōtiki", reportingUnit: "" } },
});

const seizure = IntelligenceEvent.fromPartial({
  id: "0b4c3f1e-0000-8000-8000-000000000002",
  sourceAgency: Agency.AGENCY_CUSTOMS,
  eventType: "customs.border_seizure",
  region: PoliceDistrict.POLICE_DISTRICT_AUCKLAND_CITY,
  classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
  handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL], releasableTo: ["police", "customs"] },
  subjects: [person("customs/person/9")],
  payload: { $case: "customsBorderSeizure", value: { commodity: Commodity.COMMODITY_METHAMPHETAMINE } },
});

const link: FoundLink = {
  linkId: "5d1e0c9a-1111-8000-8000-000000000003",
  rule: LinkRule.LINK_RULE_IDENTITY_DOCUMENT,
  confidence: 0.99,
  records: [
    { eventId: noting.id, sourceAgency: Agency.AGENCY_POLICE, eventType: noting.eventType, subjectId: "police/person/1", subjectIndex: 0 },
    { eventId: seizure.id, sourceAgency: Agency.AGENCY_CUSTOMS, eventType: seizure.eventType, subjectId: "customs/person/9", subjectIndex: 0 },
  ],
};
const facts = (id: string) => factsOf(id === noting.id ? noting : seizure);
const now = new Date("2026-12-06T03:00:00Z");

/** Every identifier and free text in the records: none may reach an alert. */
const IDENTIFYING = ["Hēmi", "Tāwhiri", "Bro", "1991-03-14", "Church", "021 555", "LA9981234", "OP HIGHWATER", "NIA-2026-1", "Ōpōtiki"];

describe("factsOf: what the policy decides a linked record on", () => {
  it("projects markings and shape as the exchange does for any event, and nothing identifying", () => {
    const f = factsOf(noting);
    expect(f).toMatchObject({
      eventType: "police.organised_crime_noting",
      sourceAgency: Agency.AGENCY_POLICE,
      region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
      classification: Classification.CLASSIFICATION_RESTRICTED,
      activity: "DRUG_SUPPLY",
      operationPhase: "",
      hasOperationRef: true,
      hasPersonalInformation: true,
      subjects: [
        { kind: "PERSON", role: "PERSON_OF_INTEREST", minor: false },
        { kind: "PERSON", role: "VICTIM", minor: true },
      ],
    });
    expect(f.handling?.caveats).toEqual([HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY]);
    const text = JSON.stringify(f);
    for (const s of IDENTIFYING) expect(text).not.toContain(s);
    expect(factsOf(seizure).activity).toBe("METHAMPHETAMINE");
    expect(factsOf(seizure).hasOperationRef).toBe(false);
  });
});

describe("linkAlertEvent", () => {
  const alert = linkAlertEvent(link, facts, now);

  it("is an event of the linkage service whose id is the link's, carrying both sides and their facts", () => {
    expect(alert).toMatchObject({ id: link.linkId, sourceAgency: Agency.AGENCY_LINKAGE, eventType: LINK_ALERT_EVENT_TYPE, sourceRecordId: link.linkId, subjects: [] });
    expect(alert.payload?.$case).toBe("linkAlert");
    const value = alert.payload?.$case === "linkAlert" ? alert.payload.value : undefined;
    expect(value?.records.map((r) => [r.eventId, r.sourceAgency, r.subjectId, r.subjectIndex])).toEqual([
      [noting.id, Agency.AGENCY_POLICE, "police/person/1", 0],
      [seizure.id, Agency.AGENCY_CUSTOMS, "customs/person/9", 0],
    ]);
    expect(value?.records.map((r) => r.facts?.eventType)).toEqual(["police.organised_crime_noting", "customs.border_seizure"]);
    expect([value?.rule, value?.confidence]).toEqual([LinkRule.LINK_RULE_IDENTITY_DOCUMENT, 0.99]);
  });

  it("is as guarded as the more guarded record: the higher classification, every caveat, releasable only where both are", () => {
    expect(alert.classification).toBe(Classification.CLASSIFICATION_RESTRICTED);
    expect(alert.handling?.caveats).toEqual([HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY, HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL].sort());
    expect(alert.handling?.releasableTo).toEqual(["customs"]);
    // Different districts: the alert claims neither.
    expect(alert.region).toBe(PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED);
    const sameRegion = linkAlertEvent(link, (id) => ({ ...facts(id), region: PoliceDistrict.POLICE_DISTRICT_EASTERN }), now);
    expect(sameRegion.region).toBe(PoliceDistrict.POLICE_DISTRICT_EASTERN);
  });

  it("carries no identifier or free text of either record, in any field or byte", () => {
    const bytes = Buffer.from(IntelligenceEvent.encode(alert).finish()).toString("utf8");
    const json = JSON.stringify(IntelligenceEvent.toJSON(alert));
    for (const s of IDENTIFYING) {
      expect(json).not.toContain(s);
      expect(bytes).not.toContain(s);
    }
  });

  it("is the same event when the same link is raised again", () => {
    expect(IntelligenceEvent.encode(linkAlertEvent(link, facts, now)).finish()).toEqual(IntelligenceEvent.encode(alert).finish());
  });

  it("travels keyed by its id with the headers of every intelligence event", () => {
    const m = alertMessage(alert);
    expect(m.key).toBe(link.linkId);
    expect(m.headers).toMatchObject({ "event-type": LINK_ALERT_EVENT_TYPE, "content-type": "application/x-protobuf" });
    expect(IntelligenceEvent.decode(m.value).id).toBe(link.linkId);
  });
});

describe("higherClassification", () => {
  it("is the higher of the two, whichever order", () => {
    const all = Object.values(Classification).filter((c) => c !== Classification.CLASSIFICATION_UNSPECIFIED);
    for (const [i, a] of all.entries()) for (const [j, b] of all.entries()) expect(higherClassification(a, b)).toBe(all[Math.max(i, j)]);
  });
});
