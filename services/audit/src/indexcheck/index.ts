export { canonicalJson, checkIndex, differingColumns, MAX_INDEX_PROBLEMS, type IndexProblem, type IndexReport, type IndexTable, type IndexTamperKind, type LeafEntryRow, type StoredRecordRow, type StoredSubjectRow } from "./check.js";
export { byteOrder, checkKeys, MAX_KEY_PROBLEMS, type KeyCheckOptions, type KeyProblem, type KeyReport, type KeyTamperKind, type NamedRefRow, type PurgedRefRow, type StoredKeyRow } from "./keys.js";
export { describeIndexProblem, indexSummary, keySummary, withIndex, type KeyCheck, type KeysSkipped } from "./report.js";
export { checkStoredIndex, checkStoredKeys, hasIndex, INDEX_TABLES, keyAccess, type KeyAccess, type Queryable } from "./store.js";
