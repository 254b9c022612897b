import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { claimsTopicFor } from "@takitini/adapter-kit";
import { loadTopicDeclarations, securityKit, type AclSubscriber, type TopicDeclaration } from "@takitini/infra";
import { kafkaSecurityOptions, silenceKafkajsTimerWarning } from "@takitini/runtime";
import { Kafka, logLevel, type KafkaConfig, type KafkaMessage } from "kafkajs";
import { inject } from "vitest";

/**
 * The suite's broker, secured: every client is a principal from the suite's PKI
 * (global-setup.ts), and the broker enforces the ACLs derived from the topic
 * declarations and the registry. Tests read and write as the operator unless
 * they say otherwise; services run as their own principals (stack.ts).
 */
export function kit() {
  const pkiDir = inject("kafkaPkiDir");
  return securityKit(inject("brokers"), pkiDir === "" ? undefined : pkiDir);
}

/** A kafkajs client of the suite's broker, as `principal` (the operator by default). */
export function client(brokers: string[], principal = "operator", opts: { logLevel?: logLevel; logCreator?: KafkaConfig["logCreator"] } = {}): Kafka {
  silenceKafkajsTimerWarning();
  return new Kafka({
    clientId: `e2e-${principal}`,
    brokers,
    logLevel: opts.logLevel ?? logLevel.ERROR,
    ...(opts.logCreator ? { logCreator: opts.logCreator } : {}),
    ...kafkaSecurityOptions(kit().securityOf(principal)),
  });
}

/** The environment a service runs with as `principal`: KAFKA_BROKERS and its certificate files. */
export function principalEnv(principal: string): Record<string, string> {
  return kit().envOf(principal);
}

/** A run's own topic: its name, what it is for (its ACLs follow from that) and partitions. */
export interface RunTopic {
  name: string;
  role: TopicDeclaration["role"];
  partitions?: number;
}

/**
 * Create a run's own topics and grant each principal what the shipped ACL
 * generator derives for them from their roles and the run's registry (a copy of
 * subscribers.json with this run's delivery topics) — the same function the
 * launcher applies, so the services' principals get exactly what they would in
 * production, and the tests' refusals stay meaningful.
 */
export async function createRunTopics(requested: RunTopic[], registryFile: string): Promise<void> {
  const k = kit();
  // Each intel topic comes with its claims topic, partitioned alike: an adapter
  // pointed at a run's intel topic claims there (its CLAIMS_TOPIC default).
  const topics = requested.flatMap((t) => (t.role === "intel" ? [t, { name: claimsTopicFor(t.name), role: "claims" as const, ...(t.partitions === undefined ? {} : { partitions: t.partitions }) }] : [t]));
  const admin = client(k.brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((t) => ({ topic: t.name, numPartitions: t.partitions ?? 3, replicationFactor: 1, ...(t.role === "claims" || t.role === "linkage-index" || t.role === "exchange-records" ? { configEntries: [{ name: "cleanup.policy", value: "compact" }] } : {}) })) });
  } finally {
    await admin.disconnect();
  }
  const registry = JSON.parse(readFileSync(registryFile, "utf8")) as Record<string, { tier: AclSubscriber["tier"]; delivery_topic: string }>;
  const subscribers: AclSubscriber[] = Object.entries(registry).map(([id, s]) => ({ id, tier: s.tier, delivery_topic: s.delivery_topic }));
  const declared = (t: RunTopic): TopicDeclaration => ({ name: t.name, role: t.role, partitions: t.partitions ?? 3, replication_factor: 1, retention_ms: 604_800_000, cleanup_policy: t.role === "claims" || t.role === "linkage-index" || t.role === "exchange-records" ? "compact" : "delete", description: "an e2e run's topic" });
  // The shipped delivery topics this registry still uses (already granted, granted again harmlessly).
  const referenced = new Set(subscribers.map((s) => s.delivery_topic));
  const shipped = loadTopicDeclarations(undefined, {}).filter((d) => d.role === "delivery" && referenced.has(d.name) && !topics.some((t) => t.name === d.name));
  await k.grant([...topics.map(declared), ...shipped], subscribers);
}

/** The shipped registry as a file in `dir`, with `rewrite` applied to each subscriber's delivery topic. */
export function registryWith(dir: string, rewrite: (id: string, topic: string) => string, root: string): string {
  const registry = JSON.parse(readFileSync(join(root, "policies/data/subscribers.json"), "utf8")) as Record<string, { delivery_topic: string }>;
  for (const [id, s] of Object.entries(registry)) s.delivery_topic = rewrite(id, s.delivery_topic);
  const file = join(dir, "subscribers.json");
  writeFileSync(file, JSON.stringify(registry, null, 2));
  return file;
}

export interface Seen {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Read a topic (or several, with one consumer) from the beginning
 * (read-committed) until `until` matches a message, or until it has been idle
 * for `idleMs`. Idle counts from the consumer's joining its group and from each
 * fetch that returned records, never from the start: a join slower than
 * `idleMs` (a loaded machine, a coordinator being elected) must not end the
 * read before it began.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string | string[],
  opts: { until?: (m: Seen) => boolean; idleMs?: number; timeoutMs?: number } = {},
): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId: `e2e-reader-${randomUUID()}`, readUncommitted: false });
  const seen: Seen[] = [];
  let joined = false;
  let lastActivity = Date.now();
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
    lastActivity = Date.now();
  });
  await consumer.connect();
  await consumer.subscribe({ topics: Array.isArray(topic) ? topic : [topic], fromBeginning: true });
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
    if (!opts.until && joined && Date.now() - lastActivity > idleMs) break;
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
