import { MarkingBelowFloor, seededRandom } from "@takitini/adapter-kit";
import {
  Agency,
  Classification,
  Commodity,
  ConsignmentRiskIndicator,
  HandlingCaveat,
  InformationCredibility,
  IntelligenceEvent,
  OrganisationKind,
  PoliceDistrict,
  PortOfEntry,
  SourceReliability,
  SubjectRole,
} from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { CUSTOMS_DEFAULTS } from "../defaults.js";
import { suspiciousConsignment, suspiciousConsignmentSchema, type SuspiciousConsignmentRecord } from "./suspicious-consignment.js";

const at = new Date("2026-11-20T00:00:00Z");
const example = suspiciousConsignment.example as Record<string, unknown>;
const withField = (patch: Record<string, unknown>) => ({ ...example, ...patch });
const parse = (input: unknown) => suspiciousConsignmentSchema.parse(input);
const map = (input: unknown) => suspiciousConsignment.map(parse(input), at);
const paths = (input: unknown) => {
  const r = suspiciousConsignmentSchema.safeParse(input);
  return r.success ? [] : zodIssues(r.error).map((i) => i.path);
};
const payloadOf = (e: IntelligenceEvent) => {
  if (e.payload?.$case !== "customsSuspiciousConsignment") throw new Error(`unexpected payload ${e.payload?.$case}`);
  return e.payload.value;
};
/** The example, as an alert raised once the container is on the wharf. */
const onArrival = (indicators: string[]) => withField({ expected_arrival: "2026-11-12T05:30:00+13:00", indicators });

describe("suspicious_consignment: the example", () => {
  it("validates and names its kind", () => {
    expect(suspiciousConsignmentSchema.safeParse(example).success).toBe(true);
    expect(suspiciousConsignment.recordType).toBe("suspicious_consignment");
    expect(suspiciousConsignment.eventType).toBe("customs.suspicious_consignment");
    expect(suspiciousConsignment.httpPath).toBe("/v1/consignment-alerts");
    expect(suspiciousConsignment.nativeId(parse(example))).toBe("TGT-2026-07731");
  });

  it("maps every envelope and payload field", () => {
    expect(map(example)).toEqual({
      id: "", // the intake derives it, keyed (ingest.ts)
      publisher: "",
      supersedes: "", // a first version: a correction sets both (revision.proto)
      originalEventId: "",
      sourceAgency: Agency.AGENCY_CUSTOMS,
      eventType: "customs.suspicious_consignment",
      occurredAt: new Date("2026-11-12T01:05:00.000Z"),
      publishedAt: at,
      region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
      classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
      handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: [], releasableToCountries: [] },
      grading: {
        sourceReliability: SourceReliability.SOURCE_RELIABILITY_B_USUALLY_RELIABLE,
        informationCredibility: InformationCredibility.INFORMATION_CREDIBILITY_3_POSSIBLY_TRUE,
      },
      legalBasis: CUSTOMS_DEFAULTS.legalBasis,
      operationRef: "",
      subjects: [
        {
          entity: {
            $case: "person",
            value: {
              subjectId: "customs/person/P-30418",
              fullName: "Rāwiri Tākerei",
              aliases: [],
              dateOfBirth: "1979-05-23",
              address: "",
              phoneNumbers: ["027 555 0112"],
              documents: [],
              role: SubjectRole.SUBJECT_ROLE_ASSOCIATE,
              isMinor: false,
            },
          },
        },
        {
          entity: {
            $case: "organisation",
            value: { subjectId: "customs/organisation/O-5512", name: "Kōwhai Trading Limited", kind: OrganisationKind.ORGANISATION_KIND_COMPANY, registrationNumber: "9429049912345" },
          },
        },
      ],
      sourceRecordId: "TGT-2026-07731",
      payload: {
        $case: "customsSuspiciousConsignment",
        value: {
          consignmentRef: "MSKU7745210",
          indicators: [
            ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_MISDECLARED_GOODS,
            ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_HIGH_RISK_ORIGIN,
            ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_NEW_IMPORTER,
            ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_PAYMENT_ANOMALY,
          ],
          riskScore: 82,
          portOfEntry: PortOfEntry.PORT_OF_ENTRY_PORT_OF_TAURANGA,
          expectedArrival: new Date("2026-11-23T16:30:00.000Z"),
          suspectedCommodity: Commodity.COMMODITY_COCAINE,
          originCountry: "EC",
          consigneeSubjectId: "customs/organisation/O-5512",
        },
      },
    });
  });

  it("derives the event id from the alert id alone", () => {
    expect(suspiciousConsignment.nativeId(parse(example))).toBe("TGT-2026-07731");
  });
});

