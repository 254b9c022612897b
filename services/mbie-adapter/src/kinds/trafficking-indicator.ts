import {
  between,
  district,
  DISTRICT_NAMES,
  envelope,
  grading,
  isoDateTime,
  lastSyntheticDay,
  legalBasis,
  mapSubjects,
  markingFields,
  nativeId,
  pick,
  subjectFields,
  text,
  type RecordKind,
} from "@takitini/adapter-kit";
import { Industry, TraffickingIndicator } from "@takitini/proto";
import { z } from "zod";
import { MBIE_TRAFFICKING_DEFAULTS } from "../defaults.js";
import { INDUSTRY, INDUSTRY_NAMES, industry } from "../industry.js";
import { checkNoRepeats, checkUniqueSubjectIds } from "../subjects.js";
import {
  dateOfBirth,
  employerName,
  INDUSTRY_DISTRICTS,
  labourHireName,
  localityFor,
  nzDateTime,
  nzbn,
  ownerName,
  passportNumber,
  VISA_CATEGORIES,
  workerName,
  WORKER_ORIGINS,
} from "../synthetic.js";
import { COMPLAINTS_PER_YEAR } from "./exploitation-complaint.js";

export const TRAFFICKING_INDICATOR = {
  debt_bondage: TraffickingIndicator.TRAFFICKING_INDICATOR_DEBT_BONDAGE,
  restricted_movement: TraffickingIndicator.TRAFFICKING_INDICATOR_RESTRICTED_MOVEMENT,
  document_confiscation: TraffickingIndicator.TRAFFICKING_INDICATOR_DOCUMENT_CONFISCATION,
  deceptive_recruitment: TraffickingIndicator.TRAFFICKING_INDICATOR_DECEPTIVE_RECRUITMENT,
  visa_fraud: TraffickingIndicator.TRAFFICKING_INDICATOR_VISA_FRAUD,
  threats_or_violence: TraffickingIndicator.TRAFFICKING_INDICATOR_THREATS_OR_VIOLENCE,
} as const;

type IndicatorName = keyof typeof TRAFFICKING_INDICATOR;

const INDICATOR_NAMES = Object.keys(TRAFFICKING_INDICATOR) as [IndicatorName, ...IndicatorName[]];

/**
 * MBIE's native trafficking / visa-fraud indicator report (Immigration NZ
 * investigations; the mandate is shared with Police). One case may be reported
 * more than once as it develops, so the report has its own id. Visa fraud needs
 * the visa category it concerns; persons_affected counts at least the victims
 * and exploited workers the record names. Graded: it is intelligence.
 */
export const traffickingIndicatorSchema = z
  .strictObject({
    report_id: nativeId,
    case_ref: nativeId,
    reported_at: isoDateTime,
    district,
    indicators: z.array(z.enum(INDICATOR_NAMES)).min(1).max(INDICATOR_NAMES.length),
    visa_category: text(100, { min: 1 }).optional(),
    persons_affected: z.number().int().min(1).max(10_000),
    industry: industry.optional(),
    related_complaint_ref: nativeId.optional(),
    operation: text(100).optional(),
    ...markingFields,
    grading,
    legal_basis: legalBasis.optional(),
    ...subjectFields,
  })
  .superRefine((r, ctx) => {
    checkNoRepeats(r.indicators, "indicators", ctx);
    if (r.indicators.includes("visa_fraud") && r.visa_category === undefined) {
      ctx.addIssue({ code: "custom", path: ["visa_category"], message: "visa_fraud is an indicator: name the visa category it concerns" });
    }
    checkUniqueSubjectIds(r, ctx);
    const named = r.persons.filter((p) => p.role === "victim" || p.role === "exploited_worker").length;
    if (r.persons_affected < named) {
      ctx.addIssue({ code: "custom", path: ["persons_affected"], message: `the record names ${named} victims but persons_affected is ${r.persons_affected}` });
    }
  });

export type TraffickingIndicatorRecord = z.infer<typeof traffickingIndicatorSchema>;

export const TRAFFICKING_INDICATOR_EVENT_TYPE = "mbie.trafficking_indicator";

export function mapTraffickingIndicator(r: TraffickingIndicatorRecord, publishedAt: Date) {
  return envelope({
    agency: "MBIE",
    eventType: TRAFFICKING_INDICATOR_EVENT_TYPE,
    nativeId: r.report_id,
    occurredAt: r.reported_at,
    publishedAt,
    district: r.district,
    defaults: MBIE_TRAFFICKING_DEFAULTS,
    classification: r.classification,
    caveats: r.caveats,
    releasableTo: r.releasable_to,
    releasableToCountries: r.releasable_to_countries,
    grading: r.grading,
    legalBasis: r.legal_basis,
    operationRef: r.operation,
    subjects: mapSubjects("MBIE", r),
    payload: {
      $case: "mbieTraffickingIndicator",
      value: {
        caseRef: r.case_ref,
        indicators: r.indicators.map((i) => TRAFFICKING_INDICATOR[i]),
        visaCategory: r.visa_category ?? "",
        personsAffected: r.persons_affected,
        industry: r.industry ? INDUSTRY[r.industry] : Industry.INDUSTRY_UNSPECIFIED,
        relatedComplaintRef: r.related_complaint_ref ?? "",
      },
    },
  });
}

