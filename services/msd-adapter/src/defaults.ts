import type { AgencyDefaults } from "@takitini/adapter-kit";

/**
 * MSD's markings when a record carries none of its own. MSD publishes counts only
 * — no individual is identified and no record carries subjects — so the basis is
 * the Privacy Act's exception for information used in a form that does not
 * identify anyone, in support of MSD's functions under the Social Security Act 2018.
 */
export const MSD_DEFAULTS: AgencyDefaults = {
  classification: "IN-CONFIDENCE",
  caveats: [],
  legalBasis: {
    instrument: "Privacy Act 2020",
    provision: "IPP 11(h)(i)",
    description: "de-identified counts from MSD's functions under the Social Security Act 2018; no individual is identified",
  },
};
