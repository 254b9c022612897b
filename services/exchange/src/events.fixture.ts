import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DATA_DIR, SUBSCRIBERS_FILE } from "@takitini/policies";
import {
  Agency,
  InformationRefusalReason,
  InformationRequestUrgency,
  InformationResponseOutcome,
  AgeBand,
  AssetClass,
  AssetRestraintStage,
  Classification,
  ClearHoldBuildPhase,
  Commodity,
  ConcealmentMethod,
  ConsignmentRiskIndicator,
  ExploitationIndicator,
  FirearmType,
  HandlingCaveat,
  IdentityDocumentKind,
  Industry,
  IntelligenceEvent,
  JobFeeLocation,
  LaunderingTypology,
  OperationPhase,
  OrganisationKind,
  OrganisedCrimeActivity,
  PoliceDistrict,
  PortOfEntry,
  ReportingSector,
  ScamCategory,
  ScamContactChannel,
  SourceReliability,
  InformationCredibility,
  SubjectRole,
  SupportService,
  TraffickingIndicator,
  ValueBand,
  type Subject,
  SubmissionKind,
  SubmissionTopic,
  LinkAlert,
  LinkRule,
} from "@takitini/proto";
import { linkedRecordFacts } from "./projection.js";

/**
 * Events of every type with every field set, so a test can see a redaction path
 * clear something real. Subjects, in this order: a person of interest, a victim,
 * an exploited worker who is a minor, a gang, a vehicle.
 */

/** Personal information in the fixtures; none of it may survive a de-identified view. */
export const PERSONAL = ["Hēmi Tāwhiri", "Bro", "1991-03-14", "12 Church Street, Ōpōtiki", "021 555 0147", "DL123456", "Mere Ngata", "022 555 0199", "LA9981234", "Sione Taufa", "027 555 0123", "QZX482"] as const;

const person = (subjectId: string, fullName: string, role: SubjectRole, extra: { phone: string; doc: string; minor?: boolean; alias?: string }): Subject => ({
  entity: {
    $case: "person",
    value: {
      subjectId,
      fullName,
      aliases: [extra.alias ?? `${fullName.split(" ")[0]}y`],
      dateOfBirth: extra.minor ? "2009-06-01" : "1991-03-14",
      address: "12 Church Street, Ōpōtiki",
      phoneNumbers: [extra.phone],
      documents: [{ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, number: extra.doc, issuingCountry: "NZ" }],
      role,
      isMinor: extra.minor ?? false,
    },
  },
});

export const SUBJECTS: Subject[] = [
  person("police/person/P1", "Hēmi Tāwhiri", SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST, { phone: "021 555 0147", doc: "DL123456", alias: "Bro" }),
  person("mbie/person/V1", "Mere Ngata", SubjectRole.SUBJECT_ROLE_VICTIM, { phone: "022 555 0199", doc: "LA9981234" }),
  person("mbie/person/W1", "Sione Taufa", SubjectRole.SUBJECT_ROLE_EXPLOITED_WORKER, { phone: "027 555 0123", doc: "LA1234567", minor: true }),
  { entity: { $case: "organisation", value: { subjectId: "police/org/G1", name: "Mongrel Mob Barbarians", kind: OrganisationKind.ORGANISATION_KIND_GANG, registrationNumber: "" } } },
  { entity: { $case: "vehicle", value: { subjectId: "police/vehicle/V1", plate: "QZX482", make: "Toyota", model: "Hilux", colour: "silver" } } },
];

type Payload = NonNullable<IntelligenceEvent["payload"]>;

/** A leader's submission of one kind, every field set: their words name a person and a phone number. */
const submission = (kind: SubmissionKind, topic: SubmissionTopic, briefingWeek = ""): { agency: Agency; payload: Payload } => ({
  agency: Agency.AGENCY_COMMUNITY,
  payload: {
    $case: "communitySubmission",
    value: {
      kind,
      topic,
      text: "Hēmi Tāwhiri is selling from the house by the wharf; his number is 021 555 0147.",
      locality: "Ōpōtiki",
      briefingWeek,
      reference: "TK-7Q4M-2WXC",
      organisation: "Eastern Bay Iwi Provider Alliance",
      subscriberId: "community-bay-of-plenty",
    },
  },
});

