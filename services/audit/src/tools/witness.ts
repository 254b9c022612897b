#!/usr/bin/env node
/**
 * npm run audit:witness -- --out <file> --key <public-key.pem> [--key …] [options]
 *
 * The oversight body's witness of the audit ledger: follows the heads topic
 * (takitini.audit.heads.v1) as the oversight Kafka principal, checks each
 * signed tree head against the trusted public keys and against the latest head
 * it has witnessed (verify/witness.ts `judgeHead`: a larger tree is appended; a
 * second root for a size, or a later head of a smaller tree, is refused and
 * raised), and appends one JSON line per head to a file the oversight body
 * keeps (written and fsync'd before the Kafka offset is committed).
 * `npm run audit:verify -- --witness <file>` then checks the ledger against
 * every head in it.
 *
 * Kafka: --brokers or KAFKA_BROKERS; mutual TLS with KAFKA_TLS_CA_FILE,
 * KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE (the oversight principal's
 * certificate), or TAKITINI_INSECURE_KAFKA=true for a throwaway local broker.
 *
 * One witness per file (`<file>.lock` holds its pid; a dead holder's lock is taken over).
 *
 * Exit: 0 on SIGTERM/SIGINT; 2 on usage, key or file errors, or a file another witness holds. Refused heads are
 * logged (code HEAD_FORK, HEAD_ROLLBACK, HEAD_SIGNATURE) and the witness carries on.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { brokerList, createKafka, createLogger, kafkaSecurityIssues, readKafkaSecurity } from "@takitini/runtime";
import type { Consumer } from "kafkajs";
import type { HeadRecord } from "../verify/head.js";
import { formatHeadLine, judgeHead, latestWitnessed, parseHeadLine, parseWitnessFile } from "../verify/witness.js";
import { loadTrustedKeys } from "./trusted-keys.js";

const USAGE = `usage: npm run audit:witness -- --out <file> --key <public-key.pem> [--key <…>] [options]

  --out <file>       the witness file: one JSON line per signed tree head, appended (created if missing)
  --key <file>       a PEM public key whose heads are accepted (repeatable; after a rotation, the old and the new)
  --brokers <list>   Kafka bootstrap servers (default $KAFKA_BROKERS, else 127.0.0.1:9092)
  --topic <name>     the heads topic (default takitini.audit.heads.v1)
  --ledger <name>    the ledger to witness: the audit's DATABASE_SCHEMA, the messages' key (default public)
  --group <id>       consumer group, under takitini-oversight (default takitini-oversight-witness)
  -h, --help         this text

Kafka over mutual TLS as the oversight principal: KAFKA_TLS_CA_FILE, KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE.`;

class UsageError extends Error {}

interface Options {
  out: string;
  keyFiles: string[];
  brokers: string[];
  topic: string;
  ledger: string;
  group: string;
}

function options(argv: string[], env: NodeJS.ProcessEnv): Options | "help" {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        out: { type: "string" },
        key: { type: "string", multiple: true },
        brokers: { type: "string" },
        topic: { type: "string", default: "takitini.audit.heads.v1" },
        ledger: { type: "string", default: "public" },
        group: { type: "string", default: "takitini-oversight-witness" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (v.help) return "help";
  if (!v.out) throw new UsageError("--out <file> is required");
  const keyFiles = v.key ?? [];
  if (keyFiles.length === 0) throw new UsageError("at least one --key is required: the witness accepts heads signed by the keys you give it only");
  const brokers = brokerList.safeParse(v.brokers ?? env.KAFKA_BROKERS ?? "127.0.0.1:9092");
  if (!brokers.success) throw new UsageError(`--brokers: ${brokers.error.issues[0]?.message}`);
  return { out: v.out, keyFiles, brokers: brokers.data, topic: v.topic, ledger: v.ledger, group: v.group };
}

/** Append one line and make it durable before anything is acknowledged. */
function appendDurably(file: string, line: string): void {
  const fd = openSync(file, "a", 0o644);
  try {
    writeSync(fd, `${line}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readWitnessFile(file: string): HeadRecord[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return parseWitnessFile(text);
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
}

/**
 * One witness per file: `<file>.lock` holds the pid of the witness appending to it.
 * A lock whose process is gone is taken over. Returns the release.
 */
function lockWitnessFile(file: string): () => void {
  const lock = `${file}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: "wx", mode: 0o644 });
      return () => rmSync(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new UsageError(`cannot lock ${file}: ${(err as Error).message}`);
      const pid = Number(readFileSync(lock, "utf8").trim());
      let alive = false;
      try {
        alive = Number.isSafeInteger(pid) && pid > 0 && process.kill(pid, 0);
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === "EPERM";
      }
      if (alive) throw new UsageError(`${file} is being appended to by another witness (pid ${pid}, ${lock})`);
      rmSync(lock, { force: true });
    }
  }
  throw new UsageError(`cannot lock ${file}`);
}

