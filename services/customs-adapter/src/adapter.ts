import { informationKinds, type AgencyAdapter } from "@takitini/adapter-kit";
import { CUSTOMS_DEFAULTS } from "./defaults.js";
import { borderSeizure } from "./kinds/border-seizure.js";
import { suspiciousConsignment } from "./kinds/suspicious-consignment.js";

/** NZ Customs Service: the records its systems submit, and where their events go. */
export const customsAdapter: AgencyAdapter = {
  agency: "CUSTOMS",
  service: "customs-adapter",
  topic: "takitini.intel.customs.v1",
  httpPort: 8084,
  grpcPort: 9084,
  defaults: CUSTOMS_DEFAULTS,
  kinds: [borderSeizure, suspiciousConsignment, ...informationKinds("CUSTOMS")],
};
