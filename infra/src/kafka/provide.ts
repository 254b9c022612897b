import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readKafkaSecurity, type KafkaSecurity } from "@takitini/runtime";
import { applyAcls, loadMeshAcls } from "./acl-admin.js";
import { meshAcls, type AclSubscriber } from "./acls.js";
import { parseBrokerList, type KafkaAccess } from "./client.js";
import { waitForBroker } from "./broker.js";
import { startLocalBroker, startLocalCluster, type LocalCluster } from "./cluster.js";
import { ensurePki, principalEnv, principalSecurity } from "./pki.js";
import { ensureTopics, environmentFor, loadTopicDeclarations, type EnsureTopicsResult, type TopicDeclaration } from "./topics.js";
import { warmUpCoordinators } from "./warmup.js";

export type KafkaMode = "external" | "testcontainers" | "local";

export interface ProvidedKafka {
  brokers: string[];
  mode: KafkaMode;
  /** `mtls`: every client needs a principal's certificate and the broker enforces ACLs. */
  security: "mtls" | "insecure";
  /** The directory of the principals' certificates (mtls), laid out by infra/pki/issue.sh. */
  pkiDir?: string;
  /** The operator's access (a super user), for tests' own reads, writes and admin. */
  operator: KafkaAccess;
  /** A principal's TLS material (mtls), or plaintext. */
  securityOf(principal: string): KafkaSecurity;
  /** The environment a service runs with as `principal`: KAFKA_BROKERS and its KAFKA_TLS_* files (or TAKITINI_INSECURE_KAFKA=true). */
  envOf(principal: string): Record<string, string>;
  /**
   * Grant the ACLs derived from `topics` and `subscribers` (a test's own per-run
   * topics and registry) through the same generator as the shipped ones. Adds;
   * never removes another run's grants.
   */
  grant(topics: TopicDeclaration[], subscribers: AclSubscriber[]): Promise<void>;
  /** What `ensureTopics` did on this cluster. */
  topics: EnsureTopicsResult;
  /** The broker JVM's pid (`local` mode, one node) and data dir (`local` mode). */
  pid?: number;
  dataDir?: string;
  /**
   * The local cluster when `brokers` ≥ 2 was asked for and started here: its nodes can
   * be killed and restarted (fault tests). Undefined for one node and for `KAFKA_BROKERS`.
   */
  cluster?: LocalCluster;
  /** Stops what was started (nothing for `external`). Idempotent. */
  stop(): Promise<void>;
}

export interface ProvideKafkaOptions {
  /** Where the local broker's certificates are issued (default: inside its temporary data dir). */
  pkiDir?: string;
  /** Topics to ensure; default: infra/kafka/topics.json. */
  topics?: TopicDeclaration[];
  /** Environment to read `KAFKA_BROKERS` from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Image for the testcontainers mode (Confluent Platform 7.9 = Apache Kafka 3.9). */
  image?: string;
  /**
   * How many brokers (default 1). With 3, the local mode starts a three-node KRaft
   * cluster (`cluster`) and the declared topics get their `cluster` replication (3,
   * min.insync.replicas 2); an existing `KAFKA_BROKERS` cluster must have at least
   * this many; testcontainers is not used.
   */
  brokers?: number;
  /** Broker heap for the local mode (per node). */
  heap?: string;
  /** How long to wait for a cluster to answer. */
  readyTimeoutMs?: number;
  /** Progress messages (default: none). */
  log?: (msg: string) => void;
}

export const DEFAULT_KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0";

/** Whether a Docker engine answers `docker info` within a few seconds. */
export function dockerAnswers(timeoutMs = 5000): { ok: boolean; reason: string } {
  const r = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: timeoutMs });
  if (r.error) return { ok: false, reason: (r.error as NodeJS.ErrnoException).code === "ENOENT" ? "no docker CLI" : r.error.message };
  if (r.status !== 0) return { ok: false, reason: `\`docker info\` exited ${r.status}: ${(r.stderr || r.stdout).trim().split("\n")[0] ?? ""}` };
  return { ok: true, reason: `Docker ${r.stdout.trim()}` };
}

