import { AgeBand, ScamCategory, ScamContactChannel } from "@takitini/proto";
import {
  between,
  district,
  DISTRICT_NAMES,
  envelope,
  isoDateTime,
  legalBasis,
  logUniform,
  mapSubjects,
  markingFields,
  nativeId,
  pick,
  subjectFields,
  text,
  type AgencyDefaults,
  type RecordKind,
} from "@takitini/adapter-kit";
import { z } from "zod";
import { DISTRICT_LOCALITIES, nzTime } from "./operation-update.js";

/**
 * A member of the public's report of a scam to Police: what kind, how the
 * scammer made contact, what the person says they lost, their age band and the
 * town. The person reporting is never a subject and never named — no field
 * holds their name, and a person with the role `victim` is refused; the
 * subjects, if any, are the scammer's identifiers (a name used, a phone number,
 * a company).
 */

export const SCAM_CATEGORIES = ["investment", "romance", "employment", "impersonation", "online_shopping", "phishing_remote_access", "other"] as const;
export const CONTACT_CHANNELS = ["phone_call", "text_message", "email", "social_media", "online_marketplace", "in_person", "other"] as const;
export const AGE_BANDS = ["under_18", "18_to_29", "30_to_44", "45_to_64", "65_to_74", "75_and_over"] as const;

/**
 * Police's markings for a scam report when it carries none: IN-CONFIDENCE (a
 * member of the public's report, no operational detail), on the Policing Act's
 * functions of crime prevention and law enforcement.
 */
export const SCAM_REPORT_DEFAULTS: AgencyDefaults = {
  classification: "IN-CONFIDENCE",
  caveats: [],
  legalBasis: {
    instrument: "Policing Act 2008",
    provision: "s 9(b), (c)",
    description: "crime prevention and law enforcement: reports of scams from the public",
  },
};

export const scamReportSchema = z
  .strictObject({
    report_id: nativeId,
    /** When the person reported it. */
    reported_at: isoDateTime,
    district,
    category: z.enum(SCAM_CATEGORIES),
    channel: z.enum(CONTACT_CHANNELS),
    /** Whole New Zealand dollars; 0 for an attempt that cost nothing. */
    reported_loss_nzd: z.number().int().min(0).max(100_000_000),
    victim_age_band: z.enum(AGE_BANDS).optional(),
    locality: text(100).optional(),
    ...markingFields,
    legal_basis: legalBasis.optional(),
    ...subjectFields,
  })
  .superRefine((r, ctx) => {
    r.persons.forEach((p, i) => {
      if (p.role === "victim") ctx.addIssue({ code: "custom", path: ["persons", i, "role"], message: "the person reporting is never a subject: give their age band only" });
    });
  });

export type PoliceScamReportRecord = z.infer<typeof scamReportSchema>;

const CATEGORY = {
  investment: ScamCategory.SCAM_CATEGORY_INVESTMENT,
  romance: ScamCategory.SCAM_CATEGORY_ROMANCE,
  employment: ScamCategory.SCAM_CATEGORY_EMPLOYMENT,
  impersonation: ScamCategory.SCAM_CATEGORY_IMPERSONATION,
  online_shopping: ScamCategory.SCAM_CATEGORY_ONLINE_SHOPPING,
  phishing_remote_access: ScamCategory.SCAM_CATEGORY_PHISHING_REMOTE_ACCESS,
  other: ScamCategory.SCAM_CATEGORY_OTHER,
} as const;

const CHANNEL = {
  phone_call: ScamContactChannel.SCAM_CONTACT_CHANNEL_PHONE_CALL,
  text_message: ScamContactChannel.SCAM_CONTACT_CHANNEL_TEXT_MESSAGE,
  email: ScamContactChannel.SCAM_CONTACT_CHANNEL_EMAIL,
  social_media: ScamContactChannel.SCAM_CONTACT_CHANNEL_SOCIAL_MEDIA,
  online_marketplace: ScamContactChannel.SCAM_CONTACT_CHANNEL_ONLINE_MARKETPLACE,
  in_person: ScamContactChannel.SCAM_CONTACT_CHANNEL_IN_PERSON,
  other: ScamContactChannel.SCAM_CONTACT_CHANNEL_OTHER,
} as const;

const AGE = {
  under_18: AgeBand.AGE_BAND_UNDER_18,
  "18_to_29": AgeBand.AGE_BAND_18_TO_29,
  "30_to_44": AgeBand.AGE_BAND_30_TO_44,
  "45_to_64": AgeBand.AGE_BAND_45_TO_64,
  "65_to_74": AgeBand.AGE_BAND_65_TO_74,
  "75_and_over": AgeBand.AGE_BAND_75_AND_OVER,
} as const;

