import type { AgencyDefaults } from "@takitini/adapter-kit";

/** Police's markings when a record carries none of its own. */
export const POLICE_DEFAULTS: AgencyDefaults = {
  classification: "RESTRICTED",
  caveats: ["LAW ENFORCEMENT ONLY"],
  legalBasis: {
    instrument: "Privacy Act 2020",
    provision: "IPP 11(e)(i)",
    description: "disclosure necessary to avoid prejudice to the maintenance of the law",
  },
};
