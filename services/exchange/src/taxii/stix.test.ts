import { Classification, IntelligenceEvent, PoliceDistrict } from "@takitini/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, fullEvent, PERSONAL } from "../events.fixture.js";
import {
  AGENCY_IDENTITY_CREATED,
  agencyIdentity,
  type ForeignDelivery,
  manifestEntry,
  MAPPED_EVENT_TYPES,
  releaseMarking,
  releaseStatement,
  STIX_MEDIA_TYPE,
  stixEnvelope,
  type StixObject,
  TAKITINI_STIX_NAMESPACE,
  TLP_MARKINGS,
  tlpFor,
  toStix,
  uuidv5,
} from "./stix.js";

const PUBLISHED = "2026-11-19T20:15:00.000Z";
const OCCURRED = "2026-11-19T09:40:00.000Z";

/** A delivery of the fixture event of a type, releasable to AUS and USA, RESTRICTED unless overridden. */
function delivery(type: string, fields: Partial<IntelligenceEvent> = {}, more: Partial<ForeignDelivery> = {}): ForeignDelivery {
  return {
    partner: { id: "aus-abf", country: "AUS" },
    decisionId: "decision-7f1c",
    policyRevision: "rev-2026-11-01",
    view: "full",
    legalBasis: "NZ–Australia Customs Mutual Assistance Agreement, art. 4",
    event: fullEvent(type, { classification: Classification.CLASSIFICATION_RESTRICTED, handling: { caveats: [], releasableTo: ["aus-abf"], releasableToCountries: ["USA", "AUS"] }, ...fields }),
    dateAdded: new Date("2026-11-20T01:02:03.456Z"),
    ...more,
  };
}

const byType = (objects: StixObject[], type: string) => objects.filter((o) => o.type === type);
const one = (objects: StixObject[], type: string) => {
  const found = byType(objects, type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const byId = (objects: StixObject[]) => new Map(objects.map((o) => [o.id, o]));
const isMarking = (o: StixObject) => o.type === "marking-definition";
/** The objects every delivery of an agency shares: the marking-definitions and the agency's identity. */
const isShared = (o: StixObject) => isMarking(o) || o.created === AGENCY_IDENTITY_CREATED;

/** Every string value (and with keys, every key) in a JSON value, recursively. */
function strings(value: unknown, keys = true, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, keys, out);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      if (keys) out.push(k);
      strings(v, keys, out);
    }
  return out;
}

