/**
 * Who holds what in a cluster — the node a fault test should kill — and when the
 * cluster is whole again. Thin shells over kafkajs's admin (metadata) and two raw
 * requests kafkajs does not expose (wire.ts); the judgements are pure functions.
 */
import { logLevel } from "kafkajs";
import { infraKafka, type KafkaAccess } from "./client.js";
import {
  API_KEYS,
  decodeDescribeQuorumV0,
  decodeFindCoordinatorV1,
  encodeDescribeQuorumV0,
  encodeFindCoordinatorV1,
  errorName,
  kafkaRequest,
  METADATA_TOPIC,
  type CoordinatorType,
  type DescribeQuorumResult,
} from "./wire.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Ask each bootstrap broker in turn until one answers; the last error if none does. */
async function askAnyBroker<T>(access: KafkaAccess, ask: (address: string) => Promise<T>): Promise<T> {
  const errors: string[] = [];
  for (const address of access.brokers) {
    try {
      return await ask(address);
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  throw new Error(`no broker of ${access.brokers.join(",")} answered: ${errors.join("; ")}`);
}

/** Retry `attempt` (which throws while the answer is not there yet) until `timeoutMs`. */
async function retrying<T>(what: string, timeoutMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "no attempt";
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`${what}: no answer within ${timeoutMs} ms (${last})`);
    await sleep(200);
  }
}

/** The leader's node id of a partition as metadata reports it, or undefined if it has none. Pure. */
export function leaderOf(topics: { name: string; partitions: { partitionId: number; leader: number }[] }[], topic: string, partition: number): number | undefined {
  const p = topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionId === partition);
  return p === undefined || p.leader < 0 ? undefined : p.leader;
}

/**
 * The node id leading `topic`'s `partition` now (a fresh metadata request).
 * Retries while the partition has no leader (an election under way), up to `timeoutMs`.
 */