/** Every event type with a payload whose every field is set. */
export const PAYLOADS: Record<string, { agency: Agency; payload: Payload }> = {
  "police.organised_crime_noting": {
    agency: Agency.AGENCY_POLICE,
    payload: {
      $case: "policeNoting",
      value: {
        groupName: "Mongrel Mob Barbarians",
        activity: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY,
        commodities: [Commodity.COMMODITY_METHAMPHETAMINE],
        summary: "Hēmi Tāwhiri resupplied the chapter via a courier from Tāmaki Makaurau.",
        reportingUnit: "National Organised Crime Group",
        locality: "Ōpōtiki",
      },
    },
  },
  "police.operation_update": {
    agency: Agency.AGENCY_POLICE,
    payload: {
      $case: "policeOperationUpdate",
      value: {
        codeName: "Operation Highwater",
        phase: OperationPhase.OPERATION_PHASE_RESOLUTION,
        clearHoldBuild: ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_CLEAR,
        targetGroup: "Mongrel Mob Barbarians",
        arrests: 39,
        charges: 205,
        familiesAffected: 12,
        childrenAffected: 47,
        supportNeeded: [SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING],
        summary: "Warrants executed at 14 addresses; Hēmi Tāwhiri among those arrested.",
        localities: ["Ōpōtiki", "Whakatāne"],
      },
    },
  },
  "police.firearms_seizure": {
    agency: Agency.AGENCY_POLICE,
    payload: {
      $case: "policeFirearmsSeizure",
      value: { firearmsCount: 7, firearmTypes: [FirearmType.FIREARM_TYPE_PISTOL], ammunitionRounds: 400, locality: "Kawerau", linkedGroup: "Mongrel Mob Barbarians", underWarrant: true },
    },
  },
  "police.wastewater_indicator": {
    agency: Agency.AGENCY_POLICE,
    payload: {
      $case: "policeWastewaterIndicator",
      value: { site: "Ōpōtiki", drug: Commodity.COMMODITY_METHAMPHETAMINE, sampleWeek: "2026-W46", estimatedWeeklyGrams: 41.5, populationServed: 5000 },
    },
  },
  "police.fiu_suspicious_activity": {
    agency: Agency.AGENCY_POLICE,
    payload: {
      $case: "policeFiuSuspiciousActivity",
      value: {
        reportingSector: ReportingSector.REPORTING_SECTOR_MONEY_SERVICE,
        typologies: [LaunderingTypology.LAUNDERING_TYPOLOGY_STRUCTURING, LaunderingTypology.LAUNDERING_TYPOLOGY_TRADE_BASED_LAUNDERING],
        reportsSummarised: 14,
        totalValueBand: ValueBand.VALUE_BAND_100K_TO_1M,
        periodStart: "2026-07-01",
        periodEnd: "2026-09-30",
      },
    },
  },
  "police.asset_restraint": {
    agency: Agency.AGENCY_POLICE,
    payload: {
      $case: "policeAssetRestraint",
      value: {
        stage: AssetRestraintStage.ASSET_RESTRAINT_STAGE_RESTRAINING_ORDER,
        assets: [
          { assetClass: AssetClass.ASSET_CLASS_REAL_PROPERTY, valueNzd: "640350" },
          { assetClass: AssetClass.ASSET_CLASS_VEHICLE, valueNzd: "58500" },
          { assetClass: AssetClass.ASSET_CLASS_VEHICLE, valueNzd: "21499" },
          { assetClass: AssetClass.ASSET_CLASS_CASH, valueNzd: "112300" },
        ],
        courtFileRef: "CIV-2026-470-000812",
      },
    },
  },
  "police.scam_report": {
    agency: Agency.AGENCY_POLICE,
    payload: {
      $case: "policeScamReport",
      value: {
        category: ScamCategory.SCAM_CATEGORY_IMPERSONATION,
        channel: ScamContactChannel.SCAM_CONTACT_CHANNEL_PHONE_CALL,
        reportedLossNzd: "8437",
        victimAgeBand: AgeBand.AGE_BAND_75_AND_OVER,
        locality: "Kawerau",
      },
    },
  },
  "police.information_request": {
    agency: Agency.AGENCY_POLICE,
    payload: {
      $case: "informationRequest",
      value: {
        addressedTo: Agency.AGENCY_CUSTOMS,
        matterRef: "NOCG-FILE-2026-0042",
        question: "Has this person crossed the border in the last year, and with whom?",
        urgency: InformationRequestUrgency.INFORMATION_REQUEST_URGENCY_PRIORITY,
      },
    },
  },
  "customs.information_response": {
    agency: Agency.AGENCY_CUSTOMS,
    payload: {
      $case: "informationResponse",
      value: {
        requestEventId: "6b0c1a2e-1111-4000-8000-000000000117",
        requestedBy: Agency.AGENCY_POLICE,
        outcome: InformationResponseOutcome.INFORMATION_RESPONSE_OUTCOME_PARTIALLY_ANSWERED,
        refusalReason: InformationRefusalReason.INFORMATION_REFUSAL_REASON_PREJUDICE_TO_INVESTIGATION,
        answer: "Two departures to Sydney this year, travelling alone; an open Customs matter is withheld.",
      },
    },
  },
  "police.support_advance_notice": {
    agency: Agency.AGENCY_POLICE,
    payload: {
      $case: "policeSupportAdvanceNotice",
      value: {
        week: "2026-W48",
        childrenLikelyAffected: 47,
        familiesLikelyAffected: 12,
        supportNeeded: [SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT, SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION],
      },
    },
  },
  "customs.border_seizure": {
    agency: Agency.AGENCY_CUSTOMS,
    payload: {
      $case: "customsBorderSeizure",
      value: {
        commodity: Commodity.COMMODITY_METHAMPHETAMINE,
        weightGrams: 12000,
        units: 3,
        portOfEntry: PortOfEntry.PORT_OF_ENTRY_PORT_OF_TAURANGA,
        originCountry: "MX",
        concealment: ConcealmentMethod.CONCEALMENT_METHOD_SEA_CONTAINER,
        consigneeSubjectId: "police/person/P1",
        caseRef: "CUS-2026-0042",
      },
    },
  },
  "customs.suspicious_consignment": {
    agency: Agency.AGENCY_CUSTOMS,
    payload: {
      $case: "customsSuspiciousConsignment",
      value: {
        consignmentRef: "CONS-88121",
        indicators: [ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_MISDECLARED_GOODS],
        riskScore: 87,
        portOfEntry: PortOfEntry.PORT_OF_ENTRY_PORT_OF_AUCKLAND,
        expectedArrival: new Date("2026-12-01T00:00:00Z"),
        suspectedCommodity: Commodity.COMMODITY_PRECURSORS,
        originCountry: "CN",
        consigneeSubjectId: "police/person/P1",
      },
    },
  },
  "mbie.exploitation_complaint": {
    agency: Agency.AGENCY_MBIE,
    payload: {
      $case: "mbieExploitationComplaint",
      value: {
        complaintRef: "LI-2026-3925",
        industry: Industry.INDUSTRY_HORTICULTURE,
        indicators: [ExploitationIndicator.EXPLOITATION_INDICATOR_PASSPORT_WITHHELD],
        jobFeeLocation: JobFeeLocation.JOB_FEE_LOCATION_OFFSHORE,
        jobFeeNzd: 8000,
        workersAffected: 11,
        employerSubjectId: "police/org/G1",
        locality: "Te Puke",
      },
    },
  },
  "mbie.trafficking_indicator": {
    agency: Agency.AGENCY_MBIE,
    payload: {
      $case: "mbieTraffickingIndicator",
      value: {
        caseRef: "INZ-TIP-0007",
        indicators: [TraffickingIndicator.TRAFFICKING_INDICATOR_DEBT_BONDAGE],
        visaCategory: "Accredited Employer Work Visa",
        personsAffected: 4,
        industry: Industry.INDUSTRY_CONSTRUCTION,
        relatedComplaintRef: "LI-2026-3925",
      },
    },
  },
  "msd.whanau_support_referral": {
    agency: Agency.AGENCY_MSD,
    payload: {
      $case: "msdWhanauSupportReferral",
      value: { referralBatchRef: "MSD-RB-46", service: SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, whanauCount: 12, childrenCount: 47, referralWeek: "2026-W46", provider: "Whakatōhea iwi provider alliance" },
    },
  },
  "msd.community_resilience_report": {
    agency: Agency.AGENCY_MSD,
    payload: {
      $case: "msdCommunityResilienceReport",
      value: {
        programme: "Resilience to Organised Crime in Communities",
        provider: "Whakatōhea iwi provider alliance",
        periodStart: "2026-07-01",
        periodEnd: "2026-09-30",
        fundingCents: "278000000",
        services: [{ service: SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING, peopleServed: 40, sessions: 120 }],
      },
    },
  },
  "community.observation": submission(SubmissionKind.SUBMISSION_KIND_OBSERVATION, SubmissionTopic.SUBMISSION_TOPIC_DRUG_SUPPLY),
  "community.support_need": submission(SubmissionKind.SUBMISSION_KIND_SUPPORT_NEED, SubmissionTopic.SUBMISSION_TOPIC_UNSPECIFIED),
  "community.briefing_feedback": submission(SubmissionKind.SUBMISSION_KIND_BRIEFING_FEEDBACK, SubmissionTopic.SUBMISSION_TOPIC_UNSPECIFIED, "2026-W47"),
};

