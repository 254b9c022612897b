import { Industry } from "@takitini/proto";
import { z } from "zod";

/** Industries MBIE reports against; the first four are the ones most at risk of migrant exploitation. */
export const INDUSTRY = {
  horticulture: Industry.INDUSTRY_HORTICULTURE,
  construction: Industry.INDUSTRY_CONSTRUCTION,
  hospitality: Industry.INDUSTRY_HOSPITALITY,
  beauty_services: Industry.INDUSTRY_BEAUTY_SERVICES,
  agriculture: Industry.INDUSTRY_AGRICULTURE,
  cleaning: Industry.INDUSTRY_CLEANING,
  retail: Industry.INDUSTRY_RETAIL,
  other: Industry.INDUSTRY_OTHER,
} as const;

export type IndustryName = keyof typeof INDUSTRY;

export const INDUSTRY_NAMES = Object.keys(INDUSTRY) as [IndustryName, ...IndustryName[]];

export const industry = z.enum(INDUSTRY_NAMES);
