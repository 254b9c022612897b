#!/usr/bin/env node
/**
 * takitini-kafka — the local development broker.
 *
 *   fetch    fetch the pinned Apache Kafka jars from Maven Central (prints the libs dir)
 *   start    start the broker (detached) if it is not running, ensure the topics, print its address
 *   stop     stop it
 *   status   is it running? pid, address, topics with partition counts (--json for JSON)
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
 * Logs go to stderr, results to stdout. Exit codes: 0 ok; 1 failed; 2 usage;
 * 3 (status, topics) the local broker is not running.
 */
import { readKafkaSecurity, type KafkaSecurity } from "@takitini/runtime";
import { applyAcls, loadMeshAcls } from "./acl-admin.js";
import { aclCommands, topicAccessTable } from "./acls.js";
import { brokerFiles, readBrokerState, stopBrokerIn, waitForBroker } from "./broker.js";
import { startLocalBroker } from "./cluster.js";
import { parseBrokerList, silenceKafkajsTimerWarning, type KafkaAccess } from "./client.js";
import { ensurePki, localPkiDir, principalSecurity } from "./pki.js";
import { ensureKafkaDistribution, kafkaVersion } from "./distribution.js";
import { localDataDir } from "./paths.js";
import { describeTopics, ensureTopics, loadTopicDeclarations, type EnsureTopicsResult } from "./topics.js";
import { warmUpCoordinators } from "./warmup.js";

const EXIT = { OK: 0, FAILED: 1, USAGE: 2, NOT_RUNNING: 3 } as const;
const USAGE = "usage: takitini-kafka fetch | start | stop | status [--json] | topics | acls [--print] [--json] | principals";

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

