/**
 * @takitini/policies: the sharing policy (Rego compiled to wasm) evaluated
 * in-process, with the subscriber registry it decides over.
 */
export {
  AGENCIES,
  CAVEATS,
  CLASSIFICATIONS,
  ENTRYPOINT,
  POLICY_OUTPUT_INVALID,
  REDACTION_CATEGORIES_ENTRYPOINT,
  VIEWS,
  interpretResult,
  type Agency,
  type Caveat,
  type Classification,
  type Decision,
  type DecisionInput,
  type SubjectShape,
  type View,
} from "./contract.js";
export { DISTRICTS, TIERS, parseRegistry, type Agreement, type Subscriber, type SubscriberRecord, type Tier } from "./registry.js";
export {
  DEFAULT_DATA_DIR,
  DEFAULT_MEMO_ENTRIES,
  DEFAULT_WASM_PATH,
  SUBSCRIBERS_FILE,
  loadSharingPolicy,
  memoKey,
  policyRevision,
  type LoadOptions,
  type MemoStats,
  type SharingPolicy,
} from "./policy.js";
export {
  DEFAULT_REGIONS_PATH,
  REGIONS_FILE,
  communityDeliveryTopic,
  communitySubscriberId,
  communitySubscribers,
  communityTopicDeclarations,
  displayName,
  districtOfLocality,
  formatDataJson,
  loadRegions,
  localityMismatches,
  parseRegions,
  placeKey,
  registryWithCommunities,
  slugOf,
  type District,
  type PlacedRecord,
  type RegionRecord,
  type RegionsFile,
} from "./regions.js";
