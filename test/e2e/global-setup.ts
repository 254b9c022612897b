import { provideKafka, providePostgres, redactUrl } from "@takitini/infra";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    brokers: string[];
    kafkaMode: string;
    /** The principals' certificates (infra/pki layout); "" when the broker is plaintext (TAKITINI_INSECURE_KAFKA=true). */
    kafkaPkiDir: string;
    databaseUrl: string;
  }
}

/**
 * One real, secured Kafka broker (mutual TLS, ACLs derived from the topic
 * declarations and the registry; the principals' certificates in a temporary
 * PKI) and one real PostgreSQL server (the audit ledger's;
 * DATABASE_URL, else Debian's package started by the project) for the whole suite.
 * The broker:: KAFKA_BROKERS if set, else a
 * testcontainers broker where a Docker engine answers, else the project's own
 * launcher (Apache Kafka from Maven Central). Never a mock, never a silent skip:
 * if no broker can be had, setup throws and the suite fails.
 */
export default async function setup(project: TestProject) {
  const [kafka, postgres] = await Promise.all([provideKafka({}), providePostgres({ log: (m) => console.log(`[e2e] ${m}`) })]);
  console.log(`[e2e] Kafka (${kafka.mode}, ${kafka.security}) at ${kafka.brokers.join(",")}; PostgreSQL (${postgres.mode}) at ${redactUrl(postgres.url)}`);
  project.provide("brokers", kafka.brokers);
  project.provide("kafkaMode", kafka.mode);
  project.provide("kafkaPkiDir", kafka.pkiDir ?? "");
  project.provide("databaseUrl", postgres.url);
  return async () => {
    await Promise.all([kafka.stop(), postgres.stop()]);
  };
}
