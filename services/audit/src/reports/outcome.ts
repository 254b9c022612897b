import { OperationPhase, SupportService, type IntelligenceEvent, type OutcomeMeasure } from "@takitini/proto";

/**
 * The outcome summary of an event: what it reports, as codes and quantities
 * only, kept in its publish record (PublishRecord.outcome) so that every figure
 * of the quarterly outcome reports is a sum over ledger leaves. Pure.
 *
 * The rule (also in the README): a measure is a fixed name from the list below,
 * its category an enum code of the contract (a commodity, a support service, an
 * industry, a phase) or empty, its value a count, an amount or a quantity read
 * from a numeric field. Never a subject id, name, reference, locality, site,
 * provider, programme, group, code name, free text or date: none of those fields
 * is read. Negative and non-finite quantities count as 0. An event type without
 * an entry (a noting, a consignment alert) contributes nothing but its count.
 *
 *   police.operation_update      operation_updates 1; operations_resolved 1 when
 *                                its phase is resolution, operations_concluded 1
 *                                when concluded; arrests, charges,
 *                                families_affected, children_affected;
 *                                support_notices 1 when it names support needed
 *                                (resolution or concluded); support_needed 1 per
 *                                service named (category: the service)
 *   police.firearms_seizure      firearms_seizures 1, firearms
 *   police.wastewater_indicator  wastewater_samples 1 and wastewater_grams,
 *                                both with the drug as category
 *   customs.border_seizure       border_seizures 1, seized_grams (category: the commodity, both)
 *   mbie.exploitation_complaint  exploitation_complaints 1, workers_affected
 *                                (category: the industry, both)
 *   mbie.trafficking_indicator   trafficking_cases 1, persons_affected
 *   msd.whanau_support_referral  referrals 1, referred_whanau, referred_children
 *                                (category: the service, all three)
 *   msd.community_resilience     funding_cents; people_served, sessions
 *                                (category: the service)
 */
export const OUTCOME_MEASURES = [
  "operation_updates",
  "operations_resolved",
  "operations_concluded",
  "arrests",
  "charges",
  "families_affected",
  "children_affected",
  "support_notices",
  "support_needed",
  "firearms_seizures",
  "firearms",
  "wastewater_samples",
  "wastewater_grams",
  "border_seizures",
  "seized_grams",
  "exploitation_complaints",
  "workers_affected",
  "trafficking_cases",
  "persons_affected",
  "referrals",
  "referred_whanau",
  "referred_children",
  "funding_cents",
  "people_served",
  "sessions",
] as const;
export type OutcomeMeasureName = (typeof OUTCOME_MEASURES)[number];

/** Enum code without its type prefix, lower case: COMMODITY_METHAMPHETAMINE → methamphetamine. */
const code = (value: string, prefix: string) => (value.startsWith(prefix) ? value.slice(prefix.length) : value).toLowerCase();
const qty = (n: number | string) => {
  const v = Number(n);
  return Number.isFinite(v) && v > 0 ? v : 0;
};
const m = (measure: OutcomeMeasureName, value: number | string, category = ""): OutcomeMeasure => ({ measure, category, value: qty(value) });

export function outcomeOf(event: IntelligenceEvent): OutcomeMeasure[] {
  const p = event.payload;
  switch (p?.$case) {
    case "policeOperationUpdate": {
      const v = p.value;
      const resolved = v.phase === OperationPhase.OPERATION_PHASE_RESOLUTION;
      const concluded = v.phase === OperationPhase.OPERATION_PHASE_CONCLUDED;
      const services = [...new Set(v.supportNeeded.filter((s) => s !== SupportService.SUPPORT_SERVICE_UNSPECIFIED))];
      return [
        m("operation_updates", 1),
        ...(resolved ? [m("operations_resolved", 1)] : []),
        ...(concluded ? [m("operations_concluded", 1)] : []),
        m("arrests", v.arrests),
        m("charges", v.charges),
        m("families_affected", v.familiesAffected),
        m("children_affected", v.childrenAffected),
        ...((resolved || concluded) && services.length > 0 ? [m("support_notices", 1)] : []),
        ...services.map((s) => m("support_needed", 1, code(s, "SUPPORT_SERVICE_"))),
      ];
    }
    case "policeFirearmsSeizure":
      return [m("firearms_seizures", 1), m("firearms", p.value.firearmsCount)];
    case "policeWastewaterIndicator": {
      const drug = code(p.value.drug, "COMMODITY_");
      return [m("wastewater_samples", 1, drug), m("wastewater_grams", p.value.estimatedWeeklyGrams, drug)];
    }
    case "customsBorderSeizure": {
      const commodity = code(p.value.commodity, "COMMODITY_");
      return [m("border_seizures", 1, commodity), m("seized_grams", p.value.weightGrams, commodity)];
    }
    case "mbieExploitationComplaint": {
      const industry = code(p.value.industry, "INDUSTRY_");
      return [m("exploitation_complaints", 1, industry), m("workers_affected", p.value.workersAffected, industry)];
    }
    case "mbieTraffickingIndicator":
      return [m("trafficking_cases", 1), m("persons_affected", p.value.personsAffected)];
    case "msdWhanauSupportReferral": {
      const service = code(p.value.service, "SUPPORT_SERVICE_");
      return [m("referrals", 1, service), m("referred_whanau", p.value.whanauCount, service), m("referred_children", p.value.childrenCount, service)];
    }
    case "msdCommunityResilienceReport":
      return [
        m("funding_cents", p.value.fundingCents),
        ...p.value.services.flatMap((s) => {
          const service = code(s.service, "SUPPORT_SERVICE_");
          return [m("people_served", s.peopleServed, service), m("sessions", s.sessions, service)];
        }),
      ];
    default:
      return [];
  }
}
