import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { logLevel } from "kafkajs";
import { infraKafka, type KafkaAccess } from "./client.js";
import { commandLine, isAlive, stopProcess } from "./process.js";

export interface LocalBroker {
  /** Bootstrap addresses, e.g. `["127.0.0.1:9092"]`. */
  brokers: string[];
  /** The operator principal's access to it (a super user), for infrastructure chores. */
  operator: KafkaAccess;
  /** The broker JVM's pid. */
  pid: number;
  dataDir: string;
  /** SIGTERM, wait for a clean exit (bounded), then SIGKILL. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Everything of this broker lives here: config, partitions, logs, pid file. */
  dataDir: string;
  /**
   * `{ pkiDir }`: mutual TLS on every listener with certificates from that
   * directory (infra/pki/issue.sh, with the `broker` and `operator` Kafka
   * principals issued), and ACLs enforced. `"insecure"`: plaintext, no identity
   * (TAKITINI_INSECURE_KAFKA=true only).
   */
  security: { pkiDir: string } | "insecure";
  /** Client port on 127.0.0.1; default: a free one. */
  port?: number;
  /** KRaft controller port on 127.0.0.1; default: a free one. */
  controllerPort?: number;
  /** JVM max heap, e.g. "512m" (default). */
  heap?: string;
  /** Leave the broker running after this process exits (the CLI). Default false: tied to this process. */
  detached?: boolean;
  /** How long to wait for the broker to answer (default 120 s). */
  readyTimeoutMs?: number;
  /** Progress messages (default: none). */
  log?: (msg: string) => void;
}

/** The files of a broker's data dir. Pure. */
export function brokerFiles(dataDir: string) {
  const dir = resolve(dataDir);
  return {
    dir,
    logDir: join(dir, "log"),
    serverProperties: join(dir, "server.properties"),
    log4jProperties: join(dir, "log4j.properties"),
    brokerLog: join(dir, "broker.log"),
    stdout: join(dir, "broker.stdout"),
    pidFile: join(dir, "broker.pid"),
    keystore: join(dir, "broker-keystore.pem"),
    addressFile: join(dir, "broker.address"),
  };
}

/** The JVM command line of a broker. Pure. */
export function brokerCommand(opts: { java: string; libs: string; log4jProperties: string; heap?: string; mainClass: string; args: string[] }): { cmd: string; args: string[] } {
  const heap = opts.heap ?? "512m";
  return {
    cmd: opts.java,
    args: [
      `-Xmx${heap}`,
      `-Xms${opts.heap === undefined ? "256m" : heap}`,
      "-XX:+UseG1GC",
      "-XX:MaxGCPauseMillis=20",
      "-XX:InitiatingHeapOccupancyPercent=35",
      "-XX:+ExplicitGCInvokesConcurrent",
      "-Djava.awt.headless=true",
      `-Dlog4j.configuration=file:${opts.log4jProperties}`,
      "-cp",
      `${opts.libs}/*`,
      opts.mainClass,
      ...opts.args,
    ],
  };
}

/** A fresh KRaft cluster id: 16 random bytes, base64url (22 characters), not starting with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(empty)";
  }
}

/** The last lines of a broker's logs, for error messages. */
export function brokerLogTail(dataDir: string, lines = 30): string {
  const f = brokerFiles(dataDir);
  return `--- ${f.brokerLog} (last ${lines} lines) ---\n${tail(f.brokerLog, lines)}\n--- ${f.stdout} ---\n${tail(f.stdout, 15)}`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Wait until a cluster answers: `describeCluster` lists a broker — every one of
 * `nodeIds` when given (registered and unfenced) — AND a metadata request
 * succeeds. Resolves to the number of brokers registered. Throws after `timeoutMs`,
 * or at once if `alive()` turns false.
 */
export async function waitForBroker(cluster: KafkaAccess, timeoutMs: number, alive: () => boolean = () => true, nodeIds: readonly number[] = []): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "no attempt";
  while (Date.now() < deadline) {
    if (!alive()) throw new Error("the broker process exited before it was ready");
    const kafka = infraKafka(cluster, "takitini-wait", logLevel.NOTHING);
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0 || cluster.controller === null) throw new Error("no broker registered yet");
      const registered = new Set(cluster.brokers.map((b) => b.nodeId));
      const missing = nodeIds.filter((id) => !registered.has(id));
      if (missing.length > 0) throw new Error(`node(s) ${missing.join(", ")} not registered yet (registered: ${[...registered].sort().join(", ")})`);
      await admin.listTopics(); // a full metadata request
      return registered.size;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new Error(`Kafka at ${cluster.brokers.join(",")} did not answer within ${timeoutMs} ms (last error: ${lastError})`);
}

/** A broker recorded in `dataDir` (by its pid file): its pid, address, and whether it is running. */
export interface BrokerState {
  pid: number;
  address: string | undefined;
  running: boolean;
}

/** Whether `pid` is the broker of `dataDir` (not an unrelated process that reused the pid). */
function isBrokerOf(pid: number, dataDir: string): boolean {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  if (cmd === undefined) return true; // cannot tell: trust the pid file
  return cmd.includes("kafka.Kafka") && cmd.includes(brokerFiles(dataDir).serverProperties);
}

/** Read `dataDir`'s pid file; undefined if there is none. */
export function readBrokerState(dataDir: string): BrokerState | undefined {
  const f = brokerFiles(dataDir);
  if (!existsSync(f.pidFile)) return undefined;
  const pid = Number(readFileSync(f.pidFile, "utf8").trim());
  const address = existsSync(f.addressFile) ? readFileSync(f.addressFile, "utf8").trim() || undefined : undefined;
  return { pid, address, running: Number.isInteger(pid) && pid > 0 && isBrokerOf(pid, dataDir) };
}

/** Stop the broker recorded in `dataDir` (if running) and remove its pid file. Returns whether one was running. */
export async function stopBrokerIn(dataDir: string, graceMs = 30_000): Promise<boolean> {
  const state = readBrokerState(dataDir);
  const f = brokerFiles(dataDir);
  if (!state) return false;
  if (state.running) await stopProcess(state.pid, graceMs);
  rmSync(f.pidFile, { force: true });
  return state.running;
}
