import { readFileSync } from "node:fs";
import { logLevel } from "kafkajs";
import { z } from "zod";
import { infraKafka, type KafkaAccess } from "./client.js";
import { TOPICS_PATH } from "./paths.js";

/** What a topic is for. */
export const TOPIC_ROLES = ["intel", "delivery", "decisions", "briefing-access", "refusals", "dead-letter", "briefings", "claims", "heads", "submissions", "receipts", "links", "linkage-index", "exchange-records"] as const;
export type TopicRole = (typeof TOPIC_ROLES)[number];

/**
 * Where topics are created: `local` — the single-node broker of a laptop (`npm start`,
 * most tests); `cluster` — three or more brokers (`--brokers 3`, a fault suite, an
 * operator's cluster).
 */
export const TOPIC_ENVIRONMENTS = ["local", "cluster"] as const;
export type TopicEnvironment = (typeof TOPIC_ENVIRONMENTS)[number];

/** The environment of a cluster of `brokers` nodes: three or more is a `cluster`. Pure. */
export function environmentFor(brokers: number): TopicEnvironment {
  return brokers >= 3 ? "cluster" : "local";
}

const replicas = z.number().int().min(1).max(16);

/** A replication factor: one number everywhere, or one per environment. */
export const replicationFactorSchema = z.union([replicas, z.strictObject({ local: replicas, cluster: replicas })], { error: "expected a replication factor (1–16), or one per environment: { \"local\": n, \"cluster\": n }" });
export type DeclaredReplication = z.infer<typeof replicationFactorSchema>;

/** One declared topic as written in infra/kafka/topics.json. */
export const topicDeclarationSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name: 1–249 of A-Z a-z 0-9 . _ -")
    .refine((n) => n !== "." && n !== "..", "'.' and '..' are not topic names")
    .refine((n) => !n.startsWith("__"), "names starting with '__' are Kafka's internal topics"),
  /**
   * What the topic is for; the Kafka ACLs are derived from it (acls.ts). An
   * `intel` topic's name must end in `intel.<agency>.v<N>`; a `delivery` topic must
   * be a subscriber's `delivery_topic` in the policy registry. A `refusals` topic
   * is written by every adapter and the briefing and read by the audit only. A
   * `claims` topic's name must end in `claims.<agency>.v<N>`: the agency's adapter
   * alone reads and writes it (its idempotency claims, transactional). A `heads`
   * topic is written by the audit (its signed tree heads) and read by the
   * oversight principal only (the witness). A `links` topic holds the linkage
   * service's link alerts: written by the linkage service only, read by the
   * exchange (which decides each alert per subscriber) and the audit (publish
   * records) — never by a partner or the briefing. A `linkage-index` topic is
   * the linkage service's own compacted index of match tokens: it alone reads
   * and writes it.
   */
  role: z.enum(TOPIC_ROLES),
  partitions: z.number().int().min(1).max(1000),
  /** `{ "local": 1, "cluster": 3 }`, or one number for both. */
  replication_factor: replicationFactorSchema,
  /** Milliseconds; -1 keeps records forever. */
  retention_ms: z.number().int().min(-1),
  cleanup_policy: z.enum(["delete", "compact", "compact,delete"]),
  description: z.string().trim().min(1),
});

export const topicsFileSchema = z
  .strictObject({ $comment: z.string().optional(), topics: z.array(topicDeclarationSchema).min(1) })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.topics.forEach((t, i) => {
      const first = seen.get(t.name);
      if (first !== undefined) ctx.addIssue({ code: "custom", path: ["topics", i, "name"], message: `duplicate topic name (also topics[${first}])` });
      else seen.set(t.name, i);
    });
  });

/** A declared topic, its replication factor resolved for one environment. */
export type TopicDeclaration = Omit<z.infer<typeof topicDeclarationSchema>, "replication_factor"> & { replication_factor: number };

/** A declared replication factor in `environment`. Pure. */
export function resolveReplication(declared: DeclaredReplication, environment: TopicEnvironment): number {
  return typeof declared === "number" ? declared : declared[environment];
}

export interface TopicDeclarationIssue {
  /** Field path, e.g. `topics[2].partitions`. */
  path: string;
  message: string;
}

export class TopicDeclarationError extends Error {
  readonly issues: TopicDeclarationIssue[];
  constructor(issues: TopicDeclarationIssue[], source = "topic declarations") {
    super(`invalid ${source}:\n${issues.map((i) => `  ${i.path || "(root)"}: ${i.message}`).join("\n")}`);
    this.name = "TopicDeclarationError";
    this.issues = issues;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

export interface TopicDeclarationOptions {
  /** Which of the declared replication factors to use (default `local`). */
  environment?: TopicEnvironment;
  /** Replaces every topic's replication factor (TAKITINI_TOPIC_REPLICATION). */
  replication?: number;
  /** Named in errors, e.g. the file's path. */
  source?: string;
}

/**
 * Validate parsed JSON as topic declarations, each replication factor resolved for
 * `environment` (or replaced by `replication`); every bad field is named by its path. Pure.
 */
export function parseTopicDeclarations(json: unknown, opts: TopicDeclarationOptions = {}): TopicDeclaration[] {
  const r = topicsFileSchema.safeParse(json);
  if (!r.success) throw new TopicDeclarationError(r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })), opts.source);
  const environment = opts.environment ?? "local";
  return r.data.topics.map((t) => ({ ...t, replication_factor: opts.replication ?? resolveReplication(t.replication_factor, environment) }));
}

/** Read `TAKITINI_TOPIC_REPLICATION` (a whole number ≥ 1), if set. Pure given `env`. */
export function replicationOverride(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.TAKITINI_TOPIC_REPLICATION?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new Error(`TAKITINI_TOPIC_REPLICATION must be a whole number from 1 to 16, got "${raw}"`);
  return n;
}

