import { createKafka, createLogger, createMetricsRegistry, installShutdown } from "@takitini/runtime";
import { buildApp } from "./app.js";
import { readConfig } from "./config.js";
import { KafkaEventPublisher } from "./publisher.js";

const config = readConfig();
const logger = createLogger("police-adapter", config.LOG_LEVEL);
const metrics = createMetricsRegistry("police-adapter");
const kafka = createKafka({ clientId: "takitini-police-adapter", brokers: config.KAFKA_BROKERS, logger });
const publisher = new KafkaEventPublisher(kafka, config.POLICE_TOPIC, config.PUBLISH_TIMEOUT_MS, logger);
const app = buildApp({ logger, metrics, publisher, bodyLimit: config.BODY_LIMIT_BYTES });
const connecting = new AbortController();

installShutdown(
  logger,
  [
    { name: "stop-connecting", run: async () => connecting.abort() },
    // Closing the server first stops new reports and waits for in-flight ones,
    // whose publishes finish before the producer is flushed and disconnected.
    { name: "http", run: () => app.close() },
    { name: "producer", run: () => publisher.close() },
  ],
  config.SHUTDOWN_TIMEOUT_MS,
);

await app.listen({ host: config.HOST, port: config.PORT });
logger.info({ url: `http://${config.HOST}:${(app.server.address() as { port: number }).port}`, topic: config.POLICE_TOPIC }, "police-adapter listening");
void publisher.connect(connecting.signal);