describe("suspicious_consignment: mapping variants", () => {
  it("maps an alert without a suspected commodity or consignee", () => {
    const v = payloadOf(map(withField({ suspected_commodity: undefined, consignee: undefined })));
    expect(v.suspectedCommodity).toBe(Commodity.COMMODITY_UNSPECIFIED);
    expect(v.consigneeSubjectId).toBe("");
  });

  it("accepts physical indicators once the consignment is on hand", () => {
    const v = payloadOf(map(onArrival(["imaging_anomaly", "detector_dog_indication"])));
    expect(v.indicators).toEqual([
      ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_IMAGING_ANOMALY,
      ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_DETECTOR_DOG_INDICATION,
    ]);
  });

  it("takes the region from the port or the record", () => {
    expect(map(withField({ port_of_entry: "CentrePort Wellington" })).region).toBe(PoliceDistrict.POLICE_DISTRICT_WELLINGTON);
    expect(map(withField({ district: "Tāmaki Makaurau" })).region).toBe(PoliceDistrict.POLICE_DISTRICT_AUCKLAND_CITY);
  });

  it("honours the record's own marking", () => {
    const e = map(withField({ classification: "RESTRICTED", caveats: ["ORIGINATOR CONTROL", "LAW ENFORCEMENT ONLY"], operation: "Operation Kōtuku" }));
    expect(e.classification).toBe(Classification.CLASSIFICATION_RESTRICTED);
    expect(e.handling?.caveats).toEqual([HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL, HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY]);
    expect(e.operationRef).toBe("Operation Kōtuku");
    expect(() => map(withField({ caveats: ["ORIGINATOR CONTROL"] }))).toThrow(MarkingBelowFloor);
  });
});

