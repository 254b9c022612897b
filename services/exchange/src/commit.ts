/**
 * Group commit (KIP-447): chunks of several source partitions, planned at the same
 * time, committed in one Kafka transaction of the instance's one writer. These are
 * the pure parts: which waiting chunks may join a transaction, and the offsets it
 * commits for the group.
 */

/** A planned chunk of one source partition, waiting for a transaction. */
export interface ChunkToCommit<W> {
  /** The writer (the instance's transactional producer) the chunk's partition state was read under. */
  writer: W;
  /** The group generation the chunk's partition state was read in. */
  generation: number;
  topic: string;
  partition: number;
  /** The offset the group commits for the partition with this chunk: its last record's + 1. */
  nextOffset: bigint;
  /** Source records in the chunk. */
  events: number;
}

/**
 * Split waiting chunks into those that may commit now — read under the current
 * writer in the current generation — and those that never may: a chunk read under
 * a writer since closed (its transaction failed, or the consumer was replaced) or in
 * an earlier generation (the partition may be another member's now) must have its
 * partition's committed offset read again first. Order is kept. Pure.
 */
export function admissible<W, C extends ChunkToCommit<W>>(chunks: readonly C[], current: { writer: W | undefined; generation: number }): { now: C[]; never: C[] } {
  const now: C[] = [];
  const never: C[] = [];
  for (const c of chunks) (current.writer !== undefined && c.writer === current.writer && c.generation === current.generation ? now : never).push(c);
  return { now, never };
}

/**
 * The offsets one transaction commits for the group: for each partition, its chunk's
 * next offset. A partition has at most one chunk in a transaction (its next chunk is
 * planned only once this one is committed); two would mean an offset could go back,
 * so that throws. Topics and partitions in first-seen order. Pure.
 */
export function offsetsToCommit(chunks: readonly Pick<ChunkToCommit<unknown>, "topic" | "partition" | "nextOffset">[]): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const byTopic = new Map<string, Map<number, bigint>>();
  for (const c of chunks) {
    let partitions = byTopic.get(c.topic);
    if (!partitions) byTopic.set(c.topic, (partitions = new Map()));
    if (partitions.has(c.partition)) throw new Error(`two chunks of ${c.topic}[${c.partition}] in one transaction`);
    partitions.set(c.partition, c.nextOffset);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: [...partitions].map(([partition, offset]) => ({ partition, offset: offset.toString() })) }));
}
