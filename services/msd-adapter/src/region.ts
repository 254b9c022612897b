import { DISTRICT_ALIASES, type DistrictName } from "@takitini/adapter-kit";
import { z } from "zod";

/**
 * Where an MSD record is about. MSD writes either a Police district or a region of
 * the Resilience to Organised Crime in Communities (ROCC) programme; the envelope
 * carries the Police district either way.
 */

/** ROCC regions and the Police district each lies in. */
export const ROCC_REGIONS = {
  Eastern: "Eastern",
  Northland: "Northland",
  "Counties Manukau": "Counties Manukau",
  "Bay of Plenty": "Bay of Plenty",
  Porirua: "Wellington",
  "West Coast": "Tasman",
  Southland: "Southern",
} as const satisfies Record<string, DistrictName>;

export type RoccRegion = keyof typeof ROCC_REGIONS;
export type RegionName = RoccRegion | DistrictName;

export const ROCC_REGION_NAMES = Object.keys(ROCC_REGIONS) as RoccRegion[];

export const region = z.string().refine((s): s is RegionName => Object.hasOwn(ROCC_REGIONS, s) || Object.hasOwn(DISTRICT_ALIASES, s), {
  message: `unknown region; expected a ROCC region (${ROCC_REGION_NAMES.join(", ")}) or a Police district (${Object.keys(DISTRICT_ALIASES).join(", ")})`,
});

/** The Police district a region lies in: "Porirua" → "Wellington"; a district is itself. */
export function districtOf(name: string): DistrictName {
  return Object.hasOwn(ROCC_REGIONS, name) ? ROCC_REGIONS[name as RoccRegion] : (name as DistrictName);
}
