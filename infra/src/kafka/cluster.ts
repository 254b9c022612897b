import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { brokerCommand, brokerFiles, brokerLogTail, newClusterId, readBrokerState, waitForBroker, type LocalBroker, type StartOptions } from "./broker.js";
import { type KafkaAccess } from "./client.js";
import { ensureKafkaDistribution, findJava } from "./distribution.js";
import { pkiFiles, principalSecurity } from "./pki.js";
import { freePorts, isPortFree } from "./ports.js";
import { isAlive, startWatchdog, stopProcess, waitForExit } from "./process.js";
import { parseProperties, renderLog4jProperties, renderServerProperties, type BrokerTls, type QuorumVoter } from "./properties.js";

/** One node of a local cluster: a combined broker+controller JVM, which a fault test may kill and restart. */
export interface ClusterNode {
  /** The KRaft node id (1, 2, 3, …): the broker id in metadata and the controller's voter id. */
  id: number;
  /** Its client listener, `127.0.0.1:<port>`. */
  address: string;
  /** Its controller listener port. */
  controllerPort: number;
  /** Its own data dir (config, partitions, metadata log, broker.log). */
  dataDir: string;
  /** The running JVM's pid; undefined while it is down. */
  pid(): number | undefined;
  running(): boolean;
  /** Send `signal` (default SIGKILL: no clean shutdown) and resolve once the process is gone. No-op if down. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Start it again, same data dir and ports; resolves once it has rejoined (registered
   * and unfenced in `describeCluster`). Throws if it is running or does not rejoin in time.
   */
  start(): Promise<void>;
  /** SIGTERM (a controlled shutdown), SIGKILL after a grace period. No-op if down. */
  stop(): Promise<void>;
}

export interface LocalCluster {
  /** Every node's bootstrap address. */
  brokers: string[];
  /** The operator principal's access (a super user), for infrastructure chores and tests. */
  operator: KafkaAccess;
  nodes: ClusterNode[];
  /** The KRaft cluster id formatted into every node. */
  clusterId: string;
  dataDir: string;
  /** Stop every node (SIGTERM, then SIGKILL). Idempotent. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Everything of the cluster lives here: `cluster.json` and one `node-<id>` dir per node. */
  dataDir: string;
  /** How many combined broker+controller nodes (default 3; the quorum has as many voters). */
  nodes?: number;
  /** As for `startLocalBroker`: mutual TLS and ACLs from `{ pkiDir }`, or plaintext. */
  security: StartOptions["security"];
  /**
   * First client port: node i (from 0) listens on `basePort + 2i` and its controller on
   * `basePort + 2i + 1`. Default: the ports recorded in `cluster.json`, else free ones.
   */
  basePort?: number;
  /** JVM max heap per node (default 384m). */
  heap?: string;
  /** Leave the nodes running after this process exits (the CLI). Default false: tied to this process. */
  detached?: boolean;
  /** How long to wait for the cluster (or a restarted node) to answer; default 120 s. */
  readyTimeoutMs?: number;
  log?: (msg: string) => void;
}

/** What `cluster.json` records so a later start, `status` or `stop` knows the nodes. */
export const clusterManifestSchema = z.strictObject({
  clusterId: z.string().min(1),
  nodes: z.array(z.strictObject({ id: z.number().int().min(0), port: z.number().int().min(1).max(65535), controllerPort: z.number().int().min(1).max(65535) })).min(1),
});
export type ClusterManifest = z.infer<typeof clusterManifestSchema>;

/** The files of a cluster's data dir. Pure. */
export function clusterFiles(dataDir: string) {
  const dir = resolve(dataDir);
  return { dir, manifest: join(dir, "cluster.json"), nodeDir: (id: number) => join(dir, `node-${id}`) };
}

