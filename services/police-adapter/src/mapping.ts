import {
  Agency,
  Classification,
  Commodity,
  HandlingCaveat,
  IdentityDocumentKind,
  InformationCredibility,
  OrganisationKind,
  OrganisedCrimeActivity,
  PoliceDistrict,
  SourceReliability,
  SubjectRole,
  type IntelligenceEvent,
  type Subject,
} from "@takitini/proto";
import { eventIdFor } from "@takitini/runtime";
import { CAVEATS, CLASSIFICATIONS, DISTRICT_ALIASES, type PoliceNotingRecord } from "./native.js";

export const POLICE_NOTING_EVENT_TYPE = "police.organised_crime_noting";

/** Police's defaults when a record carries no marking of its own. */
export const POLICE_DEFAULTS = {
  classification: "RESTRICTED" as keyof typeof CLASSIFICATIONS,
  caveats: ["LAW ENFORCEMENT ONLY"] as (keyof typeof CAVEATS)[],
  legalBasis: {
    instrument: "Privacy Act 2020",
    provision: "IPP 11(e)(i)",
    description: "disclosure necessary to avoid prejudice to the maintenance of the law",
  },
};

const ACTIVITY = {
  drug_supply: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY,
  violence_standover: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_VIOLENCE_STANDOVER,
  firearms: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_FIREARMS,
  money_laundering: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_MONEY_LAUNDERING,
} as const;

const COMMODITY = {
  methamphetamine: Commodity.COMMODITY_METHAMPHETAMINE,
  cocaine: Commodity.COMMODITY_COCAINE,
  mdma: Commodity.COMMODITY_MDMA,
  precursors: Commodity.COMMODITY_PRECURSORS,
  firearms: Commodity.COMMODITY_FIREARMS,
  counterfeit_goods: Commodity.COMMODITY_COUNTERFEIT_GOODS,
} as const;

const DOCUMENT = {
  passport: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT,
  driver_licence: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_DRIVER_LICENCE,
  visa: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_VISA,
  firearms_licence: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_FIREARMS_LICENCE,
} as const;

const ROLE = {
  person_of_interest: SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST,
  associate: SubjectRole.SUBJECT_ROLE_ASSOCIATE,
  victim: SubjectRole.SUBJECT_ROLE_VICTIM,
  witness: SubjectRole.SUBJECT_ROLE_WITNESS,
} as const;

const ORG_KIND = {
  gang: OrganisationKind.ORGANISATION_KIND_GANG,
  company: OrganisationKind.ORGANISATION_KIND_COMPANY,
  trust: OrganisationKind.ORGANISATION_KIND_TRUST,
  other: OrganisationKind.ORGANISATION_KIND_OTHER,
} as const;

const RELIABILITY = {
  A: SourceReliability.SOURCE_RELIABILITY_A_COMPLETELY_RELIABLE,
  B: SourceReliability.SOURCE_RELIABILITY_B_USUALLY_RELIABLE,
  C: SourceReliability.SOURCE_RELIABILITY_C_FAIRLY_RELIABLE,
  D: SourceReliability.SOURCE_RELIABILITY_D_NOT_USUALLY_RELIABLE,
  E: SourceReliability.SOURCE_RELIABILITY_E_UNRELIABLE,
  F: SourceReliability.SOURCE_RELIABILITY_F_CANNOT_BE_JUDGED,
} as const;

const CREDIBILITY = {
  1: InformationCredibility.INFORMATION_CREDIBILITY_1_CONFIRMED,
  2: InformationCredibility.INFORMATION_CREDIBILITY_2_PROBABLY_TRUE,
  3: InformationCredibility.INFORMATION_CREDIBILITY_3_POSSIBLY_TRUE,
  4: InformationCredibility.INFORMATION_CREDIBILITY_4_DOUBTFUL,
  5: InformationCredibility.INFORMATION_CREDIBILITY_5_IMPROBABLE,
  6: InformationCredibility.INFORMATION_CREDIBILITY_6_CANNOT_BE_JUDGED,
} as const;

/** Subject ids are namespaced by the agency that assigned them. */
export function subjectId(kind: "person" | "organisation" | "vehicle", nativeId: string): string {
  return `police/${kind}/${nativeId}`;
}

/**
 * Map a validated Police noting to the typed event. Pure: the clock is passed in,
 * and the event id derives from the noting id, so a resubmission maps to the same id.
 */
export function mapPoliceNoting(record: PoliceNotingRecord, publishedAt: Date): IntelligenceEvent {
  const subjects: Subject[] = [
    ...record.persons.map(
      (p): Subject => ({
        entity: {
          $case: "person",
          value: {
            subjectId: subjectId("person", p.person_id),
            fullName: p.name,
            aliases: p.aliases,
            dateOfBirth: p.dob ?? "",
            address: p.address ?? "",
            phoneNumbers: p.phones,
            documents: p.documents.map((d) => ({ kind: DOCUMENT[d.type], number: d.number, issuingCountry: d.country })),
            role: ROLE[p.role],
            isMinor: p.minor,
          },
        },
      }),
    ),
    ...record.organisations.map(
      (o): Subject => ({
        entity: {
          $case: "organisation",
          value: {
            subjectId: subjectId("organisation", o.org_id),
            name: o.name,
            kind: ORG_KIND[o.type],
            registrationNumber: o.registration_number ?? "",
          },
        },
      }),
    ),
    ...record.vehicles.map(
      (v): Subject => ({
        entity: {
          $case: "vehicle",
          value: {
            subjectId: subjectId("vehicle", v.vehicle_id),
            plate: v.plate,
            make: v.make ?? "",
            model: v.model ?? "",
            colour: v.colour ?? "",
          },
        },
      }),
    ),
  ];
  const classification = CLASSIFICATIONS[record.classification ?? POLICE_DEFAULTS.classification];
  const caveats = (record.caveats ?? POLICE_DEFAULTS.caveats).map((c) => CAVEATS[c]);
  const legal = record.legal_basis ?? POLICE_DEFAULTS.legalBasis;
  return {
    id: eventIdFor("POLICE", record.noting_id),
    sourceAgency: Agency.AGENCY_POLICE,
    eventType: POLICE_NOTING_EVENT_TYPE,
    occurredAt: new Date(record.observed_at ?? record.recorded_at),
    publishedAt,
    region: PoliceDistrict[`POLICE_DISTRICT_${DISTRICT_ALIASES[record.district as keyof typeof DISTRICT_ALIASES]}`],
    classification: Classification[`CLASSIFICATION_${classification}`],
    handling: {
      caveats: caveats.map((c) => HandlingCaveat[`HANDLING_CAVEAT_${c}`]),
      releasableTo: record.releasable_to,
    },
    grading: {
      sourceReliability: RELIABILITY[record.grading.source],
      informationCredibility: CREDIBILITY[record.grading.information],
    },
    legalBasis: { instrument: legal.instrument, provision: legal.provision, description: legal.description ?? "" },
    operationRef: record.operation ?? "",
    subjects,
    sourceRecordId: record.noting_id,
    payload: {
      $case: "policeNoting",
      value: {
        groupName: record.group,
        activity: ACTIVITY[record.activity],
        commodities: record.commodities.map((c) => COMMODITY[c]),
        summary: record.summary,
        reportingUnit: record.reporting_unit,
        locality: record.locality ?? "",
      },
    },
  };
}