describe("uuidv5", () => {
  it("matches RFC 4122 / Python's uuid.uuid5 on known vectors", () => {
    const DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
    const URL = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";
    expect(uuidv5(DNS, "www.example.com")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
    expect(uuidv5(DNS, "python.org")).toBe("886313e1-3b8a-5372-9b90-0c9aee199e5d");
    expect(uuidv5(URL, "https://takitini.govt.nz/stix/2.1")).toBe(TAKITINI_STIX_NAMESPACE);
    expect(uuidv5(TAKITINI_STIX_NAMESPACE, "hello")).toBe("2ce6fb81-ff4c-5463-aeb6-4c2e81be6a57");
  });
});

describe("toStix: ids", () => {
  it("are deterministic: the same delivery gives the same objects, ids and order", () => {
    for (const type of EVENT_TYPES) {
      const a = toStix(delivery(type));
      const b = toStix(structuredClone(delivery(type)));
      expect(b).toEqual(a);
    }
  });

  it("do not depend on the delivery's partner, decision, policy revision or date", () => {
    const a = toStix(delivery("customs.border_seizure"));
    const b = toStix(delivery("customs.border_seizure", {}, { partner: { id: "usa-cbp", country: "USA" }, decisionId: "other", policyRevision: "r2", dateAdded: new Date(0) }));
    expect(b).toEqual(a);
  });

  it("are distinct within a delivery, and UUIDv5 under the Takitini namespace", () => {
    for (const type of EVENT_TYPES) {
      const objects = toStix(delivery(type));
      expect(new Set(objects.map((o) => o.id)).size).toBe(objects.length);
      for (const o of objects.filter((o) => !isMarking(o) || o.definition_type === "statement")) expect(o.id).toMatch(/^[a-z-]+--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it("never collide between two different events (only the shared marking-definitions recur)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...MAPPED_EVENT_TYPES), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (type, idA, idB) => {
        fc.pre(idA !== idB);
        const a = toStix(delivery(type, { id: idA })).filter((o) => !isShared(o));
        const b = new Set(toStix(delivery(type, { id: idB })).filter((o) => !isShared(o)).map((o) => o.id));
        expect(a.filter((o) => b.has(o.id))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("give an agency one identity, the same object in every delivery of any event", () => {
    const a = toStix(delivery("customs.border_seizure", { id: "event-a" })).filter((o) => o.type === "identity");
    const b = toStix(delivery("customs.suspicious_consignment", { id: "event-b", classification: Classification.CLASSIFICATION_UNCLASSIFIED })).filter((o) => o.type === "identity");
    expect(a).toEqual(b);
    expect(a[0]).toMatchObject({ name: "New Zealand Customs Service", created: AGENCY_IDENTITY_CREATED, modified: AGENCY_IDENTITY_CREATED });
    expect(agencyIdentity("AGENCY_POLICE").id).not.toBe(a[0]!.id);
  });

  it("refuses an event without an id (its objects would collide)", () => {
    expect(() => toStix(delivery("customs.border_seizure", { id: "" }))).toThrow(/no id/);
  });
});

describe("toStix: every delivery", () => {
  it.each(EVENT_TYPES)("%s: spec_version 2.1, both markings, created by the identity, refs resolve", (type) => {
    const objects = toStix(delivery(type));
    const ids = byId(objects);
    const identity = byType(objects, "identity").find((o) => o.identity_class === "organization")!;
    const tlp = TLP_MARKINGS["TLP:AMBER+STRICT"];
    const release = releaseMarking(["AUS", "USA"]);
    expect(objects.filter(isMarking)).toEqual([TLP_MARKINGS["TLP:CLEAR"], tlp, release]);
    // The agency's identity is the same object in every delivery: public, dated once, created by no one.
    expect(identity).toEqual(agencyIdentity(fullEvent(type).sourceAgency));
    expect(identity.object_marking_refs).toEqual([TLP_MARKINGS["TLP:CLEAR"].id]);
    for (const o of objects) {
      expect(o.spec_version).toBe("2.1");
      if (isMarking(o) || o === identity) continue;
      expect(o.object_marking_refs, o.id).toEqual([tlp.id, release.id]);
      expect(o.created_by_ref, o.id).toBe(identity.id);
      expect(o.created, o.id).toBe(PUBLISHED);
      expect(o.modified, o.id).toBe(PUBLISHED);
    }
    const report = one(objects, "report");
    expect(report.published).toBe(PUBLISHED);
    expect(report.report_types).toContain("threat-report");
    const refs = report.object_refs as string[];
    expect(refs.length).toBeGreaterThan(0);
    // The report refers to every object but itself and the marking-definitions.
    expect(new Set(refs)).toEqual(new Set(objects.filter((o) => !isMarking(o) && o !== report).map((o) => o.id)));
    for (const r of refs) expect(ids.has(r), r).toBe(true);
    for (const rel of byType(objects, "relationship")) {
      expect(ids.has(rel.source_ref as string)).toBe(true);
      expect(ids.has(rel.target_ref as string)).toBe(true);
    }
    for (const od of byType(objects, "observed-data")) for (const r of od.object_refs as string[]) expect(ids.get(r)?.type).toBe("relationship");
  });

  it("names the source agency as an organisation from the government-national sector", () => {
    const identity = one(toStix(delivery("customs.border_seizure")), "identity");
    expect(identity).toMatchObject({ name: "New Zealand Customs Service", identity_class: "organization", sectors: ["government-national"] });
    expect(byType(toStix(delivery("police.organised_crime_noting")), "identity")[0]).toMatchObject({ name: "New Zealand Police" });
  });

  it("maps the Admiralty credibility to a STIX confidence and states the grading as a code", () => {
    const report = one(toStix(delivery("police.fiu_suspicious_activity")), "report");
    expect(report.confidence).toBe(70);
    expect(report.description).toContain("Admiralty grading B2.");
  });

  it("states the subjects only as counts by role", () => {
    const report = one(toStix(delivery("police.organised_crime_noting")), "report");
    expect(report.description).toContain("Subjects: 1 person of interest, 1 victim, 1 exploited worker, 1 organisation (gang), 1 vehicle.");
  });

  it("falls back to the delivery's date when the event has no publication time", () => {
    const d = delivery("police.scam_report", { publishedAt: undefined });
    expect(one(toStix(d), "report").published).toBe(d.dateAdded.toISOString());
  });
});

describe("markings", () => {
  it("classification → TLP 2.0, failing closed to TLP:RED", () => {
    const table = Object.fromEntries(Object.values(Classification).map((c) => [c, tlpFor(c)]));
    expect(table).toEqual({
      CLASSIFICATION_UNSPECIFIED: "TLP:RED",
      CLASSIFICATION_UNCLASSIFIED: "TLP:GREEN",
      CLASSIFICATION_IN_CONFIDENCE: "TLP:AMBER",
      CLASSIFICATION_SENSITIVE: "TLP:AMBER+STRICT",
      CLASSIFICATION_RESTRICTED: "TLP:AMBER+STRICT",
      CLASSIFICATION_CONFIDENTIAL: "TLP:RED",
      CLASSIFICATION_SECRET: "TLP:RED",
      CLASSIFICATION_TOP_SECRET: "TLP:RED",
    });
    const objects = toStix(delivery("customs.border_seizure", { classification: Classification.CLASSIFICATION_UNCLASSIFIED }));
    expect(objects[1]).toBe(TLP_MARKINGS["TLP:GREEN"]);
  });

  it("uses the official OASIS TLP 2.0 marking-definitions", () => {
    expect(TLP_MARKINGS["TLP:GREEN"]).toEqual({
      type: "marking-definition",
      spec_version: "2.1",
      id: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
      created: "2022-10-01T00:00:00.000Z",
      name: "TLP:GREEN",
      extensions: { "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": { extension_type: "property-extension", tlp_2_0: "green" } },
    });
    expect(Object.values(TLP_MARKINGS).map((m) => m.id)).toEqual([
      "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
      "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
      "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
      "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
      "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    ]);
  });

  it("release: NZL first, then the others sorted; one marking-definition per statement", () => {
    expect(releaseStatement(["USA", "AUS", "NZL", "aus"])).toBe("RELEASABLE TO NZL, AUS, USA");
    expect(releaseStatement([])).toBe("RELEASABLE TO NZL");
    expect(releaseStatement(["Hēmi Tāwhiri", "GB"])).toBe("RELEASABLE TO NZL");
    const m = releaseMarking(["USA", "AUS"]);
    expect(m).toMatchObject({ type: "marking-definition", definition_type: "statement", definition: { statement: "RELEASABLE TO NZL, AUS, USA" }, created: "2026-01-01T00:00:00.000Z" });
    expect(releaseMarking(["AUS", "USA", "NZL"])).toEqual(m);
    expect(releaseMarking(["AUS"]).id).not.toBe(m.id);
  });
});

describe("by event type", () => {
  const types = (objects: StixObject[]) => objects.map((o) => o.type).sort();

  it("customs.border_seizure: origin country and port of entry, a route observed once", () => {
    const objects = toStix(delivery("customs.border_seizure"));
    expect(types(objects)).toEqual(["identity", "location", "location", "location", "marking-definition", "marking-definition", "marking-definition", "observed-data", "relationship", "report"]);
    const ids = byId(objects);
    const [region, port, origin] = byType(objects, "location");
    expect(region).toMatchObject({ name: "Bay of Plenty Police District, New Zealand", country: "NZ", region: "australia-new-zealand" });
    expect(port).toMatchObject({ name: "Port of Tauranga, New Zealand", country: "NZ" });
    expect(origin).toMatchObject({ country: "MX" });
    const route = one(objects, "relationship");
    expect(route).toMatchObject({ relationship_type: "related-to", source_ref: origin!.id, target_ref: port!.id });
    expect(one(objects, "observed-data")).toMatchObject({ first_observed: OCCURRED, last_observed: OCCURRED, number_observed: 1, object_refs: [route.id] });
    expect(ids.size).toBe(objects.length);
    const report = one(objects, "report");
    expect(report.name).toBe("customs.border_seizure: methamphetamine, 12000 g, 3 units, Port of Tauranga, origin MX");
    expect(report.description).toContain("concealment: sea container");
  });

  it("customs.suspicious_consignment: origin, port, risk score and indicators", () => {
    const objects = toStix(delivery("customs.suspicious_consignment"));
    expect(byType(objects, "location").map((l) => l.country)).toEqual(["NZ", "NZ", "CN"]);
    expect(one(objects, "report").name).toBe("customs.suspicious_consignment: suspected precursors, risk score 87, Port of Auckland, origin CN");
    expect(one(objects, "report").description).toContain("risk indicators: misdeclared goods");
    expect(one(objects, "observed-data").number_observed).toBe(1);
  });

  it("police.organised_crime_noting: the named group as a crime-syndicate threat-actor located in the district", () => {
    const objects = toStix(delivery("police.organised_crime_noting"));
    const actor = one(objects, "threat-actor");
    expect(actor).toMatchObject({ name: "Mongrel Mob Barbarians", threat_actor_types: ["crime-syndicate"] });
    const region = one(objects, "location");
    expect(one(objects, "relationship")).toMatchObject({ relationship_type: "located-at", source_ref: actor.id, target_ref: region.id });
    expect(one(objects, "report")).toMatchObject({ report_types: ["threat-report", "threat-actor"], name: "police.organised_crime_noting: Mongrel Mob Barbarians, drug supply, methamphetamine" });
  });

  it("police.organised_crime_noting without a group (redacted) or region: no threat-actor, no observed-data", () => {
    const base = fullEvent("police.organised_crime_noting");
    const p = base.payload?.$case === "policeNoting" ? base.payload.value : undefined;
    const objects = toStix(delivery("police.organised_crime_noting", { region: PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED, payload: { $case: "policeNoting", value: { ...p!, groupName: "" } } }));
    expect(types(objects)).toEqual(["identity", "marking-definition", "marking-definition", "marking-definition", "report"]);
  });

  it("police.firearms_seizure: the linked group, the counts; New Zealand when no district", () => {
    const objects = toStix(delivery("police.firearms_seizure", { region: PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED }));
    expect(one(objects, "threat-actor").name).toBe("Mongrel Mob Barbarians");
    expect(one(objects, "location")).toMatchObject({ name: "New Zealand", country: "NZ" });
    expect(one(objects, "report").name).toBe("police.firearms_seizure: 7 firearms, pistol, 400 rounds, linked to Mongrel Mob Barbarians");
  });

  it("police.fiu_suspicious_activity: the reporting sector as a class, observed once per report summarised", () => {
    const objects = toStix(delivery("police.fiu_suspicious_activity"));
    const cohort = byType(objects, "identity").find((i) => i.identity_class === "class")!;
    expect(cohort).toMatchObject({ name: "Reporting entities: money service (New Zealand)", sectors: ["financial-services"] });
    expect(one(objects, "relationship")).toMatchObject({ relationship_type: "located-at", source_ref: cohort.id });
    expect(one(objects, "observed-data").number_observed).toBe(14);
    expect(one(objects, "report").description).toContain("typologies: structuring; trade based laundering");
    expect(one(objects, "report").description).toContain("period 2026-07-01 to 2026-09-30");
  });

  it("mbie.trafficking_indicator: the industry's workers as a class, the indicators and the count", () => {
    const objects = toStix(delivery("mbie.trafficking_indicator"));
    const cohort = byType(objects, "identity").find((i) => i.identity_class === "class")!;
    expect(cohort).toMatchObject({ name: "Workers in construction (New Zealand)", sectors: ["construction"] });
    expect(one(objects, "report").name).toBe("mbie.trafficking_indicator: 4 persons affected, construction, debt bondage");
  });

  it.each(EVENT_TYPES.filter((t) => !(MAPPED_EVENT_TYPES as readonly string[]).includes(t)))("%s: the report and the identity only", (type) => {
    const objects = toStix(delivery(type));
    expect(types(objects)).toEqual(["identity", "marking-definition", "marking-definition", "marking-definition", "report"]);
    expect(one(objects, "report").object_refs).toEqual([one(objects, "identity").id]);
  });
});

describe("what never leaves", () => {
  /** The event's strings that may appear: codes, its type, countries, dates and times, group names. */
  const allowed = (s: string, event: IntelligenceEvent) =>
    /^[A-Z0-9_]+$/.test(s) || s === event.eventType || /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/.test(s) || s === "Mongrel Mob Barbarians";

  it.each(EVENT_TYPES)("%s: not one other string of the event or the delivery", (type) => {
    const d = delivery(type);
    const json = JSON.stringify(toStix(d));
    for (const p of PERSONAL) expect(json).not.toContain(p);
    const candidates = [...strings(IntelligenceEvent.toJSON(d.event), false), d.decisionId, d.policyRevision, d.legalBasis, d.partner.id, d.event.id];
    for (const s of candidates.filter((s) => s.length >= 3 && !allowed(s, d.event))) expect(json, `"${s}" leaked`).not.toContain(s);
    expect(strings(toStix(d)).some((k) => k.startsWith("x_"))).toBe(false);
  });

  // Arbitrary text (delimited, so any piece of it is recognisable) in every field that must never leave.
  const secret = fc.string({ minLength: 0, maxLength: 24 }).map((s) => `⟪${s}⟫`);
  const secrets = fc.array(secret, { minLength: 40, maxLength: 40 });

  function secretEvent(type: string, s: string[]): ForeignDelivery {
    let i = 0;
    const next = () => s[i++ % s.length]!;
    const base = delivery(type);
    const e = base.event;
    const subjects = e.subjects.map((sub) => {
      const x = sub.entity;
      if (x?.$case === "person")
        return { entity: { ...x, value: { ...x.value, subjectId: next(), fullName: next(), aliases: [next(), next()], dateOfBirth: next(), address: next(), phoneNumbers: [next()], documents: [{ ...x.value.documents[0]!, number: next(), issuingCountry: next() }] } } };
      if (x?.$case === "organisation") return { entity: { ...x, value: { ...x.value, subjectId: next(), name: next(), registrationNumber: next() } } };
      if (x?.$case === "vehicle") return { entity: { ...x, value: { ...x.value, subjectId: next(), plate: next(), make: next(), model: next(), colour: next() } } };
      return sub;
    });
    const p = e.payload;
    let payload = p;
    if (p?.$case === "customsBorderSeizure") payload = { ...p, value: { ...p.value, caseRef: next(), consigneeSubjectId: next(), originCountry: next() } };
    if (p?.$case === "customsSuspiciousConsignment") payload = { ...p, value: { ...p.value, consignmentRef: next(), consigneeSubjectId: next(), originCountry: next() } };
    if (p?.$case === "policeNoting") payload = { ...p, value: { ...p.value, summary: next(), reportingUnit: next(), locality: next() } };
    if (p?.$case === "policeFirearmsSeizure") payload = { ...p, value: { ...p.value, locality: next() } };
    if (p?.$case === "policeFiuSuspiciousActivity") payload = { ...p, value: { ...p.value, periodStart: next(), periodEnd: next() } };
    if (p?.$case === "mbieTraffickingIndicator") payload = { ...p, value: { ...p.value, caseRef: next(), visaCategory: next(), relatedComplaintRef: next() } };
    return {
      ...base,
      decisionId: next(),
      policyRevision: next(),
      legalBasis: next(),
      partner: { id: next(), country: "AUS" },
      event: {
        ...e,
        id: next(),
        subjects,
        sourceRecordId: next(),
        operationRef: next(),
        publisher: next(),
        supersedes: next(),
        originalEventId: next(),
        legalBasis: { instrument: next(), provision: next(), description: next() },
        handling: { caveats: [], releasableTo: [next()], releasableToCountries: ["AUS", next()] },
        payload,
      },
    };
  }

  it("property: arbitrary text in a person's, a record's or a case's fields never appears in the output", () => {
    fc.assert(
      fc.property(fc.constantFrom(...MAPPED_EVENT_TYPES, "police.operation_update", "police.asset_restraint"), secrets, (type, s) => {
        const out = strings(toStix(secretEvent(type, s)));
        expect(out.filter((x) => x.includes("⟪") || x.includes("⟫"))).toEqual([]);
        // And no long enough inner text either (shorter ones may occur by chance: "2026", "NZ").
        for (const x of s.map((x) => x.slice(1, -1)).filter((x) => x.length >= 16)) expect(out.filter((o) => o.includes(x))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe("TAXII 2.1", () => {
  it("envelope: more, next only when given, the objects", () => {
    const objects = toStix(delivery("customs.border_seizure"));
    expect(stixEnvelope(objects, true, "page-2")).toEqual({ more: true, next: "page-2", objects });
    expect(stixEnvelope([], false)).toEqual({ more: false, objects: [] });
    expect("next" in stixEnvelope(objects, false)).toBe(false);
  });

  it("manifest entry: version is modified, or created for a marking-definition", () => {
    const objects = toStix(delivery("customs.border_seizure"));
    const added = new Date("2026-11-20T01:02:03.456Z");
    expect(manifestEntry(one(objects, "report"), added)).toEqual({ id: one(objects, "report").id, date_added: "2026-11-20T01:02:03.456Z", version: PUBLISHED, media_type: STIX_MEDIA_TYPE });
    expect(manifestEntry(TLP_MARKINGS["TLP:RED"], added).version).toBe("2022-10-01T00:00:00.000Z");
    expect(STIX_MEDIA_TYPE).toBe("application/stix+json;version=2.1");
  });
});
