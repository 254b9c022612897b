import { Kafka, logLevel, type Consumer, type ConsumerConfig, type IHeaders, type KafkaConfig, type LogEntry } from "kafkajs";
import { kafkaSecurityOptions, type KafkaSecurity } from "./kafka-security.js";
import { assertKafkajsPatched } from "./kafkajs-patch.js";
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
  /** A community output's random per-delivery id (in place of decision-id, which derives from the event id). */
  DELIVERY_ID: "delivery-id",
  POLICY_REVISION: "policy-revision",
  VIEW: "view",
  /** A foreign partner's delivery: the legal basis of the agreement it was released under (the TAXII server audits it). */
  LEGAL_BASIS: "legal-basis",
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

/**
 * What one fetch may bring back: at most 2 MiB (kafkajs's default is 10 MiB), and 1 MiB
 * from any one partition — the broker's largest record batch (`max.message.bytes`), so a
 * batch the broker took always fits a partition's share. A fetch response is read whole
 * into one buffer and decoded into objects that live until the batch is handled, so a
 * service's memory under load follows this limit times its consumers (the exchange runs one
 * per Subscribe stream). At the mesh's record sizes (under 2 KiB) this is still a thousand
 * records a fetch, more than a chunk the exchange or the audit handles in one go.
 */
export const FETCH_LIMITS = { maxBytes: 2 * 1024 * 1024, maxBytesPerPartition: 1024 * 1024 } as const;

/** A consumer's configuration with the mesh's fetch limits, unless it sets its own. Pure. */
export function withFetchLimits(config: ConsumerConfig): ConsumerConfig {
  return { ...FETCH_LIMITS, ...config };
}

/** kafkajs's client, its consumers under the mesh's fetch limits. */
class MeshKafka extends Kafka {
  override consumer(config: ConsumerConfig): Consumer {
    return super.consumer(withFetchLimits(config));
  }
}

/**
 * A kafkajs client whose own logs go through the service's pino logger,
 * authenticated as the service's principal (mutual TLS) — or, only when
 * TAKITINI_INSECURE_KAFKA=true, in plaintext, which it warns about.
 */
export function createKafka(opts: {
  clientId: string;
  brokers: string[];
  logger: Logger;
  security: KafkaSecurity;
  extra?: Partial<KafkaConfig>;
}): Kafka {
  assertKafkajsPatched();
  silenceKafkajsTimerWarning();
  const log = opts.logger.child({ component: "kafkajs" });
  if (opts.security.mode === "insecure") {
    opts.logger.warn(
      { code: "KAFKA_INSECURE", brokers: opts.brokers },
      "TAKITINI_INSECURE_KAFKA=true: Kafka traffic is plaintext and unauthenticated; the broker cannot tell this service from anyone else. For a throwaway local run only.",
    );
  } else {
    opts.logger.info({ kafkaPrincipal: opts.security.principal, brokers: opts.brokers }, "Kafka over mutual TLS");
  }
  return new MeshKafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    ...kafkaSecurityOptions(opts.security),
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

/** Kafka's authorisation error codes (a principal acting outside its ACLs). */
const AUTHORIZATION_FAILURES = new Set([
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "DELEGATION_TOKEN_AUTHORIZATION_FAILED",
]);

/**
 * The Kafka authorisation error in `err` (or in what it wraps), if any: the
 * broker's error type, e.g. TOPIC_AUTHORIZATION_FAILED. Pure.
 */
export function kafkaAuthorizationFailure(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e !== null && typeof e === "object" && !seen.has(e)) {
    seen.add(e);
    const type = (e as { type?: unknown }).type;
    if (typeof type === "string" && AUTHORIZATION_FAILURES.has(type)) return type;
    const o = e as { originalError?: unknown; cause?: unknown };
    e = o.originalError ?? o.cause;
  }
  return undefined;
}

/**
 * Log a refusal by the broker with what the service was doing and on which
 * topics — kafkajs's own message names neither — and return whether `err` was
 * one. The service keeps running; its caller decides what the refusal means.
 */
export function logKafkaRefusal(logger: Logger, err: unknown, what: { operation: string; topics: readonly string[]; group?: string }): boolean {
  const type = kafkaAuthorizationFailure(err);
  if (type === undefined) return false;
  logger.error(
    { code: "KAFKA_NOT_AUTHORISED", kafkaError: type, operation: what.operation, topics: what.topics, ...(what.group ? { group: what.group } : {}) },
    `Kafka refused to let this service ${what.operation} ${what.topics.join(", ")}${what.group ? ` (group ${what.group})` : ""}: ${type} — its principal's ACLs do not allow it`,
  );
  return true;
}
