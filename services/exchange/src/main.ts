import { readFile } from "node:fs/promises";
import { createKafka, rateLimitSettings, readHttpTls, readKafkaSecurity, createLogger, createMetricsRegistry, installShutdown, watchUnready } from "@takitini/runtime";
import { readConfig } from "./config.js";
import { Exchange } from "./exchange.js";
import { buildExchangeHttp } from "./http.js";
import { ReloadingPolicy } from "./policy/reloading.js";
import { missingDeliveryTopics, requireDeliveryTopics } from "./policy/topics.js";
import { CrlFile } from "./subscribe/crl-file.js";
import { CrlError } from "./subscribe/revocation.js";
import { DeliveryServer, readTls } from "./subscribe/server.js";
import { TaxiiServer } from "./taxii/server.js";

const config = readConfig();
const logger = createLogger("exchange", config.LOG_LEVEL);
const metrics = createMetricsRegistry("exchange");
const kafka = createKafka({ clientId: `takitini-exchange-${config.INSTANCE_ID}`, brokers: config.KAFKA_BROKERS, logger, security: readKafkaSecurity(config) });

// Partners' revoked certificates: a CRL that is missing, unreadable or not signed by
// GRPC_TLS_CA stops the start (revocation must not silently be off); later changes
// are polled, and a bad one keeps the last good CRL (see subscribe/crl-file.ts).
let crl: CrlFile | undefined;
if (config.SUBSCRIBE_CRL_FILE) {
  const file = config.SUBSCRIBE_CRL_FILE;
  try {
    crl = (await CrlFile.load({ path: file, caPem: await readFile(config.GRPC_TLS_CA!), logger, metrics, pollMs: config.SUBSCRIBE_CRL_RELOAD_MS })).start();
  } catch (err) {
    const reason = err instanceof CrlError ? err.code : (err as NodeJS.ErrnoException).code === "ENOENT" ? "CRL_FILE_MISSING" : "CRL_UNREADABLE";
    logger.fatal(
      { code: "CRL_INVALID", reason, file, error: (err as Error).message },
      `SUBSCRIBE_CRL_FILE ${file} cannot be used (${reason}): it must exist and be a PEM CRL signed by the CA in GRPC_TLS_CA (bash infra/pki/revoke.sh --out <pki dir> writes one); the exchange does not start`,
    );
    process.exit(1);
  }
}

/** The cluster's topics, through a short-lived admin connection (reloads are rare). */
async function listTopics(): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

// The policy is hot-reloaded: a newly built wasm or edited registry is picked up
// without a restart. A bad one — or one naming a delivery topic the cluster does not
// have — is rejected and logged, and the running one kept.
const policy = await ReloadingPolicy.start({
  logger,
  metrics,
  ...(config.POLICY_WASM ? { wasmPath: config.POLICY_WASM } : {}),
  ...(config.POLICY_DATA_DIR ? { dataDir: config.POLICY_DATA_DIR } : {}),
  accept: async (next) => {
    let topics: string[];
    try {
      topics = await listTopics();
    } catch (err) {
      // The broker cannot be asked right now: do not hold a policy change hostage to that.
      logger.warn({ err }, "cannot list topics to check the new policy's delivery topics; accepting it");
      return;
    }
    await requireDeliveryTopics(async () => topics)(next);
  },
});
try {
  const topics = await listTopics();
  const missing = await missingDeliveryTopics(policy.current(), async () => topics);
  if (missing.length > 0) logger.error({ missing }, "delivery topics missing on the cluster: deliveries to them will fail until they are created");
  // Every leader's submission's transaction writes its receipt there.
  if (!topics.includes(config.RECEIPTS_TOPIC)) logger.error({ missing: [config.RECEIPTS_TOPIC] }, "the receipts topic (RECEIPTS_TOPIC) is missing on the cluster: a leader's submission cannot be decided (its transaction fails, and is retried) until it is created");
  if (!topics.includes(config.RECORDS_TOPIC)) logger.error({ missing: [config.RECORDS_TOPIC] }, "the records topic (RECORDS_TOPIC) is missing on the cluster: the exchange does not consume until it is created");
} catch (err) {
  logger.warn({ err }, "cannot list topics to check the policy's delivery topics");
}
const exchange = new Exchange({
  kafka,
  policy,
  logger,
  metrics,
  intelTopics: config.INTEL_TOPICS,
  auditTopic: config.AUDIT_TOPIC,
  deadLetterTopic: config.DEADLETTER_TOPIC,
  receiptsTopic: config.RECEIPTS_TOPIC,
  recordsTopic: config.RECORDS_TOPIC,
  groupId: config.GROUP_ID,
  instanceId: config.INSTANCE_ID,
  maxEventsPerTransaction: config.MAX_EVENTS_PER_TRANSACTION,
  sessionTimeoutMs: config.SESSION_TIMEOUT_MS,
  partitionsConcurrently: config.PARTITIONS_CONCURRENTLY,
  backoff: { baseMs: config.EXCHANGE_RESTART_BACKOFF_BASE_MS, maxMs: config.EXCHANGE_RESTART_BACKOFF_MAX_MS },
  stallMs: config.EXCHANGE_CONSUMER_STALL_MS,
  stopTimeoutMs: Math.max(1000, Math.floor(config.SHUTDOWN_TIMEOUT_MS / 4)),
});
// The doors' mutual-TLS material (gRPC Subscribe and TAXII), none with GRPC_INSECURE.
const doorTls = config.GRPC_INSECURE ? undefined : await readTls({ ca: config.GRPC_TLS_CA!, cert: config.GRPC_TLS_CERT!, key: config.GRPC_TLS_KEY! });
// Partners' gRPC door (DeliveryService.Subscribe), mutual TLS unless GRPC_INSECURE (then it refuses every call).
const delivery = new DeliveryServer({
  kafka,
  policy,
  logger,
  metrics,
  auditTopic: config.AUDIT_TOPIC,
  host: config.HOST,
  port: config.GRPC_PORT,
  tls: doorTls ?? "insecure",
  keepaliveTimeMs: config.GRPC_KEEPALIVE_TIME_MS,
  keepaliveTimeoutMs: config.GRPC_KEEPALIVE_TIMEOUT_MS,
  maxStreams: config.GRPC_MAX_STREAMS,
  maxStreamsPerSubscriber: config.GRPC_MAX_STREAMS_PER_SUBSCRIBER,
  rateLimit: { perAddressPerMinute: config.SUBSCRIBE_RATE_LIMIT_PER_MINUTE, perPrincipalPerMinute: config.SUBSCRIBE_RATE_LIMIT_PER_SUBSCRIBER_PER_MINUTE },
  consumerSessionTimeoutMs: config.SESSION_TIMEOUT_MS,
  ...(crl ? { revocation: crl } : {}),
});
// Foreign partners' TAXII 2.1 door: mutual TLS with the gRPC door's certificate and CA (off with GRPC_INSECURE or TAXII_PORT=0).
const taxii =
  doorTls === undefined || config.TAXII_PORT === 0
    ? undefined
    : new TaxiiServer({
        kafka,
        policy,
        logger,
        metrics,
        auditTopic: config.AUDIT_TOPIC,
        host: config.HOST,
        port: config.TAXII_PORT,
        tls: doorTls,
        ...(crl ? { revocation: crl } : {}),
        groupPrefix: config.GROUP_ID,
        sessionTimeoutMs: config.SESSION_TIMEOUT_MS,
        maxPage: config.TAXII_MAX_PAGE,
        settleMs: config.TAXII_SETTLE_MS,
        rateLimit: { perAddressPerMinute: config.TAXII_RATE_LIMIT_PER_MINUTE, perPrincipalPerMinute: config.TAXII_RATE_LIMIT_PER_PARTNER_PER_MINUTE },
      });
