import type { AgencyDefaults } from "@takitini/adapter-kit";

/**
 * Customs' markings when a record carries none of its own. Border intelligence
 * goes to law-enforcement partners only. The disclosure rests on the Customs and
 * Excise Act 2018 s 316 (Category 2 information to a government agency for the
 * prevention, detection and investigation of offences); s 317 is disclosure to
 * private-sector organisations and does not fit. Personal information also
 * meets Privacy Act 2020 IPP 11(1)(e)(i).
 */
export const CUSTOMS_DEFAULTS: AgencyDefaults = {
  classification: "IN-CONFIDENCE",
  caveats: ["LAW ENFORCEMENT ONLY"],
  legalBasis: {
    instrument: "Customs and Excise Act 2018",
    provision: "s 316(2)(b)(i)",
    description:
      "disclosure to a government agency for the prevention, detection and investigation of offences, under a written agreement between Ministers; personal information also under Privacy Act 2020 IPP 11(1)(e)(i)",
  },
};
