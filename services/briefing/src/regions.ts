import { displayName, loadRegions } from "@takitini/policies";
import { PoliceDistrict } from "@takitini/proto";

/**
 * The 12 Police districts as briefings name them: a URL slug, the district's
 * name (with its macrons), and the code the mesh uses — read from the one regions
 * file, policies/data/regions.json.
 */
export interface Region {
  /** URL slug, e.g. "bay-of-plenty". */
  slug: string;
  /** Registry / policy code, e.g. "BAY_OF_PLENTY". */
  code: string;
  /** Protobuf enum value, e.g. POLICE_DISTRICT_BAY_OF_PLENTY. */
  district: PoliceDistrict;
  name: string;
}

/** The twelve districts from policies/data/regions.json, in its order; names with the te reo Māori name where it differs. */
export const REGIONS: readonly Region[] = loadRegions().regions.map((r) => ({
  slug: r.slug,
  code: r.code,
  district: `POLICE_DISTRICT_${r.code}` as PoliceDistrict,
  name: displayName(r),
}));

export const REGION_SLUGS: readonly string[] = REGIONS.map((r) => r.slug);

export function regionBySlug(slug: string): Region | undefined {
  return REGIONS.find((r) => r.slug === slug);
}

export function regionByDistrict(district: PoliceDistrict | string): Region | undefined {
  return REGIONS.find((r) => r.district === district || r.code === district);
}

/** The regions a subscriber's registry scope covers ("*" is all twelve). */
export function regionsInScope(scope: readonly string[]): Region[] {
  if (scope.includes("*")) return [...REGIONS];
  return REGIONS.filter((r) => scope.includes(r.code));
}