/** The manifest recorded in `dataDir`, if that dir holds a cluster. */
export function readClusterManifest(dataDir: string): ClusterManifest | undefined {
  const f = clusterFiles(dataDir);
  if (!existsSync(f.manifest)) return undefined;
  try {
    return clusterManifestSchema.parse(JSON.parse(readFileSync(f.manifest, "utf8")));
  } catch (err) {
    throw new Error(`${f.manifest} is not a cluster manifest: ${(err as Error).message}`);
  }
}

/** The nodes of a cluster: ids 1…n with consecutive ports from `basePort`. Pure. */
export function clusterLayout(nodes: number, basePort: number): ClusterManifest["nodes"] {
  if (!Number.isInteger(nodes) || nodes < 1) throw new RangeError(`nodes must be a whole number ≥ 1, got ${nodes}`);
  if (!Number.isInteger(basePort) || basePort < 1 || basePort + 2 * nodes - 1 > 65535) throw new RangeError(`basePort ${basePort} leaves no room for ${nodes} nodes`);
  return Array.from({ length: nodes }, (_, i) => ({ id: i + 1, port: basePort + 2 * i, controllerPort: basePort + 2 * i + 1 }));
}

/** The running state of every node of the cluster recorded in `dataDir`; undefined if it holds none. */
export function readClusterState(dataDir: string): { manifest: ClusterManifest; nodes: { id: number; address: string; pid: number | undefined; running: boolean }[] } | undefined {
  const manifest = readClusterManifest(dataDir);
  if (!manifest) return undefined;
  const f = clusterFiles(dataDir);
  return {
    manifest,
    nodes: manifest.nodes.map((n) => {
      const state = readBrokerState(f.nodeDir(n.id));
      return { id: n.id, address: `127.0.0.1:${n.port}`, pid: state?.running ? state.pid : undefined, running: state?.running === true };
    }),
  };
}

/** Stop every node recorded in `dataDir` (all at once) and remove their pid files. Returns how many were running. */
export async function stopClusterIn(dataDir: string, graceMs = 30_000): Promise<number> {
  const state = readClusterState(dataDir);
  if (!state) return 0;
  const f = clusterFiles(dataDir);
  const stopped = await Promise.all(
    state.nodes.map(async (n) => {
      const files = brokerFiles(f.nodeDir(n.id));
      if (n.pid !== undefined) await stopProcess(n.pid, graceMs);
      rmSync(files.pidFile, { force: true });
      return n.running;
    }),
  );
  return stopped.filter(Boolean).length;
}

// Attached nodes of this process: told to stop if it exits without stopping them.
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

/** The cluster id already formatted into a node's log dir, if any. */
function formattedClusterId(logDir: string): string | undefined {
  const meta = join(logDir, "meta.properties");
  return existsSync(meta) ? parseProperties(readFileSync(meta, "utf8")).get("cluster.id") : undefined;
}

interface NodeSpec {
  id: number;
  dir: string;
  port: number;
  controllerPort: number;
}

interface LaunchContext {
  java: string;
  libs: string;
  heap: string | undefined;
  detached: boolean;
  readyTimeoutMs: number;
  operator: KafkaAccess;
  log: (msg: string) => void;
}

/** One node's JVM: spawned, watched, killed and spawned again with the same files. */
class NodeProcess implements ClusterNode {
  readonly id: number;
  readonly address: string;
  readonly controllerPort: number;
  readonly dataDir: string;
  private child: ChildProcess | undefined;
  private exited = true;

  constructor(
    private readonly spec: NodeSpec,
    private readonly ctx: LaunchContext,
  ) {
    this.id = spec.id;
    this.address = `127.0.0.1:${spec.port}`;
    this.controllerPort = spec.controllerPort;
    this.dataDir = resolve(spec.dir);
  }

  pid(): number | undefined {
    return this.running() ? this.child?.pid : undefined;
  }

  running(): boolean {
    const pid = this.child?.pid;
    return !this.exited && pid !== undefined && isAlive(pid);
  }

