import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseBrokerList } from "./client.js";
import { startLocalBroker, waitForBroker } from "./broker.js";
import { ensureTopics, loadTopicDeclarations, type EnsureTopicsResult, type TopicDeclaration } from "./topics.js";
import { warmUpCoordinators } from "./warmup.js";

export type KafkaMode = "external" | "testcontainers" | "local";

export interface ProvidedKafka {
  brokers: string[];
  mode: KafkaMode;
  /** What `ensureTopics` did on this cluster. */
  topics: EnsureTopicsResult;
  /** The broker JVM's pid and data dir (`local` mode only). */
  pid?: number;
  dataDir?: string;
  /** Stops what was started (nothing for `external`). Idempotent. */
  stop(): Promise<void>;
}

export interface ProvideKafkaOptions {
  /** Topics to ensure; default: infra/kafka/topics.json. */
  topics?: TopicDeclaration[];
  /** Environment to read `KAFKA_BROKERS` from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Image for the testcontainers mode (Confluent Platform 7.9 = Apache Kafka 3.9). */
  image?: string;
  /** Broker heap for the local mode. */
  heap?: string;
  /** How long to wait for a cluster to answer. */
  readyTimeoutMs?: number;
  /** Progress messages (default: none). */
  log?: (msg: string) => void;
}

export const DEFAULT_KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0";

/** Whether a Docker engine answers `docker info` within a few seconds. */
export function dockerAnswers(timeoutMs = 5000): { ok: boolean; reason: string } {
  const r = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: timeoutMs });
  if (r.error) return { ok: false, reason: (r.error as NodeJS.ErrnoException).code === "ENOENT" ? "no docker CLI" : r.error.message };
  if (r.status !== 0) return { ok: false, reason: `\`docker info\` exited ${r.status}: ${(r.stderr || r.stdout).trim().split("\n")[0] ?? ""}` };
  return { ok: true, reason: `Docker ${r.stdout.trim()}` };
}

/** A single-node cluster can only hold replication factor 1. */
const singleNode = (topics: TopicDeclaration[]) => topics.map((t) => ({ ...t, replication_factor: 1 }));

/**
 * A real Kafka cluster for a test suite, with the declared topics:
 *  1. `KAFKA_BROKERS` if set: that existing cluster (an error if it does not answer);
 *  2. else, where a Docker engine answers, testcontainers' KafkaContainer (KRaft);
 *  3. else the project's own launcher: Apache Kafka from Maven Central on loopback,
 *     in a temporary data dir removed by `stop()`.
 * Never a mock, never a silent skip: if none works it throws with every mode's reason.
 */
export async function provideKafka(opts: ProvideKafkaOptions = {}): Promise<ProvidedKafka> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const topics = opts.topics ?? loadTopicDeclarations(undefined, env);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  const failures: string[] = [];

  const external = parseBrokerList(env.KAFKA_BROKERS ?? "");
  if (external.length > 0) {
    try {
      await waitForBroker(external, Math.min(readyTimeoutMs, 30_000));
    } catch (err) {
      throw new Error(`KAFKA_BROKERS=${env.KAFKA_BROKERS} is set but that cluster does not answer: ${(err as Error).message}`);
    }
    const result = await ensureTopics(external, topics);
    return { brokers: external, mode: "external", topics: result, stop: async () => undefined };
  }
  failures.push("external: KAFKA_BROKERS is not set");

  const docker = dockerAnswers();
  if (docker.ok) {
    let container: { stop(): Promise<unknown> } | undefined;
    try {
      log(`starting ${opts.image ?? DEFAULT_KAFKA_IMAGE} with testcontainers (${docker.reason})`);
      const { KafkaContainer } = await import("@testcontainers/kafka");
      const started = await new KafkaContainer(opts.image ?? DEFAULT_KAFKA_IMAGE).withKraft().start();
      container = started;
      const brokers = [`${started.getHost()}:${started.getMappedPort(9093)}`];
      await waitForBroker(brokers, readyTimeoutMs);
      const result = await ensureTopics(brokers, singleNode(topics));
      await warmUpCoordinators(brokers);
      let stopped: Promise<void> | undefined;
      return { brokers, mode: "testcontainers", topics: result, stop: () => (stopped ??= started.stop().then(() => undefined)) };
    } catch (err) {
      await container?.stop().catch(() => undefined);
      failures.push(`testcontainers: ${(err as Error).message}`);
    }
  } else {
    failures.push(`testcontainers: no Docker engine answers (${docker.reason})`);
  }

  const dataDir = mkdtempSync(join(tmpdir(), "takitini-kafka-"));
  try {
    log(`starting the local Apache Kafka broker in ${dataDir}`);
    const broker = await startLocalBroker({ dataDir, heap: opts.heap, readyTimeoutMs, log });
    try {
      const result = await ensureTopics(broker.brokers, singleNode(topics));
      await warmUpCoordinators(broker.brokers);
      let stopped: Promise<void> | undefined;
      const stop = () =>
        (stopped ??= (async () => {
          await broker.stop();
          rmSync(dataDir, { recursive: true, force: true });
        })());
      return { brokers: broker.brokers, mode: "local", topics: result, pid: broker.pid, dataDir, stop };
    } catch (err) {
      await broker.stop();
      throw err;
    }
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    failures.push(`local: ${(err as Error).message}`);
  }
  throw new Error(`no Kafka broker could be provided:\n - ${failures.join("\n - ")}`);
}
