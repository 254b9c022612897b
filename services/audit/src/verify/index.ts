export { verifyConsistencyClaim, verifyInclusionClaim, type ClaimResult, type ConsistencyClaim, type InclusionClaim } from "./claims.js";
export { claimedIndex, parseEntry, type ParsedEntry } from "./entry.js";
export { checkHeadSignature, headMessage, trustKeys, type HeadRecord, type HeadSignatureVerdict, type TrustedKeys } from "./head.js";
export { fromHex } from "./hex.js";
export { checkLedger, LedgerChecker, MAX_NODE_PROBLEMS, type KnownHead, type LedgerReport, type NodeRange, type Problem, type StoredLeafRow, type StoredNodeRow, type TamperKind } from "./ledger.js";
export { verifyConsistency, verifyInclusion, type VerifyFailure, type VerifyResult } from "./proofs.js";
export { checkStore, readHeads, readLeaves, readNodes, readNodesBeyond, readStoredKeys, type CheckStoreOptions, type Queryable } from "./store.js";
