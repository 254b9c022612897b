import {
  between,
  checkNoRepeats,
  count,
  district,
  DISTRICT_NAMES,
  envelope,
  legalBasis,
  markingFields,
  nativeId,
  pick,
  plausibleIsoWeek,
  type AgencyDefaults,
  type RecordKind,
} from "@takitini/adapter-kit";
import { isoWeekStart } from "@takitini/runtime";
import { z } from "zod";
import { SUPPORT, SUPPORT_SERVICE } from "./operation-update.js";

/**
 * Police's pre-operation support notice: before arrests, Police tell MSD and
 * Oranga Tamariki — and no one else — that children and families in a district
 * are likely to need support in a week, so that whānau support is ready when the
 * operation resolves (the Ōpōtiki lesson: some tamariki were left to fend for
 * themselves during the raids, advisory group report 2025).
 *
 * Coarse by construction: a district, an ISO week (never a day), two counts and
 * the support likely needed. No operation reference, code name, locality, date,
 * person or free text exists in the record or the event (the envelope's
 * operation_ref and subjects stay empty), and the strict schema refuses any other
 * field with its path. The exchange delivers it to MSD and Oranga Tamariki as a
 * SupportNotice built by allow-list, with the counts as bands.
 */

/** How far ahead the expected week may be: a year, like a planned operation phase. */
export const NOTICE_WEEK_HORIZON_DAYS = 365;

/**
 * Police's markings for the notice: RESTRICTED (it says Police expect to act in a
 * district in a week), never for a community tier (NO COMMUNITY RELEASE, a floor
 * the record cannot lower), and the child-welfare information-sharing provision.
 */
export const SUPPORT_NOTICE_DEFAULTS: AgencyDefaults = {
  classification: "RESTRICTED",
  caveats: ["NO COMMUNITY RELEASE"],
  legalBasis: {
    instrument: "Oranga Tamariki Act 1989",
    provision: "s 66C",
    description:
      "disclosure to a child welfare and protection agency to support the well-being and safety of children and young persons (with Privacy Act 2020, IPP 11); de-identified, no personal information",
  },
};

export const supportAdvanceNoticeSchema = z
  .strictObject({
    notice_id: nativeId,
    district,
    /** ISO week of the expected action, e.g. 2026-W50: never a day. */
    week: plausibleIsoWeek({ aheadDays: NOTICE_WEEK_HORIZON_DAYS }),
    children_likely_affected: count(50_000),
    families_likely_affected: count(10_000),
    support_needed: z.array(z.enum(SUPPORT)).min(1).max(SUPPORT.length),
    // Police may raise the classification and add caveats (the kit's floor rule); the sharing
    // policy decides what follows: above RESTRICTED the notice reaches no one (the derived-view
    // ceiling), and an embargo caveat does not hold it back (the notice exists to go before the action).
    classification: markingFields.classification,
    caveats: markingFields.caveats,
    legal_basis: legalBasis.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.children_likely_affected > 0 && r.families_likely_affected === 0) {
      ctx.addIssue({ code: "custom", path: ["children_likely_affected"], message: "children likely affected but no families" });
    }
    checkNoRepeats(r.support_needed, "support_needed", ctx);
    // No releasable_to list exists in the record: the agreements name its recipients.
    r.caveats?.forEach((c, i) => {
      if (c === "RELEASABLE TO") ctx.addIssue({ code: "custom", path: ["caveats", i], message: "a support advance notice goes to MSD and Oranga Tamariki by the sharing agreements; it names no other recipient" });
    });
  });

export type PoliceSupportAdvanceNoticeRecord = z.infer<typeof supportAdvanceNoticeSchema>;

export const supportAdvanceNotice: RecordKind<PoliceSupportAdvanceNoticeRecord> = {
  recordType: "support_advance_notice",
  eventType: "police.support_advance_notice",
  httpPath: "/v1/support-advance-notices",
  summary: "Tell MSD and Oranga Tamariki before an operation that whānau support may be needed: district, ISO week, children and families likely affected, support needed — nothing else",
  schema: supportAdvanceNoticeSchema,
  nativeId: (r) => r.notice_id,
  map: (r, publishedAt) => {
    const support = new Set(r.support_needed);
    return envelope({
      agency: "POLICE",
      eventType: "police.support_advance_notice",
      nativeId: r.notice_id,
      // The week's Monday (UTC): the event says no more about when than the week.
      occurredAt: isoWeekStart(r.week),
      publishedAt,
      district: r.district,
      defaults: SUPPORT_NOTICE_DEFAULTS,
      classification: r.classification,
      caveats: r.caveats,
      legalBasis: r.legal_basis,
      // Never an operation_ref, never subjects: the envelope's defaults (empty) stay.
      payload: {
        $case: "policeSupportAdvanceNotice",
        value: {
          week: r.week,
          childrenLikelyAffected: r.children_likely_affected,
          familiesLikelyAffected: r.families_likely_affected,
          supportNeeded: SUPPORT.filter((s) => support.has(s)).map((s) => SUPPORT_SERVICE[s]),
        },
      },
    });
  },
  example: {
    notice_id: "NOCG-SAN-2026-0142",
    district: "Bay of Plenty",
    week: "2026-W48",
    children_likely_affected: 47,
    families_likely_affected: 12,
    support_needed: ["whanau_navigation", "rangatahi_mentoring", "addiction_treatment"],
  },
  synthesize: (rng, index) => {
    const families = between(rng, 1, 20);
    // Up to 2026-W48, whose Monday (2026-11-23) is before SYNTHETIC_UNTIL.
    const year = pick(rng, [2025, 2026]);
    const week = between(rng, 1, year === 2026 ? 48 : 52);
    return {
      notice_id: `NOCG-SAN-SYN-${index}`,
      district: pick(rng, DISTRICT_NAMES),
      week: `${year}-W${String(week).padStart(2, "0")}`,
      children_likely_affected: families * between(rng, 1, 4),
      families_likely_affected: families,
      support_needed: SUPPORT.filter((_, i) => i === 1 || rng() < 0.4),
    };
  },
};
