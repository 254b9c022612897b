import { Counter, createHttpServers, createKafka, createLogger, createMetricsRegistry, installShutdown, rateLimitSettings, readHttpTls, readKafkaSecurity, readSecretKeyFile, watchUnready } from "@takitini/runtime";
import { readConfig } from "./service/config.js";
import { CoreLinker } from "./service/core-linker.js";
import { Linker } from "./service/linker.js";

const config = readConfig();
const logger = createLogger("linkage", config.LOG_LEVEL);
const metrics = createMetricsRegistry("linkage");

let key: Buffer;
try {
  key = readSecretKeyFile(config.LINKAGE_KEY_FILE, "the linkage match key");
} catch (err) {
  logger.fatal({ code: "LINKAGE_KEY_INVALID", file: config.LINKAGE_KEY_FILE, error: (err as Error).message }, "the match key (LINKAGE_KEY_FILE) cannot be used: it must exist, be readable by its owner only and hold at least 32 bytes; the service does not start");
  process.exit(1);
}

// Identifiers that could not be normalised (a malformed phone, a date of birth in the future): by code, never by value.
const identifierIssues = new Counter({ name: "linkage_identifier_issues_total", help: "Identifiers left out of matching because they could not be normalised, by code", labelNames: ["code"], registers: [metrics] });
const kafka = createKafka({ clientId: `takitini-linkage-${config.INSTANCE_ID}`, brokers: config.KAFKA_BROKERS, logger, security: readKafkaSecurity(config) });
const linker = new Linker({
  kafka,
  core: new CoreLinker(key, { onIssue: (code) => identifierIssues.inc({ code }) }),
  logger,
  metrics,
  intelTopics: config.INTEL_TOPICS,
  linksTopic: config.LINKS_TOPIC,
  indexTopic: config.LINKAGE_INDEX_TOPIC,
  groupId: config.GROUP_ID,
  transactionalId: config.TRANSACTIONAL_ID,
  maxEventsPerTransaction: config.MAX_EVENTS_PER_TRANSACTION,
  sessionTimeoutMs: config.SESSION_TIMEOUT_MS,
  backoff: { baseMs: config.LINKAGE_RESTART_BACKOFF_BASE_MS, maxMs: config.LINKAGE_RESTART_BACKOFF_MAX_MS },
  stallMs: config.LINKAGE_CONSUMER_STALL_MS,
  stopTimeoutMs: Math.max(1000, Math.floor(config.SHUTDOWN_TIMEOUT_MS / 4)),
});

// No API: the door (HTTPS when HTTP_TLS_* are set) answers /healthz and /readyz only; /metrics is on the admin listener.
const tls = readHttpTls(config);
const http = createHttpServers({ service: "linkage", logger, metrics, readiness: [{ name: "kafka", check: () => linker.isReady() }], rateLimit: rateLimitSettings(config), ...(tls ? { tls } : {}) });

const shutdown = installShutdown(
  logger,
  [
    { name: "linker", run: () => linker.stop() },
    { name: "http", run: () => http.close() },
  ],
  config.SHUTDOWN_TIMEOUT_MS,
);

const { url, adminUrl } = await http.listen({ host: config.HOST, port: config.PORT, adminPort: config.ADMIN_PORT });
logger.info({ url, adminUrl }, "linkage listening");
await linker.start();
watchUnready({
  maxMs: config.LINKAGE_MAX_UNREADY_MS,
  ready: () => linker.isReady(),
  giveUp: (unreadyMs) => {
    logger.fatal({ code: "LINKAGE_UNREADY_TOO_LONG", unreadyMs }, "not ready for too long: exiting for the supervisor to restart the service");
    void shutdown("not ready for too long", 1);
  },
});
