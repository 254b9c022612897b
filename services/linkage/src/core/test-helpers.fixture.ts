import { Agency, IdentityDocumentKind, IntelligenceEvent, OrganisationKind, SubjectRole, type IdentityDocument, type Subject } from "@takitini/proto";

/**
 * Helper constructors for the core's tests, so a test reads as one sentence
 * about who is in which agency's record.
 */

export const KEY_BYTES = Buffer.from("a test match key of thirty-two bytes, not a real one");

export interface PersonFields {
  id?: string;
  name?: string;
  aliases?: string[];
  dob?: string;
  phones?: string[];
  documents?: IdentityDocument[];
}

export function person(f: PersonFields = {}): Subject {
  return {
    entity: {
      $case: "person",
      value: { subjectId: f.id ?? "x/person/1", fullName: f.name ?? "", aliases: f.aliases ?? [], dateOfBirth: f.dob ?? "", address: "", phoneNumbers: f.phones ?? [], documents: f.documents ?? [], role: SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST, isMinor: false },
    },
  };
}

export function organisation(name: string, registrationNumber = "", id = "x/organisation/1"): Subject {
  return { entity: { $case: "organisation", value: { subjectId: id, name, kind: OrganisationKind.ORGANISATION_KIND_COMPANY, registrationNumber } } };
}

export function vehicle(plate: string, id = "x/vehicle/1"): Subject {
  return { entity: { $case: "vehicle", value: { subjectId: id, plate, make: "", model: "", colour: "" } } };
}

export const passport = (number: string, issuingCountry = "NZ"): IdentityDocument => ({ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, number, issuingCountry });
export const licence = (number: string, issuingCountry = "NZ"): IdentityDocument => ({ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_DRIVER_LICENCE, number, issuingCountry });
export const visa = (number: string, issuingCountry = "NZ"): IdentityDocument => ({ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_VISA, number, issuingCountry });

const EVENT_TYPE: Readonly<Record<string, string>> = {
  [Agency.AGENCY_POLICE]: "police.organised_crime_noting",
  [Agency.AGENCY_CUSTOMS]: "customs.border_seizure",
  [Agency.AGENCY_MBIE]: "mbie.exploitation_complaint",
  [Agency.AGENCY_MSD]: "msd.whanau_support_referral",
};

/** An agency's record (event id `id`) about `subjects`, published on 2026-06-01 NZ time. */
export function record(agency: Agency, id: string, subjects: Subject[], publishedAt = new Date("2026-05-31T22:00:00Z")): IntelligenceEvent {
  const prefix = agency.replace("AGENCY_", "").toLowerCase();
  return IntelligenceEvent.fromPartial({
    id,
    sourceAgency: agency,
    eventType: EVENT_TYPE[agency] ?? "x.y",
    publishedAt,
    occurredAt: publishedAt,
    subjects: subjects.map((s, i) => withSubjectId(s, `${prefix}/${s.entity?.$case ?? "none"}/${id}-${i}`)),
  });
}

function withSubjectId(s: Subject, subjectId: string): Subject {
  const e = s.entity;
  if (!e) return s;
  return { entity: { ...e, value: { ...e.value, subjectId } } as Subject["entity"] };
}

export const police = (id: string, ...subjects: Subject[]) => record(Agency.AGENCY_POLICE, id, subjects);
export const customs = (id: string, ...subjects: Subject[]) => record(Agency.AGENCY_CUSTOMS, id, subjects);
export const mbie = (id: string, ...subjects: Subject[]) => record(Agency.AGENCY_MBIE, id, subjects);
export const msd = (id: string, ...subjects: Subject[]) => record(Agency.AGENCY_MSD, id, subjects);
