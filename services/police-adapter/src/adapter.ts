import type { AgencyAdapter } from "@takitini/adapter-kit";
import { organisedCrimeNoting } from "./kinds/organised-crime-noting.js";

/** NZ Police: the records its systems submit, and where their events go. */
export const policeAdapter: AgencyAdapter = {
  agency: "POLICE",
  service: "police-adapter",
  topic: "takitini.intel.police.v1",
  httpPort: 8081,
  grpcPort: 9081,
  kinds: [organisedCrimeNoting],
};
