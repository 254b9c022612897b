import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import { z } from "zod";
import { TOPICS_PATH } from "./paths.js";

export const topicDeclaration = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name"),
  partitions: z.number().int().min(1).max(1000),
  replication_factor: z.number().int().min(1).max(10),
  retention_ms: z.number().int().min(-1),
  cleanup_policy: z.enum(["delete", "compact", "compact,delete"]),
  description: z.string().min(1),
});

export const topicsFile = z
  .strictObject({ $comment: z.string().optional(), topics: z.array(topicDeclaration).min(1) })
  .refine((f) => new Set(f.topics.map((t) => t.name)).size === f.topics.length, { message: "topic names must be unique", path: ["topics"] });

export type TopicDeclaration = z.infer<typeof topicDeclaration>;

export class TopicDeclarationError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid topic declarations: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  }
}

/** Validate parsed JSON as topic declarations, naming each bad field path. Pure. */
export function parseTopicDeclarations(json: unknown, replicationOverride?: number): TopicDeclaration[] {
  const r = topicsFile.safeParse(json);
  if (!r.success) {
    throw new TopicDeclarationError(r.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, ""), message: i.message })));
  }
  return r.data.topics.map((t) => (replicationOverride ? { ...t, replication_factor: replicationOverride } : t));
}

/** Read `infra/kafka/topics.json` (or `path`); `TAKITINI_TOPIC_REPLICATION` overrides replication for a real cluster. */
export function loadTopicDeclarations(path = TOPICS_PATH): TopicDeclaration[] {
  const override = process.env.TAKITINI_TOPIC_REPLICATION ? Number(process.env.TAKITINI_TOPIC_REPLICATION) : undefined;
  return parseTopicDeclarations(JSON.parse(readFileSync(path, "utf8")), override);
}

/** Create the declared topics that do not exist yet. Idempotent. */
export async function ensureTopics(brokers: string[], declarations: TopicDeclaration[] = loadTopicDeclarations()): Promise<{ created: string[]; existing: string[] }> {
  const admin = new Kafka({ clientId: "takitini-topics", brokers, logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const missing = declarations.filter((d) => !present.has(d.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((d) => ({
          topic: d.name,
          numPartitions: d.partitions,
          replicationFactor: d.replication_factor,
          configEntries: [
            { name: "retention.ms", value: String(d.retention_ms) },
            { name: "cleanup.policy", value: d.cleanup_policy },
          ],
        })),
      });
    }
    return { created: missing.map((d) => d.name), existing: declarations.filter((d) => present.has(d.name)).map((d) => d.name) };
  } finally {
    await admin.disconnect();
  }
}
