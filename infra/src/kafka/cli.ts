#!/usr/bin/env node
/**
 * takitini-kafka — the local development broker.
 *
 *   fetch    fetch the pinned Apache Kafka jars from Maven Central (prints the libs dir)
 *   start    start the broker (detached) if it is not running, ensure the topics, print its address;
 *            --brokers 3: a three-node KRaft cluster instead (prints the three addresses)
 *   stop     stop it (the broker or the cluster, whichever runs)
 *   status   is it running? pid(s), address(es), topics with partition counts (--json for JSON)
 *   topics   ensure the declared topics on KAFKA_BROKERS, or on the local broker
 *   acls     apply the ACLs derived from topics.json and the policy's subscriber registry
 *            (creates what is missing, removes what the mesh's principals hold beyond it);
 *            --print: print them (who reads/writes what, and kafka-acls.sh commands) without
 *            touching a cluster; --json: the bindings as JSON
 *   principals  list the mesh's Kafka principals (one per line)
 *
 * The local broker serves mutual TLS only (certificates in <repo>/.takitini/pki,
 * $TAKITINI_PKI_DIR), unless TAKITINI_INSECURE_KAFKA=true. With KAFKA_BROKERS, the
 * tools act as the operator principal named by KAFKA_TLS_CA_FILE/CERT_FILE/KEY_FILE.
 *
 * Data in <repo>/.takitini/kafka ($TAKITINI_KAFKA_DATA); client port 9092
 * ($TAKITINI_KAFKA_PORT), controller port the next one ($TAKITINI_KAFKA_CONTROLLER_PORT).
 * A cluster's data in <repo>/.takitini/kafka-cluster ($TAKITINI_KAFKA_CLUSTER_DATA), node i
 * (from 1) on client port $TAKITINI_KAFKA_PORT + 2(i-1), its controller on the next one.
 * Logs go to stderr, results to stdout. Exit codes: 0 ok; 1 failed; 2 usage;
 * 3 (status, topics) the local broker is not running.
 */
import { readKafkaSecurity, type KafkaSecurity } from "@takitini/runtime";
import { applyAcls, loadMeshAcls } from "./acl-admin.js";
import { aclCommands, topicAccessTable } from "./acls.js";
import { brokerFiles, readBrokerState, stopBrokerIn, waitForBroker } from "./broker.js";
import { readClusterState, startLocalBroker, startLocalCluster, stopClusterIn } from "./cluster.js";
import { parseBrokerList, silenceKafkajsTimerWarning, type KafkaAccess } from "./client.js";
import { ensurePki, localPkiDir, principalSecurity } from "./pki.js";
import { ensureKafkaDistribution, kafkaVersion } from "./distribution.js";
import { localClusterDataDir, localDataDir } from "./paths.js";
import { describeTopics, ensureTopics, environmentFor, loadTopicDeclarations, type EnsureTopicsResult } from "./topics.js";
import { warmUpCoordinators } from "./warmup.js";

const EXIT = { OK: 0, FAILED: 1, USAGE: 2, NOT_RUNNING: 3 } as const;
const USAGE = "usage: takitini-kafka fetch | start [--brokers N] | stop | status [--json] | topics | acls [--print] [--json] | principals";

const insecure = () => process.env.TAKITINI_INSECURE_KAFKA === "true";

/** The operator's TLS material: the local PKI's, or (an existing cluster) the KAFKA_TLS_* files. */
function operatorSecurity(external: boolean): KafkaSecurity {
  if (insecure()) return { mode: "insecure" };
  if (external) {
    return readKafkaSecurity({
      TAKITINI_INSECURE_KAFKA: false,
      KAFKA_TLS_CA_FILE: process.env.KAFKA_TLS_CA_FILE,
      KAFKA_TLS_CERT_FILE: process.env.KAFKA_TLS_CERT_FILE,
      KAFKA_TLS_KEY_FILE: process.env.KAFKA_TLS_KEY_FILE,
    });
  }
  return principalSecurity(localPkiDir(), "operator");
}

function warnInsecure(): void {
  if (insecure()) log("WARNING: TAKITINI_INSECURE_KAFKA=true — the broker is PLAINTEXT with no authentication and no ACLs; anyone who reaches it can read and write every topic. For a throwaway local run only.");
}

