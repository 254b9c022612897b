import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silenceKafkajsTimerWarning } from "@takitini/runtime";
import { startLocalBroker } from "./broker.js";
import { ensureTopics, loadTopicDeclarations, type TopicDeclaration } from "./topics.js";

export interface ProvidedKafka {
  brokers: string[];
  mode: "external" | "testcontainers" | "local";
  stop(): Promise<void>;
}

function dockerAnswers(): boolean {
  const r = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "ignore", timeout: 5000 });
  return r.status === 0;
}

/**
 * A real Kafka cluster for a test suite, with the declared topics:
 *  1. `KAFKA_BROKERS` if set — an existing cluster;
 *  2. else testcontainers' Kafka module where a Docker engine answers;
 *  3. else the project's launcher: Apache Kafka from Maven Central on loopback.
 * Never a mock, never a silent skip: if none works it throws with every reason.
 */
export async function provideKafka(opts: { topics?: TopicDeclaration[]; env?: Record<string, string | undefined> } = {}): Promise<ProvidedKafka> {
  silenceKafkajsTimerWarning();
  const env = opts.env ?? process.env;
  const topics = opts.topics ?? loadTopicDeclarations();
  const failures: string[] = [];

  if (env.KAFKA_BROKERS) {
    const brokers = env.KAFKA_BROKERS.split(",").map((b) => b.trim()).filter(Boolean);
    await ensureTopics(brokers, topics);
    return { brokers, mode: "external", stop: async () => undefined };
  }

  if (dockerAnswers()) {
    try {
      const { KafkaContainer } = await import("@testcontainers/kafka");
      const container = await new KafkaContainer("confluentinc/cp-kafka:7.9.0").withKraft().start();
      const brokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
      await ensureTopics(brokers, topics);
      return { brokers, mode: "testcontainers", stop: async () => void (await container.stop()) };
    } catch (err) {
      failures.push(`testcontainers: ${(err as Error).message}`);
    }
  } else {
    failures.push("testcontainers: no Docker engine answers `docker info`");
  }

  const dataDir = mkdtempSync(join(tmpdir(), "takitini-kafka-"));
  try {
    const broker = await startLocalBroker({ dataDir });
    await ensureTopics(broker.brokers, topics);
    return {
      brokers: broker.brokers,
      mode: "local",
      stop: async () => {
        await broker.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    failures.push(`local launcher: ${(err as Error).message}`);
  }
  throw new Error(`no Kafka broker could be provided:\n - ${failures.join("\n - ")}`);
}
