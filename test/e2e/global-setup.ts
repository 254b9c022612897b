import { provideKafka } from "@takitini/infra";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    brokers: string[];
    kafkaMode: string;
  }
}

/**
 * One real Kafka broker for the whole suite: KAFKA_BROKERS if set, else a
 * testcontainers broker where a Docker engine answers, else the project's own
 * launcher (Apache Kafka from Maven Central). Never a mock, never a silent skip:
 * if no broker can be had, setup throws and the suite fails.
 */
export default async function setup(project: TestProject) {
  const kafka = await provideKafka({});
  console.log(`[e2e] Kafka (${kafka.mode}) at ${kafka.brokers.join(",")}`);
  project.provide("brokers", kafka.brokers);
  project.provide("kafkaMode", kafka.mode);
  return async () => {
    await kafka.stop();
  };
}
