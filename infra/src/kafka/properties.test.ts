import { describe, expect, it } from "vitest";
import { parseProperties, PRINCIPAL_MAPPING_RULE, quorumVoters, renderLog4jProperties, renderServerProperties, replicationSettings, serverSettings } from "./properties.js";

const render = (overrides?: Record<string, string | number | boolean>) =>
  parseProperties(renderServerProperties({ port: 19092, controllerPort: 19093, logDir: "/data/kafka/log", overrides }));

describe("renderServerProperties", () => {
  it("describes one combined broker+controller KRaft node on loopback", () => {
    const p = render();
    expect(p.get("process.roles")).toBe("broker,controller");
    expect(p.get("node.id")).toBe("1");
    expect(p.get("controller.quorum.voters")).toBe("1@127.0.0.1:19093");
    expect(p.get("controller.listener.names")).toBe("CONTROLLER");
    expect(p.get("listeners")).toBe("PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093");
    expect(p.get("advertised.listeners")).toBe("PLAINTEXT://127.0.0.1:19092");
    expect(p.get("listener.security.protocol.map")).toBe("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    expect(p.get("inter.broker.listener.name")).toBe("PLAINTEXT");
    expect(p.get("log.dirs")).toBe("/data/kafka/log");
  });

  it("lets consumer groups and transactions work on a single node", () => {
    const p = render();
    expect(p.get("offsets.topic.replication.factor")).toBe("1");
    expect(p.get("transaction.state.log.replication.factor")).toBe("1");
    expect(p.get("transaction.state.log.min.isr")).toBe("1");
    expect(p.get("min.insync.replicas")).toBe("1");
    expect(p.get("default.replication.factor")).toBe("1");
    expect(p.get("group.initial.rebalance.delay.ms")).toBe("0");
  });

  it("never creates topics by accident", () => {
    expect(render().get("auto.create.topics.enable")).toBe("false");
  });

  it("keeps threads and buffers small for a 2-core machine", () => {
    const p = render();
    expect(Number(p.get("num.network.threads"))).toBeLessThanOrEqual(2);
    expect(Number(p.get("num.io.threads"))).toBeLessThanOrEqual(4);
    expect(Number(p.get("log.cleaner.dedupe.buffer.size"))).toBeLessThanOrEqual(32 * 1024 * 1024);
  });

  it("renders each key once, and applies overrides in place or at the end", () => {
    const text = renderServerProperties({ port: 1, controllerPort: 2, logDir: "/l", overrides: { "num.io.threads": 2, "log.retention.hours": 1 } });
    const keys = text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split("=")[0]);
    expect(new Set(keys).size).toBe(keys.length);
    const p = parseProperties(text);
    expect(p.get("num.io.threads")).toBe("2");
    expect(p.get("log.retention.hours")).toBe("1");
  });

  it("uses the given node id and host", () => {
    const s = new Map(serverSettings({ port: 9092, controllerPort: 9093, logDir: "/l", nodeId: 7, host: "127.0.0.2" }));
    expect(s.get("controller.quorum.voters")).toBe("7@127.0.0.2:9093");
    expect(s.get("advertised.listeners")).toBe("PLAINTEXT://127.0.0.2:9092");
  });

  it("escapes backslashes in paths so Java reads them back", () => {
    expect(parseProperties(renderServerProperties({ port: 1, controllerPort: 2, logDir: "C:\\kafka\\log" })).get("log.dirs")).toBe("C:\\kafka\\log");
  });

  it("rejects impossible settings", () => {
    expect(() => renderServerProperties({ port: 9092, controllerPort: 9092, logDir: "/l" })).toThrow(/differ/);
    expect(() => renderServerProperties({ port: 0, controllerPort: 9093, logDir: "/l" })).toThrow(/port/);
    expect(() => renderServerProperties({ port: 9092, controllerPort: 70000, logDir: "/l" })).toThrow(/controllerPort/);
    expect(() => renderServerProperties({ port: 9092, controllerPort: 9093, logDir: " " })).toThrow(/logDir/);
  });
});

