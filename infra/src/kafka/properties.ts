import { SUPER_USERS } from "./acls.js";

/** Settings of one combined broker+controller KRaft node on loopback. */
export interface NodeSettings {
  /** Client (PLAINTEXT) listener port. */
  port: number;
  /** KRaft controller listener port. */
  controllerPort: number;
  /** `log.dirs`: where partitions and the metadata log live. */
  logDir: string;
  nodeId?: number;
  /** Host to bind and advertise; default 127.0.0.1. */
  host?: string;
  /**
   * The KRaft controller quorum: every voter's node id and controller port (on
   * `host`). Default: this node alone. With three or more voters the node is part
   * of a replicated cluster (see `replicationSettings`); it must be one of them.
   */
  voters?: QuorumVoter[];
  /**
   * Mutual TLS on every listener (clients, controller, inter-broker) with Kafka's
   * StandardAuthorizer; absent only for a throwaway plaintext broker
   * (TAKITINI_INSECURE_KAFKA=true).
   */
  tls?: BrokerTls;
  /** Extra or replacement settings, applied last. */
  overrides?: Record<string, string | number | boolean>;
}

export interface BrokerTls {
  /** PEM file holding the broker's private key (unencrypted PKCS#8) and certificate chain. */
  keystore: string;
  /** PEM file of the CA every client and broker certificate must chain to. */
  truststore: string;
}

/**
 * A client certificate's subject becomes its principal only when it is exactly
 * `O=Takitini, OU=kafka, CN=<name>` (RFC 2253 order: CN first): `User:<name>`.
 * No other subject maps, and Kafka then refuses the connection — a certificate
 * the CA issued for another purpose (a partner's gRPC identity, a service's
 * server certificate) is no Kafka identity.
 */
export const PRINCIPAL_MAPPING_RULE = "RULE:^CN=([a-z0-9][a-z0-9-]*),OU=kafka,O=Takitini$/$1/";

/** The settings that make a node authenticate and authorise everyone. Pure. */
export function securitySettings(tls: BrokerTls, superUsers: readonly string[]): [string, PropertyValue][] {
  return [
    ["ssl.keystore.type", "PEM"],
    ["ssl.keystore.location", tls.keystore],
    ["ssl.truststore.type", "PEM"],
    ["ssl.truststore.location", tls.truststore],
    // Every listener demands a certificate from the CA: no anonymous client, controller or broker.
    ["ssl.client.auth", "required"],
    ["ssl.endpoint.identification.algorithm", "https"],
    ["ssl.enabled.protocols", "TLSv1.3,TLSv1.2"],
    ["ssl.principal.mapping.rules", PRINCIPAL_MAPPING_RULE],
    // KRaft's authorizer; nothing is allowed unless an ACL allows it.
    ["authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer"],
    ["allow.everyone.if.no.acl.found", false],
    ["super.users", superUsers.map((u) => `User:${u}`).join(";")],
  ];
}

export type PropertyValue = string | number | boolean;

/** One voter of the KRaft controller quorum. */
export interface QuorumVoter {
  id: number;
  controllerPort: number;
}

/** `controller.quorum.voters` for `voters` on `host`: `1@127.0.0.1:9093,2@…`. Pure. */
export function quorumVoters(voters: readonly QuorumVoter[], host = "127.0.0.1"): string {
  return voters.map((v) => `${v.id}@${host}:${v.controllerPort}`).join(",");
}

/**
 * Replication of user and internal topics for a cluster of `nodes` brokers. Pure.
 * One node: everything 1, so consumer groups and transactions work at all. Three or
 * more: three replicas, two in sync required for acks=all writes (one node may be
 * down), the transaction log the same, and never an out-of-sync replica as leader.
 * Two nodes: two replicas, one in sync (a lost node must not stop every write).
 */
export function replicationSettings(nodes: number): [string, PropertyValue][] {
  if (!Number.isInteger(nodes) || nodes < 1) throw new RangeError(`a cluster has at least one node, got ${nodes}`);
  const rf = Math.min(nodes, 3);
  const isr = nodes >= 3 ? 2 : 1;
  return [
    ["default.replication.factor", rf],
    ["min.insync.replicas", isr],
    ["offsets.topic.replication.factor", rf],
    ["transaction.state.log.replication.factor", rf],
    ["transaction.state.log.min.isr", isr],
    ["unclean.leader.election.enable", false],
  ];
}

/**
 * The settings of one node of a KRaft cluster on 127.0.0.1, in order. Pure.
 * Alone (no `voters`), internal topics (consumer offsets, transaction state) have
 * replication 1 and min ISR 1 so consumer groups and Kafka transactions work on
 * one node; in a quorum of three, replication 3 and min ISR 2.
 */
