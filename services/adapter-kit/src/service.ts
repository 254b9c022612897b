import { existsSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import {
  baseConfig,
  continueTrace,
  createHttpServers,
  createKafka,
  httpServersShape,
  rateLimitSettings,
  RefusalReporter,
  readKafkaSecurity,
  createLogger,
  createMetricsRegistry,
  installShutdown,
  loadConfig,
  port,
  readEventIdKey,
} from "@takitini/runtime";
import type { EventIdKey, Logger } from "@takitini/runtime";
import type { Kafka } from "kafkajs";
import { z } from "zod";
import { CsvHeaderError, formatSummary, importFile, ImportPublishFailed } from "./bulk.js";
import { backfillHistory } from "./backfill.js";
import { historyRecords } from "./history.js";
import { closeGrpc, createGrpcDoor, listenGrpc, type GrpcTls } from "./grpc.js";
import { demoPublisher, publisherFromFiles } from "./identity.js";
import { registerHttpDoor } from "./http.js";
import { Intake, type PublishRefusal } from "./intake.js";
import { seededRandom } from "./fields.js";
import type { AgencyAdapter } from "./kind.js";
import { IdempotentKafkaPublisher } from "./publisher.js";

export function adapterConfigSchema(adapter: AgencyAdapter) {
  return baseConfig.extend({
    /** PORT (the HTTPS door), ADMIN_PORT (metrics, docs, probes), rate limits per address and per publisher. */
    ...httpServersShape({ port: adapter.httpPort, perAddressPerMinute: 120_000, perPrincipalPerMinute: 120_000 }),
    /** gRPC port: AdapterService.Publish and PublishStream. */
    GRPC_PORT: port.default(adapter.grpcPort),
    /** Topic the adapter publishes to. */
    TOPIC: z.string().min(1).default(adapter.topic),
    /** Largest accepted HTTP body or gRPC message, in bytes. */
    BODY_LIMIT_BYTES: z.coerce.number().int().positive().max(16 * 1024 * 1024).default(256 * 1024),
    /** Most records one gRPC PublishStream call may carry. */
    GRPC_MAX_STREAM_RECORDS: z.coerce.number().int().positive().max(1_000_000).default(50_000),
    GRPC_STREAM_IDLE_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    /** The compacted claims topic the instances of this adapter share (claims.ts); by default TOPIC's (claimsTopicFor). */
    CLAIMS_TOPIC: z.string().min(1).optional(),
    /** The deadline of one publish (claim, event, commit); past it: 503 PUBLISH_FAILED with Retry-After; no commit is begun after it (a commit whose answer was lost is in doubt: a retry answers duplicate). */
    PUBLISH_TIMEOUT_MS: z.coerce.number().int().positive().max(120_000).default(5_000),
    /** Bytes of recently published events kept to name the differing fields of a conflict (0: conflicts are refused without field paths). */
    CONFLICT_MEMORY_BYTES: z.coerce.number().int().min(0).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
    /** Synthetic demo records per minute (0 = off). `npm start` turns it on. */
    DEMO_RECORDS_PER_MINUTE: z.coerce.number().min(0).max(60_000).default(0),
    /** Seed of the demo stream and the demo history. */
    DEMO_SEED: z.string().default("takitini"),
    /** Completed ISO weeks of seeded demo history backfilled at start (history.ts; 0 = off). `npm start` sets 52 unless TAKITINI_DEMO_HISTORY=0. */
    DEMO_HISTORY_WEEKS: z.coerce.number().int().min(0).max(104).default(0),
    /** Demo-history records submitted per second, so the live doors stay responsive. */
    DEMO_HISTORY_PER_SECOND: z.coerce.number().positive().max(10_000).default(20),
    /** The adapters' shared secret for event ids (HMAC-SHA-256; ≥ 32 bytes, raw or hex; the file 0600). */
    EVENT_ID_KEY_FILE: z.string().min(1, "EVENT_ID_KEY_FILE is required: the adapters' shared event-id key"),
    /** The doors' server certificate (PEM; infra/pki/issue.sh issues service/<adapter>.crt). */
    HTTP_TLS_CERT_FILE: z.string().min(1, "HTTP_TLS_CERT_FILE is required: the adapter's doors are mutual TLS only"),
    /** Its key. */
    HTTP_TLS_KEY_FILE: z.string().min(1, "HTTP_TLS_KEY_FILE is required: the adapter's doors are mutual TLS only"),
    /** The CA publishers' client certificates must chain to (the mesh's ca.crt). */
    HTTP_TLS_CA_FILE: z.string().min(1, "HTTP_TLS_CA_FILE is required: publishers' client certificates are checked against it"),
    /** Where refusals go for the oversight body's ledger (RefusalRecord, RefusalSummary). */
    REFUSAL_TOPIC: z.string().min(1).default("takitini.audit.refusals.v1"),
    /** Window over which refusals of callers without a certificate are counted into one summary. */
    REFUSAL_WINDOW_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  });
}

type AdapterConfig = z.infer<ReturnType<typeof adapterConfigSchema>>;

/** The adapter's publisher: claims and transactional ids under its principal's prefix (`takitini-<agency>-adapter`). */
function kafkaPublisher(kafka: Kafka, adapter: AgencyAdapter, config: AdapterConfig, logger: Logger, eventIdKey: EventIdKey): IdempotentKafkaPublisher {
  return new IdempotentKafkaPublisher(kafka, config.TOPIC, config.PUBLISH_TIMEOUT_MS, logger, { prefix: `takitini-${adapter.service}`, ...(config.CLAIMS_TOPIC === undefined ? {} : { claimsTopic: config.CLAIMS_TOPIC }), contentMemoryBytes: config.CONFLICT_MEMORY_BYTES, eventIdKey });
}

/** Read the doors' certificate files; a missing or unreadable one names its variable. */
function doorTls(config: AdapterConfig): GrpcTls {
  const read = (name: "HTTP_TLS_CERT_FILE" | "HTTP_TLS_KEY_FILE" | "HTTP_TLS_CA_FILE") => {
    try {
      return readFileSync(config[name]);
    } catch (err) {
      throw new Error(`${name}: cannot read ${config[name]} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  };
  return { cert: read("HTTP_TLS_CERT_FILE"), key: read("HTTP_TLS_KEY_FILE"), ca: read("HTTP_TLS_CA_FILE") };
}

/** Run an agency adapter service: HTTP and gRPC doors, idempotent publisher, optional demo stream. */
export async function runAdapter(adapter: AgencyAdapter): Promise<void> {
  const config = loadConfig(adapterConfigSchema(adapter));
  const logger = createLogger(adapter.service, config.LOG_LEVEL);
  const metrics = createMetricsRegistry(adapter.service);
  const kafka = createKafka({ clientId: `takitini-${adapter.service}`, brokers: config.KAFKA_BROKERS, logger, security: readKafkaSecurity(config) });
  const eventIdKey = readEventIdKey(config.EVENT_ID_KEY_FILE);
  const publisher = kafkaPublisher(kafka, adapter, config, logger, eventIdKey);
  const tls = doorTls(config);
  const reporter = new RefusalReporter(kafka, { topic: config.REFUSAL_TOPIC, service: adapter.service, windowMs: config.REFUSAL_WINDOW_MS, logger, metrics }).start();
  const refusals = {
    refused: (r: PublishRefusal) => void reporter.refused({ door: r.door, code: r.code, principal: r.principal, recordType: r.recordType, eventId: r.eventId, fieldPaths: r.paths, traceId: r.traceId }),
    unauthenticated: (r: { door: string; code: string; route: string; address: string }) => reporter.unauthenticated(r),
  };
  const intake = new Intake({ ...adapter, topic: config.TOPIC }, publisher, metrics, logger, { eventIdKey, refusals });
  const http = createHttpServers({
    service: adapter.service,
    logger,
    metrics,
    bodyLimit: config.BODY_LIMIT_BYTES,
    readiness: [{ name: "kafka-publisher", check: () => publisher.isReady() }],
    tls: { ...tls, clientCertificates: "request" },
    // Per address before anyone is identified; per publishing system once its certificate is.
    rateLimit: rateLimitSettings(config, (req) => req.publisher?.uri),
  });
  const app = http.app;
  await registerHttpDoor(app, { ...adapter, topic: config.TOPIC }, intake, { docs: http.admin });
  const grpcServer = createGrpcDoor(intake, {
    agency: adapter.agency,
    tls,
    maxMessageBytes: config.BODY_LIMIT_BYTES,
    maxStreamRecords: config.GRPC_MAX_STREAM_RECORDS,
    streamIdleMs: config.GRPC_STREAM_IDLE_MS,
    rateLimit: { perAddressPerMinute: config.RATE_LIMIT_PER_MINUTE, perPrincipalPerMinute: config.RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE },
    metrics,
    logger,
  });
  const starting = new AbortController();
  const history = new AbortController();
  let demo: NodeJS.Timeout | undefined;

  installShutdown(
    logger,
    [
      { name: "stop-starting", run: async () => starting.abort() },
      { name: "demo", run: async () => clearInterval(demo) },
      { name: "demo-history", run: async () => history.abort() },
      // Stop taking records first; in-flight ones finish publishing before the producer flushes.
      { name: "http", run: () => http.close() },
      { name: "grpc", run: () => closeGrpc(grpcServer, 5000) },
      { name: "producer", run: () => publisher.close() },
      { name: "refusals", run: () => reporter.close() },
    ],
    config.SHUTDOWN_TIMEOUT_MS,
  );

  const urls = await http.listen({ host: config.HOST, port: config.PORT, adminPort: config.ADMIN_PORT });
  const grpcPort = await listenGrpc(grpcServer, config.HOST, config.GRPC_PORT, tls);
  logger.info({ https: urls.url, admin: urls.adminUrl, grpc: `${config.HOST}:${grpcPort} (mutual TLS)`, topic: config.TOPIC }, `${adapter.service} listening`);
  await publisher.start(starting.signal);

  if (config.DEMO_HISTORY_WEEKS > 0) {
    // Not awaited: readiness does not wait for the history; shutdown stops it between batches.
    const records = historyRecords(adapter, { seed: config.DEMO_SEED, now: new Date(), weeks: config.DEMO_HISTORY_WEEKS });
    void backfillHistory({ intake, by: demoPublisher(adapter.agency), records, perSecond: config.DEMO_HISTORY_PER_SECOND, signal: history.signal, logger, metrics }).catch((err: unknown) => logger.error({ err }, "demo history: backfill failed"));
  }

  if (config.DEMO_RECORDS_PER_MINUTE > 0) {
    const rng = seededRandom(`${config.DEMO_SEED}/${adapter.service}`);
    const demoBy = demoPublisher(adapter.agency);
    let index = 0;
    demo = setInterval(() => {
      const kind = adapter.kinds[index % adapter.kinds.length]!;
      const record = kind.synthesize(rng, index++);
      void intake.submit(kind.recordType, record, continueTrace({}), "demo", demoBy).then((o) => {
        if (!o.ok) logger.warn({ code: o.code, recordType: kind.recordType, issues: o.issues.map((i) => i.path) }, "demo record rejected");
      });
    }, 60_000 / config.DEMO_RECORDS_PER_MINUTE);
  }
}

/**
 * `import <file> --type <record_type> --cert <publisher.crt> --key <publisher.key> [--format csv|ndjson] [--rejects <file>] [--batch N]`
 * The publisher's certificate (or PUBLISHER_CERT_FILE / PUBLISHER_KEY_FILE) must be
 * this agency's publishing system's, from the mesh's CA (HTTP_TLS_CA_FILE), and the
 * key its own: the events carry its identity, exactly as through the doors.
 * Exit 0: all rows accepted; 3: some rows rejected (see the rejects file); 1: failure
 * (the broker unreachable, or a batch not acknowledged within PUBLISH_TIMEOUT_MS: PUBLISH_FAILED);
 * 2: usage, or a CSV header refused (nothing published).
 */
export async function runImportCli(adapter: AgencyAdapter, argv = process.argv.slice(2)): Promise<number> {
  const usage = `usage: import <file.ndjson|file.csv> --type <${adapter.kinds.map((k) => k.recordType).join("|")}> --cert <publisher.crt> --key <publisher.key> [--format csv|ndjson] [--rejects <file>] [--batch N]\n  an NDJSON line is a record of --type, a correction {"supersedes": "<event id>", "record": {…}} or a withdrawal {"withdraw": "<event id>", "reason": "…"}`;
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { type: { type: "string" }, format: { type: "string" }, rejects: { type: "string" }, batch: { type: "string" }, quiet: { type: "boolean" }, cert: { type: "string" }, key: { type: "string" } } });
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const file = args.positionals[0];
  const recordType = args.values.type;
  if (!file || !recordType) {
    console.error(usage);
    return 2;
  }
  if (!existsSync(file)) {
    console.error(`no such file: ${file}`);
    return 2;
  }
  if (!adapter.kinds.some((k) => k.recordType === recordType)) {
    console.error(`unknown record type "${recordType}"\n${usage}`);
    return 2;
  }
  const format = (args.values.format ?? (extname(file).toLowerCase() === ".csv" ? "csv" : "ndjson")) as string;
  if (format !== "csv" && format !== "ndjson") {
    console.error(`--format must be csv or ndjson\n${usage}`);
    return 2;
  }
  const batch = Number(args.values.batch ?? 500);
  const certFile = args.values.cert ?? process.env["PUBLISHER_CERT_FILE"];
  const keyFile = args.values.key ?? process.env["PUBLISHER_KEY_FILE"];
  if (!certFile || !keyFile) {
    console.error(`PUBLISHER_CERTIFICATE_REQUIRED: give the publishing system's certificate and key (--cert, --key)\n${usage}`);
    return 2;
  }
  const config = loadConfig(adapterConfigSchema(adapter));
  let who;
  try {
    who = publisherFromFiles(readFileSync(certFile), readFileSync(keyFile), readFileSync(config.HTTP_TLS_CA_FILE), adapter.agency);
  } catch (err) {
    console.error(`PUBLISHER_CERTIFICATE_REQUIRED: cannot read ${(err as NodeJS.ErrnoException).path ?? "a certificate file"}`);
    return 2;
  }
  if (!who.ok) {
    console.error(`${who.code}: ${who.message}; nothing was imported`);
    return 2;
  }
  const eventIdKey = readEventIdKey(config.EVENT_ID_KEY_FILE);
  const logger = createLogger(`${adapter.service}-import`, config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL);
  const kafka = createKafka({ clientId: `takitini-${adapter.service}-import`, brokers: config.KAFKA_BROKERS, logger, security: readKafkaSecurity(config) });
  const publisher = kafkaPublisher(kafka, adapter, config, logger, eventIdKey);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 60_000);
  await publisher.start(abort.signal);
  clearTimeout(timer);
  if (!publisher.isReady()) {
    console.error(`could not reach Kafka at ${config.KAFKA_BROKERS.join(",")}`);
    return 1;
  }
  try {
    const intake = new Intake({ ...adapter, topic: config.TOPIC }, publisher, createMetricsRegistry(`${adapter.service}-import`), logger, { eventIdKey });
    const summary = await importFile({ intake, by: who.publisher, recordType, file, format, rejectsFile: args.values.rejects ?? `${file}.rejects.ndjson`, batchSize: Number.isInteger(batch) && batch > 0 ? batch : 500, progress: !args.values.quiet && process.stderr.isTTY === true });
    console.log(formatSummary(summary));
    return summary.rejected > 0 ? 3 : 0;
  } catch (err) {
    if (err instanceof ImportPublishFailed) {
      console.error(err.message);
      return 1;
    }
    if (!(err instanceof CsvHeaderError)) throw err;
    console.error(`${file}: ${err.message}; nothing was imported`);
    return 2;
  } finally {
    await publisher.close();
  }
}
