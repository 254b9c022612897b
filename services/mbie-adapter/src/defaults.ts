import type { AgencyDefaults } from "@takitini/adapter-kit";

/**
 * MBIE's markings when a record carries none of its own. Complaints name
 * exploited workers, so MBIE keeps originator control over any onward sharing.
 */
export const MBIE_DEFAULTS: AgencyDefaults = {
  classification: "IN-CONFIDENCE",
  caveats: ["ORIGINATOR CONTROL"],
  legalBasis: {
    instrument: "Privacy Act 2020",
    provision: "IPP 11(1)(e)(i)",
    description:
      "disclosure necessary to avoid prejudice to the maintenance of the law: migrant-exploitation offences under the Immigration Act 2009 and breaches of minimum employment standards",
  },
};

/**
 * Trafficking indicators go further: the mandate is shared with Police, the
 * people in them are victims, so they default to SENSITIVE and law-enforcement
 * only, still under MBIE's originator control.
 */
export const MBIE_TRAFFICKING_DEFAULTS: AgencyDefaults = {
  classification: "SENSITIVE",
  caveats: ["ORIGINATOR CONTROL", "LAW ENFORCEMENT ONLY"],
  legalBasis: {
    instrument: "Privacy Act 2020",
    provision: "IPP 11(1)(e)(i)",
    description:
      "disclosure necessary to avoid prejudice to the maintenance of the law: trafficking in persons (Crimes Act 1961 s 98D) and offences under the Immigration Act 2009, a mandate shared with Police",
  },
};