export function serverSettings(s: NodeSettings): [string, PropertyValue][] {
  const id = s.nodeId ?? 1;
  const host = s.host ?? "127.0.0.1";
  for (const [name, port] of [["port", s.port], ["controllerPort", s.controllerPort]] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`${name} must be a TCP port, got ${port}`);
  }
  if (s.port === s.controllerPort) throw new RangeError(`port and controllerPort must differ (both ${s.port})`);
  if (s.logDir.trim() === "") throw new RangeError("logDir must not be empty");
  const voters = s.voters ?? [{ id, controllerPort: s.controllerPort }];
  const self = voters.find((v) => v.id === id);
  if (!self) throw new RangeError(`node ${id} is not one of the quorum's voters (${voters.map((v) => v.id).join(", ")})`);
  if (self.controllerPort !== s.controllerPort) throw new RangeError(`node ${id}'s controller port is ${s.controllerPort} but the quorum lists ${self.controllerPort}`);
  if (new Set(voters.map((v) => v.id)).size !== voters.length) throw new RangeError("the quorum's voters must have distinct ids");
  // Secured: CLIENT and CONTROLLER listeners both speak TLS with client certificates;
  // inter-broker traffic uses the CLIENT listener, so it is authenticated too.
  const client = s.tls ? "CLIENT" : "PLAINTEXT";
  const protocol = s.tls ? "SSL" : "PLAINTEXT";
  const settings: [string, PropertyValue][] = [
    // KRaft: this one process is both a broker and a controller (the sole one, or
    // one voter of a static quorum: controller.quorum.voters, Kafka 3.9 also has the
    // dynamic controller.quorum.bootstrap.servers but a fixed local set needs none of it).
    ["process.roles", "broker,controller"],
    ["node.id", id],
    ["controller.quorum.voters", quorumVoters(voters, host)],
    ["listeners", `${client}://${host}:${s.port},CONTROLLER://${host}:${s.controllerPort}`],
    ["advertised.listeners", `${client}://${host}:${s.port}`],
    ["listener.security.protocol.map", `${client}:${protocol},CONTROLLER:${protocol}`],
    ["controller.listener.names", "CONTROLLER"],
    ["inter.broker.listener.name", client],
    ...(s.tls ? securitySettings(s.tls, SUPER_USERS) : []),
    ["log.dirs", s.logDir],
    // One node: every replication factor and ISR is 1; three or more: 3 and 2.
    ...replicationSettings(voters.length),
    ["offsets.topic.num.partitions", 10],
    ["transaction.state.log.num.partitions", 10],
    // Topics are declared (infra/kafka/topics.json), never created by accident.
    ["auto.create.topics.enable", false],
    ["num.partitions", 1],
    ["delete.topic.enable", true],
    // Tests and the dev stack join groups immediately.
    ["group.initial.rebalance.delay.ms", 0],
    // A small machine (2 cores, broker heap 512 MB): few threads, small buffers.
    ["num.network.threads", 2],
    ["num.io.threads", 4],
    ["background.threads", 4],
    ["num.recovery.threads.per.data.dir", 1],
    ["num.replica.fetchers", 1],
    ["log.cleaner.threads", 1],
    ["log.cleaner.dedupe.buffer.size", 16 * 1024 * 1024],
    ["log.segment.bytes", 64 * 1024 * 1024],
    ["log.index.size.max.bytes", 2 * 1024 * 1024],
    ["log.retention.check.interval.ms", 5 * 60_000],
    ["socket.send.buffer.bytes", 102400],
    ["socket.receive.buffer.bytes", 102400],
    ["socket.request.max.bytes", 104857600],
  ];
  for (const [key, value] of Object.entries(s.overrides ?? {})) {
    const i = settings.findIndex(([k]) => k === key);
    if (i >= 0) settings[i] = [key, value];
    else settings.push([key, value]);
  }
  return settings;
}

/** Escape a value for a Java .properties file (backslashes, and leading blanks). */
function escapeValue(v: PropertyValue): string {
  return String(v).replace(/\\/g, "\\\\").replace(/^\s/, (c) => `\\${c}`).replace(/\n/g, "\\n");
}

/** Render `server.properties` for one node of a KRaft cluster on 127.0.0.1. Pure. */
export function renderServerProperties(s: NodeSettings): string {
  const lines = serverSettings(s).map(([k, v]) => `${k}=${escapeValue(v)}`);
  const what = s.tls ? "mutual TLS on every listener, StandardAuthorizer" : "PLAINTEXT, NO AUTHENTICATION (TAKITINI_INSECURE_KAFKA=true)";
  const n = s.voters?.length ?? 1;
  const shape = n === 1 ? "a single-node Apache Kafka (KRaft) broker+controller" : `node ${s.nodeId ?? 1} of a ${n}-node Apache Kafka (KRaft) cluster, each broker+controller,`;
  return `# Generated by @takitini/infra: ${shape} on loopback; ${what}.\n${lines.join("\n")}\n`;
}

/** Parse Java .properties text (the subset we write: `key=value` lines, `#` comments). Pure. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    out.set(line.slice(0, eq).trim(), line.slice(eq + 1).replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c)));
  }
  return out;
}

/**
 * log4j 1.x (reload4j) configuration: every broker log line goes to `logFile`
 * (rolled, bounded), none to our stdout. Pure.
 */
export function renderLog4jProperties(logFile: string): string {
  return [
    "# Generated by @takitini/infra: broker logs go to a file in the data dir.",
    "log4j.rootLogger=INFO, file",
    "log4j.appender.file=org.apache.log4j.RollingFileAppender",
    `log4j.appender.file.File=${escapeValue(logFile)}`,
    "log4j.appender.file.MaxFileSize=20MB",
    "log4j.appender.file.MaxBackupIndex=2",
    "log4j.appender.file.layout=org.apache.log4j.PatternLayout",
    "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n",
    "log4j.logger.kafka=INFO",
    "log4j.logger.org.apache.kafka=INFO",
    "log4j.logger.org.apache.zookeeper=WARN",
    "log4j.logger.state.change.logger=WARN",
    "log4j.logger.kafka.request.logger=WARN",
    "log4j.logger.kafka.authorizer.logger=WARN",
    "log4j.logger.kafka.log.LogCleaner=WARN",
    "",
  ].join("\n");
}
