import {
  Agency,
  Classification,
  HandlingCaveat,
  IdentityDocumentKind,
  InformationCredibility,
  OrganisationKind,
  PoliceDistrict,
  SourceReliability,
  SubjectRole,
  type IntelligenceEvent,
  type Subject,
} from "@takitini/proto";
import { text, type FieldIssue } from "@takitini/runtime";
import seedrandom from "seedrandom";
import { z } from "zod";
import { isoDate } from "./dates.js";
import type { AgencyCode } from "./kind.js";

/**
 * Native-record building blocks every agency shares: ids, times, districts,
 * markings, grading, legal basis, and people / organisations / vehicles as
 * typed subjects — with the mapping of each to the envelope. Pure.
 */

export { text };

export const nativeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/, "expected an id of letters, digits and . _ : / - (max 64)");
// Date fields (isoDateTime, isoDate, existingIsoWeek) live in dates.ts: each keeps to a plausible window.
export const countryCode = z.string().regex(/^[A-Z]{2}$/, "expected an ISO 3166-1 alpha-2 code");
export const count = (max = 1_000_000) => z.number().int().min(0).max(max);

/** Police district names as agencies write them, with te reo and unaccented aliases. */
export const DISTRICT_ALIASES = {
  Northland: "NORTHLAND",
  "Te Tai Tokerau": "NORTHLAND",
  "Waitematā": "WAITEMATA",
  Waitemata: "WAITEMATA",
  "Auckland City": "AUCKLAND_CITY",
  "Tāmaki Makaurau": "AUCKLAND_CITY",
  "Tamaki Makaurau": "AUCKLAND_CITY",
  "Counties Manukau": "COUNTIES_MANUKAU",
  Waikato: "WAIKATO",
  "Bay of Plenty": "BAY_OF_PLENTY",
  Eastern: "EASTERN",
  Central: "CENTRAL",
  Wellington: "WELLINGTON",
  Tasman: "TASMAN",
  Canterbury: "CANTERBURY",
  Southern: "SOUTHERN",
} as const satisfies Record<string, string>;

export const DISTRICT_NAMES = ["Northland", "Waitematā", "Auckland City", "Counties Manukau", "Waikato", "Bay of Plenty", "Eastern", "Central", "Wellington", "Tasman", "Canterbury", "Southern"] as const;

export type DistrictName = keyof typeof DISTRICT_ALIASES;

export const district = z.string().refine((s): s is DistrictName => Object.hasOwn(DISTRICT_ALIASES, s), {
  message: `unknown Police district; expected one of: ${Object.keys(DISTRICT_ALIASES).join(", ")}`,
});

export function districtEnum(name: string): PoliceDistrict {
  const code = DISTRICT_ALIASES[name as DistrictName];
  if (!code) throw new Error(`unknown district ${name}`);
  return PoliceDistrict[`POLICE_DISTRICT_${code}`];
}

export const CLASSIFICATIONS = {
  UNCLASSIFIED: "UNCLASSIFIED",
  "IN-CONFIDENCE": "IN_CONFIDENCE",
  SENSITIVE: "SENSITIVE",
  RESTRICTED: "RESTRICTED",
  CONFIDENTIAL: "CONFIDENTIAL",
  SECRET: "SECRET",
  "TOP SECRET": "TOP_SECRET",
} as const;

export const CAVEATS = {
  "ORIGINATOR CONTROL": "ORIGINATOR_CONTROL",
  "LAW ENFORCEMENT ONLY": "LAW_ENFORCEMENT_ONLY",
  "NO COMMUNITY RELEASE": "NO_COMMUNITY_RELEASE",
  "EMBARGO UNTIL CONCLUDED": "EMBARGO_UNTIL_CONCLUDED",
  "RELEASABLE TO": "RELEASABLE_TO",
} as const;

export type ClassificationMarking = keyof typeof CLASSIFICATIONS;
export type CaveatMarking = keyof typeof CAVEATS;

const keysOf = <T extends Record<string, unknown>>(o: T) => Object.keys(o) as [keyof T & string, ...(keyof T & string)[]];

/**
 * Protective markings a record may carry; the agency's defaults apply where it
 * carries none, and are its floor where it does (see `markingFloorIssues`).
 */
