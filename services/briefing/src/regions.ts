import { PoliceDistrict } from "@takitini/proto";

/**
 * The 12 Police districts as briefings name them: a URL slug, the district's
 * name (with its macrons), and the code the mesh uses. Pure data.
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

const region = (code: string, name: string): Region => ({
  slug: code.toLowerCase().replaceAll("_", "-"),
  code,
  district: `POLICE_DISTRICT_${code}` as PoliceDistrict,
  name,
});

export const REGIONS: readonly Region[] = [
  region("NORTHLAND", "Northland (Te Tai Tokerau)"),
  region("WAITEMATA", "Waitematā"),
  region("AUCKLAND_CITY", "Auckland City (Tāmaki Makaurau)"),
  region("COUNTIES_MANUKAU", "Counties Manukau"),
  region("WAIKATO", "Waikato"),
  region("BAY_OF_PLENTY", "Bay of Plenty"),
  region("EASTERN", "Eastern"),
  region("CENTRAL", "Central"),
  region("WELLINGTON", "Wellington"),
  region("TASMAN", "Tasman"),
  region("CANTERBURY", "Canterbury"),
  region("SOUTHERN", "Southern"),
];

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
