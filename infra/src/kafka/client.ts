import { Kafka, logLevel } from "kafkajs";

let silenced = false;

/**
 * kafkajs 2.2.4 schedules a timer with a negative delay on Node 24
 * (tulios/kafkajs#1751); Node clamps it to 1 ms — what kafkajs meant — and prints
 * a TimeoutNegativeWarning on every connection. Drop that one warning and print
 * every other as Node would. (Same behaviour as @takitini/runtime's helper; kept
 * here so the lowest layer depends on nothing of ours.)
 */
export function silenceKafkajsTimerWarning(): void {
  if (silenced) return;
  silenced = true;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= "1";
  process.removeAllListeners("warning");
  process.on("warning", (w) => {
    if (w.name === "TimeoutNegativeWarning") return;
    process.stderr.write(`(node:${process.pid}) ${w.name}: ${w.message}\n`);
  });
}

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