export const markingFields = {
  classification: z.enum(keysOf(CLASSIFICATIONS)).optional(),
  caveats: z.array(z.enum(keysOf(CAVEATS))).max(5).optional(),
  releasable_to: z.array(z.string().regex(/^[a-z0-9-]{1,40}$/, "expected a subscriber id")).max(20).default([]),
  /**
   * "RELEASABLE TO AUS": the countries outside New Zealand the agency releases the
   * record to, ISO 3166-1 alpha-3 codes. None: it never leaves New Zealand.
   */
  releasable_to_countries: z
    .array(z.string().regex(/^[A-Z]{3}$/, "expected an ISO 3166-1 alpha-3 country code, e.g. AUS"))
    .max(20)
    .refine((cs) => !cs.includes("NZL"), "NZL is not a release outside New Zealand")
    .default([]),
};

export const grading = z.strictObject({
  source: z.enum(["A", "B", "C", "D", "E", "F"]),
  information: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5), z.literal(6)]),
});

export const legalBasis = z.strictObject({
  instrument: text(100, { min: 1 }),
  provision: text(100, { min: 1 }),
  description: text(300).optional(),
});

export const person = z.strictObject({
  person_id: nativeId,
  name: text(200, { min: 1 }),
  aliases: z.array(text(200, { min: 1 })).max(20).default([]),
  dob: isoDate.optional(),
  address: text(300).optional(),
  phones: z.array(z.string().regex(/^\+?[0-9 ()-]{5,20}$/, "expected a phone number")).max(10).default([]),
  documents: z
    .array(
      z.strictObject({
        type: z.enum(["passport", "driver_licence", "visa", "firearms_licence"]),
        number: z.string().regex(/^[A-Za-z0-9-]{3,30}$/, "expected a document number"),
        country: countryCode.default("NZ"),
      }),
    )
    .max(10)
    .default([]),
  role: z.enum(["person_of_interest", "associate", "victim", "exploited_worker", "witness"]).default("person_of_interest"),
  minor: z.boolean().default(false),
});

export const organisation = z.strictObject({
  org_id: nativeId,
  name: text(200, { min: 1 }),
  type: z.enum(["gang", "company", "trust", "other"]),
  registration_number: z.string().regex(/^[0-9A-Za-z-]{1,20}$/).optional(),
});

export const vehicle = z.strictObject({
  vehicle_id: nativeId,
  plate: z.string().regex(/^[A-Z0-9]{1,7}$/, "expected an NZ plate (up to 7 capital letters and digits)"),
  make: text(50).optional(),
  model: text(50).optional(),
  colour: text(30).optional(),
});

/** The subject lists a native record may carry, all optional. */
export const subjectFields = {
  persons: z.array(person).max(50).default([]),
  organisations: z.array(organisation).max(50).default([]),
  vehicles: z.array(vehicle).max(50).default([]),
};

type Person = z.infer<typeof person>;
type Organisation = z.infer<typeof organisation>;
type Vehicle = z.infer<typeof vehicle>;

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
  exploited_worker: SubjectRole.SUBJECT_ROLE_EXPLOITED_WORKER,
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

/** Subject ids are namespaced by the agency that assigned them: "police/person/P-1". */
export function subjectId(agency: AgencyCode, kind: "person" | "organisation" | "vehicle", id: string): string {
  return `${agency.toLowerCase()}/${kind}/${id}`;
}