const log = (m: string) => process.stderr.write(`[takitini-kafka] ${m}\n`);
const out = (m: string) => process.stdout.write(`${m}\n`);

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${name} must be a TCP port, got "${raw}"`);
  return n;
}

class UsageError extends Error {}

function reportTopics(r: EnsureTopicsResult): void {
  if (r.created.length > 0) log(`created ${r.created.length} topic(s): ${r.created.join(", ")}`);
  if (r.existing.length > 0) log(`${r.existing.length} topic(s) already there`);
  for (const m of r.mismatched) log(`warning: ${m.name} has ${m.actual} partitions, declared ${m.declared} (left as is)`);
}

/** `--brokers N` (default 1). */
function brokersArg(args: string[]): number {
  const i = args.indexOf("--brokers");
  const raw = i < 0 ? undefined : args[i + 1];
  if (i < 0) return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new UsageError(`--brokers must be a whole number from 1 to 9, got "${raw ?? ""}"`);
  return n;
}

/** Where the local Kafka runs, if it does: the one-node broker's or the cluster's addresses. */
function runningLocal(dirs: LocalDirs): { kind: "broker" | "cluster"; addresses: string[]; nodes: number } | undefined {
  const broker = readBrokerState(dirs.broker);
  if (broker?.running) return { kind: "broker", addresses: parseBrokerList(broker.address ?? `127.0.0.1:${portFromEnv("TAKITINI_KAFKA_PORT", 9092)}`), nodes: 1 };
  const cluster = readClusterState(dirs.cluster);
  const up = cluster?.nodes.filter((n) => n.running) ?? [];
  if (cluster && up.length > 0) return { kind: "cluster", addresses: cluster.nodes.map((n) => n.address), nodes: cluster.nodes.length };
  return undefined;
}

interface LocalDirs {
  broker: string;
  cluster: string;
}

async function start(dirs: LocalDirs, args: string[]): Promise<number> {
  const nodes = brokersArg(args);
  const port = portFromEnv("TAKITINI_KAFKA_PORT", 9092);
  const controllerPort = portFromEnv("TAKITINI_KAFKA_CONTROLLER_PORT", port + 1);
  const declarations = loadTopicDeclarations(undefined, process.env, environmentFor(nodes));
  const mesh = loadMeshAcls(declarations);
  warnInsecure();
  if (!insecure()) {
    // Certificates for every principal: made on first run, renewed when expiring, kept otherwise.
    const pkiDir = localPkiDir();
    ensurePki(pkiDir, mesh.principals, { log });
  }
  const security = insecure() ? ("insecure" as const) : { pkiDir: localPkiDir() };
  const running = runningLocal(dirs);
  let addresses: string[];
  if (running) {
    const wanted = nodes === 1 ? "broker" : "cluster";
    if (running.kind !== wanted || running.nodes !== nodes) {
      throw new UsageError(`the local ${running.kind === "broker" ? "one-node broker" : `${running.nodes}-node cluster`} is running (${running.addresses.join(",")}); stop it first (takitini-kafka stop) to start ${nodes === 1 ? "one node" : `${nodes} nodes`}`);
    }
    if (running.kind === "cluster") {
      const down = readClusterState(dirs.cluster)!.nodes.filter((n) => !n.running);
      if (down.length > 0) throw new Error(`part of the local cluster is down (node ${down.map((n) => n.id).join(", ")}); stop it (takitini-kafka stop) and start it again`);
    }
    addresses = running.addresses;
    log(`already running at ${addresses.join(",")}`);
    await waitForBroker(access(addresses.join(","), false), 60_000);
  } else if (nodes === 1) {
    const t0 = Date.now();
    log(`starting Apache Kafka ${kafkaVersion()} (KRaft) on 127.0.0.1:${port}, data in ${dirs.broker}`);
    const broker = await startLocalBroker({ dataDir: dirs.broker, port, controllerPort, detached: true, log, security });
    addresses = broker.brokers;
    log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (pid ${broker.pid}); stop with: takitini-kafka stop`);
  } else {
    const t0 = Date.now();
    log(`starting a ${nodes}-node Apache Kafka ${kafkaVersion()} (KRaft) cluster from 127.0.0.1:${port}, data in ${dirs.cluster}`);
    const cluster = await startLocalCluster({ dataDir: dirs.cluster, nodes, basePort: port, detached: true, log, security });
    addresses = cluster.brokers;
    log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (pids ${cluster.nodes.map((n) => n.pid()).join(", ")}); stop with: takitini-kafka stop`);
  }
  const cluster = access(addresses.join(","), false);
  reportTopics(await ensureTopics(cluster, declarations));
  if (!insecure()) reportAcls(await applyAcls(cluster, mesh.acls, mesh.principals));
  await warmUpCoordinators(cluster);
  out(addresses.join(","));
  return EXIT.OK;
}

function access(address: string, external: boolean): KafkaAccess {
  return { brokers: parseBrokerList(address), security: operatorSecurity(external) };
}

function reportAcls(r: Awaited<ReturnType<typeof applyAcls>>): void {
  log(`ACLs: ${r.created} created, ${r.kept} already there${r.removed.length > 0 ? `, ${r.removed.length} removed (${r.removed.join("; ")})` : ""}`);
}

/** The cluster the tools act on: KAFKA_BROKERS, else the running local broker or cluster. */
function targetCluster(dirs: LocalDirs): KafkaAccess | undefined {
  const external = parseBrokerList(process.env.KAFKA_BROKERS ?? "");
  if (external.length > 0) return { brokers: external, security: operatorSecurity(true) };
  const running = runningLocal(dirs);
  return running ? access(running.addresses.join(","), false) : undefined;
}

async function acls(dirs: LocalDirs, args: string[]): Promise<number> {
  const mesh = loadMeshAcls(loadTopicDeclarations());
  if (args.includes("--json")) {
    out(JSON.stringify({ principals: mesh.principals, superUsers: ["broker", "operator"], acls: mesh.acls }, null, 2));
    return EXIT.OK;
  }
  if (args.includes("--print")) {
    out(`# Kafka principals: ${mesh.principals.join(", ")} (broker and operator are super users)`);
    out("# topic: readers | writers");
    for (const row of topicAccessTable(mesh.acls)) out(`#   ${row.topic}: ${row.readers.join(", ") || "-"} | ${row.writers.join(", ") || "-"}`);
    for (const line of aclCommands(mesh.acls, process.env.KAFKA_BROKERS || "<bootstrap>")) out(line);
    return EXIT.OK;
  }
  if (insecure()) {
    log("TAKITINI_INSECURE_KAFKA=true: a plaintext broker has no authorizer; nothing to apply");
    return EXIT.FAILED;
  }
  const cluster = targetCluster(dirs);
  if (!cluster) {
    log("the local broker is not running (start it with: takitini-kafka start), and KAFKA_BROKERS is not set");
    return EXIT.NOT_RUNNING;
  }
  const r = await applyAcls(cluster, mesh.acls, mesh.principals);
  reportAcls(r);
  out(`created ${r.created}, kept ${r.kept}, removed ${r.removed.length}`);
  return EXIT.OK;
}