async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let opts: Options | "help";
  let keys: ReturnType<typeof loadTrustedKeys>;
  let latest: HeadRecord | undefined;
  let security: ReturnType<typeof readKafkaSecurity>;
  let release = () => undefined as void;
  try {
    opts = options(argv, env);
    if (opts === "help") {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    keys = loadTrustedKeys(opts.keyFiles, (m) => new UsageError(m));
    mkdirSync(dirname(opts.out), { recursive: true });
    release = lockWitnessFile(opts.out);
    latest = latestWitnessed(readWitnessFile(opts.out));
    const settings = { TAKITINI_INSECURE_KAFKA: env.TAKITINI_INSECURE_KAFKA === "true", KAFKA_TLS_CA_FILE: env.KAFKA_TLS_CA_FILE, KAFKA_TLS_CERT_FILE: env.KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE: env.KAFKA_TLS_KEY_FILE };
    const issues = kafkaSecurityIssues(settings);
    if (issues.length > 0) throw new UsageError(issues.map((i) => `${i.path}: ${i.message}`).join("; "));
    security = readKafkaSecurity(settings);
  } catch (err) {
    release();
    if (!(err instanceof UsageError) && (err as { code?: string }).code !== "KAFKA_TLS_INVALID") throw err;
    process.stderr.write(`audit:witness: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }

  const logger = createLogger("audit-witness", env.LOG_LEVEL ?? "info", undefined);
  const { out, topic, ledger, group } = opts;
  logger.info({ out, topic, ledger, group, trustedKeys: keys.ids, latestWitnessed: latest?.treeSize ?? null }, "witness starting");
  const kafka = createKafka({ clientId: "takitini-oversight-witness", brokers: opts.brokers, logger, security });
  let consumer: Consumer | undefined;
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, "witness stopping");
      void (consumer?.disconnect() ?? Promise.resolve()).catch(() => undefined).then(() => resolve());
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });

  // Follow the topic; a consumer that crashes (the broker away) is started again.
  void (async () => {
    for (let attempt = 0; !stopping; attempt++) {
      try {
        const c = kafka.consumer({ groupId: group, retry: { retries: 5, restartOnFailure: async () => false } });
        consumer = c;
        const crashed = new Promise<void>((resolve) => c.on(c.events.CRASH, () => resolve()));
        await c.connect();
        await c.subscribe({ topic, fromBeginning: true });
        await c.run({
          autoCommit: false,
          eachMessage: async ({ topic: t, partition, message }) => {
            const next = { topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() };
            if (message.key?.toString() !== ledger || message.value === null) return void (await c.commitOffsets([next]));
            let head: HeadRecord;
            try {
              head = parseHeadLine(message.value.toString("utf8"));
            } catch (err) {
              logger.error({ code: "HEAD_MALFORMED", offset: message.offset, err: (err as Error).message }, "a message on the heads topic is not a head");
              return void (await c.commitOffsets([next]));
            }
            const verdict = judgeHead(latest, head, keys.trusted);
            if (verdict.action === "append") {
              appendDurably(out, formatHeadLine(head, Date.now()));
              latest = head;
              logger.info({ treeSize: head.treeSize, timestampMs: head.timestampMs, rootHash: Buffer.from(head.rootHash).toString("hex") }, "head witnessed");
            } else if (verdict.action === "reject") {
              logger.error({ code: verdict.code, offset: message.offset, head: JSON.parse(formatHeadLine(head)) }, verdict.detail);
            }
            await c.commitOffsets([next]);
          },
        });
        attempt = 0;
        await crashed;
      } catch (err) {
        if (stopping) break;
        logger.warn({ err: (err as Error).message, attempt }, "the heads topic cannot be followed; retrying");
      }
      if (!stopping) {
        await consumer?.disconnect().catch(() => undefined);
        await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5))));
      }
    }
  })();
  await stopped;
  release();
  return 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`audit:witness: ${(err as Error).stack ?? String(err)}\n`);
  return 2;
});
process.exit();