/** The channel a category's scammers most often use, and how much is typically lost (whole dollars, log-uniform). */
const PROFILE: Record<(typeof SCAM_CATEGORIES)[number], { channels: number[]; loss: [number, number] }> = {
  investment: { channels: [3, 1, 2, 6, 0, 0, 1], loss: [2_000, 400_000] },
  romance: { channels: [1, 0, 1, 8, 0, 0, 1], loss: [1_000, 250_000] },
  employment: { channels: [1, 3, 2, 4, 1, 0, 1], loss: [100, 15_000] },
  impersonation: { channels: [7, 4, 2, 0, 0, 0, 1], loss: [500, 120_000] },
  online_shopping: { channels: [0, 0, 1, 3, 7, 0, 1], loss: [20, 3_000] },
  phishing_remote_access: { channels: [3, 5, 4, 1, 0, 0, 1], loss: [100, 60_000] },
  other: { channels: [2, 2, 2, 2, 1, 1, 1], loss: [50, 10_000] },
};

export const scamReport: RecordKind<PoliceScamReportRecord> = {
  recordType: "scam_report",
  eventType: "police.scam_report",
  httpPath: "/v1/scam-reports",
  summary: "Submit a scam reported by a member of the public (category, contact channel, reported loss, age band, locality)",
  schema: scamReportSchema,
  nativeId: (r) => r.report_id,
  map: (r, publishedAt) =>
    envelope({
      agency: "POLICE",
      eventType: "police.scam_report",
      nativeId: r.report_id,
      occurredAt: r.reported_at,
      publishedAt,
      district: r.district,
      defaults: SCAM_REPORT_DEFAULTS,
      classification: r.classification,
      caveats: r.caveats,
      releasableTo: r.releasable_to,
      releasableToCountries: r.releasable_to_countries,
      legalBasis: r.legal_basis,
      subjects: mapSubjects("POLICE", r),
      payload: {
        $case: "policeScamReport",
        value: {
          category: CATEGORY[r.category],
          channel: CHANNEL[r.channel],
          reportedLossNzd: String(r.reported_loss_nzd),
          victimAgeBand: r.victim_age_band ? AGE[r.victim_age_band] : AgeBand.AGE_BAND_UNSPECIFIED,
          locality: r.locality ?? "",
        },
      },
    }),
  example: {
    report_id: "SCAM-2026-118204",
    reported_at: "2026-11-03T19:42:00+13:00",
    district: "Southern",
    category: "impersonation",
    channel: "phone_call",
    reported_loss_nzd: 8_400,
    victim_age_band: "75_and_over",
    locality: "Mātaura",
    persons: [{ person_id: "P-SC-20931", name: "\"Detective Sergeant Brown\"", phones: ["+64 9 555 0142"], role: "person_of_interest" }],
  },
  // Demo history: enough reports for a leader's week per district to pass disclosure control (6).
  history: {
    perWeek: 6,
    place: (r, slot) => ({ ...r, report_id: `SCAM-${slot.id}`, reported_at: slot.at, district: slot.district, locality: pick(slot.rng, DISTRICT_LOCALITIES[slot.district]) }),
  },
  synthesize: (rng, index) => {
    const d = pick(rng, DISTRICT_NAMES, [5, 8, 9, 9, 7, 6, 5, 6, 8, 5, 8, 5]);
    const category = pick(rng, SCAM_CATEGORIES, [12, 8, 6, 22, 24, 20, 8]);
    const profile = PROFILE[category];
    // About a third of reports are attempts that cost nothing.
    const lost = rng() < 0.35 ? 0 : Math.round(logUniform(rng, ...profile.loss));
    return {
      report_id: `SCAM-SYN-${index}`,
      reported_at: nzTime(2026, between(rng, 1, 11), between(rng, 1, 28), between(rng, 7, 21), between(rng, 0, 59)),
      district: d,
      category,
      channel: pick(rng, CONTACT_CHANNELS, profile.channels),
      reported_loss_nzd: lost,
      ...(rng() < 0.9 ? { victim_age_band: pick(rng, AGE_BANDS, [2, 14, 18, 26, 22, 18]) } : {}),
      locality: pick(rng, DISTRICT_LOCALITIES[d]),
      persons:
        rng() < 0.3
          ? [{ person_id: `P-SCAM-${index}`, name: pick(rng, ["\"Inland Revenue officer\"", "\"Bank fraud team\"", "\"Crypto adviser\"", "\"Sarah (dating profile)\""]), phones: [`+64 21 ${between(rng, 100, 999)} ${between(rng, 1000, 9999)}`], role: "person_of_interest" as const }]
          : [],
    };
  },
};