async function status(dirs: LocalDirs, json: boolean): Promise<number> {
  const external = parseBrokerList(process.env.KAFKA_BROKERS ?? "");
  const declared = loadTopicDeclarations().map((d) => d.name);
  const local = external.length > 0 ? undefined : runningLocal(dirs);
  const state = local?.kind === "broker" ? readBrokerState(dirs.broker) : undefined;
  const clusterState = local?.kind === "cluster" ? readClusterState(dirs.cluster) : undefined;
  const brokers = external.length > 0 ? external : (local?.addresses ?? []);
  const running = external.length > 0 || local !== undefined;
  const report: Record<string, unknown> =
    external.length > 0
      ? { cluster: "external", brokers }
      : clusterState
        ? { cluster: "local", running, nodes: clusterState.nodes.map((n) => ({ id: n.id, address: n.address, pid: n.pid ?? null, running: n.running })), address: brokers.join(","), dataDir: dirs.cluster }
        : { cluster: "local", running, pid: state?.running ? state.pid : null, address: brokers.join(",") || null, dataDir: dirs.broker };
  if (!running) {
    if (json) out(JSON.stringify(report));
    else out(`local broker: not running (data dir ${dirs.broker}; a cluster's ${dirs.cluster})`);
    return EXIT.NOT_RUNNING;
  }
  const cluster: KafkaAccess = { brokers, security: operatorSecurity(external.length > 0) };
  try {
    await waitForBroker(cluster, 10_000);
  } catch (err) {
    report.error = (err as Error).message;
    if (json) out(JSON.stringify(report));
    else out(`${external.length > 0 ? "cluster" : `local ${local?.kind}: running but`} not answering at ${brokers.join(",")}`);
    log((err as Error).message);
    return EXIT.FAILED;
  }
  const topics = await describeTopics(cluster);
  const present = new Set(topics.map((t) => t.name));
  const missing = declared.filter((n) => !present.has(n));
  if (json) {
    out(JSON.stringify({ ...report, topics, missingTopics: missing }));
    return EXIT.OK;
  }
  if (external.length > 0) out(`cluster (KAFKA_BROKERS): ${brokers.join(",")}`);
  else if (clusterState) {
    out(`local ${clusterState.nodes.length}-node cluster: running`);
    for (const n of clusterState.nodes) out(`  node ${n.id}   ${n.address}  ${n.running ? `pid ${n.pid}` : "DOWN"}`);
    out(`  data     ${dirs.cluster}`);
    out(`  logs     ${dirs.cluster}/node-<id>/broker.log`);
  } else {
    out(`local broker: running`);
    out(`  pid      ${state?.pid}`);
    out(`  address  ${brokers.join(",")}`);
    out(`  data     ${dirs.broker}`);
    out(`  log      ${brokerFiles(dirs.broker).brokerLog}`);
  }
  out(`topics (${topics.length}):`);
  const width = Math.max(0, ...topics.map((t) => t.name.length));
  for (const t of topics) out(`  ${t.name.padEnd(width)}  ${t.partitions} partition${t.partitions === 1 ? "" : "s"}${declared.includes(t.name) ? "" : "  (not declared)"}`);
  for (const n of missing) out(`  ${n.padEnd(width)}  MISSING (run: takitini-kafka topics)`);
  return EXIT.OK;
}

