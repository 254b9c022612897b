import { kafkaSecurityOptions, silenceKafkajsTimerWarning, type KafkaSecurity } from "@takitini/runtime";
import { Kafka, logLevel } from "kafkajs";

export { silenceKafkajsTimerWarning };

/**
 * How to reach a cluster as one principal: its bootstrap addresses and that
 * principal's TLS material (infrastructure chores run as the operator).
 */
export interface KafkaAccess {
  brokers: string[];
  security: KafkaSecurity;
}

/** A kafkajs client for infrastructure chores: quiet (ERROR unless told otherwise). */
export function infraKafka(cluster: KafkaAccess, clientId: string, level: logLevel = logLevel.ERROR): Kafka {
  silenceKafkajsTimerWarning();
  return new Kafka({
    clientId,
    brokers: cluster.brokers,
    ...kafkaSecurityOptions(cluster.security),
    logLevel: level,
    connectionTimeout: 3000,
    retry: { initialRetryTime: 200, retries: 5 },
  });
}

/** Split `KAFKA_BROKERS`-style text ("host:port,host:port") into addresses. */
export function parseBrokerList(text: string): string[] {
  return text
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}
