import { informationKinds, type AgencyAdapter } from "@takitini/adapter-kit";
import { MBIE_DEFAULTS } from "./defaults.js";
import { exploitationComplaint } from "./kinds/exploitation-complaint.js";
import { traffickingIndicator } from "./kinds/trafficking-indicator.js";

/** MBIE (Labour Inspectorate, Immigration New Zealand): the records its systems submit, and where their events go. */
export const mbieAdapter: AgencyAdapter = {
  agency: "MBIE",
  service: "mbie-adapter",
  topic: "takitini.intel.mbie.v1",
  httpPort: 8085,
  grpcPort: 9085,
  defaults: MBIE_DEFAULTS,
  kinds: [exploitationComplaint, traffickingIndicator, ...informationKinds("MBIE")],
};
