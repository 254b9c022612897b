import { CompactedTopicTail, type Logger } from "@takitini/runtime";
import type { Kafka } from "kafkajs";
import type { ClaimIndex } from "./claims.js";

/**
 * Tails the agency's compacted claims topic (read_committed) into the index, and
 * knows how far it has read each partition, so a writer that has just fenced a
 * partition can wait until every committed claim on it is in the index
 * (`reach`). Never reads the intelligence topic. Runtime's CompactedTopicTail:
 * throwaway consumer groups `<prefix>-claims-<uuid>`, a crashed consumer replaced
 * by a fresh one from the beginning (learning a claim twice is harmless).
 */
export class ClaimsTail extends CompactedTopicTail {
  constructor(kafka: Kafka, topic: string, groupPrefix: string, index: ClaimIndex, logger: Logger) {
    super({ kafka, topic, groupPrefix: `${groupPrefix}-claims`, logger, what: "the adapter's claims", learn: (key, value) => index.learn(key, value) });
  }
}
