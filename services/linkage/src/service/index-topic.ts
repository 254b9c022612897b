import { LinkageIndexEntry } from "@takitini/proto";
import { logKafkaRefusal, type Logger } from "@takitini/runtime";
import type { Kafka } from "kafkajs";
import { randomUUID } from "node:crypto";

/**
 * Read the whole index topic (read_committed) up to its last stable offset as it
 * is now, handing each entry to `learn`, then stop. Called by the active linker
 * after fencing its transactional id, so no transaction of an earlier writer is
 * still open and the end read here is final: the index rebuilt matches the
 * offsets the group has committed. A throwaway consumer group (under the
 * service's group prefix) reads it; nothing is committed. `tick` is called as
 * batches arrive (the caller heartbeats its own group meanwhile). Resolves to the
 * number of entries read.
 */
export async function readIndexTopic(opts: {
  kafka: Kafka;
  topic: string;
  groupPrefix: string;
  logger: Logger;
  learn: (entry: LinkageIndexEntry, key: string) => void;
  tick?: () => Promise<void>;
}): Promise<number> {
  const admin = opts.kafka.admin();
  await admin.connect();
  let ends: { partition: number; high: string; low: string }[];
  try {
    ends = await admin.fetchTopicOffsets(opts.topic);
  } finally {
    await admin.disconnect();
  }
  const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  if (remaining.size === 0) return 0;
  let read = 0;
  const consumer = opts.kafka.consumer({ groupId: `${opts.groupPrefix}.rebuild-${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 500, allowAutoTopicCreation: false, retry: { retries: 8, restartOnFailure: async () => false } });
  try {
    const done = new Promise<void>((resolve, reject) => {
      const reached = (partition: number, next: bigint) => {
        const end = remaining.get(partition);
        if (end !== undefined && next >= end) remaining.delete(partition);
        if (remaining.size === 0) resolve();
      };
      // Every batch, control-only ones (transaction markers) included, moves the position.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic === opts.topic) reached(payload.partition, BigInt(payload.lastOffset) + 1n);
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        logKafkaRefusal(opts.logger, payload.error, { operation: "read", topics: [opts.topic] });
        reject(payload.error);
      });
      void (async () => {
        try {
          await consumer.connect();
          await consumer.subscribe({ topics: [opts.topic], fromBeginning: true });
          await consumer.run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) {
                if (!m.value || !m.key) continue;
                opts.learn(LinkageIndexEntry.decode(m.value), m.key.toString());
                read += 1;
              }
              await opts.tick?.();
            },
          });
        } catch (err) {
          reject(err as Error);
        }
      })();
    });
    await done;
    return read;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