describe("a secured node (mutual TLS, StandardAuthorizer)", () => {
  const tls = { keystore: "/d/broker-keystore.pem", truststore: "/pki/ca.crt" };
  const p = parseProperties(renderServerProperties({ port: 19092, controllerPort: 19093, logDir: "/l", tls }));

  it("serves clients, the controller and other brokers over TLS only", () => {
    expect(p.get("listeners")).toBe("CLIENT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093");
    expect(p.get("advertised.listeners")).toBe("CLIENT://127.0.0.1:19092");
    expect(p.get("listener.security.protocol.map")).toBe("CLIENT:SSL,CONTROLLER:SSL");
    expect(p.get("inter.broker.listener.name")).toBe("CLIENT");
    expect([...p.values()].some((v) => v.includes("PLAINTEXT"))).toBe(false);
  });

  it("demands a client certificate from the project's CA and maps only Kafka identities to principals", () => {
    expect(p.get("ssl.client.auth")).toBe("required");
    expect(p.get("ssl.keystore.type")).toBe("PEM");
    expect(p.get("ssl.keystore.location")).toBe("/d/broker-keystore.pem");
    expect(p.get("ssl.truststore.location")).toBe("/pki/ca.crt");
    expect(p.get("ssl.principal.mapping.rules")).toBe(PRINCIPAL_MAPPING_RULE);
    // No DEFAULT rule: a subject that does not match maps to nothing and the connection fails.
    expect(PRINCIPAL_MAPPING_RULE).not.toContain("DEFAULT");
    const rule = /^RULE:\^(.*)\$\/\$1\/$/.exec(PRINCIPAL_MAPPING_RULE);
    const re = new RegExp(`^${rule![1]}$`);
    expect(re.exec("CN=police-adapter,OU=kafka,O=Takitini")?.[1]).toBe("police-adapter");
    for (const other of ["CN=subscriber customs,O=Takitini", "CN=exchange,O=Takitini", "CN=exchange,OU=kafka,O=Evil", "CN=Exchange,OU=kafka,O=Takitini"]) expect(re.test(other), other).toBe(false);
  });

  it("allows nothing without an ACL, and only the broker and the operator are super users", () => {
    expect(p.get("authorizer.class.name")).toBe("org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    expect(p.get("allow.everyone.if.no.acl.found")).toBe("false");
    expect(p.get("super.users")).toBe("User:broker;User:operator");
  });

  it("a plaintext node has no authorizer to pretend with", () => {
    const plain = parseProperties(renderServerProperties({ port: 1, controllerPort: 2, logDir: "/l" }));
    expect(plain.has("authorizer.class.name")).toBe(false);
    expect(plain.has("ssl.client.auth")).toBe(false);
  });
});

describe("renderLog4jProperties", () => {
  it("sends every broker log line to the given file, none to stdout", () => {
    const p = parseProperties(renderLog4jProperties("/data/kafka/broker.log"));
    expect(p.get("log4j.rootLogger")).toBe("INFO, file");
    expect(p.get("log4j.appender.file")).toBe("org.apache.log4j.RollingFileAppender");
    expect(p.get("log4j.appender.file.File")).toBe("/data/kafka/broker.log");
    expect([...p.values()].some((v) => v.includes("ConsoleAppender"))).toBe(false);
  });
});

describe("a node of a three-node cluster", () => {
  const voters = [
    { id: 1, controllerPort: 19093 },
    { id: 2, controllerPort: 19095 },
    { id: 3, controllerPort: 19097 },
  ];
  const tls = { keystore: "/d/node-2/broker-keystore.pem", truststore: "/pki/ca.crt" };
  const p = parseProperties(renderServerProperties({ nodeId: 2, port: 19094, controllerPort: 19095, voters, logDir: "/d/node-2/log", tls }));

  it("is a voter of a static quorum of all three, and a broker", () => {
    expect(p.get("process.roles")).toBe("broker,controller");
    expect(p.get("node.id")).toBe("2");
    expect(p.get("controller.quorum.voters")).toBe("1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097");
    expect(p.get("listeners")).toBe("CLIENT://127.0.0.1:19094,CONTROLLER://127.0.0.1:19095");
    expect(p.get("advertised.listeners")).toBe("CLIENT://127.0.0.1:19094");
  });

  it("replicates topics, offsets and the transaction log three times, two in sync required, no unclean leaders", () => {
    expect(p.get("default.replication.factor")).toBe("3");
    expect(p.get("min.insync.replicas")).toBe("2");
    expect(p.get("offsets.topic.replication.factor")).toBe("3");
    expect(p.get("transaction.state.log.replication.factor")).toBe("3");
    expect(p.get("transaction.state.log.min.isr")).toBe("2");
    expect(p.get("unclean.leader.election.enable")).toBe("false");
  });

  it("authenticates controller and inter-broker traffic like clients' (mutual TLS, broker a super user)", () => {
    expect(p.get("listener.security.protocol.map")).toBe("CLIENT:SSL,CONTROLLER:SSL");
    expect(p.get("inter.broker.listener.name")).toBe("CLIENT");
    expect(p.get("ssl.client.auth")).toBe("required");
    expect(p.get("super.users")).toContain("User:broker");
  });

  it("refuses a node that is not a voter, or whose controller port the quorum does not list", () => {
    expect(() => renderServerProperties({ nodeId: 4, port: 1, controllerPort: 2, voters, logDir: "/l" })).toThrow(/not one of the quorum's voters/);
    expect(() => renderServerProperties({ nodeId: 2, port: 1, controllerPort: 2, voters, logDir: "/l" })).toThrow(/quorum lists 19095/);
    expect(() => renderServerProperties({ nodeId: 1, port: 1, controllerPort: 19093, voters: [voters[0]!, { id: 1, controllerPort: 5 }], logDir: "/l" })).toThrow(/distinct/);
  });
});

describe("replicationSettings", () => {
  it("one node: everything 1 (the single-node settings)", () => {
    expect(Object.fromEntries(replicationSettings(1))).toEqual({
      "default.replication.factor": 1,
      "min.insync.replicas": 1,
      "offsets.topic.replication.factor": 1,
      "transaction.state.log.replication.factor": 1,
      "transaction.state.log.min.isr": 1,
      "unclean.leader.election.enable": false,
    });
  });

  it("three or more nodes: three replicas, two in sync", () => {
    for (const n of [3, 5]) {
      const s = new Map(replicationSettings(n));
      expect(s.get("default.replication.factor")).toBe(3);
      expect(s.get("min.insync.replicas")).toBe(2);
      expect(s.get("transaction.state.log.min.isr")).toBe(2);
    }
  });

  it("two nodes: two replicas, one in sync, so losing one does not stop writes", () => {
    const s = new Map(replicationSettings(2));
    expect(s.get("default.replication.factor")).toBe(2);
    expect(s.get("min.insync.replicas")).toBe(1);
  });

  it("rejects a cluster of no nodes", () => {
    expect(() => replicationSettings(0)).toThrow(RangeError);
  });
});

describe("quorumVoters", () => {
  it("lists id@host:port for each voter", () => {
    expect(quorumVoters([{ id: 1, controllerPort: 9093 }, { id: 2, controllerPort: 9095 }])).toBe("1@127.0.0.1:9093,2@127.0.0.1:9095");
  });
});