async function topics(dirs: LocalDirs): Promise<number> {
  const cluster = targetCluster(dirs);
  if (!cluster) {
    log(`the local broker is not running (start it with: takitini-kafka start), and KAFKA_BROKERS is not set`);
    return EXIT.NOT_RUNNING;
  }
  // Replication for the cluster's size: `cluster` (3) on three or more brokers, else `local`.
  const size = await waitForBroker(cluster, 30_000);
  const r = await ensureTopics(cluster, loadTopicDeclarations(undefined, process.env, environmentFor(size)));
  reportTopics(r);
  for (const n of r.created) out(`created   ${n}`);
  for (const n of r.existing) out(`existing  ${n}`);
  return EXIT.OK;
}

async function main(argv: string[]): Promise<number> {
  silenceKafkajsTimerWarning();
  const [cmd, ...rest] = argv;
  const dirs: LocalDirs = { broker: localDataDir(), cluster: localClusterDataDir() };
  switch (cmd) {
    case "fetch":
      out(await ensureKafkaDistribution({ log }));
      return EXIT.OK;
    case "start":
      return start(dirs, rest);
    case "stop": {
      const state = readBrokerState(dirs.broker);
      const cluster = readClusterState(dirs.cluster);
      const clusterUp = cluster?.nodes.filter((n) => n.running) ?? [];
      if (!state?.running && clusterUp.length === 0) {
        log("not running");
        await stopBrokerIn(dirs.broker); // clears a stale pid file
        await stopClusterIn(dirs.cluster);
        return EXIT.OK;
      }
      const t0 = Date.now();
      if (state?.running) {
        log(`stopping the broker (pid ${state.pid})`);
        await stopBrokerIn(dirs.broker);
      }
      if (clusterUp.length > 0) {
        log(`stopping the ${cluster!.nodes.length}-node cluster (pids ${clusterUp.map((n) => n.pid).join(", ")})`);
        await stopClusterIn(dirs.cluster);
      }
      log(`stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return EXIT.OK;
    }
    case "status":
      return status(dirs, rest.includes("--json"));
    case "topics":
      return topics(dirs);
    case "acls":
      return acls(dirs, rest);
    case "principals":
      for (const p of loadMeshAcls(loadTopicDeclarations()).principals) out(p);
      return EXIT.OK;
    case "help":
    case "--help":
    case "-h":
      out(USAGE);
      return EXIT.OK;
    default:
      log(cmd === undefined ? "no command given" : `unknown command: ${cmd}`);
      log(USAGE);
      return EXIT.USAGE;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(err instanceof Error ? err.message : String(err));
    process.exit(err instanceof UsageError ? EXIT.USAGE : EXIT.FAILED);
  },
);
