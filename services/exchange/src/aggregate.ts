import { AggregateView, type AggregateMeasure, type IntelligenceEvent } from "@takitini/proto";
import { isoWeekOf } from "@takitini/runtime";
import { disclosableSite, loadSiteRegistry, type SiteRegistry } from "./sites.js";

/** Enum code without its type prefix, lower case: COMMODITY_METHAMPHETAMINE → methamphetamine. */
const code = (value: string, prefix: string) => (value.startsWith(prefix) ? value.slice(prefix.length) : value).toLowerCase();

const m = (measure: string, category: string, value: number): AggregateMeasure => ({ measure, category, value });

/**
 * What each event type contributes to community tables. Only codes and
 * quantities: never a subject, name, reference, free text, locality, provider
 * or programme name. A wastewater site is only a candidate: aggregateView names
 * it only as the site registry allows (sites.ts). An event type without an entry has no aggregate
 * view, so the policy allowing it only in aggregate delivers nothing.
 */
function measures(event: IntelligenceEvent): { week?: string; site?: string; measures: AggregateMeasure[] } | null {
  const p = event.payload;
  switch (p?.$case) {
    case "customsBorderSeizure": {
      const commodity = code(p.value.commodity, "COMMODITY_");
      return { measures: [m("seizures", commodity, 1), m("grams", commodity, Math.max(0, p.value.weightGrams))] };
    }
    case "policeFirearmsSeizure":
      return { measures: [m("seizures", "firearms", 1), m("firearms", "", Math.max(0, p.value.firearmsCount))] };
    case "policeWastewaterIndicator":
      return {
        week: p.value.sampleWeek,
        site: p.value.site,
        measures: [m("estimated_weekly_grams", code(p.value.drug, "COMMODITY_"), Math.max(0, p.value.estimatedWeeklyGrams))],
      };
    case "mbieExploitationComplaint": {
      const industry = code(p.value.industry, "INDUSTRY_");
      return { measures: [m("complaints", industry, 1), m("workers", industry, Math.max(0, p.value.workersAffected))] };
    }
    case "msdWhanauSupportReferral": {
      const service = code(p.value.service, "SUPPORT_SERVICE_");
      return {
        week: p.value.referralWeek,
        measures: [m("referrals", service, 1), m("whanau", service, Math.max(0, p.value.whanauCount)), m("children", service, Math.max(0, p.value.childrenCount))],
      };
    }
    case "msdCommunityResilienceReport":
      return {
        measures: [
          m("funding_cents", "", Math.max(0, Number(p.value.fundingCents))),
          ...p.value.services.flatMap((s) => {
            const service = code(s.service, "SUPPORT_SERVICE_");
            return [m("people_served", service, Math.max(0, s.peopleServed)), m("sessions", service, Math.max(0, s.sessions))];
          }),
        ],
      };
    default:
      return null;
  }
}

/** Whether an event type has an aggregate view at all. */
export function hasAggregateView(event: IntelligenceEvent): boolean {
  return measures(event) !== null;
}

/** The shipped site registry, loaded on first use. */
let shippedSites: SiteRegistry | undefined;

/**
 * The aggregate-only view of an event for one delivery, or null when the event
 * type has none. Built field by field from codes and numbers, never by copying
 * and removing, so nothing new in the event can leak into it; a wastewater site
 * only by the registry's name and rule (sites.ts). A partner's view names its
 * decision; a community tier's names only a random delivery id (the decision id
 * derives from the event id). Pure, given the registry.
 */
export function aggregateView(event: IntelligenceEvent, ids: { decisionId: string; deliveryId: string }, sites: SiteRegistry = (shippedSites ??= loadSiteRegistry())): AggregateView | null {
  const found = measures(event);
  if (!found) return null;
  const site = found.site ? disclosableSite(sites, found.site, event.region) : "";
  const when = event.occurredAt ?? event.publishedAt;
  const week = found.week ?? (when ? isoWeekOf(when) : "");
  return AggregateView.fromPartial({
    decisionId: ids.decisionId,
    deliveryId: ids.deliveryId,
    eventType: event.eventType,
    sourceAgency: event.sourceAgency,
    region: event.region,
    week,
    measures: found.measures,
    site,
  });
}
