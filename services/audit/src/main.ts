import { createKafka, createLogger, createMetricsRegistry, installShutdown } from "@takitini/runtime";
import { buildApp } from "./app.js";
import { readConfig } from "./config.js";
import { AuditProjection } from "./projection.js";
import { MemoryAccessLog, MemoryDecisionStore } from "./store.js";

const config = readConfig();
const logger = createLogger("audit", config.LOG_LEVEL);
const metrics = createMetricsRegistry("audit");
const store = new MemoryDecisionStore();
const access = new MemoryAccessLog();
const kafka = createKafka({ clientId: "takitini-audit", brokers: config.KAFKA_BROKERS, logger });
const projection = new AuditProjection(kafka, store, access, {
  auditTopic: config.AUDIT_TOPIC,
  deadLetterTopic: config.DEADLETTER_TOPIC,
  groupId: config.GROUP_ID,
  logger,
  metrics,
});
const app = buildApp({ logger, metrics, store, access, readiness: [{ name: "audit-consumer", check: () => projection.isReady() }] });

const shutdown = installShutdown(
  logger,
  [
    { name: "http", run: () => app.close() },
    { name: "projection", run: () => projection.stop() },
  ],
  config.SHUTDOWN_TIMEOUT_MS,
);

await app.listen({ host: config.HOST, port: config.PORT });
logger.info({ url: `http://${config.HOST}:${(app.server.address() as { port: number }).port}` }, "audit listening");
try {
  await projection.start();
} catch (err) {
  logger.fatal({ err }, "audit projection could not start");
  await shutdown("startup failure", 1);
}