async function start(dataDir: string): Promise<number> {
  const port = portFromEnv("TAKITINI_KAFKA_PORT", 9092);
  const controllerPort = portFromEnv("TAKITINI_KAFKA_CONTROLLER_PORT", port + 1);
  const state = readBrokerState(dataDir);
  const declarations = loadTopicDeclarations();
  const mesh = loadMeshAcls(declarations);
  warnInsecure();
  if (!insecure()) {
    // Certificates for every principal: made on first run, renewed when expiring, kept otherwise.
    const pkiDir = localPkiDir();
    ensurePki(pkiDir, mesh.principals, { log });
  }
  let address: string;
  if (state?.running) {
    address = state.address ?? `127.0.0.1:${port}`;
    log(`already running (pid ${state.pid}) at ${address}`);
    if (address !== `127.0.0.1:${port}`) log(`note: it listens on ${address}, not the requested port ${port}; stop it to change ports`);
    await waitForBroker(access(address, false), 60_000);
  } else {
    const t0 = Date.now();
    log(`starting Apache Kafka ${kafkaVersion()} (KRaft) on 127.0.0.1:${port}, data in ${dataDir}`);
    const broker = await startLocalBroker({ dataDir, port, controllerPort, detached: true, log, security: insecure() ? "insecure" : { pkiDir: localPkiDir() } });
    address = broker.brokers.join(",");
    log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (pid ${broker.pid}); stop with: takitini-kafka stop`);
  }
  const cluster = access(address, false);
  reportTopics(await ensureTopics(cluster, declarations));
  if (!insecure()) reportAcls(await applyAcls(cluster, mesh.acls, mesh.principals));
  await warmUpCoordinators(cluster);
  out(address);
  return EXIT.OK;
}

function access(address: string, external: boolean): KafkaAccess {
  return { brokers: parseBrokerList(address), security: operatorSecurity(external) };
}

function reportAcls(r: Awaited<ReturnType<typeof applyAcls>>): void {
  log(`ACLs: ${r.created} created, ${r.kept} already there${r.removed.length > 0 ? `, ${r.removed.length} removed (${r.removed.join("; ")})` : ""}`);
}

/** The cluster the tools act on: KAFKA_BROKERS, else the running local broker. */
function targetCluster(dataDir: string): KafkaAccess | undefined {
  const external = parseBrokerList(process.env.KAFKA_BROKERS ?? "");
  if (external.length > 0) return { brokers: external, security: operatorSecurity(true) };
  const state = readBrokerState(dataDir);
  if (!state?.running) return undefined;
  return access(state.address ?? `127.0.0.1:${portFromEnv("TAKITINI_KAFKA_PORT", 9092)}`, false);
}

async function acls(dataDir: string, args: string[]): Promise<number> {
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
  const cluster = targetCluster(dataDir);
  if (!cluster) {
    log("the local broker is not running (start it with: takitini-kafka start), and KAFKA_BROKERS is not set");
    return EXIT.NOT_RUNNING;
  }
  const r = await applyAcls(cluster, mesh.acls, mesh.principals);
  reportAcls(r);
  out(`created ${r.created}, kept ${r.kept}, removed ${r.removed.length}`);
  return EXIT.OK;
}

async function status(dataDir: string, json: boolean): Promise<number> {
  const external = parseBrokerList(process.env.KAFKA_BROKERS ?? "");
  const declared = loadTopicDeclarations().map((d) => d.name);
  const state = external.length > 0 ? undefined : readBrokerState(dataDir);
  const brokers = external.length > 0 ? external : parseBrokerList(state?.address ?? "");
  const running = external.length > 0 || state?.running === true;
  const report: Record<string, unknown> = external.length > 0 ? { cluster: "external", brokers } : { cluster: "local", running, pid: state?.running ? state.pid : null, address: brokers.join(",") || null, dataDir };
  if (!running) {
    if (json) out(JSON.stringify(report));
    else out(`local broker: not running (data dir ${dataDir})`);
    return EXIT.NOT_RUNNING;
  }
  const cluster: KafkaAccess = { brokers, security: operatorSecurity(external.length > 0) };
  try {
    await waitForBroker(cluster, 10_000);
  } catch (err) {
    report.error = (err as Error).message;
    if (json) out(JSON.stringify(report));
    else out(`${external.length > 0 ? "cluster" : `local broker: running (pid ${state?.pid}) but`} not answering at ${brokers.join(",")}`);
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
  out(external.length > 0 ? `cluster (KAFKA_BROKERS): ${brokers.join(",")}` : `local broker: running`);
  if (external.length === 0) {
    out(`  pid      ${state?.pid}`);
    out(`  address  ${brokers.join(",")}`);
    out(`  data     ${dataDir}`);
    out(`  log      ${brokerFiles(dataDir).brokerLog}`);
  }
  out(`topics (${topics.length}):`);
  const width = Math.max(0, ...topics.map((t) => t.name.length));
  for (const t of topics) out(`  ${t.name.padEnd(width)}  ${t.partitions} partition${t.partitions === 1 ? "" : "s"}${declared.includes(t.name) ? "" : "  (not declared)"}`);
  for (const n of missing) out(`  ${n.padEnd(width)}  MISSING (run: takitini-kafka topics)`);
  return EXIT.OK;
}

async function topics(dataDir: string): Promise<number> {
  const cluster = targetCluster(dataDir);
  if (!cluster) {
    log(`the local broker is not running (start it with: takitini-kafka start), and KAFKA_BROKERS is not set`);
    return EXIT.NOT_RUNNING;
  }
  const r = await ensureTopics(cluster, loadTopicDeclarations());
  reportTopics(r);
  for (const n of r.created) out(`created   ${n}`);
  for (const n of r.existing) out(`existing  ${n}`);
  return EXIT.OK;
}

async function main(argv: string[]): Promise<number> {
  silenceKafkajsTimerWarning();
  const [cmd, ...rest] = argv;
  const dataDir = localDataDir();
  switch (cmd) {
    case "fetch":
      out(await ensureKafkaDistribution({ log }));
      return EXIT.OK;
    case "start":
      return start(dataDir);
    case "stop": {
      const state = readBrokerState(dataDir);
      if (!state?.running) {
        log("not running");
        await stopBrokerIn(dataDir); // clears a stale pid file
        return EXIT.OK;
      }
      log(`stopping the broker (pid ${state.pid})`);
      const t0 = Date.now();
      await stopBrokerIn(dataDir);
      log(`stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return EXIT.OK;
    }
    case "status":
      return status(dataDir, rest.includes("--json"));
    case "topics":
      return topics(dataDir);
    case "acls":
      return acls(dataDir, rest);
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
