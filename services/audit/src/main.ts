import { readFileSync } from "node:fs";
import { AccountsFile, createAccountGate, createKafka, rateLimitSettings, readHttpTls, readKafkaSecurity, createLogger, createMetricsRegistry, installShutdown, watchUnready } from "@takitini/runtime";
import { buildApp } from "./app.js";
import { registerConsole } from "./console/plugin.js";
import { accountsFile, readConfig } from "./config.js";
import { HeadSchedule, Ledger } from "./ledger/index.js";
import { LedgerStartError, openLedgerDatabase } from "./ledger/startup.js";
import { createSigner, loadSigningKey, SigningKeyError } from "./merkle/index.js";
import { chromiumPdf } from "./reports/pdf.js";
import { reportSigner } from "./reports/record.js";
import { QuarterlyReports } from "./reports/service.js";
import { HeadPublisher } from "./witness/publisher.js";
import { oversightAccounts } from "./oversight/credentials.js";
import { closeOversightGrpc, createOversightGrpcServer, listenOversightGrpc } from "./oversight/grpc.js";
import { LedgerRefusals } from "./oversight/refusals.js";
import { databaseAnswers } from "./ledger/health.js";
import { PgWriterLock, soleWriterLock } from "./writer/lock.js";
import { LedgerWriter } from "./writer/writer.js";

const config = readConfig();
// The console's and the API's certificate (HTTP_TLS_CERT_FILE, HTTP_TLS_KEY_FILE): read now, or refuse to start naming the variable.
const tls = readHttpTls(config);
const logger = createLogger("audit", config.LOG_LEVEL);
const metrics = createMetricsRegistry("audit");
// The key that signs tree heads: refused when missing outside development, or when its file is open to group or others.
let key: ReturnType<typeof loadSigningKey>;
try {
  key = loadSigningKey(process.env, { development: config.TAKITINI_ENV === "development" });
} catch (err) {
  if (!(err instanceof SigningKeyError)) throw err;
  logger.fatal({ code: err.code }, err.message);
  process.exit(1);
}
if (key.source === "generated") logger.warn("LEDGER_SIGNING_KEY(_FILE) not set: signing tree heads with a key generated for this process (TAKITINI_ENV=development only)");
// Oversight accounts: the file is re-read when it changes (a bad new one is refused, the old kept).
const accountsSource = accountsFile(config);
if (accountsSource.variable === "AUDIT_OVERSIGHT_TOKENS_FILE") logger.warn({ code: "CONFIG_DEPRECATED", variable: "AUDIT_OVERSIGHT_TOKENS_FILE" }, "AUDIT_OVERSIGHT_TOKENS_FILE is deprecated: set AUDIT_OVERSIGHT_ACCOUNTS_FILE");
const accounts = new AccountsFile({ path: accountsSource.path, format: oversightAccounts, logger, pollMs: config.ACCOUNTS_POLL_MS, cacheTtlMs: config.CREDENTIAL_CACHE_TTL_MS }).start();
const gate = createAccountGate(
  accounts.accounts,
  {
    sessionTtlMs: config.SESSION_TTL_MS,
    sessionIdleMs: config.SESSION_IDLE_MS,
    freeFailures: config.SIGN_IN_FREE_FAILURES,
    backoffBaseMs: config.SIGN_IN_BACKOFF_BASE_MS,
    backoffMaxMs: config.SIGN_IN_BACKOFF_MAX_MS,
    cacheTtlMs: config.CREDENTIAL_CACHE_TTL_MS,
  },
  logger,
).start(config.SESSION_SWEEP_MS);
process.on("SIGHUP", () => void accounts.reload());

