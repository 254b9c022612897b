/**
 * The linkage core: pure functions and one in-memory index, no I/O. The
 * service's Kafka shell (../service) and the benchmark use it through here.
 *
 * What crosses this boundary: tokens (opaque keyed bytes, for the index topic),
 * links (record and subject ids, rule, confidence) and issues (field paths and
 * codes). Normalised identifiers are exported for tests and validation, but no
 * function returns one together with its token.
 */
export { ISSUE_CODES, type IssueCode, type NormaliseIssue } from "./issues.js";
export {
  EARLIEST_DATE_OF_BIRTH,
  isCalendarDate,
  nameTokens,
  normaliseCountry,
  normaliseDateOfBirth,
  normaliseDocument,
  normaliseName,
  normalisePhone,
  normalisePlate,
  normaliseRegistration,
  normaliseSubjects,
  type Normalised,
  type NormalisedDocument,
  type NormalisedName,
  type NormalisedRegistration,
  type NormalisedSubject,
  type RegistrationKind,
  type SubjectKind,
} from "./normalise.js";
export { MATCH_KEY_MIN_BYTES, MatchKey, TOKEN_BYTES, linkIdFor, matchToken, type LinkEnd } from "./tokens.js";
export { RULES, confidenceOf, strengthOf, strongerRule, type RuleDefinition } from "./rules.js";
export { nzDay, recordDay, tokeniseRecord, type RecordTokens, type SubjectMatchToken, type SubjectTokens } from "./record.js";
export { LinkIndex, type Link, type LinkIndexOptions, type LinkIndexStats, type LinkedRecordRef } from "./link-index.js";
export {
  AGENCY_EVENT_TYPES,
  generatePopulation,
  pairKey,
  syntheticPopulation,
  type NearMiss,
  type NearMissKind,
  type PopulationChunk,
  type SyntheticOptions,
  type TrueLink,
} from "./synthetic.js";
