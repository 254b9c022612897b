import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { ensureKafkaDistribution } from "./distribution.js";
import { renderLog4jProperties, renderServerProperties } from "./properties.js";

export interface LocalBroker {
  brokers: string[];
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  port?: number;
  controllerPort?: number;
  /** JVM heap, e.g. "512m". */
  heap?: string;
  /** Leave the broker running after this process exits (the CLI); tests keep it attached. */
  detached?: boolean;
  readyTimeoutMs?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no broker log)";
  }
}

/** Wait until the broker answers metadata requests and has an active controller. */
export async function waitForBroker(brokers: string[], timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error("broker process exited");
    const admin = new Kafka({ clientId: "takitini-wait", brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.listTopics();
      if (cluster.controller !== null && cluster.brokers.length > 0) return;
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`broker at ${brokers.join(",")} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}

/**
 * Start a real single-node Apache Kafka broker (KRaft) on 127.0.0.1 from the
 * cached Maven Central jars. Formats storage on first use of `dataDir`.
 */
export async function startLocalBroker(opts: StartOptions): Promise<LocalBroker> {
  const libs = await ensureKafkaDistribution();
  const port = opts.port ?? (await freePort());
  const controllerPort = opts.controllerPort ?? (await freePort());
  const logDir = join(opts.dataDir, "log");
  mkdirSync(logDir, { recursive: true });
  const propsFile = join(opts.dataDir, "server.properties");
  const log4jFile = join(opts.dataDir, "log4j.properties");
  const brokerLog = join(opts.dataDir, "broker.log");
  writeFileSync(propsFile, renderServerProperties({ port, controllerPort, logDir }));
  writeFileSync(log4jFile, renderLog4jProperties(brokerLog));
  const classpath = `${libs}/*`;
  const jvm = [`-Xmx${opts.heap ?? "512m"}`, `-Xms${opts.heap === undefined ? "256m" : opts.heap}`, "-XX:+UseG1GC", "-Djava.awt.headless=true", `-Dlog4j.configuration=file:${log4jFile}`, "-cp", classpath];

  if (!existsSync(join(logDir, "meta.properties"))) {
    const fmt = spawnSync("java", [...jvm, "kafka.tools.StorageTool", "format", "-t", randomBytes(16).toString("base64url"), "-c", propsFile, "--ignore-formatted"], { encoding: "utf8" });
    if (fmt.status !== 0) throw new Error(`formatting Kafka storage failed: ${fmt.stderr || fmt.stdout}`);
  }

  const out = openSync(join(opts.dataDir, "broker.stdout"), "a");
  const child = spawn("java", [...jvm, "kafka.Kafka", propsFile], { detached: opts.detached ?? false, stdio: ["ignore", out, out] });
  if (child.pid === undefined) throw new Error("could not start java");
  const pid = child.pid;
  if (opts.detached) child.unref();
  let exited = false;
  child.once("exit", () => (exited = true));
  writeFileSync(join(opts.dataDir, "broker.pid"), `${pid}\n`);
  writeFileSync(join(opts.dataDir, "broker.address"), `127.0.0.1:${port}\n`);
  const brokers = [`127.0.0.1:${port}`];
  try {
    await waitForBroker(brokers, opts.readyTimeoutMs ?? 90_000, () => !exited);
  } catch (err) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    throw new Error(`${(err as Error).message}\n--- broker log (${brokerLog}) ---\n${tail(brokerLog)}\n${tail(join(opts.dataDir, "broker.stdout"), 20)}`);
  }
  return { brokers, pid, dataDir: opts.dataDir, stop: () => stopProcess(pid) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM (Kafka shuts down cleanly), wait, then SIGKILL. */
export async function stopProcess(pid: number, timeoutMs = 30_000): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (alive(pid)) process.kill(pid, "SIGKILL");
  while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
}

export function isRunning(pid: number): boolean {
  return alive(pid);
}
