import { z } from "zod";
import { isoDate, isoDateTime } from "./dates.js";
import { between, district, envelope, legalBasis, markingFields, nativeId, pick, text, DISTRICT_NAMES, type AgencyDefaults } from "./fields.js";
import type { AgencyCode, RecordKind } from "./kind.js";

/**
 * Agency assessments: a written assessment an agency prepares for one region's
 * leaders (plain language, no personal information), with the agency's
 * recorded approval to release it to the community tier. One kind every
 * adapter can list: `regionalAssessmentKind(agency, defaults)` gives
 * `<agency>.regional_assessment` at `/v1/regional-assessments`.
 *
 * `approval` is required: either `{ "status": "approved", approver_role,
 * approval_ref, approved_at }` (recorded in the event, so in the ledger's
 * publish record) or `{ "status": "pending" }` (partners only: the sharing
 * policy releases an assessment to a community tier only with an approval).
 */

/**
 * Identifiers in free text, refused: the adapters take people, phones, documents
 * and vehicles only as typed subjects, and an assessment has none. Detected:
 * e-mail addresses, phone numbers (7 or more digits, with spaces, dashes, dots or
 * brackets between), long digit runs, and tokens mixing letters and digits of 6 or
 * more characters (passport, licence and other document numbers). Years ("2026"),
 * counts and short codes pass. A heuristic, not a guarantee: the agency's approver
 * remains accountable for the text (see the adapter-kit README).
 */
const IDENTIFIER_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  ["an e-mail address", /[^\s@]+@[^\s@]+\.[^\s@]+/u],
  ["a phone number", /(?:\+?\d[\s().-]*){7,}/u],
];

/** The first kind of identifier found in `s` (by what it looks like), or undefined. Pure. */
export function identifierIn(s: string): string | undefined {
  // ISO dates are not phone numbers.
  const undated = s.replace(/\b\d{4}-\d{2}-\d{2}\b/gu, " ");
  const found = IDENTIFIER_PATTERNS.find(([, re]) => re.test(undated));
  if (found) return found[0];
  return documentLike(s) ? "a document number" : undefined;
}

/** A token of 6 or more letters and digits mixed (hyphens ignored), but an ISO week ("2026-W46"). */
function documentLike(s: string): boolean {
  const tokens = s.match(/[A-Za-z0-9-]+/gu) ?? [];
  return tokens.some((t) => t.replaceAll("-", "").length >= 6 && /\d/u.test(t) && /[A-Za-z]/u.test(t) && !/^\d{4}-W\d{2}$/u.test(t));
}

/** Free text written for leaders: bounded, no control characters, and no identifiers. */
function leaderText(max: number, opts: { min?: number; multiline?: boolean } = {}) {
  return text(max, opts).superRefine((s, ctx) => {
    const found = identifierIn(s);
    if (found) ctx.addIssue({ code: "custom", message: `looks like ${found}: an assessment for leaders carries no personal information or identifiers` });
  });
}

export const assessmentApproval = z.discriminatedUnion("status", [
  z.strictObject({
    status: z.literal("approved"),
    /** A role, never a name: "District Commander". */
    approver_role: text(100, { min: 2 }),
    approval_ref: nativeId,
    approved_at: isoDateTime,
  }),
  z.strictObject({ status: z.literal("pending") }),
]);

export const regionalAssessmentSchema = z
  .strictObject({
    assessment_id: nativeId,
    title: leaderText(160, { min: 3 }),
    /** A Police district (or an alias the kit knows). */
    region: district,
    period_start: isoDate,
    period_end: isoDate,
    body: leaderText(8000, { min: 20, multiline: true }),
    key_points: z.array(leaderText(400, { min: 3 })).min(1).max(10),
    recommended_actions: z.array(leaderText(400, { min: 3 })).max(10).default([]),
    approval: assessmentApproval,
    ...markingFields,
    legal_basis: legalBasis.optional(),
  })
  .superRefine((r, ctx) => {
    // ISO dates compare correctly as strings.
    if (r.period_start > r.period_end) {
      ctx.addIssue({ code: "custom", path: ["period_end"], message: `period ends (${r.period_end}) before it starts (${r.period_start})` });
    }
  });