/**
 * Read and validate `infra/kafka/topics.json` (or `path`), replication resolved for
 * `environment` (default `local`: one node). `TAKITINI_TOPIC_REPLICATION` overrides
 * every replication factor, for an existing cluster.
 */
export function loadTopicDeclarations(path: string = TOPICS_PATH, env: NodeJS.ProcessEnv = process.env, environment: TopicEnvironment = "local"): TopicDeclaration[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`cannot read topic declarations from ${path}: ${(err as Error).message}`);
  }
  const replication = replicationOverride(env);
  return parseTopicDeclarations(json, { environment, source: path, ...(replication === undefined ? {} : { replication }) });
}

/**
 * `min.insync.replicas` for a topic of `replicationFactor` replicas: with three or
 * more, two (an acks=all write survives one lost broker, never rests on one copy);
 * with two, one; undefined (the broker's default, 1) for one. Pure.
 */
export function minInsyncReplicas(replicationFactor: number): number | undefined {
  if (replicationFactor >= 3) return 2;
  return replicationFactor === 2 ? 1 : undefined;
}

/** The broker-side topic configs of a declaration. Pure. */
export function topicConfigEntries(d: TopicDeclaration): { name: string; value: string }[] {
  const minIsr = minInsyncReplicas(d.replication_factor);
  return [
    { name: "retention.ms", value: String(d.retention_ms) },
    { name: "cleanup.policy", value: d.cleanup_policy },
    ...(minIsr === undefined ? [] : [{ name: "min.insync.replicas", value: String(minIsr) }]),
  ];
}

export interface EnsureTopicsResult {
  /** Created by this call. */
  created: string[];
  /** Already there (left as they are). */
  existing: string[];
  /** Existing topics whose partition count differs from the declaration (Kafka cannot shrink; we never change them). */
  mismatched: { name: string; declared: number; actual: number }[];
}

/**
 * Create the declared topics that do not exist yet, with their retention and
 * cleanup policy. Idempotent: existing topics are reported, never altered.
 */
export async function ensureTopics(cluster: KafkaAccess, declarations: TopicDeclaration[] = loadTopicDeclarations()): Promise<EnsureTopicsResult> {
  const admin = infraKafka(cluster, "takitini-topics").admin();
  await admin.connect();
  try {
    const described = await admin.describeCluster();
    const tooFew = declarations.filter((d) => d.replication_factor > described.brokers.length);
    if (tooFew.length > 0) {
      throw new Error(
        `the cluster at ${cluster.brokers.join(",")} has ${described.brokers.length} broker(s) but ${tooFew.map((d) => `${d.name} wants replication ${d.replication_factor}`).join(", ")}; set TAKITINI_TOPIC_REPLICATION to fit`,
      );
    }
    const present = new Set(await admin.listTopics());
    const missing = declarations.filter((d) => !present.has(d.name));
    let created = missing.map((d) => d.name);
    if (missing.length > 0) {
      // kafkajs's own waitForLeaders gives up on the UNKNOWN_TOPIC_OR_PARTITION a KRaft
      // broker answers until the new topic reaches its metadata cache (tulios/kafkajs#1563);
      // we wait for the leaders ourselves.
      const didCreate = await admin.createTopics({
        waitForLeaders: false,
        timeout: 30_000,
        topics: missing.map((d) => ({
          topic: d.name,
          numPartitions: d.partitions,
          replicationFactor: d.replication_factor,
          configEntries: topicConfigEntries(d),
        })),
      });
      // false: every one already existed — created concurrently by someone else.
      if (!didCreate) created = [];
      await waitForTopicLeaders(cluster, missing.map((d) => d.name), 30_000);
    }
    const existing = declarations.map((d) => d.name).filter((n) => !created.includes(n));
    const mismatched: EnsureTopicsResult["mismatched"] = [];
    const wanted = new Map(declarations.map((d) => [d.name, d.partitions]));
    const meta = existing.length > 0 ? await admin.fetchTopicMetadata({ topics: existing }) : { topics: [] };
    for (const t of meta.topics) {
      const declared = wanted.get(t.name);
      if (declared !== undefined && declared !== t.partitions.length) mismatched.push({ name: t.name, declared, actual: t.partitions.length });
    }
    return { created, existing, mismatched };
  } finally {
    await admin.disconnect();
  }
}

/**
 * Wait until every partition of `topics` has a leader, tolerating the transient
 * "unknown topic" and "leader not available" answers of a freshly created topic.
 */
export async function waitForTopicLeaders(cluster: KafkaAccess, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no attempt";
  // Silent: the transient errors are expected here, and the last one goes into our error.
  const admin = infraKafka(cluster, "takitini-topics-wait", logLevel.NOTHING).admin({ retry: { retries: 0 } });
  await admin.connect();
  try {
    for (;;) {
      try {
        const meta = await admin.fetchTopicMetadata({ topics });
        const waiting = meta.topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0 || p.partitionErrorCode !== 0));
        if (meta.topics.length === topics.length && waiting.length === 0) return;
        last = `no leader yet for ${waiting.map((t) => t.name).join(", ") || "some topics"}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() >= deadline) throw new Error(`topics ${topics.join(", ")} have no leaders after ${timeoutMs} ms (${last})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Every non-internal topic of a cluster with its partition count, by name. */
export async function describeTopics(cluster: KafkaAccess): Promise<{ name: string; partitions: number }[]> {
  const admin = infraKafka(cluster, "takitini-status").admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata();
    return meta.topics
      .filter((t) => !t.name.startsWith("__"))
      .map((t) => ({ name: t.name, partitions: t.partitions.length }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } finally {
    await admin.disconnect();
  }
}
