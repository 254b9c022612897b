import { SupportService } from "@takitini/proto";

/** Support services as MSD names them, and their proto enum values. */
export const SUPPORT_SERVICES = ["addiction_treatment", "whanau_navigation", "rangatahi_mentoring", "reintegration", "harm_reduction"] as const;

export type SupportServiceName = (typeof SUPPORT_SERVICES)[number];

export const SUPPORT_SERVICE = {
  addiction_treatment: SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT,
  whanau_navigation: SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION,
  rangatahi_mentoring: SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING,
  reintegration: SupportService.SUPPORT_SERVICE_REINTEGRATION,
  harm_reduction: SupportService.SUPPORT_SERVICE_HARM_REDUCTION,
} as const satisfies Record<SupportServiceName, SupportService>;
