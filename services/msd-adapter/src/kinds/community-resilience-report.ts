import { between, count, envelope, isoDate, legalBasis, markingFields, nativeId, pick, text, type RecordKind } from "@takitini/adapter-kit";
import { z } from "zod";
import { MSD_DEFAULTS } from "../defaults.js";
import { centsOf, nzd } from "../money.js";
import { PROVIDERS, ROCC_WEIGHTS } from "../providers.js";
import { districtOf, region, ROCC_REGION_NAMES } from "../region.js";
import { SUPPORT_SERVICE, SUPPORT_SERVICES } from "../support-service.js";

/**
 * A provider's report on one programme of the Community Resilience and Whānau
 * Support Fund for one period: the funding it received and the services it
 * delivered. Counts and dollars only; no subjects.
 */

export const serviceDelivered = z.strictObject({
  service: z.enum(SUPPORT_SERVICES),
  people_served: count(100_000),
  sessions: count(1_000_000),
});

export const communityResilienceReportSchema = z
  .strictObject({
    report_id: nativeId,
    programme: text(200, { min: 1 }),
    provider: text(200, { min: 1 }),
    /** A ROCC region (Porirua, West Coast, Southland, …) or a Police district. */
    region,
    period_start: isoDate,
    period_end: isoDate,
    /** NZ dollars with cents: 485000.5 or "485000.50". */
    funding_nzd: nzd,
    services: z.array(serviceDelivered).max(SUPPORT_SERVICES.length),
    ...markingFields,
    legal_basis: legalBasis.optional(),
  })
  .superRefine((r, ctx) => {
    // ISO dates compare correctly as strings.
    if (r.period_start > r.period_end) {
      ctx.addIssue({ code: "custom", path: ["period_end"], message: `period ends (${r.period_end}) before it starts (${r.period_start})` });
    }
    const seen = r.services.map((s) => s.service);
    seen.forEach((s, i) => {
      if (seen.indexOf(s) !== i) ctx.addIssue({ code: "custom", path: ["services", i, "service"], message: `"${s}" is reported twice` });
    });
  });

export type MsdCommunityResilienceReportRecord = z.infer<typeof communityResilienceReportSchema>;

export const PROGRAMMES = ["Resilience to Organised Crime in Communities", "Community Resilience and Whānau Support Fund"] as const;

const QUARTERS = [
  ["01-01", "03-31"],
  ["04-01", "06-30"],
  ["07-01", "09-30"],
  ["10-01", "12-31"],
] as const;

export const communityResilienceReport: RecordKind<MsdCommunityResilienceReportRecord> = {
  recordType: "community_resilience_report",
  eventType: "msd.community_resilience_report",
  httpPath: "/v1/community-resilience-reports",
  summary: "Submit a community-resilience programme report (programme, provider, period, funding, services delivered)",
  schema: communityResilienceReportSchema,
  nativeId: (r) => r.report_id,
  map: (r, publishedAt) =>
    envelope({
      agency: "MSD",
      eventType: "msd.community_resilience_report",
      nativeId: r.report_id,
      // The report speaks for its period as it closes.
      occurredAt: r.period_end,
      publishedAt,
      district: districtOf(r.region),
      defaults: MSD_DEFAULTS,
      classification: r.classification,
      caveats: r.caveats,
      releasableTo: r.releasable_to,
      releasableToCountries: r.releasable_to_countries,
      legalBasis: r.legal_basis,
      payload: {
        $case: "msdCommunityResilienceReport",
        value: {
          programme: r.programme,
          provider: r.provider,
          periodStart: r.period_start,
          periodEnd: r.period_end,
          fundingCents: centsOf(r.funding_nzd),
          services: r.services.map((s) => ({ service: SUPPORT_SERVICE[s.service], peopleServed: s.people_served, sessions: s.sessions })),
        },
      },
    }),
  example: {
    report_id: "MSD-CRR-2026-Q3-BOP-004",
    programme: "Resilience to Organised Crime in Communities",
    provider: "Whakatōhea Whānau Support Collective",
    region: "Bay of Plenty",
    period_start: "2026-07-01",
    period_end: "2026-09-30",
    funding_nzd: 485000.35,
    services: [
      { service: "whanau_navigation", people_served: 86, sessions: 412 },
      { service: "addiction_treatment", people_served: 41, sessions: 268 },
      { service: "rangatahi_mentoring", people_served: 58, sessions: 230 },
    ],
  },
  synthesize: (rng, index) => {
    const where = pick(rng, ROCC_REGION_NAMES, ROCC_REGION_NAMES.map((r) => ROCC_WEIGHTS[r]));
    const year = pick(rng, [2025, 2026]);
    const [start, end] = pick(rng, year === 2026 ? QUARTERS.slice(0, 3) : QUARTERS);
    // $27.8m from the fund across seven regions over several years: a provider's quarter is $0.1m–$1.5m.
    const cents = between(rng, 100_000, 1_500_000) * 100 + between(rng, 0, 99);
    const services = SUPPORT_SERVICES.filter(() => rng() < 0.45);
    if (services.length === 0) services.push(pick(rng, SUPPORT_SERVICES));
    return {
      report_id: `MSD-CRR-SYN-${index}`,
      programme: pick(rng, PROGRAMMES, [3, 1]),
      provider: pick(rng, PROVIDERS[where]),
      region: where,
      period_start: `${year}-${start}`,
      period_end: `${year}-${end}`,
      // Both forms a provider's system sends: a JSON number, or a decimal string (as CSV gives it).
      funding_nzd: rng() < 0.6 ? cents / 100 : `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`,
      services: services.map((service) => {
        const people = between(rng, 10, 400);
        return { service, people_served: people, sessions: people * between(rng, 2, 8) };
      }),
    };
  },
};
