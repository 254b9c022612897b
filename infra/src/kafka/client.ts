import { silenceKafkajsTimerWarning } from "@takitini/runtime";
import { Kafka, logLevel } from "kafkajs";

export { silenceKafkajsTimerWarning };

/** A kafkajs client for infrastructure chores: quiet (ERROR unless told otherwise). */
export function infraKafka(brokers: string[], clientId: string, level: logLevel = logLevel.ERROR): Kafka {
  silenceKafkajsTimerWarning();
  return new Kafka({
    clientId,
    brokers,
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