describe("suspicious_consignment: validation", () => {
  it.each([
    ["a missing alert id", { alert_id: undefined }, "alert_id"],
    ["a missing consignment ref", { consignment_ref: undefined }, "consignment_ref"],
    ["a missing expected arrival", { expected_arrival: undefined }, "expected_arrival"],
    ["missing indicators", { indicators: undefined }, "indicators"],
    ["no indicators", { indicators: [] }, "indicators"],
    ["a risk score as a string", { risk_score: "82" }, "risk_score"],
    ["a risk score over 100", { risk_score: 101 }, "risk_score"],
    ["a fractional risk score", { risk_score: 82.5 }, "risk_score"],
    ["an unknown field", { container_seal: "X1" }, "container_seal"],
    ["an unknown indicator", { indicators: ["misdeclared_goods", "gut_feeling"] }, "indicators[1]"],
    ["an unknown commodity", { suspected_commodity: "tobacco" }, "suspected_commodity"],
    ["an unknown port", { port_of_entry: "Timaru" }, "port_of_entry"],
    ["a bad arrival time", { expected_arrival: "next Tuesday" }, "expected_arrival"],
    ["a bad country", { origin_country: "Ecuador" }, "origin_country"],
    ["a control character in the operation", { operation: "Op\u001bKōtuku" }, "operation"],
    ["a control character in an organisation name", { organisations: [{ org_id: "O-5512", name: "Kōwhai\u0000Trading", type: "company" }] }, "organisations[0].name"],
  ])("rejects %s", (_name, patch, path) => {
    expect(paths(withField(patch))).toContain(path);
  });

  it.each([
    ["an indicator listed twice", { indicators: ["new_importer", "high_risk_origin", "new_importer"] }, "indicators[2]", /listed twice/],
    ["an imaging anomaly before arrival", { indicators: ["misdeclared_goods", "imaging_anomaly"] }, "indicators[1]", /on hand/],
    ["a dog indication before arrival", { indicators: ["detector_dog_indication"] }, "indicators[0]", /on hand/],
    ["a consignee not among the organisations", { consignee: { type: "organisation", id: "O-0001" } }, "consignee.id", /no entry in organisations/],
    ["an organisation listed twice", { organisations: [{ org_id: "O-5512", name: "A Ltd", type: "company" }, { org_id: "O-5512", name: "B Ltd", type: "company" }] }, "organisations[1].org_id", /duplicate/],
  ])("rejects %s (cross-field)", (_name, patch, path, message) => {
    const r = suspiciousConsignmentSchema.safeParse(withField(patch));
    expect(r.success).toBe(false);
    expect(zodIssues(r.error!).find((i) => i.path === path)?.message).toMatch(message);
  });

  it("accepts macrons and keeps them through protobuf", () => {
    const e = map(withField({ organisations: [{ org_id: "O-5512", name: "Ngāti Pāoa Freight Limited", type: "company" }] }));
    const decoded = IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish());
    const org = decoded.subjects[1]?.entity;
    expect(org?.$case === "organisation" && org.value.name).toBe("Ngāti Pāoa Freight Limited");
  });
});

describe("suspicious_consignment: protobuf", () => {
  it.each([
    ["the example", example],
    ["an on-arrival alert with no commodity", { ...onArrival(["detector_dog_indication"]), suspected_commodity: undefined, grading: undefined }],
  ])("round-trips %s through bytes", (_name, input) => {
    const e = map(input);
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish())).toEqual(e);
  });
});

describe("suspicious_consignment: synthetic records", () => {
  const batch = (seed: string, n = 500) => {
    const rng = seededRandom(seed);
    return Array.from({ length: n }, (_v, i) => suspiciousConsignment.synthesize(rng, i));
  };
  const records = batch("customs-alerts");
  const parsed = records.map((r) => suspiciousConsignmentSchema.safeParse(r));

  it("all 500 validate", () => {
    expect(parsed.flatMap((r, i) => (r.success ? [] : [{ i, issues: zodIssues(r.error) }]))).toEqual([]);
  });

  it("are deterministic for a seed and differ across seeds", () => {
    expect(batch("customs-alerts")).toEqual(records);
    expect(batch("another-seed", 20)).not.toEqual(records.slice(0, 20));
  });

  it("map and round-trip through protobuf, with unique event ids", () => {
    const events = parsed.map((r) => suspiciousConsignment.map(r.data as SuspiciousConsignmentRecord, at));
    for (const e of events) expect(IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish())).toEqual(e);
    expect(new Set(parsed.map((r) => suspiciousConsignment.nativeId(r.data as SuspiciousConsignmentRecord))).size).toBe(500);
  });

  it("mix pre-arrival and on-arrival alerts, with indicator combinations", () => {
    const ok = parsed.map((r) => r.data as SuspiciousConsignmentRecord);
    expect(ok.some((r) => r.indicators.includes("imaging_anomaly") || r.indicators.includes("detector_dog_indication"))).toBe(true);
    expect(ok.some((r) => Date.parse(r.expected_arrival) > Date.parse(r.raised_at))).toBe(true);
    expect(ok.filter((r) => r.indicators.length >= 2).length).toBeGreaterThan(100);
    const meth = ok.filter((r) => r.suspected_commodity === "methamphetamine").length;
    expect(meth).toBeGreaterThan(ok.filter((r) => r.suspected_commodity === "cocaine").length);
  });
});
