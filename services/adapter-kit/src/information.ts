import { Agency, InformationRefusalReason, InformationRequestUrgency, InformationResponseOutcome } from "@takitini/proto";
import { z } from "zod";
import { identifierIn } from "./assessment.js";
import { isoDateTime } from "./dates.js";
import { between, district, DISTRICT_NAMES, envelope, legalBasis, mapSubjects, markingFields, nativeId, pick, subjectFields, text, type AgencyDefaults } from "./fields.js";
import type { AgencyCode, RecordKind } from "./kind.js";

/**
 * Requests for information between agencies, and their answers: two kinds every
 * adapter lists (`informationKinds(agency)`), `<agency>.information_request` at
 * `/v1/information-requests` and `<agency>.information_response` at
 * `/v1/information-responses` — through HTTP, gRPC and bulk import like every kind.
 *
 * A request names the agency asked (`addressed_to`), what it is about (typed
 * subjects and/or a matter reference), a plain-text question (identifiers only as
 * typed subjects: `identifierIn`), its urgency and, required, the legal basis the
 * requester relies on. A response names the request's event id, the agency that
 * asked (`requested_by`, the only one the policy releases it to), the outcome, a
 * refusal reason when refused, the answer and, required, its own legal basis.
 */

/** The agencies a request may be addressed to (and a response be for), as records spell them. */
export const INFORMATION_AGENCIES = ["police", "customs", "mbie", "msd"] as const;
type InformationAgency = (typeof INFORMATION_AGENCIES)[number];

const AGENCY = { police: Agency.AGENCY_POLICE, customs: Agency.AGENCY_CUSTOMS, mbie: Agency.AGENCY_MBIE, msd: Agency.AGENCY_MSD } as const;

export const URGENCIES = ["routine", "priority", "immediate"] as const;
export const OUTCOMES = ["answered", "refused", "partially_answered"] as const;
export const REFUSAL_REASONS = ["no_legal_basis", "prejudice_to_investigation", "not_held", "privileged_or_secret", "safety", "other"] as const;

const URGENCY = {
  routine: InformationRequestUrgency.INFORMATION_REQUEST_URGENCY_ROUTINE,
  priority: InformationRequestUrgency.INFORMATION_REQUEST_URGENCY_PRIORITY,
  immediate: InformationRequestUrgency.INFORMATION_REQUEST_URGENCY_IMMEDIATE,
} as const;

const OUTCOME = {
  answered: InformationResponseOutcome.INFORMATION_RESPONSE_OUTCOME_ANSWERED,
  refused: InformationResponseOutcome.INFORMATION_RESPONSE_OUTCOME_REFUSED,
  partially_answered: InformationResponseOutcome.INFORMATION_RESPONSE_OUTCOME_PARTIALLY_ANSWERED,
} as const;

const REFUSAL = {
  no_legal_basis: InformationRefusalReason.INFORMATION_REFUSAL_REASON_NO_LEGAL_BASIS,
  prejudice_to_investigation: InformationRefusalReason.INFORMATION_REFUSAL_REASON_PREJUDICE_TO_INVESTIGATION,
  not_held: InformationRefusalReason.INFORMATION_REFUSAL_REASON_NOT_HELD,
  privileged_or_secret: InformationRefusalReason.INFORMATION_REFUSAL_REASON_PRIVILEGED_OR_SECRET,
  safety: InformationRefusalReason.INFORMATION_REFUSAL_REASON_SAFETY,
  other: InformationRefusalReason.INFORMATION_REFUSAL_REASON_OTHER,
} as const;

/**
 * Markings of requests and responses when a record carries none (a floor, like every
 * kind's): IN-CONFIDENCE, originator control. Their legal basis is the record's own
 * (required), so the default basis never applies. An agency raises the markings for
 * what needs them (RESTRICTED for law enforcement only, which then reaches an agency
 * only with that clearance).
 */
export const INFORMATION_DEFAULTS: AgencyDefaults = {
  classification: "IN-CONFIDENCE",
  caveats: ["ORIGINATOR CONTROL"],
  legalBasis: { instrument: "Privacy Act 2020", provision: "IPP 11", description: "the record states its own legal basis" },
};

/** Plain text between agencies: bounded, no control characters, and no identifiers (those travel as typed subjects). */
function plainText(max: number, min: number) {
  return text(max, { min, multiline: true }).superRefine((s, ctx) => {
    const found = identifierIn(s);
    if (found) ctx.addIssue({ code: "custom", message: `looks like ${found}: name people, organisations, vehicles and documents as typed subjects, not in the text` });
  });
}

const notSelf = (agency: AgencyCode, field: string) => (r: Record<string, unknown>, ctx: z.RefinementCtx) => {
  if (r[field] === agency.toLowerCase()) ctx.addIssue({ code: "custom", path: [field], message: `an agency does not ${field === "addressed_to" ? "ask" : "answer"} itself through the mesh` });
};