const example = {
  report_id: "INZ-TI-2026-0219",
  case_ref: "INZ-INV-2026-0088",
  reported_at: "2026-11-02T16:45:00+13:00",
  district: "Counties Manukau",
  indicators: ["debt_bondage", "document_confiscation", "deceptive_recruitment", "visa_fraud"],
  visa_category: "Accredited Employer Work Visa",
  persons_affected: 9,
  industry: "construction",
  related_complaint_ref: "LI-2026-002870",
  grading: { source: "B", information: 2 },
  organisations: [{ org_id: "E-66031", name: "Māngere Build Group Limited", type: "company", registration_number: "9429048876543" }],
  persons: [
    {
      person_id: "V-1187",
      name: "Mohammed Rahman",
      dob: "1993-12-04",
      documents: [{ type: "passport", number: "A0293847", country: "BD" }],
      role: "victim",
    },
    { person_id: "V-1188", name: "Nguyễn Văn Minh", role: "victim" },
    { person_id: "P-1189", name: "Rajesh Kumar", aliases: ["Raj"], phones: ["+91 98100 55512"], documents: [{ type: "passport", number: "Z5829104", country: "IN" }], role: "person_of_interest" },
  ],
};

const ODDS: Record<IndicatorName, number> = {
  debt_bondage: 0.5,
  restricted_movement: 0.3,
  document_confiscation: 0.4,
  deceptive_recruitment: 0.6,
  visa_fraud: 0.45,
  threats_or_violence: 0.25,
};

function synthesize(rng: () => number, index: number) {
  const ind = pick(rng, INDUSTRY_NAMES, [25, 25, 15, 10, 10, 5, 5, 5]);
  const where = INDUSTRY_DISTRICTS[ind]!;
  const d = rng() < 0.9 ? pick(rng, where.districts, where.weights) : pick(rng, DISTRICT_NAMES);
  const indicators = INDICATOR_NAMES.filter((i) => rng() < ODDS[i]);
  if (indicators.length === 0) indicators.push("deceptive_recruitment");
  const origin = pick(rng, WORKER_ORIGINS[ind]!.countries, WORKER_ORIGINS[ind]!.weights);
  const affected = rng() < 0.5 ? between(rng, 1, 5) : rng() < 0.8 ? between(rng, 6, 20) : between(rng, 21, 80);
  const victims = Array.from({ length: Math.min(affected, between(rng, 0, 3)) }, (_v, i) => ({
    person_id: `V-SYN-${index}-${i}`,
    name: workerName(rng, origin),
    dob: dateOfBirth(rng, 2026, 19, 45),
    documents: rng() < 0.5 ? [{ type: "passport", number: passportNumber(rng, origin), country: origin }] : [],
    role: "victim",
  }));
  const recruiter = rng() < 0.6 ? [{ person_id: `P-SYN-${index}`, name: ownerName(rng, origin), dob: dateOfBirth(rng, 2026, 30, 65), role: "person_of_interest" }] : [];
  const town = localityFor(rng, ind, d);
  const organisations = rng() < 0.7 ? [{ org_id: `E-SYN-${index}`, name: rng() < 0.3 ? labourHireName(rng) : employerName(rng, ind, town), type: "company", registration_number: nzbn(rng) }] : [];
  const visa = indicators.includes("visa_fraud") || rng() < 0.8 ? pick(rng, VISA_CATEGORIES.names, VISA_CATEGORIES.weights) : undefined;
  const related = rng() < 0.5 ? `LI-SYN-2026-${String(between(rng, 1, COMPLAINTS_PER_YEAR)).padStart(6, "0")}` : undefined;
  return {
    report_id: `TI-SYN-${index}`,
    case_ref: `INZ-INV-SYN-${Math.floor(index / 2)}`,
    reported_at: nzDateTime(2026, between(rng, 0, lastSyntheticDay(2026)), between(rng, 7, 20), between(rng, 0, 59)),
    district: d,
    indicators,
    ...(visa ? { visa_category: visa } : {}),
    persons_affected: affected,
    industry: ind,
    ...(related ? { related_complaint_ref: related } : {}),
    grading: { source: pick(rng, ["A", "B", "C", "F"] as const, [1, 5, 4, 1]), information: pick(rng, [1, 2, 3, 4] as const, [1, 5, 4, 1]) },
    organisations,
    persons: [...victims, ...recruiter],
  };
}

export const traffickingIndicator: RecordKind<TraffickingIndicatorRecord> = {
  recordType: "trafficking_indicator",
  eventType: TRAFFICKING_INDICATOR_EVENT_TYPE,
  httpPath: "/v1/trafficking-indicators",
  summary: "Submit trafficking and visa-fraud indicators for a case (indicators, visa category, persons affected, industry)",
  schema: traffickingIndicatorSchema,
  nativeId: (r) => r.report_id,
  map: mapTraffickingIndicator,
  example,
  synthesize,
};
