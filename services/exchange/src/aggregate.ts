import { loadRegions, type RegionsFile } from "@takitini/policies";
import { AggregateView, type AggregateMeasure, type IntelligenceEvent } from "@takitini/proto";
import { isoWeekOf } from "@takitini/runtime";
import { disclosableSite, loadSiteRegistry, type SiteRegistry } from "./sites.js";

/** Enum code without its type prefix, lower case: COMMODITY_METHAMPHETAMINE → methamphetamine. */
const code = (value: string, prefix: string) => (value.startsWith(prefix) ? value.slice(prefix.length) : value).toLowerCase();

const m = (measure: string, category: string, value: number): AggregateMeasure => ({ measure, category, value });

/**
 * What each event type contributes to community tables. Only codes and
 * quantities: never a subject, name, reference, free text, provider or
 * programme name. A wastewater site and a record's locality are only
 * candidates: aggregateView names a site only as the site registry allows
 * (sites.ts) and a locality only as the locality table does (disclosableLocality).
 * An event type without an entry has no aggregate view, so the policy allowing
 * it only in aggregate delivers nothing.
 */
function measures(event: IntelligenceEvent): { week?: string; site?: string; locality?: string; measures: AggregateMeasure[] } | null {
  const p = event.payload;
  switch (p?.$case) {
    case "customsBorderSeizure": {
      const commodity = code(p.value.commodity, "COMMODITY_");
      return { measures: [m("seizures", commodity, 1), m("grams", commodity, Math.max(0, p.value.weightGrams))] };
    }
    case "policeFirearmsSeizure":
      return { locality: p.value.locality, measures: [m("seizures", "firearms", 1), m("firearms", "", Math.max(0, p.value.firearmsCount))] };
    case "policeWastewaterIndicator":
      return {
        week: p.value.sampleWeek,
        site: p.value.site,
        measures: [m("estimated_weekly_grams", code(p.value.drug, "COMMODITY_"), Math.max(0, p.value.estimatedWeeklyGrams))],
      };
    case "mbieExploitationComplaint": {
      const industry = code(p.value.industry, "INDUSTRY_");
      return { locality: p.value.locality, measures: [m("complaints", industry, 1), m("workers", industry, Math.max(0, p.value.workersAffected))] };
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

/**
 * The localities a community view may name, per district: district code →
 * comparison key → the locality table's own spelling (policies/data/regions.json).
 */
export type LocalityTable = ReadonlyMap<string, ReadonlyMap<string, string>>;

const COMBINING_MACRON = /\u0304/gu;

/**
 * How a record's locality is compared with the table: NFC, trimmed, runs of
 * white space as one space, case-folded and macron-insensitive ("O\u0304po\u0304tiki",
 * " OPOTIKI " and "Ōpōtiki" are one key). Pure.
 */
export function localityKey(name: string): string {
  return name.normalize("NFD").replace(COMBINING_MACRON, "").normalize("NFC").trim().replace(/\s+/gu, " ").toLocaleLowerCase("en-NZ");
}

const macrons = (name: string) => (name.normalize("NFD").match(COMBINING_MACRON) ?? []).length;

/**
 * The locality table of a regions file. Where a district lists one place under
 * two spellings that differ only in macrons ("Kaitaia" and "Kaitāia"), their
 * one key gives the spelling with macrons, so one place is always one name (and
 * one row of a briefing). Pure.
 */
export function localityTable(file: Pick<RegionsFile, "regions">): LocalityTable {
  const table = new Map<string, Map<string, string>>();
  for (const r of file.regions) {
    const names = new Map<string, string>();
    for (const raw of r.localities) {
      const name = raw.normalize("NFC").trim();
      const key = localityKey(name);
      const held = names.get(key);
      if (held === undefined || macrons(name) > macrons(held)) names.set(key, name);
    }
    table.set(r.code, names);
  }
  return table;
}

/**
 * The locality a community view may carry for a record naming `locality` in
 * district `district` (POLICE_DISTRICT_… or its code): the table's spelling of a
 * locality registered for that district whose key is the record's, else "". No
 * text the agency typed passes: only a name the table holds. Pure.
 */
export function disclosableLocality(table: LocalityTable, locality: string, district: string): string {
  const code = district.startsWith("POLICE_DISTRICT_") ? district.slice("POLICE_DISTRICT_".length) : district;
  return table.get(code)?.get(localityKey(locality)) ?? "";
}

/** The shipped site registry, loaded on first use. */
let shippedSites: SiteRegistry | undefined;
/** The shipped locality table (policies/data/regions.json), loaded on first use. */
let shippedLocalities: LocalityTable | undefined;

/**
 * The aggregate-only view of an event for one delivery, or null when the event
 * type has none. Built field by field from codes and numbers, never by copying
 * and removing, so nothing new in the event can leak into it; a wastewater site
 * only by the registry's name and rule (sites.ts), a locality only by the
 * locality table's name for the event's district (disclosableLocality). A
 * partner's view names its decision; a community tier's names only a random
 * delivery id (the decision id derives from the event id). Pure, given the
 * registry and the table.
 */
export function aggregateView(
  event: IntelligenceEvent,
  ids: { decisionId: string; deliveryId: string },
  sites: SiteRegistry = (shippedSites ??= loadSiteRegistry()),
  localities: LocalityTable = (shippedLocalities ??= localityTable(loadRegions())),
): AggregateView | null {
  const found = measures(event);
  if (!found) return null;
  const site = found.site ? disclosableSite(sites, found.site, event.region) : "";
  const locality = found.locality ? disclosableLocality(localities, found.locality, event.region) : "";
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
    locality,
  });
}
