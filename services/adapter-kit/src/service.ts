import { existsSync } from "node:fs";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import {
  baseConfig,
  continueTrace,
  createHttpServer,
  createKafka,
  readKafkaSecurity,
  createLogger,
  createMetricsRegistry,
  installShutdown,
  loadConfig,
  port,
} from "@takitini/runtime";
import { z } from "zod";
import { CsvHeaderError, formatSummary, importFile } from "./bulk.js";
import { closeGrpc, createGrpcDoor, listenGrpc } from "./grpc.js";
import { registerHttpDoor } from "./http.js";
import { Intake } from "./intake.js";
import { seededRandom } from "./fields.js";
import type { AgencyAdapter } from "./kind.js";
import { IdempotentKafkaPublisher } from "./publisher.js";

export function adapterConfigSchema(adapter: AgencyAdapter) {
  return baseConfig.extend({
    /** HTTP port: the JSON door, /docs, health, readiness and metrics. */
    PORT: port.default(adapter.httpPort),
    /** gRPC port: AdapterService.Publish and PublishStream. */
    GRPC_PORT: port.default(adapter.grpcPort),
    /** Topic the adapter publishes to. */
    TOPIC: z.string().min(1).default(adapter.topic),
    /** Largest accepted HTTP body or gRPC message, in bytes. */
    BODY_LIMIT_BYTES: z.coerce.number().int().positive().max(16 * 1024 * 1024).default(256 * 1024),
    /** Most records one gRPC PublishStream call may carry. */
    GRPC_MAX_STREAM_RECORDS: z.coerce.number().int().positive().max(1_000_000).default(50_000),
    /** How long a publish may wait for the broker's acks=all. */
    PUBLISH_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    /** Bytes of recently published events kept to name the differing fields of a conflict (0: conflicts are refused without field paths). */
    CONFLICT_MEMORY_BYTES: z.coerce.number().int().min(0).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
    /** Synthetic demo records per minute (0 = off). `npm start` turns it on. */
    DEMO_RECORDS_PER_MINUTE: z.coerce.number().min(0).max(60_000).default(0),
    /** Seed of the demo stream. */
    DEMO_SEED: z.string().default("takitini"),
  });
}

/** Run an agency adapter service: HTTP and gRPC doors, idempotent publisher, optional demo stream. */
export async function runAdapter(adapter: AgencyAdapter): Promise<void> {
  const config = loadConfig(adapterConfigSchema(adapter));
  const logger = createLogger(adapter.service, config.LOG_LEVEL);
  const metrics = createMetricsRegistry(adapter.service);
  const kafka = createKafka({ clientId: `takitini-${adapter.service}`, brokers: config.KAFKA_BROKERS, logger, security: readKafkaSecurity(config) });
  const publisher = new IdempotentKafkaPublisher(kafka, config.TOPIC, config.PUBLISH_TIMEOUT_MS, logger, { indexGroupPrefix: `takitini-${adapter.service}`, contentMemoryBytes: config.CONFLICT_MEMORY_BYTES });
  const intake = new Intake({ ...adapter, topic: config.TOPIC }, publisher, metrics, logger);
  const app = createHttpServer({
    service: adapter.service,
    logger,
    metrics,
    bodyLimit: config.BODY_LIMIT_BYTES,
    readiness: [{ name: "kafka-publisher", check: () => publisher.isReady() }],
  });
  await registerHttpDoor(app, { ...adapter, topic: config.TOPIC }, intake);
  const grpcServer = createGrpcDoor(intake, { maxMessageBytes: config.BODY_LIMIT_BYTES, maxStreamRecords: config.GRPC_MAX_STREAM_RECORDS, logger });
  const starting = new AbortController();
  let demo: NodeJS.Timeout | undefined;

  installShutdown(
    logger,
    [
      { name: "stop-starting", run: async () => starting.abort() },
      { name: "demo", run: async () => clearInterval(demo) },
      // Stop taking records first; in-flight ones finish publishing before the producer flushes.
      { name: "http", run: () => app.close() },
      { name: "grpc", run: () => closeGrpc(grpcServer, 5000) },
      { name: "producer", run: () => publisher.close() },
    ],
    config.SHUTDOWN_TIMEOUT_MS,
  );

  await app.listen({ host: config.HOST, port: config.PORT });
  const grpcPort = await listenGrpc(grpcServer, config.HOST, config.GRPC_PORT);
  logger.info({ http: `http://${config.HOST}:${(app.server.address() as { port: number }).port}`, grpc: `${config.HOST}:${grpcPort}`, topic: config.TOPIC }, `${adapter.service} listening`);
  await publisher.start(starting.signal);

  if (config.DEMO_RECORDS_PER_MINUTE > 0) {
    const rng = seededRandom(`${config.DEMO_SEED}/${adapter.service}`);
    let index = 0;
    demo = setInterval(() => {
      const kind = adapter.kinds[index % adapter.kinds.length]!;
      const record = kind.synthesize(rng, index++);
      void intake.submit(kind.recordType, record, continueTrace({}), "demo").then((o) => {
        if (!o.ok) logger.warn({ code: o.code, recordType: kind.recordType, issues: o.issues.map((i) => i.path) }, "demo record rejected");
      });
    }, 60_000 / config.DEMO_RECORDS_PER_MINUTE);
  }
}

/**
 * `import <file> --type <record_type> [--format csv|ndjson] [--rejects <file>] [--batch N]`
 * Exit 0: all rows accepted; 3: some rows rejected (see the rejects file); 1: failure;
 * 2: usage, or a CSV header refused (nothing published).
 */
export async function runImportCli(adapter: AgencyAdapter, argv = process.argv.slice(2)): Promise<number> {
  const usage = `usage: import <file.ndjson|file.csv> --type <${adapter.kinds.map((k) => k.recordType).join("|")}> [--format csv|ndjson] [--rejects <file>] [--batch N]`;
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { type: { type: "string" }, format: { type: "string" }, rejects: { type: "string" }, batch: { type: "string" }, quiet: { type: "boolean" } } });
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
  const config = loadConfig(adapterConfigSchema(adapter));
  const logger = createLogger(`${adapter.service}-import`, config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL);
  const kafka = createKafka({ clientId: `takitini-${adapter.service}-import`, brokers: config.KAFKA_BROKERS, logger, security: readKafkaSecurity(config) });
  const publisher = new IdempotentKafkaPublisher(kafka, config.TOPIC, config.PUBLISH_TIMEOUT_MS, logger, { indexGroupPrefix: `takitini-${adapter.service}`, contentMemoryBytes: config.CONFLICT_MEMORY_BYTES });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 60_000);
  await publisher.start(abort.signal);
  clearTimeout(timer);
  if (!publisher.isReady()) {
    console.error(`could not reach Kafka at ${config.KAFKA_BROKERS.join(",")}`);
    return 1;
  }
  try {
    const intake = new Intake({ ...adapter, topic: config.TOPIC }, publisher, createMetricsRegistry(`${adapter.service}-import`), logger);
    const summary = await importFile({ intake, recordType, file, format, rejectsFile: args.values.rejects ?? `${file}.rejects.ndjson`, batchSize: Number.isInteger(batch) && batch > 0 ? batch : 500, progress: !args.values.quiet && process.stderr.isTTY === true });
    console.log(formatSummary(summary));
    return summary.rejected > 0 ? 3 : 0;
  } catch (err) {
    if (!(err instanceof CsvHeaderError)) throw err;
    console.error(`${file}: ${err.message}; nothing was imported`);
    return 2;
  } finally {
    await publisher.close();
  }
}
