import { informationKinds, regionalAssessmentKind, type AgencyAdapter } from "@takitini/adapter-kit";
import { POLICE_DEFAULTS } from "./defaults.js";
import { assetRestraint } from "./kinds/asset-restraint.js";
import { fiuSuspiciousActivity } from "./kinds/fiu-suspicious-activity.js";
import { firearmsSeizure } from "./kinds/firearms-seizure.js";
import { operationUpdate } from "./kinds/operation-update.js";
import { organisedCrimeNoting } from "./kinds/organised-crime-noting.js";
import { scamReport } from "./kinds/scam-report.js";
import { supportAdvanceNotice } from "./kinds/support-advance-notice.js";
import { wastewaterIndicator } from "./kinds/wastewater-indicator.js";

/** NZ Police: the records its systems submit, and where their events go. */
export const policeAdapter: AgencyAdapter = {
  agency: "POLICE",
  service: "police-adapter",
  topic: "takitini.intel.police.v1",
  httpPort: 8081,
  grpcPort: 9081,
  defaults: POLICE_DEFAULTS,
  kinds: [
    organisedCrimeNoting,
    operationUpdate,
    firearmsSeizure,
    wastewaterIndicator,
    regionalAssessmentKind("POLICE", POLICE_DEFAULTS),
    fiuSuspiciousActivity,
    assetRestraint,
    scamReport,
    supportAdvanceNotice,
    // Requests for information and their answers (the kit's shared kinds).
    ...informationKinds("POLICE"),
  ],
};
