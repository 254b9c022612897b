import { IntelligenceEvent, INTEL_SCHEMA_VERSION } from "@takitini/proto";
import { HEADERS, PROTOBUF_CONTENT_TYPE, type Logger, type TraceContext } from "@takitini/runtime";
import type { Kafka, Producer } from "kafkajs";

export interface PublishResult {
  topic: string;
  partition: number;
  offset: string;
}

/** Where accepted events go. The HTTP layer knows only this interface. */
export interface EventPublisher {
  publish(event: IntelligenceEvent, trace: TraceContext): Promise<PublishResult>;
  isReady(): boolean;
  close(): Promise<void>;
}

/** Kafka headers of an intelligence event: type, schema version, trace context. */
export function eventHeaders(event: IntelligenceEvent, trace: TraceContext): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.EVENT_TYPE]: event.eventType,
    [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION,
    [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
    [HEADERS.TRACEPARENT]: trace.traceparent,
  };
  if (trace.tracestate) headers[HEADERS.TRACESTATE] = trace.tracestate;
  return headers;
}

/**
 * Idempotent producer (acks=all, one request in flight, broker-side sequence
 * numbers), so a retried send never writes a second copy. A publish resolves
 * only once the record is durably in the topic.
 */
export class KafkaEventPublisher implements EventPublisher {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.producer.on(this.producer.events.CONNECT, () => (this.connected = true));
    this.producer.on(this.producer.events.DISCONNECT, () => (this.connected = false));
  }

  /** Connect, retrying until the broker answers or `signal` aborts. */
  async connect(signal: AbortSignal): Promise<void> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.producer.connect();
        this.logger.info({ topic: this.topic }, "producer connected");
        return;
      } catch (err) {
        this.logger.warn({ err, attempt }, "producer could not connect; retrying");
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
      }
    }
  }

  isReady(): boolean {
    return this.connected;
  }

  async publish(event: IntelligenceEvent, trace: TraceContext): Promise<PublishResult> {
    const [meta] = await this.producer.send({
      topic: this.topic,
      acks: -1,
      timeout: this.timeoutMs,
      messages: [
        {
          key: event.id,
          value: Buffer.from(IntelligenceEvent.encode(event).finish()),
          headers: eventHeaders(event, trace),
        },
      ],
    });
    if (!meta) throw new Error("broker returned no record metadata");
    return { topic: meta.topicName, partition: meta.partition, offset: meta.baseOffset ?? "" };
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