export function informationRequestSchema(agency: AgencyCode) {
  return z
    .strictObject({
      request_id: nativeId,
      requested_at: isoDateTime,
      /** The district the matter concerns. */
      district,
      addressed_to: z.enum(INFORMATION_AGENCIES),
      /** What the request is about: typed subjects, a matter or file reference, or both — at least one. */
      about: z
        .strictObject({ matter_ref: nativeId.optional(), ...subjectFields })
        .refine((a) => a.matter_ref !== undefined || a.persons.length + a.organisations.length + a.vehicles.length > 0, { message: "name a matter reference or at least one person, organisation or vehicle" }),
      question: plainText(4000, 10),
      urgency: z.enum(URGENCIES).default("routine"),
      /** The provision the requester relies on: required. */
      legal_basis: legalBasis,
      ...markingFields,
    })
    .superRefine((r, ctx) => notSelf(agency, "addressed_to")(r, ctx));
}

export function informationResponseSchema(agency: AgencyCode) {
  return z
    .strictObject({
      response_id: nativeId,
      responded_at: isoDateTime,
      district,
      /** The request's event id, as the responder received it. */
      request_event_id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/u, "expected the request's event id (a UUID)"),
      /** The agency that asked: the only one the response is released to. */
      requested_by: z.enum(INFORMATION_AGENCIES),
      outcome: z.enum(OUTCOMES),
      refusal_reason: z.enum(REFUSAL_REASONS).optional(),
      answer: plainText(8000, 1).optional(),
      /** Identifiers the answer discloses, as typed subjects. */
      ...subjectFields,
      /** The provision the responder relies on to disclose (or to refuse): required. */
      legal_basis: legalBasis,
      ...markingFields,
    })
    .superRefine((r, ctx) => {
      notSelf(agency, "requested_by")(r, ctx);
      const subjects = r.persons.length + r.organisations.length + r.vehicles.length;
      if (r.outcome === "refused") {
        if (r.refusal_reason === undefined) ctx.addIssue({ code: "custom", path: ["refusal_reason"], message: "a refusal states its reason" });
        if (r.answer !== undefined) ctx.addIssue({ code: "custom", path: ["answer"], message: "a refusal carries no answer" });
        if (subjects > 0) ctx.addIssue({ code: "custom", path: ["persons"], message: "a refusal discloses no subjects" });
      } else {
        if (r.answer === undefined) ctx.addIssue({ code: "custom", path: ["answer"], message: `required when ${r.outcome.replace("_", " ")}` });
        if (r.outcome === "answered" && r.refusal_reason !== undefined) ctx.addIssue({ code: "custom", path: ["refusal_reason"], message: "an answered request has no refusal reason" });
        if (r.outcome === "partially_answered" && r.refusal_reason === undefined) ctx.addIssue({ code: "custom", path: ["refusal_reason"], message: "a partial answer states why the rest is refused" });
      }
    });
}

export type InformationRequestRecord = z.infer<ReturnType<typeof informationRequestSchema>>;
export type InformationResponseRecord = z.infer<ReturnType<typeof informationResponseSchema>>;

/** Someone other than the agency itself, for examples and synthetic records. */
const otherThan = (agency: AgencyCode): InformationAgency[] => INFORMATION_AGENCIES.filter((a) => a !== agency.toLowerCase());

const QUESTIONS = [
  "Does your agency hold current contact or employment information for this person, and any record of concern about the safety of children in the household?",
  "Has this company been the subject of a complaint or investigation in the last two years, and is it still trading?",
  "Is this vehicle linked to any of your agency's current matters, and when was it last recorded?",
];

