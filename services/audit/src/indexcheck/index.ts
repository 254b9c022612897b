export { canonicalJson, checkIndex, differingColumns, MAX_INDEX_PROBLEMS, type IndexProblem, type IndexReport, type IndexTable, type IndexTamperKind, type LeafEntryRow, type StoredRecordRow, type StoredSubjectRow } from "./check.js";
export { checkStoredIndex, hasIndex, INDEX_TABLES } from "./store.js";
export { describeIndexProblem, indexSummary, withIndex } from "./report.js";