export const EVENT_TYPES = Object.keys(PAYLOADS).sort();

/** The publishing agencies, COMMUNITY (leaders' submissions, published by the briefing service) and LINKAGE (link alerts, by the linkage service). */
export const AGENCIES = [Agency.AGENCY_POLICE, Agency.AGENCY_CUSTOMS, Agency.AGENCY_MBIE, Agency.AGENCY_MSD, Agency.AGENCY_COMMUNITY, Agency.AGENCY_LINKAGE] as const;

/** The agency's topic by the naming convention (`takitini.intel.police.v1`); another prefix gives a per-run name as the e2e tests use. */
export function intelTopic(agency: Agency, prefix = "takitini"): string {
  return `${prefix}.intel.${agency.replace(/^AGENCY_/, "").toLowerCase()}.v1`;
}

/** An event of the type with every envelope field set, about SUBJECTS; unclassified and unrestricted unless overridden. */
export function fullEvent(eventType: string, fields: Partial<IntelligenceEvent> = {}): IntelligenceEvent {
  const spec = PAYLOADS[eventType];
  if (!spec) throw new Error(`no fixture for ${eventType}`);
  return IntelligenceEvent.fromPartial({
    id: "6b0c1a2e-1111-5000-8000-000000000001",
    sourceAgency: spec.agency,
    eventType,
    occurredAt: new Date("2026-11-19T09:40:00Z"),
    publishedAt: new Date("2026-11-19T20:15:00Z"),
    region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
    classification: Classification.CLASSIFICATION_UNCLASSIFIED,
    handling: { caveats: [], releasableTo: [], releasableToCountries: [] },
    grading: { sourceReliability: SourceReliability.SOURCE_RELIABILITY_B_USUALLY_RELIABLE, informationCredibility: InformationCredibility.INFORMATION_CREDIBILITY_2_PROBABLY_TRUE },
    legalBasis: { instrument: "Privacy Act 2020", provision: "IPP 11(1)(e)(i)", description: "maintenance of the law" },
    operationRef: "Operation Highwater",
    subjects: SUBJECTS,
    sourceRecordId: "NIC-2026-004217",
    payload: spec.payload,
    ...fields,
  });
}