  /** Spawn the JVM (no waiting for readiness). */
  async spawn(): Promise<number> {
    if (this.running()) throw new Error(`node ${this.id} is already running (pid ${this.child?.pid})`);
    const f = brokerFiles(this.dataDir);
    for (const [what, p] of [["client", this.spec.port], ["controller", this.spec.controllerPort]] as const) {
      if (!(await isPortFree(p))) throw new Error(`node ${this.id}'s ${what} port 127.0.0.1:${p} is already in use (another broker?); choose other ports or stop whatever listens there`);
    }
    const launch = brokerCommand({ java: this.ctx.java, libs: this.ctx.libs, log4jProperties: f.log4jProperties, heap: this.ctx.heap, mainClass: "kafka.Kafka", args: [f.serverProperties] });
    const out = openSync(f.stdout, "a");
    let child: ChildProcess;
    try {
      child = spawn(launch.cmd, launch.args, { detached: this.ctx.detached, stdio: ["ignore", out, out] });
    } finally {
      closeSync(out);
    }
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("error", (err) => reject(new Error(`could not start ${this.ctx.java}: ${err.message}`)));
      child.once("spawn", () => (child.pid === undefined ? reject(new Error("java has no pid")) : resolve(child.pid)));
    });
    this.child = child;
    this.exited = false;
    child.once("exit", () => {
      if (this.child === child) this.exited = true;
      attached.delete(pid);
    });
    if (this.ctx.detached) {
      child.unref();
    } else {
      attached.add(pid);
      installExitHook();
      startWatchdog(pid);
    }
    writeFileSync(f.pidFile, `${pid}\n`);
    writeFileSync(f.addressFile, `${this.address}\n`);
    return pid;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch {
      /* gone in between */
    }
    // A clean shutdown may take a while; a SIGKILLed JVM is gone at once.
    if (!(await waitForExit(pid, signal === "SIGKILL" ? 10_000 : 120_000))) throw new Error(`node ${this.id} (pid ${pid}) is still alive after ${signal}`);
    attached.delete(pid);
    rmSync(brokerFiles(this.dataDir).pidFile, { force: true });
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    await this.spawn();
    await this.waitRegistered();
    this.ctx.log(`node ${this.id} (pid ${this.child?.pid}) rejoined in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  /**
   * Wait until this node answers on its own address and is registered and unfenced;
   * throws (with its log) if it exits first or takes too long. Asking the node itself
   * matters after a kill: the others list a dead node until its session times out.
   */
  async waitRegistered(): Promise<void> {
    try {
      await waitForBroker({ ...this.ctx.operator, brokers: [this.address] }, this.ctx.readyTimeoutMs, () => this.running(), [this.id]);
    } catch (err) {
      throw new Error(`node ${this.id}: ${(err as Error).message}\n${brokerLogTail(this.dataDir)}`);
    }
  }

  async stop(graceMs = 30_000): Promise<void> {
    const pid = this.pid();
    if (pid !== undefined) await stopProcess(pid, graceMs);
    if (pid !== undefined) attached.delete(pid);
    rmSync(brokerFiles(this.dataDir).pidFile, { force: true });
  }
}

/** Write a node's key store, server.properties and log4j.properties; format its storage with `clusterId` if new. */
async function prepareNode(spec: NodeSpec, voters: QuorumVoter[], clusterId: string, ctx: LaunchContext, security: StartOptions["security"]): Promise<void> {
  const f = brokerFiles(spec.dir);
  mkdirSync(f.logDir, { recursive: true });
  let tls: BrokerTls | undefined;
  if (security !== "insecure") {
    // The broker's key and chain in one PEM (Kafka's PEM key store), renewed at
    // every start from the PKI directory; readable by this user only. Every node
    // is the `broker` principal (a super user), on client and controller listeners.
    const pki = pkiFiles(security.pkiDir);
    const broker = pki.principal("broker");
    writeFileSync(f.keystore, `${readFileSync(broker.key, "utf8").trimEnd()}\n${readFileSync(broker.cert, "utf8").trimEnd()}\n`, { mode: 0o600 });
    chmodSync(f.keystore, 0o600);
    tls = { keystore: f.keystore, truststore: pki.ca };
  }
  writeFileSync(f.serverProperties, renderServerProperties({ nodeId: spec.id, port: spec.port, controllerPort: spec.controllerPort, voters, logDir: f.logDir, ...(tls ? { tls } : {}) }), { mode: 0o600 });
  writeFileSync(f.log4jProperties, renderLog4jProperties(f.brokerLog));
  const formatted = formattedClusterId(f.logDir);
  if (formatted !== undefined) {
    if (formatted !== clusterId) throw new Error(`${f.logDir} belongs to cluster ${formatted}, not ${clusterId}; remove ${spec.dir} (or the whole data dir) for a clean cluster`);
    return;
  }
  ctx.log(`formatting storage of node ${spec.id} in ${f.logDir} (cluster id ${clusterId})`);
  const fmt = brokerCommand({ java: ctx.java, libs: ctx.libs, log4jProperties: f.log4jProperties, heap: "256m", mainClass: "kafka.tools.StorageTool", args: ["format", "--cluster-id", clusterId, "--config", f.serverProperties, "--ignore-formatted"] });
  const code = await run(fmt.cmd, fmt.args, f.stdout);
  if (code !== 0) throw new Error(`formatting Kafka storage of node ${spec.id} failed (exit ${code})\n${brokerLogTail(spec.dir)}`);
}

/**
 * Format (when new), spawn and wait for every node of `specs` as one KRaft cluster:
 * each node a voter of the controller quorum and a broker.
 */
async function launch(specs: NodeSpec[], clusterId: string, opts: { security: StartOptions["security"]; heap?: string; detached?: boolean; readyTimeoutMs?: number; log?: (msg: string) => void }): Promise<{ nodes: NodeProcess[]; operator: KafkaAccess }> {
  const log = opts.log ?? (() => undefined);
  const java = findJava();
  const libs = await ensureKafkaDistribution({ log });
  for (const spec of specs) {
    const existing = readBrokerState(spec.dir);
    if (existing?.running) throw new Error(`a broker is already running from ${resolve(spec.dir)} (pid ${existing.pid}); stop it first`);
  }
  const brokers = specs.map((s) => `127.0.0.1:${s.port}`);
  const operator: KafkaAccess = { brokers, security: opts.security === "insecure" ? { mode: "insecure" } : principalSecurity(opts.security.pkiDir, "operator") };
  const ctx: LaunchContext = { java, libs, heap: opts.heap, detached: opts.detached ?? false, readyTimeoutMs: opts.readyTimeoutMs ?? 120_000, operator, log };
  const voters = specs.map((s) => ({ id: s.id, controllerPort: s.controllerPort }));
  await Promise.all(specs.map((spec) => prepareNode(spec, voters, clusterId, ctx, opts.security)));
  const nodes = specs.map((spec) => new NodeProcess(spec, ctx));
  try {
    for (const node of nodes) {
      const pid = await node.spawn();
      log(`node ${node.id} pid ${pid} on ${node.address} (controller 127.0.0.1:${node.controllerPort}); logs in ${brokerFiles(node.dataDir).brokerLog}`);
    }
    const ids = nodes.map((n) => n.id);
    // Every node answers metadata from its own cache, which learns of the others a
    // moment apart: ready means each of them, asked alone, sees all of them (a client
    // may ask any; one that saw two of three refused replication 3).
    const deadline = Date.now() + ctx.readyTimeoutMs;
    for (const node of nodes) {
      await waitForBroker({ ...operator, brokers: [node.address] }, Math.max(1_000, deadline - Date.now()), () => nodes.every((n) => n.running()), ids).catch((err: Error) => {
        const down = nodes.find((n) => !n.running()) ?? node;
        throw new Error(`${err.message}\n(node ${down.id}) ${brokerLogTail(down.dataDir)}`);
      });
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop(5_000).catch(() => undefined)));
    throw err;
  }
  log(`${nodes.length === 1 ? "broker" : `${nodes.length}-node cluster`} ready on ${brokers.join(",")} (${opts.security === "insecure" ? "PLAINTEXT, no authentication" : "mutual TLS, ACLs enforced"})`);
  return { nodes, operator };
}

/** Stop nodes all at once: SIGTERM, SIGKILL after `graceMs`. */
async function stopAll(nodes: NodeProcess[], graceMs: number): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop(graceMs)));
}

/**
 * Start a real Apache Kafka cluster on 127.0.0.1 from the cached Maven Central jars:
 * `nodes` (default 3) combined broker+controller KRaft nodes, a static controller
 * quorum of all of them, one cluster id formatted into every node's own data dir
 * (`dataDir/node-<id>`), mutual TLS and ACLs on every listener. With three or more
 * nodes, topics default to replication 3 with `min.insync.replicas=2`, and so do the
 * offsets and transaction-state topics. A data dir used before keeps its cluster id,
 * data and ports (`cluster.json`).
 *
 * Attached (default), the nodes are stopped if this process exits or dies without
 * calling `stop()`; detached, they outlive it (the CLI).
 */
export async function startLocalCluster(opts: ClusterOptions): Promise<LocalCluster> {
  const f = clusterFiles(opts.dataDir);
  const count = opts.nodes ?? 3;
  const recorded = readClusterManifest(f.dir);
  if (recorded && recorded.nodes.length !== count) throw new Error(`${f.dir} holds a ${recorded.nodes.length}-node cluster, not ${count}; remove it for a new one`);
  let layout: ClusterManifest["nodes"];
  if (opts.basePort !== undefined) layout = clusterLayout(count, opts.basePort);
  else if (recorded) layout = recorded.nodes;
  else {
    const ports = await freePorts(2 * count);
    layout = clusterLayout(count, 1).map((n, i) => ({ id: n.id, port: ports[2 * i]!, controllerPort: ports[2 * i + 1]! }));
  }
  const clusterId = recorded?.clusterId ?? newClusterId();
  mkdirSync(f.dir, { recursive: true });
  writeFileSync(f.manifest, `${JSON.stringify({ clusterId, nodes: layout } satisfies ClusterManifest, null, 2)}\n`);
  const specs = layout.map((n) => ({ ...n, dir: f.nodeDir(n.id) }));
  const { nodes, operator } = await launch(specs, clusterId, { ...opts, heap: opts.heap ?? "384m" });
  let stopped: Promise<void> | undefined;
  return {
    brokers: operator.brokers,
    operator,
    nodes,
    clusterId,
    dataDir: f.dir,
    stop: () => (stopped ??= stopAll(nodes, 30_000)),
  };
}

/**
 * Start a real single-node Apache Kafka broker (KRaft, combined broker and
 * controller) on 127.0.0.1 from the cached Maven Central jars: the one-node case
 * of `startLocalCluster`, with its files directly in `dataDir`. Formats storage
 * with a fresh cluster id when `dataDir` is new; reuses it otherwise.
 *
 * Attached (default), the broker is stopped if this process exits or dies
 * without calling `stop()`; detached, it outlives this process (the CLI).
 */
export async function startLocalBroker(opts: StartOptions): Promise<LocalBroker> {
  const f = brokerFiles(opts.dataDir);
  let port = opts.port;
  let controllerPort = opts.controllerPort;
  if (port === undefined || controllerPort === undefined) {
    const picked = (await freePorts(3)).filter((p) => p !== port && p !== controllerPort);
    port ??= picked[0];
    controllerPort ??= picked[1];
  }
  if (port === undefined || controllerPort === undefined) throw new Error("could not pick free ports");
  const clusterId = formattedClusterId(f.logDir) ?? newClusterId();
  const { nodes, operator } = await launch([{ id: 1, dir: f.dir, port, controllerPort }], clusterId, opts);
  const node = nodes[0]!;
  let stopped: Promise<void> | undefined;
  return { brokers: operator.brokers, operator, pid: node.pid()!, dataDir: f.dir, stop: () => (stopped ??= node.stop()) };
}