/** The request and response kinds for one agency: `<agency>.information_request`, `<agency>.information_response`. */
export function informationKinds(agency: AgencyCode, defaults: AgencyDefaults = INFORMATION_DEFAULTS): [RecordKind<InformationRequestRecord>, RecordKind<InformationResponseRecord>] {
  const a = agency.toLowerCase();
  const prefix = `${agency}-RFI`;
  const [first] = otherThan(agency);
  const requestType = `${a}.information_request`;
  const responseType = `${a}.information_response`;
  const request: RecordKind<InformationRequestRecord> = {
    recordType: "information_request",
    eventType: requestType,
    httpPath: "/v1/information-requests",
    summary: "Ask another agency for information about a subject or a matter, on a stated legal basis (the policy releases it to that agency only)",
    schema: informationRequestSchema(agency),
    nativeId: (r) => r.request_id,
    map: (r, publishedAt) =>
      envelope({
        agency,
        eventType: requestType,
        nativeId: r.request_id,
        occurredAt: r.requested_at,
        publishedAt,
        district: r.district,
        defaults,
        classification: r.classification,
        caveats: r.caveats,
        releasableTo: r.releasable_to,
        releasableToCountries: r.releasable_to_countries,
        legalBasis: r.legal_basis,
        subjects: mapSubjects(agency, r.about),
        payload: {
          $case: "informationRequest",
          value: { addressedTo: AGENCY[r.addressed_to], matterRef: r.about.matter_ref ?? "", question: r.question, urgency: URGENCY[r.urgency] },
        },
      }),
    example: {
      request_id: `${prefix}-2026-0117`,
      requested_at: "2026-11-18T09:30:00+13:00",
      district: "Bay of Plenty",
      addressed_to: first,
      about: { matter_ref: `${prefix}-FILE-2026-0042`, persons: [{ person_id: "P-2026-0311", name: "Hēmi Tāwhiri", dob: "1991-03-14" }] },
      question: QUESTIONS[0],
      urgency: "priority",
      legal_basis: { instrument: "Privacy Act 2020", provision: "IPP 11(1)(e)(i)", description: "disclosure necessary to avoid prejudice to the maintenance of the law" },
    },
    synthesize: (rng, index) => {
      const kind = between(rng, 0, 2);
      const about =
        kind === 0
          ? { persons: [{ person_id: `P-SYN-${index}`, name: pick(rng, ["Aroha Ngata", "Sione Taufa", "Mere Tāwhiri"]) }] }
          : kind === 1
            ? { organisations: [{ org_id: `O-SYN-${index}`, name: "Synthetic Contracting Limited", type: "company" }] }
            : { matter_ref: `${prefix}-FILE-SYN-${index}` };
      return {
        request_id: `${prefix}-SYN-${index}`,
        requested_at: `2026-${String(between(rng, 1, 11)).padStart(2, "0")}-${String(between(rng, 1, 28)).padStart(2, "0")}T10:00:00+13:00`,
        district: pick(rng, DISTRICT_NAMES),
        addressed_to: pick(rng, otherThan(agency)),
        about,
        question: QUESTIONS[kind],
        urgency: pick(rng, URGENCIES),
        legal_basis: { instrument: "Privacy Act 2020", provision: "IPP 11(1)(e)(i)" },
      };
    },
  };
  const response: RecordKind<InformationResponseRecord> = {
    recordType: "information_response",
    eventType: responseType,
    httpPath: "/v1/information-responses",
    summary: "Answer (or refuse, in whole or in part) another agency's request for information, on a stated legal basis (the policy releases it to that agency only)",
    schema: informationResponseSchema(agency),
    nativeId: (r) => r.response_id,
    map: (r, publishedAt) =>
      envelope({
        agency,
        eventType: responseType,
        nativeId: r.response_id,
        occurredAt: r.responded_at,
        publishedAt,
        district: r.district,
        defaults,
        classification: r.classification,
        caveats: r.caveats,
        releasableTo: r.releasable_to,
        releasableToCountries: r.releasable_to_countries,
        legalBasis: r.legal_basis,
        subjects: mapSubjects(agency, r),
        payload: {
          $case: "informationResponse",
          value: {
            requestEventId: r.request_event_id,
            requestedBy: AGENCY[r.requested_by],
            outcome: OUTCOME[r.outcome],
            refusalReason: r.refusal_reason ? REFUSAL[r.refusal_reason] : InformationRefusalReason.INFORMATION_REFUSAL_REASON_UNSPECIFIED,
            answer: r.answer ?? "",
          },
        },
      }),
    example: {
      response_id: `${prefix}-R-2026-0093`,
      responded_at: "2026-11-19T14:05:00+13:00",
      district: "Bay of Plenty",
      request_event_id: "6b0c1a2e-1111-4000-8000-000000000117",
      requested_by: first,
      outcome: "partially_answered",
      refusal_reason: "prejudice_to_investigation",
      answer: "We hold a current address and employer for this person. Details of an open matter are withheld.",
      persons: [{ person_id: "P-77120", name: "Hēmi Tāwhiri", address: "12 Church Street, Ōpōtiki" }],
      legal_basis: { instrument: "Privacy Act 2020", provision: "IPP 11(1)(e)(i)", description: "disclosure necessary to avoid prejudice to the maintenance of the law" },
    },
    synthesize: (rng, index) => {
      const outcome = pick(rng, OUTCOMES, [6, 2, 2]);
      return {
        response_id: `${prefix}-R-SYN-${index}`,
        responded_at: `2026-${String(between(rng, 1, 11)).padStart(2, "0")}-${String(between(rng, 1, 28)).padStart(2, "0")}T15:00:00+13:00`,
        district: pick(rng, DISTRICT_NAMES),
        request_event_id: `6b0c1a2e-1111-4000-8000-${String(index).padStart(12, "0")}`,
        requested_by: pick(rng, otherThan(agency)),
        outcome,
        ...(outcome === "answered" ? {} : { refusal_reason: pick(rng, REFUSAL_REASONS) }),
        ...(outcome === "refused" ? {} : { answer: pick(rng, ["We hold no record of concern.", "The company was investigated in 2025; the matter is closed."]) }),
        legal_basis: { instrument: "Privacy Act 2020", provision: "IPP 11(1)(e)(i)" },
      };
    },
  };
  return [request, response];
}

/** The record types of the shared information kinds: documented in the adapter-kit README, not each adapter's. */
export const INFORMATION_RECORD_TYPES: ReadonlySet<string> = new Set(["information_request", "information_response"]);
