import { LaunderingTypology, ReportingSector, ValueBand } from "@takitini/proto";
import {
  between,
  checkNoRepeats,
  count,
  district,
  DISTRICT_NAMES,
  envelope,
  grading,
  isoDate,
  isoDateTime,
  legalBasis,
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
import { nzTime } from "./operation-update.js";

/**
 * The Police Financial Intelligence Unit's summary of the suspicious activity
 * reports (SARs) one reporting sector made about one matter over a period
 * (Anti-Money Laundering and Countering Financing of Terrorism Act 2009). Never
 * the reports themselves: the sector, the typologies seen, how many reports,
 * the value as a band, and the persons and organisations concerned as typed
 * subjects.
 */

export const REPORTING_SECTORS = ["bank", "money_service", "casino", "real_estate", "lawyer", "accountant", "high_value_dealer", "virtual_asset_provider", "other"] as const;
export const TYPOLOGIES = [
  "structuring",
  "rapid_movement_of_funds",
  "trade_based_laundering",
  "cash_intensive_business",
  "money_mule_accounts",
  "virtual_asset_conversion",
  "scam_proceeds",
  "other",
] as const;
export const VALUE_BANDS = ["under_10k", "10k_to_100k", "100k_to_1m", "1m_to_10m", "10m_and_over"] as const;

/**
 * The FIU's markings when a summary carries none: IN-CONFIDENCE with ORIGINATOR
 * CONTROL (a summary, not the reports; onward sharing only as Police agree), on
 * the AML/CFT Act's provision for the Commissioner's disclosure of suspicious
 * activity information to government agencies.
 */
export const FIU_DEFAULTS: AgencyDefaults = {
  classification: "IN-CONFIDENCE",
  caveats: ["ORIGINATOR CONTROL"],
  legalBasis: {
    instrument: "Anti-Money Laundering and Countering Financing of Terrorism Act 2009",
    provision: "s 139A",
    description: "disclosure by the Commissioner of Police (Financial Intelligence Unit) of suspicious activity information to a government agency for law enforcement purposes",
  },
};

export const fiuSuspiciousActivitySchema = z
  .strictObject({
    summary_id: nativeId,
    /** When the FIU issued the summary. */
    issued_at: isoDateTime,
    district,
    reporting_sector: z.enum(REPORTING_SECTORS),
    typologies: z.array(z.enum(TYPOLOGIES)).min(1).max(TYPOLOGIES.length),
    reports_summarised: count(10_000).min(1),
    total_value_band: z.enum(VALUE_BANDS),
    period_start: isoDate,
    period_end: isoDate,
    operation: text(100).optional(),
    ...markingFields,
    grading: grading.optional(),
    legal_basis: legalBasis.optional(),
    ...subjectFields,
  })
  .superRefine((r, ctx) => {
    checkNoRepeats(r.typologies, "typologies", ctx);
    if (r.period_end < r.period_start) ctx.addIssue({ code: "custom", path: ["period_end"], message: "the period ends before it starts" });
    if (r.issued_at.slice(0, 10) < r.period_start) ctx.addIssue({ code: "custom", path: ["issued_at"], message: "issued before the period it summarises began" });
  });

export type PoliceFiuSuspiciousActivityRecord = z.infer<typeof fiuSuspiciousActivitySchema>;

const SECTOR = {
  bank: ReportingSector.REPORTING_SECTOR_BANK,
  money_service: ReportingSector.REPORTING_SECTOR_MONEY_SERVICE,
  casino: ReportingSector.REPORTING_SECTOR_CASINO,
  real_estate: ReportingSector.REPORTING_SECTOR_REAL_ESTATE,
  lawyer: ReportingSector.REPORTING_SECTOR_LAWYER,
  accountant: ReportingSector.REPORTING_SECTOR_ACCOUNTANT,
  high_value_dealer: ReportingSector.REPORTING_SECTOR_HIGH_VALUE_DEALER,
  virtual_asset_provider: ReportingSector.REPORTING_SECTOR_VIRTUAL_ASSET_PROVIDER,
  other: ReportingSector.REPORTING_SECTOR_OTHER,
} as const;

const TYPOLOGY = {
  structuring: LaunderingTypology.LAUNDERING_TYPOLOGY_STRUCTURING,
  rapid_movement_of_funds: LaunderingTypology.LAUNDERING_TYPOLOGY_RAPID_MOVEMENT_OF_FUNDS,
  trade_based_laundering: LaunderingTypology.LAUNDERING_TYPOLOGY_TRADE_BASED_LAUNDERING,
  cash_intensive_business: LaunderingTypology.LAUNDERING_TYPOLOGY_CASH_INTENSIVE_BUSINESS,
  money_mule_accounts: LaunderingTypology.LAUNDERING_TYPOLOGY_MONEY_MULE_ACCOUNTS,
  virtual_asset_conversion: LaunderingTypology.LAUNDERING_TYPOLOGY_VIRTUAL_ASSET_CONVERSION,
  scam_proceeds: LaunderingTypology.LAUNDERING_TYPOLOGY_SCAM_PROCEEDS,
  other: LaunderingTypology.LAUNDERING_TYPOLOGY_OTHER,
} as const;

const BAND = {
  under_10k: ValueBand.VALUE_BAND_UNDER_10K,
  "10k_to_100k": ValueBand.VALUE_BAND_10K_TO_100K,
  "100k_to_1m": ValueBand.VALUE_BAND_100K_TO_1M,
  "1m_to_10m": ValueBand.VALUE_BAND_1M_TO_10M,
  "10m_and_over": ValueBand.VALUE_BAND_10M_AND_OVER,
} as const;

const GIVEN = ["Hēmi", "Aroha", "Wiremu", "Mere", "Tama", "Ngaio", "Jordan", "Sione", "Ana", "Rāwiri", "Wei", "Priya"];
const FAMILY = ["Tāwhiri", "Ngata", "Walker", "Fa'asavalu", "Pōmare", "Smith", "Kereama", "Chen", "Brown", "Te Rangi", "Singh"];
const COMPANIES = ["Kōwhai Contracting Ltd", "Harbourside Imports Ltd", "Tui Labour Hire Ltd", "Southern Cross Traders Ltd", "Mānuka Property Holdings Ltd", "Pacific Remit Services Ltd"];

const two = (n: number) => String(n).padStart(2, "0");

export const fiuSuspiciousActivity: RecordKind<PoliceFiuSuspiciousActivityRecord> = {
  recordType: "fiu_suspicious_activity",
  eventType: "police.fiu_suspicious_activity",
  httpPath: "/v1/fiu-suspicious-activity",
  summary: "Submit a Financial Intelligence Unit summary of suspicious activity reports (sector, typologies, number of reports, value band, period, subjects)",
  schema: fiuSuspiciousActivitySchema,
  nativeId: (r) => r.summary_id,
  map: (r, publishedAt) =>
    envelope({
      agency: "POLICE",
      eventType: "police.fiu_suspicious_activity",
      nativeId: r.summary_id,
      occurredAt: r.issued_at,
      publishedAt,
      district: r.district,
      defaults: FIU_DEFAULTS,
      classification: r.classification,
      caveats: r.caveats,
      releasableTo: r.releasable_to,
      releasableToCountries: r.releasable_to_countries,
      grading: r.grading,
      legalBasis: r.legal_basis,
      operationRef: r.operation,
      subjects: mapSubjects("POLICE", r),
      payload: {
        $case: "policeFiuSuspiciousActivity",
        value: {
          reportingSector: SECTOR[r.reporting_sector],
          typologies: r.typologies.map((t) => TYPOLOGY[t]),
          reportsSummarised: r.reports_summarised,
          totalValueBand: BAND[r.total_value_band],
          periodStart: r.period_start,
          periodEnd: r.period_end,
        },
      },
    }),
  example: {
    summary_id: "FIU-SAR-2026-0417",
    issued_at: "2026-10-12T10:30:00+13:00",
    district: "Counties Manukau",
    reporting_sector: "money_service",
    typologies: ["structuring", "trade_based_laundering"],
    reports_summarised: 14,
    total_value_band: "100k_to_1m",
    period_start: "2026-07-01",
    period_end: "2026-09-30",
    grading: { source: "B", information: 2 },
    persons: [{ person_id: "P-77120", name: "Jordan Walker", dob: "1983-03-19", role: "person_of_interest" }],
    organisations: [{ org_id: "O-5521", name: "Harbourside Imports Ltd", type: "company", registration_number: "7788123" }],
  },
  synthesize: (rng, index) => {
    const d = pick(rng, DISTRICT_NAMES, [4, 6, 8, 9, 6, 5, 4, 4, 7, 3, 6, 4]);
    const sector = pick(rng, REPORTING_SECTORS, [40, 20, 6, 8, 5, 5, 4, 7, 5]);
    const typologies = Array.from({ length: pick(rng, [1, 2, 3], [6, 3, 1]) }, () => pick(rng, TYPOLOGIES, [20, 18, 8, 14, 16, 8, 12, 4])).filter(
      (t, i, all) => all.indexOf(t) === i,
    );
    const reports = rng() < 0.8 ? between(rng, 1, 6) : between(rng, 7, 60);
    const month = between(rng, 2, 11);
    const persons = Array.from({ length: between(rng, 0, 2) }, (_v, i) => ({
      person_id: `P-FIU-${index}-${i}`,
      name: `${pick(rng, GIVEN)} ${pick(rng, FAMILY)}`,
      role: pick(rng, ["person_of_interest", "associate"] as const, [3, 1]),
    }));
    return {
      summary_id: `FIU-SYN-${index}`,
      // Issued the month after the period: February to November 2026 (SYNTHETIC_UNTIL).
      issued_at: nzTime(2026, month, between(rng, 1, 28), between(rng, 8, 17), between(rng, 0, 59)),
      district: d,
      reporting_sector: sector,
      typologies,
      reports_summarised: reports,
      total_value_band: pick(rng, VALUE_BANDS, reports > 6 ? [1, 3, 4, 3, 1] : [4, 5, 2, 1, 0]),
      period_start: `2026-${two(month - 1)}-01`,
      period_end: `2026-${two(month - 1)}-28`,
      grading: { source: pick(rng, ["A", "B", "C"] as const, [2, 6, 2]), information: pick(rng, [1, 2, 3] as const, [2, 5, 3]) },
      persons,
      organisations: rng() < 0.5 ? [{ org_id: `O-FIU-${index}`, name: pick(rng, COMPANIES), type: "company" as const }] : [],
    };
  },
};
