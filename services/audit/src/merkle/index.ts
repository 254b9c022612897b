export { emptyRoot, HASH_SIZE, leafHash, nodeHash } from "./hash.js";
export { consistencySpans, inclusionSpans, nodeSpan, perfectNodes, splitPoint, TreeRangeError, type NodeId, type Span } from "./range.js";
export { CompactTree, foldRight, type StoredNode } from "./tree.js";
export { consistencyProof, inclusionProof, MemoryHashSource, MissingNodeError, rootAt, spanHashes, type HashSource } from "./proof.js";
export { decodeEntry, encodeEntry, ENTRY_VERSION, EntryError, KIND_PATTERN, type LeafEntry } from "./entry.js";
export {
  createSigner,
  encodeTreeHead,
  keyIdOf,
  checkKeyFileMode,
  loadSigningKey,
  SigningKeyError,
  TREE_HEAD_BYTES,
  TREE_HEAD_CONTEXT,
  type HeadSigner,
  type SignedTreeHead,
  type SigningKeySource,
  type TreeHead,
} from "./head.js";