export async function partitionLeader(access: KafkaAccess, topic: string, partition: number, timeoutMs = 30_000): Promise<number> {
  const admin = infraKafka(access, "takitini-faults", logLevel.NOTHING).admin({ retry: { retries: 0 } });
  await admin.connect();
  try {
    return await retrying(`the leader of ${topic}[${partition}]`, timeoutMs, async () => {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      const leader = leaderOf(meta.topics, topic, partition);
      if (leader === undefined) throw new Error(`${topic}[${partition}] has no leader`);
      return leader;
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The quorum leader from a DescribeQuorum answer; throws on an error or no leader. Pure. */
export function quorumLeader(result: DescribeQuorumResult): number {
  if (result.errorCode !== 0) throw new Error(`DescribeQuorum: ${errorName(result.errorCode)}`);
  const p = result.topics.find((t) => t.topicName === METADATA_TOPIC)?.partitions.find((x) => x.partitionIndex === 0);
  if (!p) throw new Error(`DescribeQuorum: no answer for ${METADATA_TOPIC}-0`);
  if (p.errorCode !== 0) throw new Error(`DescribeQuorum: ${errorName(p.errorCode)}`);
  if (p.leaderId < 0) throw new Error("the controller quorum has no leader");
  return p.leaderId;
}

/**
 * The node id of the active KRaft controller (the metadata quorum's leader), from
 * DescribeQuorum (any broker forwards it to the controller). Kafka's Metadata
 * answer names a random broker as "controller" in KRaft mode, so
 * `describeCluster().controller` is no use here. Retries during an election.
 */
export async function activeController(access: KafkaAccess, timeoutMs = 30_000): Promise<number> {
  return retrying("the active controller", timeoutMs, () =>
    askAnyBroker(access, async (address) => {
      const body = await kafkaRequest(access, address, { apiKey: API_KEYS.DESCRIBE_QUORUM, apiVersion: 0, flexible: true, body: encodeDescribeQuorumV0() });
      return quorumLeader(decodeDescribeQuorumV0(body));
    }),
  );
}

async function coordinator(access: KafkaAccess, key: string, type: CoordinatorType, timeoutMs: number): Promise<number> {
  return retrying(`the ${type} coordinator of ${key}`, timeoutMs, () =>
    askAnyBroker(access, async (address) => {
      const body = await kafkaRequest(access, address, { apiKey: API_KEYS.FIND_COORDINATOR, apiVersion: 1, flexible: false, body: encodeFindCoordinatorV1(key, type) });
      const r = decodeFindCoordinatorV1(body);
      if (r.errorCode !== 0) throw new Error(`FindCoordinator: ${errorName(r.errorCode)}${r.errorMessage ? ` (${r.errorMessage})` : ""}`);
      return r.nodeId;
    }),
  );
}

/**
 * The node id of the transaction coordinator of `transactionalId` (the leader of its
 * `__transaction_state` partition). Needs DESCRIBE on the transactional id (the
 * operator has it). Retries while coordinators load or move.
 */
export function transactionCoordinator(access: KafkaAccess, transactionalId: string, timeoutMs = 30_000): Promise<number> {
  return coordinator(access, transactionalId, "transaction", timeoutMs);
}

/** The node id of the group coordinator of `groupId` (the leader of its `__consumer_offsets` partition). */
export function groupCoordinator(access: KafkaAccess, groupId: string, timeoutMs = 30_000): Promise<number> {
  return coordinator(access, groupId, "group", timeoutMs);
}

export interface PartitionHealth {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
  errorCode?: number;
}

/**
 * What keeps a cluster from being healthy, given the registered brokers and every
 * partition's state: fewer than `brokers` registered, a partition without a leader,
 * or with an in-sync set smaller than its replicas. Empty when healthy. Pure.
 */
export function clusterHealthProblems(registered: readonly number[], partitions: readonly PartitionHealth[], brokers: number): string[] {
  const problems: string[] = [];
  if (registered.length < brokers) problems.push(`${registered.length} of ${brokers} brokers registered (${[...registered].sort((a, b) => a - b).join(", ") || "none"})`);
  const live = new Set(registered);
  for (const p of partitions) {
    const name = `${p.topic}[${p.partition}]`;
    if ((p.errorCode ?? 0) !== 0) problems.push(`${name}: ${errorName(p.errorCode!)}`);
    else if (p.leader < 0 || !live.has(p.leader)) problems.push(`${name}: no leader`);
    else if (p.isr.length < p.replicas.length || (p.offlineReplicas?.length ?? 0) > 0) problems.push(`${name}: in sync ${p.isr.join(",")} of replicas ${p.replicas.join(",")}`);
  }
  return problems;
}

export interface ClusterHealthOptions {
  /** How many brokers must be registered. */
  brokers: number;
  /** Topics to check; default every topic of the cluster, internal ones included. */
  topics?: string[];
  /** Default 120 s. */
  timeoutMs?: number;
}

/**
 * Wait until the cluster is whole: `brokers` registered and unfenced, and every
 * partition of `topics` (default: all, including the offsets and transaction-state
 * topics) led by a live broker with its full replica set in sync — as seen by every
 * broker in `access.brokers`, each asked on its own connection: each broker answers
 * metadata from its own cache, which converges a moment after the controller's, so a
 * healthy answer from one broker does not mean the next metadata request (to another)
 * sees the same. Throws naming what is still wrong, and where, after `timeoutMs`.
 */
export async function waitForClusterHealthy(access: KafkaAccess, opts: ClusterHealthOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let problems: string[] = ["no attempt"];
  for (;;) {
    problems = [];
    for (const broker of access.brokers) {
      const seen = await healthAsSeenBy({ ...access, brokers: [broker] }, opts);
      problems.push(...seen.map((p) => `${p} (as ${broker} sees it)`));
      if (seen.length > 0) break;
    }
    if (problems.length === 0) return;
    if (Date.now() >= deadline) throw new Error(`the cluster at ${access.brokers.join(",")} is not healthy after ${timeoutMs} ms: ${problems.slice(0, 10).join("; ")}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ""}`);
    await sleep(250);
  }
}

/** What one broker's metadata says is wrong (`access.brokers` is that one broker). */
async function healthAsSeenBy(access: KafkaAccess, opts: ClusterHealthOptions): Promise<string[]> {
  const admin = infraKafka(access, "takitini-health", logLevel.NOTHING).admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const described = await admin.describeCluster();
    const meta = await admin.fetchTopicMetadata(opts.topics ? { topics: opts.topics } : undefined);
    const partitions = meta.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offlineReplicas, errorCode: p.partitionErrorCode })));
    const problems = clusterHealthProblems(described.brokers.map((b) => b.nodeId), partitions, opts.brokers);
    if (opts.topics) for (const t of opts.topics) if (!meta.topics.some((m) => m.name === t)) problems.push(`${t}: no such topic`);
    return problems;
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