export function mapSubjects(agency: AgencyCode, r: { persons?: Person[]; organisations?: Organisation[]; vehicles?: Vehicle[] }): Subject[] {
  return [
    ...(r.persons ?? []).map(
      (p): Subject => ({
        entity: {
          $case: "person",
          value: {
            subjectId: subjectId(agency, "person", p.person_id),
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
    ...(r.organisations ?? []).map(
      (o): Subject => ({
        entity: {
          $case: "organisation",
          value: { subjectId: subjectId(agency, "organisation", o.org_id), name: o.name, kind: ORG_KIND[o.type], registrationNumber: o.registration_number ?? "" },
        },
      }),
    ),
    ...(r.vehicles ?? []).map(
      (v): Subject => ({
        entity: {
          $case: "vehicle",
          value: { subjectId: subjectId(agency, "vehicle", v.vehicle_id), plate: v.plate, make: v.make ?? "", model: v.model ?? "", colour: v.colour ?? "" },
        },
      }),
    ),
  ];
}

/** An agency's defaults for records that carry no marking or legal basis of their own. */
export interface AgencyDefaults {
  classification: ClassificationMarking;
  caveats: CaveatMarking[];
  legalBasis: { instrument: string; provision: string; description: string };
}

/** Classifications from the lowest to the highest. */
export const CLASSIFICATION_ORDER = Object.keys(CLASSIFICATIONS) as ClassificationMarking[];

/**
 * An agency's default markings for a record are its floor: the record may raise
 * the classification and add caveats, never lower the classification or leave
 * out a default caveat. The issues of markings below the floor (paths
 * `classification` and `caveats`, as the records name them); none when the
 * record keeps to it or carries no markings of its own. Pure.
 */
export function markingFloorIssues(
  floor: Pick<AgencyDefaults, "classification" | "caveats">,
  classification: ClassificationMarking | undefined,
  caveats: readonly CaveatMarking[] | undefined,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (classification !== undefined && CLASSIFICATION_ORDER.indexOf(classification) < CLASSIFICATION_ORDER.indexOf(floor.classification)) {
    issues.push({ path: "classification", code: "below_floor", message: `lower than this record's default, ${floor.classification}: a record may raise its classification, never lower it` });
  }
  const missing = caveats === undefined ? [] : floor.caveats.filter((c) => !caveats.includes(c));
  if (missing.length > 0) {
    issues.push({ path: "caveats", code: "below_floor", message: `leaves out this record's default caveat${missing.length > 1 ? "s" : ""} ${missing.map((c) => `"${c}"`).join(", ")}: a record may add caveats, never remove a default one` });
  }
  return issues;
}

/** Thrown by `envelope` for markings below the agency's floor; the intake answers MARKING_BELOW_FLOOR with the issues. */
export class MarkingBelowFloor extends Error {
  constructor(readonly issues: FieldIssue[]) {
    super(`markings below the floor: ${issues.map((i) => i.path).join(", ")}`);
    this.name = "MarkingBelowFloor";
  }
}

export interface EnvelopeParts {
  agency: AgencyCode;
  eventType: string;
  nativeId: string;
  occurredAt: string | Date;
  publishedAt: Date;
  district: string;
  defaults: AgencyDefaults;
  classification?: ClassificationMarking | undefined;
  caveats?: CaveatMarking[] | undefined;
  releasableTo?: string[] | undefined;
  releasableToCountries?: string[] | undefined;
  grading?: z.infer<typeof grading> | undefined;
  legalBasis?: z.infer<typeof legalBasis> | undefined;
  operationRef?: string | undefined;
  subjects?: Subject[];
  payload: NonNullable<IntelligenceEvent["payload"]>;
}

/**
 * Assemble the envelope (its id is left empty: the intake derives it from the
 * native id with the adapters' key, see ingest.ts): markings with the agency's defaults
 * as their floor, grading, legal basis. Throws `MarkingBelowFloor` when the
 * record's own markings are below its defaults.
 */
export function envelope(p: EnvelopeParts): IntelligenceEvent {
  const belowFloor = markingFloorIssues(p.defaults, p.classification, p.caveats);
  if (belowFloor.length > 0) throw new MarkingBelowFloor(belowFloor);
  const classification = CLASSIFICATIONS[p.classification ?? p.defaults.classification];
  const caveats = (p.caveats ?? p.defaults.caveats).map((c) => CAVEATS[c]);
  const legal = p.legalBasis ?? p.defaults.legalBasis;
  const event: IntelligenceEvent = {
    id: "",
    sourceAgency: Agency[`AGENCY_${p.agency}`],
    eventType: p.eventType,
    occurredAt: new Date(p.occurredAt),
    publishedAt: p.publishedAt,
    region: districtEnum(p.district),
    classification: Classification[`CLASSIFICATION_${classification}`],
    handling: { caveats: caveats.map((c) => HandlingCaveat[`HANDLING_CAVEAT_${c}`]), releasableTo: p.releasableTo ?? [], releasableToCountries: [...new Set(p.releasableToCountries ?? [])].sort() },
    legalBasis: { instrument: legal.instrument, provision: legal.provision, description: legal.description ?? "" },
    operationRef: p.operationRef ?? "",
    subjects: p.subjects ?? [],
    sourceRecordId: p.nativeId,
    // Stamped by the intake with the publishing system's identity.
    publisher: "",
    // A first version: a correction's intake sets both (revision.proto).
    supersedes: "",
    originalEventId: "",
    payload: p.payload,
  };
  if (p.grading) {
    event.grading = { sourceReliability: RELIABILITY[p.grading.source], informationCredibility: CREDIBILITY[p.grading.information] };
  }
  return event;
}

/** Seeded pick from a list, optionally weighted. */
export function pick<T>(rng: () => number, items: readonly T[], weights?: readonly number[]): T {
  if (!weights) return items[Math.floor(rng() * items.length)]!;
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rng() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i]!;
    if (r < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

/** Seeded integer in [min, max]. */
export function between(rng: () => number, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** A seeded random source in [0, 1): the same seed gives the same sequence. */
export function seededRandom(seed: string | number): () => number {
  return seedrandom(String(seed));
}