// PostgreSQL at DATABASE_URL; without one, an embedded PostgreSQL (PGlite) in a data
// directory — same schema, same queries — so a newcomer needs no database install.
// Least privilege (ledger/startup.ts): the owner's AUDIT_MIGRATION_DATABASE_URL migrates
// and grants, then is closed; the service's role is checked and, outside development,
// refused if it may do more than insert and select on the ledger.
let database: Awaited<ReturnType<typeof openLedgerDatabase>>;
try {
  database = await openLedgerDatabase(
    {
      databaseUrl: config.DATABASE_URL,
      migrationUrl: config.AUDIT_MIGRATION_DATABASE_URL,
      pgliteDir: config.AUDIT_PGLITE_DIR,
      schema: config.DATABASE_SCHEMA,
      development: config.TAKITINI_ENV === "development",
      onPoolError: (err) => logger.error({ err }, "PostgreSQL connection error"),
    },
    logger,
  );
} catch (err) {
  if (!(err instanceof LedgerStartError)) throw err;
  logger.fatal({ code: err.code, problems: err.problems }, err.message);
  process.exit(1);
}
const db = database.db;
logger.info({ database: database.kind, location: database.location }, "ledger database open");

const ledger = await Ledger.open(db, { signer: createSigner(key.privateKey), migrate: false });
// Quarterly outcome reports (GET /v1/reports/quarterly), signed with the ledger's key and recorded as report leaves.
const reports = new QuarterlyReports({ db, ledger, signer: reportSigner(key.privateKey, ledger.signer.publicKey, ledger.signer.keyId), pdf: chromiumPdf(config.CHROMIUM_PATH), metrics });
const heads = new HeadSchedule(ledger, config.HEAD_INTERVAL_MS, (err) => logger.error({ err }, "signing a tree head failed"));

const kafka = createKafka({ clientId: "takitini-audit", brokers: config.KAFKA_BROKERS, logger, security: readKafkaSecurity(config) });
// One active ledger writer among the instances sharing the database: the holder of a
// PostgreSQL advisory lock (writer/lock.ts) consumes from Kafka and signs heads on
// the schedule; the others stand by, polling for the lock, and serve the API.
const lockTimeoutMs = Math.max(2000, config.AUDIT_WRITER_LOCK_POLL_MS);
const lock = database.kind === "postgres" ? new PgWriterLock({ url: config.DATABASE_URL!, schema: config.DATABASE_SCHEMA, timeoutMs: lockTimeoutMs }) : soleWriterLock();
const writer = new LedgerWriter({
  kafka,
  ledger,
  heads,
  lock,
  pollMs: config.AUDIT_WRITER_LOCK_POLL_MS,
  lockTimeoutMs,
  logger,
  metrics,
  ingest: {
    auditTopic: config.AUDIT_TOPIC,
    accessTopics: config.ACCESS_TOPICS,
    refusalTopics: config.REFUSAL_TOPICS,
    intelTopics: config.INTEL_TOPICS,
    deadLetterTopic: config.DEADLETTER_TOPIC,
    groupId: config.GROUP_ID,
    maxPerTransaction: config.MAX_RECORDS_PER_TRANSACTION,
    partitionsConcurrently: config.AUDIT_INGEST_PARTITIONS_CONCURRENTLY,
    sessionTimeoutMs: config.AUDIT_KAFKA_SESSION_TIMEOUT_MS,
    stallMs: config.AUDIT_INGEST_STALL_MS,
    backoff: { baseMs: config.AUDIT_RESTART_BACKOFF_BASE_MS, maxMs: config.AUDIT_RESTART_BACKOFF_MAX_MS },
    // Leaving the group and closing the producer are each bounded, so a broker that is away cannot eat the whole shutdown.
    stopTimeoutMs: Math.floor(config.SHUTDOWN_TIMEOUT_MS / 4),
  },
});
// Every signed head also goes to the heads topic (the oversight body's witness reads it); only the active writer publishes.
const headPublisher = new HeadPublisher({ kafka, ledger, db, topic: config.HEADS_TOPIC, ledgerName: config.DATABASE_SCHEMA, pollMs: config.HEAD_PUBLISH_POLL_MS, isActive: () => writer.role === "active", logger, metrics, sendTimeoutMs: Math.floor(config.SHUTDOWN_TIMEOUT_MS / 4) }).start();
// Requests refused for their credential (HTTP and gRPC): counted per REFUSAL_WINDOW_MS, each window's counts appended as refusal summaries.
const refusals = new LedgerRefusals(ledger, { windowMs: config.REFUSAL_WINDOW_MS, maxKeys: config.REFUSAL_MAX_KEYS, maxAddresses: config.REFUSAL_MAX_ADDRESSES, logger, metrics }).start();
// The gRPC API is held to the same rates as the HTTP API (per address, then per account).
const grpcServer = createOversightGrpcServer({ logger, db, ledger, gate, refusals, rateLimit: { perAddressPerMinute: config.RATE_LIMIT_PER_MINUTE, perPrincipalPerMinute: config.RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE }, metrics });
let grpcPort: number | undefined;
const http = await buildApp({
  logger,
  metrics,
  db,
  ledger,
  gate,
  refusals,
  reports,
  readiness: [
    { name: "database", check: () => databaseAnswers(db, 2000) },
    { name: "ledger-writer", check: () => writer.readiness().ready },
    { name: "oversight-grpc", check: () => grpcPort !== undefined },
  ],
  plugins: [registerConsole],
  ...(tls ? { tls } : {}),
  rateLimit: rateLimitSettings(config),
});