export type RegionalAssessmentRecord = z.infer<typeof regionalAssessmentSchema>;

const EXAMPLE_BODY =
  "Methamphetamine use in the eastern Bay of Plenty fell over the quarter, and the local supply network was disrupted in August. " +
  "Harm remains above the national average. Agencies expect attempts to re-establish supply before summer, " +
  "and ask leaders to keep talking with whānau about support that is available.";

/** The assessment kind for one agency: `<agency>.regional_assessment`. */
export function regionalAssessmentKind(agency: AgencyCode, defaults: AgencyDefaults): RecordKind<RegionalAssessmentRecord> {
  const eventType = `${agency.toLowerCase()}.regional_assessment`;
  const prefix = `${agency}-RA`;
  return {
    recordType: "regional_assessment",
    eventType,
    httpPath: "/v1/regional-assessments",
    summary: "Submit a written assessment for a region's leaders (plain language, no personal information) with its release approval",
    schema: regionalAssessmentSchema,
    nativeId: (r) => r.assessment_id,
    map: (r, publishedAt) =>
      envelope({
        agency,
        eventType,
        nativeId: r.assessment_id,
        // The assessment speaks for its period as it closes.
        occurredAt: r.period_end,
        publishedAt,
        district: r.region,
        defaults,
        classification: r.classification,
        caveats: r.caveats,
        releasableTo: r.releasable_to,
        releasableToCountries: r.releasable_to_countries,
        legalBasis: r.legal_basis,
        payload: {
          $case: "regionalAssessment",
          value: {
            title: r.title,
            periodStart: r.period_start,
            periodEnd: r.period_end,
            body: r.body,
            keyPoints: r.key_points,
            recommendedActions: r.recommended_actions,
            approval:
              r.approval.status === "approved"
                ? { approverRole: r.approval.approver_role, approvalRef: r.approval.approval_ref, approvedAt: new Date(r.approval.approved_at) }
                : undefined,
          },
        },
      }),
    example: {
      assessment_id: `${prefix}-2026-Q3-BOP-01`,
      title: "Methamphetamine harm in the eastern Bay of Plenty, July to September 2026",
      region: "Bay of Plenty",
      period_start: "2026-07-01",
      period_end: "2026-09-30",
      body: EXAMPLE_BODY,
      key_points: ["Use fell over the quarter in Ōpōtiki and Whakatāne.", "Supply was disrupted in August."],
      recommended_actions: ["Share where whānau can find addiction support.", "Tell Police what you see, through the briefing site."],
      approval: { status: "approved", approver_role: "District Commander", approval_ref: `${prefix}-APP-2026-031`, approved_at: "2026-10-06T21:30:00Z" },
    },
    synthesize: (rng, index) => {
      const region = pick(rng, DISTRICT_NAMES);
      const year = pick(rng, [2025, 2026]);
      const quarter = between(rng, 0, year === 2026 ? 2 : 3);
      const start = `${year}-${String(quarter * 3 + 1).padStart(2, "0")}-01`;
      const end = `${year}-${["03-31", "06-30", "09-30", "12-31"][quarter]}`;
      return {
        assessment_id: `${prefix}-SYN-${index}`,
        title: `Organised crime harm in ${region}, quarter ${quarter + 1} of ${year}`,
        region,
        period_start: start,
        period_end: end,
        body: `Agencies reviewed organised crime harm in ${region} over the quarter. ${pick(rng, ["Harm fell.", "Harm held steady.", "Harm rose."])} Leaders are asked to share support that is available.`,
        key_points: [pick(rng, ["Drug harm is the main concern.", "Exploitation of workers was reported.", "Firearms seizures rose."])],
        recommended_actions: ["Share where whānau can find support."],
        approval:
          rng() < 0.8
            ? { status: "approved", approver_role: "District Commander", approval_ref: `${prefix}-APP-SYN-${index}`, approved_at: `${end}T22:00:00Z` }
            : { status: "pending" },
      };
    },
  };
}
