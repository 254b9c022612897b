import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * Wastewater treatment sites a community tier may see by name. A site is a
 * place, not a person: a week's estimated consumption over a catchment of
 * thousands describes a town. Over a few hundred people it would describe a few
 * households, so a site passes into an aggregate view only when
 *   1. it is in the registry (data/wastewater-sites.json) by its exact name (NFC),
 *   2. in the district the event is about, and
 *   3. the registry's catchment is at least WASTEWATER_SITE_MIN_POPULATION.
 * The registry's figure decides, never the record's own `population_served`, and the
 * name delivered is the registry's: no text an agency typed reaches a community.
 * Pure, apart from loading the registry file.
 */

/** The smallest catchment whose site is named to a community tier (people served). */
export const WASTEWATER_SITE_MIN_POPULATION = 3000;

export const DEFAULT_SITES_FILE = new URL("../data/wastewater-sites.json", import.meta.url);

const registrySchema = z.object({
  sites: z
    .array(
      z.object({
        site: z.string().min(1).max(100),
        district: z.string().regex(/^[A-Z_]+$/),
        catchment_population: z.number().int().positive(),
      }),
    )
    .min(1),
});

export interface Site {
  site: string;
  /** Police district code, e.g. BAY_OF_PLENTY. */
  district: string;
  catchmentPopulation: number;
}

export type SiteRegistry = ReadonlyMap<string, Site>;

/** Parse a registry document; throws naming the field on bad data or a name registered twice. */
export function parseSiteRegistry(doc: unknown): SiteRegistry {
  const parsed = registrySchema.parse(doc);
  const out = new Map<string, Site>();
  for (const [i, s] of parsed.sites.entries()) {
    const name = s.site.normalize("NFC");
    if (out.has(name)) throw new Error(`sites[${i}].site: ${name} is registered twice`);
    out.set(name, { site: name, district: s.district, catchmentPopulation: s.catchment_population });
  }
  return out;
}

export function loadSiteRegistry(file: URL | string = DEFAULT_SITES_FILE): SiteRegistry {
  return parseSiteRegistry(JSON.parse(readFileSync(file, "utf8")));
}

/**
 * The site name a community view may carry for a wastewater record from
 * `site` in district `district` (POLICE_DISTRICT_… or its code), or "" when it may not.
 */
export function disclosableSite(registry: SiteRegistry, site: string, district: string, minPopulation = WASTEWATER_SITE_MIN_POPULATION): string {
  const found = registry.get(site.normalize("NFC").trim());
  if (!found) return "";
  const code = district.startsWith("POLICE_DISTRICT_") ? district.slice("POLICE_DISTRICT_".length) : district;
  if (found.district !== code) return "";
  return found.catchmentPopulation >= minPopulation ? found.site : "";
}
