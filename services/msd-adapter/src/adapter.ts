import { informationKinds, type AgencyAdapter } from "@takitini/adapter-kit";
import { MSD_DEFAULTS } from "./defaults.js";
import { communityResilienceReport } from "./kinds/community-resilience-report.js";
import { whanauSupportReferral } from "./kinds/whanau-support-referral.js";

/** MSD: the records its systems submit — counts only — and where their events go. */
export const msdAdapter: AgencyAdapter = {
  agency: "MSD",
  service: "msd-adapter",
  topic: "takitini.intel.msd.v1",
  httpPort: 8086,
  grpcPort: 9086,
  defaults: MSD_DEFAULTS,
  kinds: [whanauSupportReferral, communityResilienceReport, ...informationKinds("MSD")],
};
