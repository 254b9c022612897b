export { DEFAULT_RULES, flagAnomalies, type Anomaly, type AnomalyRules, type Series } from "./anomaly.js";
export { OVERSIGHT_ROLES, oversightAccounts, SESSION_COOKIE, type Asker, type OversightAccount, type OversightGate, type OversightRole } from "./credentials.js";
export { anomaliesQuery, decodeCursor, encodeCursor, pageQuery, recordsQuery, statsQuery, type RecordsQuery } from "./query.js";
export { believedRevision, fromAccess, fromDecision, fromOversightQuery, fromPolicyRevision, fromPublish, KINDS, publishedRevisionOf, publishRecord, revisionsOf, type Appendable, type IndexRow, type Kind } from "./records.js";
export { anomalySeries, disclosureStats, recordById, recordVersions, searchRecords, whoHasSeen, whoHasSeenAcross, writeIndex, type Disclosure, type RecordDetail, type RecordSummary } from "./store.js";
export { MAX_LINKED_DISCLOSURES, MAX_LINKS, type LinkFound, type LinkedRecordRef, type SubjectLink } from "./links.js";
export { MAX_VERSION_DECISIONS, MAX_VERSIONS, type RecordVersions, type Version, type VersionDecision } from "./versions.js";
