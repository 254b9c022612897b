import { provideKafka, providePostgres, redactUrl } from "@takitini/infra";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    brokers: string[];
    kafkaMode: string;
    databaseUrl: string;
  }
}

/**
 * One real Kafka broker and one real PostgreSQL server (the audit ledger's;
 * DATABASE_URL, else Debian's package started by the project) for the whole suite.
 * The broker:: KAFKA_BROKERS if set, else a
 * testcontainers broker where a Docker engine answers, else the project's own
 * launcher (Apache Kafka from Maven Central). Never a mock, never a silent skip:
 * if no broker can be had, setup throws and the suite fails.
 */
export default async function setup(project: TestProject) {
  const [kafka, postgres] = await Promise.all([provideKafka({}), providePostgres({ log: (m) => console.log(`[e2e] ${m}`) })]);
  console.log(`[e2e] Kafka (${kafka.mode}) at ${kafka.brokers.join(",")}; PostgreSQL (${postgres.mode}) at ${redactUrl(postgres.url)}`);
  project.provide("brokers", kafka.brokers);
  project.provide("kafkaMode", kafka.mode);
  project.provide("databaseUrl", postgres.url);
  return async () => {
    await Promise.all([kafka.stop(), postgres.stop()]);
  };
}
