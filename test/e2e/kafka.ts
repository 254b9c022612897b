import { randomUUID } from "node:crypto";
import { silenceKafkajsTimerWarning } from "@takitini/runtime";
import { Kafka, logLevel, type KafkaMessage } from "kafkajs";

export function client(brokers: string[]): Kafka {
  silenceKafkajsTimerWarning();
  return new Kafka({ clientId: "e2e", brokers, logLevel: logLevel.ERROR });
}

export interface Seen {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Read a topic from the beginning (read-committed) until `until` matches a
 * message, or until it has been idle for `idleMs` after reaching the end.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  opts: { until?: (m: Seen) => boolean; idleMs?: number; timeoutMs?: number } = {},
): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId: `e2e-reader-${randomUUID()}`, readUncommitted: false });
  const seen: Seen[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let lastActivity = Date.now();
  let done = false;
  // A reader that rejoins its group (say, starved of CPU past its session timeout)
  // is handed records again: count each position once, so a duplicate here is a
  // duplicate on the topic, never an artefact of reading it.
  const positions = new Set<string>();
  await consumer.run({
    eachMessage: async ({ topic: t, partition, message }) => {
      lastActivity = Date.now();
      const position = `${t}/${partition}/${message.offset}`;
      if (positions.has(position)) return;
      positions.add(position);
      const s = { topic: t, partition, message };
      seen.push(s);
      if (opts.until?.(s)) done = true;
    },
  });
  const start = Date.now();
  const idleMs = opts.idleMs ?? 4000;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  while (!done && Date.now() - start < timeoutMs) {
    if (!opts.until && Date.now() - lastActivity > idleMs && Date.now() - start > idleMs) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await consumer.disconnect();
  return seen;
}

export const header = (m: KafkaMessage, name: string): string | undefined => {
  const v = m.headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
};
