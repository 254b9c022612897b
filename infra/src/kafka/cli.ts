#!/usr/bin/env node
/**
 * takitini-kafka fetch | start | stop | status | topics
 *
 * The local development broker: data in <repo>/.takitini/kafka, port 9092
 * (TAKITINI_KAFKA_PORT) and controller port +1. Logs go to stderr, results to stdout.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { silenceKafkajsTimerWarning } from "@takitini/runtime";

silenceKafkajsTimerWarning();
import { isRunning, startLocalBroker, stopProcess, waitForBroker } from "./broker.js";
import { ensureKafkaDistribution, kafkaVersion } from "./distribution.js";
import { REPO_ROOT } from "./paths.js";
import { ensureTopics, loadTopicDeclarations } from "./topics.js";

const DATA_DIR = process.env.TAKITINI_KAFKA_DATA ?? join(REPO_ROOT, ".takitini", "kafka");
const PORT = Number(process.env.TAKITINI_KAFKA_PORT ?? 9092);
const PID_FILE = join(DATA_DIR, "broker.pid");
const err = (m: string) => process.stderr.write(`[kafka] ${m}\n`);

function runningPid(): number | undefined {
  if (!existsSync(PID_FILE)) return undefined;
  const pid = Number(readFileSync(PID_FILE, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && isRunning(pid) ? pid : undefined;
}

function brokersFromEnvOrLocal(): string[] {
  const env = process.env.KAFKA_BROKERS;
  return env ? env.split(",").map((b) => b.trim()).filter(Boolean) : [`127.0.0.1:${PORT}`];
}

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case "fetch": {
      console.log(await ensureKafkaDistribution(err));
      return 0;
    }
    case "start": {
      const pid = runningPid();
      if (pid) {
        err(`already running (pid ${pid})`);
        await waitForBroker([`127.0.0.1:${PORT}`], 60_000);
      } else {
        err(`starting Apache Kafka ${kafkaVersion()} (KRaft) on 127.0.0.1:${PORT}, data in ${DATA_DIR}`);
        const t0 = Date.now();
        const broker = await startLocalBroker({ dataDir: DATA_DIR, port: PORT, controllerPort: PORT + 1, detached: true });
        err(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (pid ${broker.pid})`);
      }
      const r = await ensureTopics([`127.0.0.1:${PORT}`], loadTopicDeclarations());
      if (r.created.length) err(`created topics: ${r.created.join(", ")}`);
      console.log(`127.0.0.1:${PORT}`);
      return 0;
    }
    case "stop": {
      const pid = runningPid();
      if (!pid) {
        err("not running");
        return 0;
      }
      err(`stopping broker (pid ${pid})`);
      await stopProcess(pid);
      rmSync(PID_FILE, { force: true });
      return 0;
    }
    case "status": {
      const brokers = brokersFromEnvOrLocal();
      const pid = process.env.KAFKA_BROKERS ? undefined : runningPid();
      if (!process.env.KAFKA_BROKERS && !pid) {
        console.log("local broker: not running");
        return 3;
      }
      const admin = new Kafka({ clientId: "takitini-status", brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const meta = await admin.fetchTopicMetadata();
      await admin.disconnect();
      console.log(pid ? `local broker: running, pid ${pid}, ${brokers.join(",")}` : `cluster: ${brokers.join(",")}`);
      for (const t of meta.topics.filter((t) => !t.name.startsWith("__")).sort((a, b) => a.name.localeCompare(b.name))) {
        console.log(`  ${t.name.padEnd(42)} ${t.partitions.length} partitions`);
      }
      return 0;
    }
    case "topics": {
      const r = await ensureTopics(brokersFromEnvOrLocal(), loadTopicDeclarations());
      console.log(JSON.stringify(r));
      return 0;
    }
    default:
      err("usage: takitini-kafka fetch | start | stop | status | topics");
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (e: unknown) => {
    err(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