/** A single-node cluster can only hold replication factor 1. */
const singleNode = (topics: TopicDeclaration[]) => topics.map((t) => ({ ...t, replication_factor: 1 }));

/**
 * A real Kafka cluster for a test suite, with the declared topics:
 *  1. `KAFKA_BROKERS` if set: that existing cluster (an error if it does not answer);
 *  2. else, where a Docker engine answers, testcontainers' KafkaContainer (KRaft);
 *  3. else the project's own launcher: Apache Kafka from Maven Central on loopback,
 *     in a temporary data dir removed by `stop()`.
 * Never a mock, never a silent skip: if none works it throws with every mode's reason.
 */
export async function provideKafka(opts: ProvideKafkaOptions = {}): Promise<ProvidedKafka> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const brokers = opts.brokers ?? 1;
  if (!Number.isInteger(brokers) || brokers < 1) throw new RangeError(`brokers must be a whole number ≥ 1, got ${brokers}`);
  const declaredTopics = (nodes: number) => opts.topics ?? loadTopicDeclarations(undefined, env, environmentFor(nodes));
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  const insecure = env.TAKITINI_INSECURE_KAFKA === "true";
  const failures: string[] = [];

  const external = parseBrokerList(env.KAFKA_BROKERS ?? "");
  if (external.length > 0) {
    // An existing cluster: plaintext only if asked for by name; else the principals'
    // certificates from TAKITINI_PKI_DIR (laid out as infra/pki/issue.sh does).
    const pkiDir = env.TAKITINI_PKI_DIR;
    if (!insecure && !pkiDir) throw new Error("KAFKA_BROKERS is set: set TAKITINI_PKI_DIR to the principals' certificates (ca.crt, kafka/<principal>.crt/.key), or TAKITINI_INSECURE_KAFKA=true for a plaintext cluster");
    const kit = securityKit(external, insecure ? undefined : pkiDir);
    let registered: number;
    try {
      registered = await waitForBroker(kit.operator, Math.min(readyTimeoutMs, 30_000));
    } catch (err) {
      throw new Error(`KAFKA_BROKERS=${env.KAFKA_BROKERS} is set but that cluster does not answer: ${(err as Error).message}`);
    }
    if (registered < brokers) throw new Error(`KAFKA_BROKERS=${env.KAFKA_BROKERS} has ${registered} broker(s); ${brokers} were asked for`);
    // Replication for the cluster's size (TAKITINI_TOPIC_REPLICATION still overrides).
    const result = await ensureTopics(kit.operator, declaredTopics(registered));
    if (!insecure) {
      // The shipped topics' ACLs; a caller's own extra topics are granted with kit.grant().
      const mesh = loadMeshAcls();
      await applyAcls(kit.operator, mesh.acls, mesh.principals);
    }
    return { ...kit, mode: "external", topics: result, stop: async () => undefined };
  }
  failures.push("external: KAFKA_BROKERS is not set");

  // Docker's Kafka image is configured here in plaintext only: it serves as the
  // mesh's broker only when plaintext was asked for by name.
  const docker =
    brokers > 1 ? { ok: false, reason: `its container is one broker; ${brokers} were asked for` } : insecure ? dockerAnswers() : { ok: false, reason: "its broker would be plaintext (set TAKITINI_INSECURE_KAFKA=true to allow that)" };
  if (docker.ok) {
    let container: { stop(): Promise<unknown> } | undefined;
    try {
      log(`starting ${opts.image ?? DEFAULT_KAFKA_IMAGE} with testcontainers (${docker.reason})`);
      const { KafkaContainer } = await import("@testcontainers/kafka");
      const started = await new KafkaContainer(opts.image ?? DEFAULT_KAFKA_IMAGE).withKraft().start();
      container = started;
      const brokers = [`${started.getHost()}:${started.getMappedPort(9093)}`];
      const kit = securityKit(brokers, undefined);
      await waitForBroker(kit.operator, readyTimeoutMs);
      const result = await ensureTopics(kit.operator, singleNode(declaredTopics(1)));
      await warmUpCoordinators(kit.operator);
      let stopped: Promise<void> | undefined;
      return { ...kit, mode: "testcontainers", topics: result, stop: () => (stopped ??= started.stop().then(() => undefined)) };
    } catch (err) {
      await container?.stop().catch(() => undefined);
      failures.push(`testcontainers: ${(err as Error).message}`);
    }
  } else {
    failures.push(`testcontainers: not used (${docker.reason})`);
  }

  // The shipped declarations' principals and ACLs, read once for the PKI and the broker.
  const mesh = loadMeshAcls();
  const dataDir = mkdtempSync(join(tmpdir(), "takitini-kafka-"));
  try {
    let pkiDir: string | undefined;
    if (!insecure) {
      // The shipped principals plus the broker and operator, and a rogue CA's
      // copies for the tests that a stranger's certificate is refused.
      pkiDir = opts.pkiDir ?? join(dataDir, "pki");
      ensurePki(pkiDir, mesh.principals, { rogue: true });
    }
    const security = pkiDir ? { pkiDir } : ("insecure" as const);
    log(`starting the local Apache Kafka ${brokers === 1 ? "broker" : `${brokers}-node cluster`} in ${dataDir} (${pkiDir ? "mutual TLS, ACLs" : "PLAINTEXT"})`);
    const cluster = brokers === 1 ? undefined : await startLocalCluster({ dataDir: join(dataDir, "cluster"), nodes: brokers, heap: opts.heap, readyTimeoutMs, log, security });
    const broker = cluster ?? (await startLocalBroker({ dataDir, heap: opts.heap, readyTimeoutMs, log, security }));
    try {
      const kit = securityKit(broker.brokers, pkiDir);
      // One node holds replication 1 only, whatever was declared; a cluster its own.
      const result = await ensureTopics(kit.operator, cluster ? declaredTopics(brokers) : singleNode(declaredTopics(1)));
      // The shipped topics' ACLs; a caller's own extra topics are granted with kit.grant().
      if (pkiDir) await applyAcls(kit.operator, mesh.acls, mesh.principals);
      await warmUpCoordinators(kit.operator);
      let stopped: Promise<void> | undefined;
      const stop = () =>
        (stopped ??= (async () => {
          await broker.stop();
          rmSync(dataDir, { recursive: true, force: true });
        })());
      return { ...kit, mode: "local", topics: result, ...("pid" in broker ? { pid: broker.pid } : {}), dataDir, ...(cluster ? { cluster } : {}), stop };
    } catch (err) {
      await broker.stop();
      throw err;
    }
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    failures.push(`local: ${(err as Error).message}`);
  }
  throw new Error(`no Kafka broker could be provided:\n - ${failures.join("\n - ")}`);
}

/** How clients of a cluster authenticate: as principals from `pkiDir`, or (none given) in plaintext. */
export function securityKit(brokers: string[], pkiDir: string | undefined): Pick<ProvidedKafka, "brokers" | "security" | "pkiDir" | "operator" | "securityOf" | "envOf" | "grant"> {
  const securityOf = (principal: string): KafkaSecurity => (pkiDir ? principalSecurity(pkiDir, principal) : readKafkaSecurity({ TAKITINI_INSECURE_KAFKA: true }));
  const operator: KafkaAccess = { brokers, security: securityOf("operator") };
  return {
    brokers,
    security: pkiDir ? "mtls" : "insecure",
    ...(pkiDir ? { pkiDir } : {}),
    operator,
    securityOf,
    envOf: (principal) => ({ KAFKA_BROKERS: brokers.join(","), ...(pkiDir ? principalEnv(pkiDir, principal) : { TAKITINI_INSECURE_KAFKA: "true" }) }),
    grant: async (topics, subscribers) => {
      if (!pkiDir) return;
      // Only this set's own principals' bindings are compared, and nothing is removed:
      // `applyAcls` with no managed principals only adds.
      await applyAcls(operator, meshAcls(topics, subscribers), []);
    },
  };
}
