import { Kafka, logLevel, type IHeaders, type KafkaConfig, type LogEntry } from "kafkajs";
import type { Logger } from "./logger.js";
import { silenceKafkajsTimerWarning } from "./warnings.js";

/** Kafka header names used on every topic of the mesh. */
export const HEADERS = {
  EVENT_TYPE: "event-type",
  SCHEMA_VERSION: "schema-version",
  CONTENT_TYPE: "content-type",
  TRACEPARENT: "traceparent",
  TRACESTATE: "tracestate",
  DECISION_ID: "decision-id",
  POLICY_REVISION: "policy-revision",
  VIEW: "view",
  DLQ_REASON: "dlq-reason",
  DLQ_SOURCE_TOPIC: "dlq-source-topic",
  DLQ_SOURCE_PARTITION: "dlq-source-partition",
  DLQ_SOURCE_OFFSET: "dlq-source-offset",
  DLQ_CONSUMER: "dlq-consumer",
} as const;

export const PROTOBUF_CONTENT_TYPE = "application/x-protobuf";

function toPinoLevel(level: logLevel): "error" | "warn" | "info" | "debug" {
  switch (level) {
    case logLevel.ERROR:
    case logLevel.NOTHING:
      return "error";
    case logLevel.WARN:
      return "warn";
    case logLevel.INFO:
      return "info";
    default:
      return "debug";
  }
}

/** A kafkajs client whose own logs go through the service's pino logger. */
export function createKafka(opts: {
  clientId: string;
  brokers: string[];
  logger: Logger;
  extra?: Partial<KafkaConfig>;
}): Kafka {
  silenceKafkajsTimerWarning();
  const log = opts.logger.child({ component: "kafkajs" });
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[toPinoLevel(level)]({ namespace: rest.namespace, error: rest.error }, message);
      },
    retry: { initialRetryTime: 200, retries: 8 },
    ...opts.extra,
  });
}

/** Read a header as a UTF-8 string (kafkajs hands back Buffers or arrays of them). */
export function headerValue(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  if (raw === undefined) return undefined;
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return undefined;
  return Buffer.isBuffer(first) ? first.toString("utf8") : String(first);
}
