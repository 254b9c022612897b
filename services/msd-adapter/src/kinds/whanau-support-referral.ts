import { between, count, envelope, existingIsoWeek, lastSyntheticWeek, legalBasis, markingFields, nativeId, pick, text, type RecordKind } from "@takitini/adapter-kit";
import { isoWeekStart } from "@takitini/runtime";
import { z } from "zod";
import { MSD_DEFAULTS } from "../defaults.js";
import { PROVIDERS, ROCC_WEIGHTS } from "../providers.js";
import { districtOf, region, ROCC_REGION_NAMES } from "../region.js";
import { SUPPORT_SERVICE, SUPPORT_SERVICES } from "../support-service.js";

/**
 * MSD's weekly count of whānau referred to one support service by one provider in
 * one region — often after a Police operation's resolution. Counts only: no
 * individual is identified, so the record takes no subjects.
 */
export const whanauSupportReferralSchema = z
  .strictObject({
    referral_batch_ref: nativeId,
    /** A ROCC region (Porirua, West Coast, Southland, …) or a Police district. */
    region,
    service: z.enum(SUPPORT_SERVICES),
    whanau_count: count(10_000),
    children_count: count(50_000),
    /** The operation the referrals follow, e.g. "Operation Pakari". */
    linked_operation: text(100, { min: 1 }).optional(),
    referral_week: existingIsoWeek,
    provider: text(200, { min: 1 }),
    ...markingFields,
    legal_basis: legalBasis.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.children_count > 0 && r.whanau_count === 0) {
      ctx.addIssue({ code: "custom", path: ["children_count"], message: "children referred but no whānau referred" });
    }
  });

export type MsdWhanauSupportReferralRecord = z.infer<typeof whanauSupportReferralSchema>;

/** Operations referrals follow, by region, for synthetic records (Whakaahuru ran alongside Pakari). */
const LINKED: Partial<Record<(typeof ROCC_REGION_NAMES)[number], readonly string[]>> = {
  "Bay of Plenty": ["Operation Highwater"],
  Southland: ["Operation Pakari", "Operation Whakaahuru"],
};

export const whanauSupportReferral: RecordKind<MsdWhanauSupportReferralRecord> = {
  recordType: "whanau_support_referral",
  eventType: "msd.whanau_support_referral",
  httpPath: "/v1/whanau-support-referrals",
  summary: "Submit a week's whānau-support referral counts (region, service, whānau, children, linked operation, provider)",
  schema: whanauSupportReferralSchema,
  nativeId: (r) => r.referral_batch_ref,
  map: (r, publishedAt) =>
    envelope({
      agency: "MSD",
      eventType: "msd.whanau_support_referral",
      nativeId: r.referral_batch_ref,
      occurredAt: isoWeekStart(r.referral_week),
      publishedAt,
      district: districtOf(r.region),
      defaults: MSD_DEFAULTS,
      classification: r.classification,
      caveats: r.caveats,
      releasableTo: r.releasable_to,
      releasableToCountries: r.releasable_to_countries,
      legalBasis: r.legal_basis,
      operationRef: r.linked_operation,
      payload: {
        $case: "msdWhanauSupportReferral",
        value: {
          referralBatchRef: r.referral_batch_ref,
          service: SUPPORT_SERVICE[r.service],
          whanauCount: r.whanau_count,
          childrenCount: r.children_count,
          referralWeek: r.referral_week,
          provider: r.provider,
        },
      },
    }),
  example: {
    referral_batch_ref: "MSD-WSR-2023-W26-SOU-01",
    region: "Southland",
    service: "whanau_navigation",
    whanau_count: 12,
    children_count: 47,
    linked_operation: "Operation Pakari",
    referral_week: "2023-W26",
    provider: "Mātaura Community Hub",
  },
  synthesize: (rng, index) => {
    const where = pick(rng, ROCC_REGION_NAMES, ROCC_REGION_NAMES.map((r) => ROCC_WEIGHTS[r]));
    const service = pick(rng, SUPPORT_SERVICES, [25, 30, 20, 10, 15]);
    const year = pick(rng, [2025, 2026]);
    const week = between(rng, 1, lastSyntheticWeek(year));
    // Most weeks bring a handful of whānau; one in twenty is a nil return.
    const whanau = rng() < 0.05 ? 0 : between(rng, 1, 15);
    // Whakaahuru: 12 families, 47 children — about four children a whānau.
    const children = whanau === 0 ? 0 : whanau * between(rng, 1, 4) + between(rng, 0, whanau);
    const linked = LINKED[where] && rng() < 0.4 ? pick(rng, LINKED[where]!) : rng() < 0.05 ? "Operation Cobalt" : undefined;
    return {
      referral_batch_ref: `MSD-WSR-SYN-${index}`,
      region: where,
      service,
      whanau_count: whanau,
      children_count: children,
      ...(linked ? { linked_operation: linked } : {}),
      referral_week: `${year}-W${String(week).padStart(2, "0")}`,
      provider: pick(rng, PROVIDERS[where]),
    };
  },
  // Demo history: each district's weekly referral returns, enough for a leader's week to pass disclosure control (6).
  history: {
    perWeek: 6,
    place: (r, slot) => ({ ...r, referral_batch_ref: `WSR-${slot.id}`, region: slot.district, referral_week: slot.week }),
  },
};