let stopWatchdog: (() => void) | undefined;
const shutdown = installShutdown(
  logger,
  [
    { name: "http", run: () => http.close() },
    { name: "accounts", run: async () => (accounts.stop(), gate.stop()) },
    { name: "grpc", run: () => closeOversightGrpc(grpcServer, Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2)) },
    // The open window's refusal summaries, once both doors are shut and before the database closes.
    { name: "refusal summaries", run: () => refusals.close() },
    // An active writer stops its ingest, signs a final head if the tree grew, then releases the writer's lock.
    { name: "ledger writer", run: async () => {
        stopWatchdog?.();
        await writer.stop();
      },
    },
    // The final head the writer signed, out to the heads topic (bounded) before the database closes.
    { name: "head publisher", run: () => headPublisher.stop() },
    { name: "database", run: () => database.close() },
  ],
  config.SHUTDOWN_TIMEOUT_MS,
);

const { url, adminUrl } = await http.listen({ host: config.HOST, port: config.PORT, adminPort: config.ADMIN_PORT });
logger.info({ url, adminUrl, tls: tls !== undefined, accounts: accounts.accounts.size, keyId: ledger.signer.keyId.toString("hex") }, "audit listening");
let grpcTls: { cert: Buffer; key: Buffer } | undefined;
try {
  grpcTls = config.GRPC_TLS_CERT && config.GRPC_TLS_KEY ? { cert: readFileSync(config.GRPC_TLS_CERT), key: readFileSync(config.GRPC_TLS_KEY) } : undefined;
  grpcPort = await listenOversightGrpc(grpcServer, { host: config.HOST, port: config.GRPC_PORT, tls: grpcTls });
  logger.info({ port: grpcPort, tls: grpcTls !== undefined, host: grpcTls ? config.HOST : "127.0.0.1" }, "oversight gRPC listening");
} catch (err) {
  logger.fatal({ err }, "the oversight gRPC service could not start");
  await shutdown("startup failure", 1);
}
writer.start();
// Never alive and idle: not ready for longer than AUDIT_MAX_UNREADY_MS, the process exits 1 for its supervisor to restart it.
stopWatchdog = watchUnready({
  maxMs: config.AUDIT_MAX_UNREADY_MS,
  ready: async () => writer.readiness().ready && (await databaseAnswers(db, 2000)),
  giveUp: async (unreadyMs) => {
    const w = writer.readiness();
    logger.fatal({ code: "AUDIT_UNREADY_TOO_LONG", unreadyMs, role: writer.role, reason: w.ready ? "database unreachable" : w.reason }, "not ready for too long: exiting for the supervisor to restart the service");
    await shutdown("not ready for too long", 1);
  },
});
