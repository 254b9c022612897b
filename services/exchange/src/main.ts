import { loadSharingPolicy } from "@takitini/policies";
import { createHttpServer, createKafka, createLogger, createMetricsRegistry, installShutdown } from "@takitini/runtime";
import { readConfig } from "./config.js";
import { Exchange } from "./exchange.js";

const config = readConfig();
const logger = createLogger("exchange", config.LOG_LEVEL);
const metrics = createMetricsRegistry("exchange");
const policyOptions: { wasmPath?: string; dataDir?: string } = {};
if (config.POLICY_WASM) policyOptions.wasmPath = config.POLICY_WASM;
if (config.POLICY_DATA_DIR) policyOptions.dataDir = config.POLICY_DATA_DIR;
const policy = await loadSharingPolicy(policyOptions);
const kafka = createKafka({ clientId: `takitini-exchange-${config.INSTANCE_ID}`, brokers: config.KAFKA_BROKERS, logger });
const exchange = new Exchange({
  kafka,
  policy,
  logger,
  metrics,
  intelTopics: config.INTEL_TOPICS,
  auditTopic: config.AUDIT_TOPIC,
  deadLetterTopic: config.DEADLETTER_TOPIC,
  groupId: config.GROUP_ID,
  instanceId: config.INSTANCE_ID,
  maxEventsPerTransaction: config.MAX_EVENTS_PER_TRANSACTION,
});
const app = createHttpServer({
  service: "exchange",
  logger,
  metrics,
  readiness: [{ name: "kafka", check: () => exchange.isReady() }],
});
app.get("/v1/policy", async () => ({ revision: policy.revision, subscribers: policy.subscribers().map((s) => ({ id: s.id, tier: s.tier, delivery_topic: s.delivery_topic })) }));

const shutdown = installShutdown(
  logger,
  [
    { name: "exchange", run: () => exchange.stop() },
    { name: "http", run: () => app.close() },
  ],
  config.SHUTDOWN_TIMEOUT_MS,
);

await app.listen({ host: config.HOST, port: config.PORT });
logger.info({ url: `http://${config.HOST}:${(app.server.address() as { port: number }).port}` }, "exchange listening");
try {
  await exchange.start();
} catch (err) {
  logger.fatal({ err }, "exchange could not start");
  await shutdown("startup failure", 1);
}
