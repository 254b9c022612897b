import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { logLevel } from "kafkajs";
import { infraKafka, type KafkaAccess } from "./client.js";
import { ensureKafkaDistribution, findJava } from "./distribution.js";
import { freePorts, isPortFree } from "./ports.js";
import { commandLine, isAlive, startWatchdog, stopProcess } from "./process.js";
import { pkiFiles, principalSecurity } from "./pki.js";
import { renderLog4jProperties, renderServerProperties } from "./properties.js";

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
 * Wait until a cluster answers: `describeCluster` lists a broker AND a metadata
 * request succeeds. Throws after `timeoutMs`, or at once if `alive()` turns false.
 */
export async function waitForBroker(cluster: KafkaAccess, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
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
      await admin.listTopics(); // a full metadata request
      return;
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

// Attached brokers of this process: told to stop if it exits without stopping them.
const attached = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const pid of attached) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        /* gone */
      }
    }
  });
}

async function run(cmd: string, args: string[], outFile: string): Promise<number | null> {
  const out = openSync(outFile, "a");
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ["ignore", out, out] });
      child.once("error", reject);
      child.once("exit", (code) => resolve(code));
    });
  } finally {
    closeSync(out);
  }
}

/**
 * Start a real single-node Apache Kafka broker (KRaft, combined broker and
 * controller) on 127.0.0.1 from the cached Maven Central jars. Formats storage
 * with a fresh cluster id when `dataDir` is new; reuses it otherwise.
 *
 * Attached (default), the broker is stopped if this process exits or dies
 * without calling `stop()`; detached, it outlives this process (the CLI).
 */
export async function startLocalBroker(opts: StartOptions): Promise<LocalBroker> {
  const log = opts.log ?? (() => undefined);
  const f = brokerFiles(opts.dataDir);
  const java = findJava();
  const libs = await ensureKafkaDistribution({ log });

  const existing = readBrokerState(f.dir);
  if (existing?.running) throw new Error(`a broker is already running from ${f.dir} (pid ${existing.pid}); stop it first`);

  let port = opts.port;
  let controllerPort = opts.controllerPort;
  if (port === undefined || controllerPort === undefined) {
    const picked = (await freePorts(3)).filter((p) => p !== port && p !== controllerPort);
    port ??= picked[0];
    controllerPort ??= picked[1];
  }
  if (port === undefined || controllerPort === undefined) throw new Error("could not pick free ports");
  for (const [what, p] of [["client", port], ["controller", controllerPort]] as const) {
    if (!(await isPortFree(p))) {
      throw new Error(`the Kafka ${what} port 127.0.0.1:${p} is already in use (another broker?); choose another port or stop whatever listens there`);
    }
  }

  mkdirSync(f.logDir, { recursive: true });
  let tls: { keystore: string; truststore: string } | undefined;
  let operator: KafkaAccess["security"] = { mode: "insecure" };
  if (opts.security !== "insecure") {
    // The broker's key and chain in one PEM (Kafka's PEM key store), renewed at
    // every start from the PKI directory; readable by this user only.
    const pki = pkiFiles(opts.security.pkiDir);
    const broker = pki.principal("broker");
    writeFileSync(f.keystore, `${readFileSync(broker.key, "utf8").trimEnd()}\n${readFileSync(broker.cert, "utf8").trimEnd()}\n`, { mode: 0o600 });
    chmodSync(f.keystore, 0o600);
    tls = { keystore: f.keystore, truststore: pki.ca };
    operator = principalSecurity(opts.security.pkiDir, "operator");
  }
  writeFileSync(f.serverProperties, renderServerProperties({ port, controllerPort, logDir: f.logDir, ...(tls ? { tls } : {}) }), { mode: 0o600 });
  writeFileSync(f.log4jProperties, renderLog4jProperties(f.brokerLog));

  if (!existsSync(join(f.logDir, "meta.properties"))) {
    const clusterId = newClusterId();
    log(`formatting storage in ${f.logDir} (cluster id ${clusterId})`);
    const fmt = brokerCommand({ java, libs, log4jProperties: f.log4jProperties, heap: "256m", mainClass: "kafka.tools.StorageTool", args: ["format", "--cluster-id", clusterId, "--config", f.serverProperties, "--ignore-formatted"] });
    const code = await run(fmt.cmd, fmt.args, f.stdout);
    if (code !== 0) throw new Error(`formatting Kafka storage failed (exit ${code})\n${brokerLogTail(f.dir)}`);
  }

  const detached = opts.detached ?? false;
  const launch = brokerCommand({ java, libs, log4jProperties: f.log4jProperties, heap: opts.heap, mainClass: "kafka.Kafka", args: [f.serverProperties] });
  const out = openSync(f.stdout, "a");
  let child: ChildProcess;
  try {
    child = spawn(launch.cmd, launch.args, { detached, stdio: ["ignore", out, out] });
  } finally {
    closeSync(out);
  }
  const pid = await new Promise<number>((resolve, reject) => {
    child.once("error", (err) => reject(new Error(`could not start ${java}: ${err.message}`)));
    child.once("spawn", () => (child.pid === undefined ? reject(new Error("java has no pid")) : resolve(child.pid)));
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
    attached.delete(pid);
  });
  if (detached) {
    child.unref();
  } else {
    attached.add(pid);
    installExitHook();
    startWatchdog(pid);
  }
  const brokers = [`127.0.0.1:${port}`];
  const access: KafkaAccess = { brokers, security: operator };
  writeFileSync(f.pidFile, `${pid}\n`);
  writeFileSync(f.addressFile, `${brokers.join(",")}\n`);
  log(`broker pid ${pid} listening on ${brokers.join(",")} (controller 127.0.0.1:${controllerPort}; ${tls ? "mutual TLS, ACLs enforced" : "PLAINTEXT, no authentication"}); logs in ${f.brokerLog}`);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await stopProcess(pid);
      attached.delete(pid);
      rmSync(f.pidFile, { force: true });
    })());

  try {
    await waitForBroker(access, opts.readyTimeoutMs ?? 120_000, () => !exited && isAlive(pid));
  } catch (err) {
    await stopProcess(pid, 5_000).catch(() => undefined);
    attached.delete(pid);
    rmSync(f.pidFile, { force: true });
    throw new Error(`${(err as Error).message}\n${brokerLogTail(f.dir)}`);
  }
  return { brokers, operator: access, pid, dataDir: f.dir, stop };
}