/** Police's default markings: RESTRICTED, law-enforcement only. */
export const POLICE_MARKINGS = { classification: Classification.CLASSIFICATION_RESTRICTED, handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: [], releasableToCountries: [] } };

/** An operation update in a phase, as Police mark it. */
export function operationUpdate(phase: OperationPhase, fields: Partial<IntelligenceEvent> = {}): IntelligenceEvent {
  const base = fullEvent("police.operation_update", POLICE_MARKINGS);
  const payload = base.payload?.$case === "policeOperationUpdate" ? base.payload.value : undefined;
  return IntelligenceEvent.fromPartial({ ...base, payload: { $case: "policeOperationUpdate", value: { ...payload, phase } }, ...fields });
}

/** The shipped registry, parsed afresh. */
export function shippedRegistry(): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(join(DEFAULT_DATA_DIR, SUBSCRIBERS_FILE), "utf8")) as Record<string, Record<string, unknown>>;
}

/** A fresh data directory holding this registry. */
export function dataDir(registry: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "takitini-exchange-"));
  writeFileSync(join(dir, SUBSCRIBERS_FILE), JSON.stringify(registry, null, 2));
  return dir;
}

/** What the linkage service keeps of a record for the policy (projection.ts). */
export const factsOf = linkedRecordFacts;