// GET /v1/policy on the door (HTTPS only if HTTP_TLS_* are set); /metrics on the admin listener (ADMIN_PORT).
const httpTls = readHttpTls(config);
const http = buildExchangeHttp({
  logger,
  metrics,
  readiness: [
    { name: "kafka", check: () => exchange.isReady() },
    { name: "grpc", check: () => delivery.isReady() },
    ...(taxii ? [{ name: "taxii", check: () => taxii.isReady() }] : []),
  ],
  policy: () => {
    const current = policy.current();
    return { revision: current.revision, subscribers: current.subscribers().map((s) => ({ id: s.id, tier: s.tier, delivery_topic: s.delivery_topic })) };
  },
  ...(httpTls ? { tls: httpTls } : {}),
  rateLimit: rateLimitSettings(config),
});

const shutdown = installShutdown(
  logger,
  [
    { name: "grpc subscribe", run: () => delivery.stop(Math.min(5_000, config.SHUTDOWN_TIMEOUT_MS / 2)) },
    { name: "taxii", run: async () => taxii?.stop() },
    { name: "exchange", run: () => exchange.stop() },
    { name: "policy watch", run: async () => policy.close() },
    { name: "crl watch", run: async () => crl?.stop() },
    { name: "http", run: () => http.close() },
  ],
  config.SHUTDOWN_TIMEOUT_MS,
);

const { url, adminUrl } = await http.listen({ host: config.HOST, port: config.PORT, adminPort: config.ADMIN_PORT });
logger.info({ url, adminUrl }, "exchange listening");
try {
  await delivery.start();
} catch (err) {
  logger.fatal({ err }, "gRPC DeliveryService could not start");
  await shutdown("startup failure", 1);
}
try {
  await taxii?.start();
} catch (err) {
  logger.fatal({ err }, "the TAXII server could not start");
  await shutdown("startup failure", 1);
}
// Never throws for the broker's sake: a consumer that cannot start is retried with backoff.
await exchange.start();
// Never alive and idle: not consuming for longer than EXCHANGE_MAX_UNREADY_MS, the process exits 1 for its supervisor to restart it.
watchUnready({
  maxMs: config.EXCHANGE_MAX_UNREADY_MS,
  ready: () => exchange.isReady(),
  giveUp: (unreadyMs) => {
    logger.fatal({ code: "EXCHANGE_UNREADY_TOO_LONG", unreadyMs }, "not consuming for too long: exiting for the supervisor to restart the service");
    void shutdown("not ready for too long", 1);
  },
});