/** Police's drug-supply noting as Police mark it (RESTRICTED, law-enforcement only); its person of interest is subject 0. */
export const LINKED_NOTING = fullEvent("police.organised_crime_noting", { ...POLICE_MARKINGS, id: "6b0c1a2e-1111-5000-8000-000000000011" });

/** A Customs border seizure (RESTRICTED, law-enforcement only), its consignee a person (subject 0). */
export const LINKED_SEIZURE = fullEvent("customs.border_seizure", {
  ...POLICE_MARKINGS,
  id: "6b0c1a2e-2222-5000-8000-000000000022",
  operationRef: "",
  sourceRecordId: "CUS-2026-0042",
  subjects: [{ entity: { $case: "person", value: { subjectId: "customs/person/C7", fullName: "Hēmi Tāwhiri", aliases: [], dateOfBirth: "1991-03-14", address: "", phoneNumbers: [], documents: [], role: SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST, isMinor: false } } }],
});

/** The link id of LINK_ALERT (deterministic in the linkage service; the alert's event id too). */
export const LINK_ID = "9d3e0c1a-4444-5000-8000-000000000044";

/**
 * A link alert as the linkage service publishes it: Police's noting (its person of
 * interest) and Customs' seizure (its consignee) hold the same passport. From
 * AGENCY_LINKAGE, as guarded as the more guarded record, no subjects in the envelope.
 */
export function linkAlertEvent(fields: Partial<IntelligenceEvent> = {}, alert: Partial<LinkAlert> = {}): IntelligenceEvent {
  return IntelligenceEvent.fromPartial({
    id: LINK_ID,
    sourceAgency: Agency.AGENCY_LINKAGE,
    eventType: "linkage.link_alert",
    occurredAt: new Date("2026-11-20T01:00:00Z"),
    publishedAt: new Date("2026-11-20T01:00:00Z"),
    region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
    classification: Classification.CLASSIFICATION_RESTRICTED,
    handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: [], releasableToCountries: [] },
    sourceRecordId: LINK_ID,
    publisher: "spiffe://takitini.local/service/linkage",
    subjects: [],
    payload: {
      $case: "linkAlert",
      value: LinkAlert.fromPartial({
        linkId: LINK_ID,
        rule: LinkRule.LINK_RULE_IDENTITY_DOCUMENT,
        confidence: 0.99,
        records: [
          { eventId: LINKED_NOTING.id, sourceAgency: Agency.AGENCY_POLICE, eventType: LINKED_NOTING.eventType, subjectId: "police/person/P1", subjectIndex: 0, facts: factsOf(LINKED_NOTING) },
          { eventId: LINKED_SEIZURE.id, sourceAgency: Agency.AGENCY_CUSTOMS, eventType: LINKED_SEIZURE.eventType, subjectId: "customs/person/C7", subjectIndex: 0, facts: factsOf(LINKED_SEIZURE) },
        ],
        ...alert,
      }),
    },
    ...fields,
  });
}
