import { describe, expect, it } from "vitest";
import { linkageKeyFile, MESH_SERVICES, meshPlan, meshPorts, meshServiceEnv, meshSettingsFromEnv, type MeshSettings } from "./mesh.js";
import { parsePlan, PlanError } from "./plan.js";

const settings: MeshSettings = {
  repoRoot: "/repo",
  stateDir: "/repo/.takitini",
  pkiDir: "/pki",
  brokers: "127.0.0.1:9092",
  databaseUrl: "postgres://takitini@127.0.0.1:55432/takitini",
  demoRate: 6,
  demoHistoryWeeks: 52,
  insecureKafka: false,
  instanceId: "local-0",
  node: "/usr/bin/node",
  metricsPort: 8180,
  stopGraceMs: 10_000,
};

// What bin/takitini gave each service before the supervisor took them over.
const common = (svc: string, port: number) => ({
  KAFKA_BROKERS: "127.0.0.1:9092",
  PORT: String(port),
  ADMIN_PORT: String(port + 100),
  INSTANCE_ID: "local-0",
  DEMO_RECORDS_PER_MINUTE: "6",
  DEMO_HISTORY_WEEKS: "52",
  KAFKA_TLS_CA_FILE: "/pki/ca.crt",
  KAFKA_TLS_CERT_FILE: `/pki/kafka/${svc}.crt`,
  KAFKA_TLS_KEY_FILE: `/pki/kafka/${svc}.key`,
});
const adapter = (svc: string, port: number) => ({
  ...common(svc, port),
  EVENT_ID_KEY_FILE: "/repo/.takitini/adapters/event-id.key",
  HTTP_TLS_CERT_FILE: `/pki/service/${svc}.crt`,
  HTTP_TLS_KEY_FILE: `/pki/service/${svc}.key`,
  HTTP_TLS_CA_FILE: "/pki/ca.crt",
});

describe("meshServiceEnv", () => {
  it("gives every service the variables the launcher gave it", () => {
    expect(meshServiceEnv(settings, "exchange")).toEqual({
      ...common("exchange", 8082),
      GRPC_PORT: "9082",
      TAXII_PORT: "9443",
      GRPC_TLS_CERT: "/pki/service/exchange.crt",
      GRPC_TLS_KEY: "/pki/service/exchange.key",
      GRPC_TLS_CA: "/pki/ca.crt",
      SUBSCRIBE_CRL_FILE: "/pki/crl.pem",
    });
    expect(meshServiceEnv(settings, "audit")).toEqual({
      ...common("audit", 8083),
      DATABASE_URL: "postgres://takitini@127.0.0.1:55432/takitini",
      AUDIT_OVERSIGHT_ACCOUNTS_FILE: "/repo/.takitini/oversight/accounts.json",
      LEDGER_SIGNING_KEY_FILE: "/repo/.takitini/oversight/ledger-signing-key.pem",
      TAKITINI_ENV: "development",
      HTTP_TLS_CERT_FILE: "/pki/service/audit.crt",
      HTTP_TLS_KEY_FILE: "/pki/service/audit.key",
    });
    expect(meshServiceEnv(settings, "briefing")).toEqual({
      ...common("briefing", 8087),
      BRIEFING_ROUNDING_SECRET_FILE: "/repo/.takitini/briefing/rounding.secret",
      BRIEFING_LEADER_ACCOUNTS_FILE: "/repo/.takitini/briefing/leader-accounts.json",
      BRIEFING_MAIL_SECRET_FILE: "/repo/.takitini/briefing/mail.secret",
      BRIEFING_PUBLIC_URL: "https://127.0.0.1:8087",
      HTTP_TLS_CERT_FILE: "/pki/service/briefing.crt",
      HTTP_TLS_KEY_FILE: "/pki/service/briefing.key",
    });
    expect(meshServiceEnv(settings, "linkage")).toEqual({
      ...common("linkage", 8088),
      LINKAGE_KEY_FILE: "/repo/.takitini/linkage/match.key",
      HTTP_TLS_CERT_FILE: "/pki/service/linkage.crt",
      HTTP_TLS_KEY_FILE: "/pki/service/linkage.key",
    });
    expect(meshServiceEnv(settings, "police-adapter")).toEqual(adapter("police-adapter", 8081));
    expect(meshServiceEnv(settings, "customs-adapter")).toEqual(adapter("customs-adapter", 8084));
    expect(meshServiceEnv(settings, "mbie-adapter")).toEqual(adapter("mbie-adapter", 8085));
    expect(meshServiceEnv(settings, "msd-adapter")).toEqual(adapter("msd-adapter", 8086));
  });

  it("gives the linkage match key to the linkage service alone, and the adapters' event-id key to no one else", () => {
    expect(linkageKeyFile("/repo/.takitini")).toBe("/repo/.takitini/linkage/match.key");
    for (const svc of MESH_SERVICES) {
      const env = meshServiceEnv(settings, svc);
      expect("LINKAGE_KEY_FILE" in env, svc).toBe(svc === "linkage");
      expect(Object.values(env).filter((v) => v.includes("/linkage/")), svc).toEqual(svc === "linkage" ? ["/repo/.takitini/linkage/match.key"] : []);
      expect("EVENT_ID_KEY_FILE" in env, svc).toBe(svc.endsWith("-adapter"));
    }
    // Its own Kafka principal, like every service.
    expect(meshServiceEnv(settings, "linkage")).toMatchObject({ KAFKA_TLS_CERT_FILE: "/pki/kafka/linkage.crt", KAFKA_TLS_KEY_FILE: "/pki/kafka/linkage.key" });
  });

  it("gives no Kafka certificates on an insecure broker", () => {
    const env = meshServiceEnv({ ...settings, insecureKafka: true }, "exchange");
    expect(Object.keys(env).filter((k) => k.startsWith("KAFKA_TLS_"))).toEqual([]);
    expect(env.KAFKA_BROKERS).toBe("127.0.0.1:9092");
  });
});

describe("meshPlan", () => {
  it("runs every service from its dist with its log and admin readiness, audit first", () => {
    const plan = parsePlan(meshPlan(settings));
    expect(plan.services.map((s) => s.name)).toEqual([...MESH_SERVICES, "witness"]);
    // The linkage service after the exchange that decides its alerts, before the adapters whose records it links.
    expect(MESH_SERVICES).toEqual(["audit", "exchange", "linkage", "police-adapter", "customs-adapter", "mbie-adapter", "msd-adapter", "briefing"]);
    expect(plan.services.find((s) => s.name === "linkage")).toMatchObject({
      args: ["--max-semi-space-size=8", "--heap-growing-percent=20", "/repo/services/linkage/dist/main.js"],
      log: "/repo/.takitini/logs/linkage.log",
      readyUrl: "http://127.0.0.1:8188/readyz",
    });
    expect(plan.services[0]).toMatchObject({
      name: "audit",
      command: "/usr/bin/node",
      args: ["--max-semi-space-size=8", "--heap-growing-percent=20", "/repo/services/audit/dist/main.js"],
      cwd: "/repo",
      log: "/repo/.takitini/logs/audit.log",
      readyUrl: "http://127.0.0.1:8183/readyz",
    });
    expect(plan).toMatchObject({ statusFile: "/repo/.takitini/supervisor.json", metricsPort: 8180, stopGraceMs: 10_000, logFile: "/repo/.takitini/logs/supervisor.log" });
    expect(plan.backoff).toEqual({ initialMs: 500, factor: 2, maxMs: 30_000, stableMs: 60_000, restart: "on-failure" });
  });

  it("runs the oversight body's witness beside the mesh, as the oversight principal, into .takitini/oversight", () => {
    const witness = parsePlan(meshPlan(settings)).services.at(-1)!;
    expect(witness).toEqual({
      name: "witness",
      command: "/usr/bin/node",
      args: ["/repo/services/audit/dist/tools/witness.js", "--out", "/repo/.takitini/oversight/witness.jsonl", "--key", "/repo/.takitini/oversight/ledger-public-key.pem", "--brokers", "127.0.0.1:9092"],
      env: { KAFKA_TLS_CA_FILE: "/pki/ca.crt", KAFKA_TLS_CERT_FILE: "/pki/kafka/oversight.crt", KAFKA_TLS_KEY_FILE: "/pki/kafka/oversight.key" },
      cwd: "/repo",
      log: "/repo/.takitini/logs/witness.log",
    });
    expect(parsePlan(meshPlan({ ...settings, insecureKafka: true })).services.at(-1)!.env).toEqual({ TAKITINI_INSECURE_KAFKA: "true" });
  });

  it("refuses to run the audit without its database", () => {
    const { databaseUrl: _, ...rest } = settings;
    expect(() => meshPlan(rest)).toThrow(/AUDIT_DATABASE_URL/);
  });

  it("puts the linkage service's door on 8088 and its admin listener on 8188, with no gRPC", () => {
    expect(meshPorts("linkage")).toEqual({ port: 8088, admin: 8188 });
  });

  it("has distinct ports, each admin port its port + 100", () => {
    const all = MESH_SERVICES.flatMap((s) => {
      const p = meshPorts(s);
      expect(p.admin).toBe(p.port + 100);
      return [p.port, p.admin, ...(p.grpc === undefined ? [] : [p.grpc])];
    });
    expect(new Set(all).size).toBe(all.length);
  });
});

describe("meshSettingsFromEnv", () => {
  it("defaults to the local broker and the checkout's state", () => {
    const s = meshSettingsFromEnv({ AUDIT_DATABASE_URL: "postgres://x", TAKITINI_KAFKA_PORT: "9192", TAKITINI_STATE_DIR: "/s" });
    expect(s).toMatchObject({ brokers: "127.0.0.1:9192", stateDir: "/s", pkiDir: "/s/pki", demoRate: 6, demoHistoryWeeks: 52, insecureKafka: false, instanceId: "local-0", metricsPort: 8180 });
  });
  it("gives the audit its own role's URL and the ledger owner's (least privilege), when the launcher has both", () => {
    const s = meshSettingsFromEnv({ AUDIT_DATABASE_URL: "postgres://takitini_audit@h/db", AUDIT_MIGRATION_DATABASE_URL: "postgres://takitini_audit_owner@h/db" });
    expect(meshServiceEnv(s, "audit")).toMatchObject({ DATABASE_URL: "postgres://takitini_audit@h/db", AUDIT_MIGRATION_DATABASE_URL: "postgres://takitini_audit_owner@h/db" });
    expect(meshServiceEnv(meshSettingsFromEnv({ AUDIT_DATABASE_URL: "postgres://x" }), "audit")).not.toHaveProperty("AUDIT_MIGRATION_DATABASE_URL");
  });
  it("takes an existing cluster, the PKI dir and the demo rate", () => {
    const s = meshSettingsFromEnv({ KAFKA_BROKERS: "a:1, b:2", TAKITINI_PKI_DIR: "/p", TAKITINI_DEMO_RATE: "0", TAKITINI_DEMO_HISTORY: "0", TAKITINI_INSECURE_KAFKA: "true" });
    expect(s).toMatchObject({ brokers: "a:1,b:2", pkiDir: "/p", demoRate: 0, demoHistoryWeeks: 0, insecureKafka: true });
    expect(meshServiceEnv(s, "police-adapter")).toMatchObject({ DEMO_HISTORY_WEEKS: "0" });
  });
  it("names a bad variable", () => {
    expect(() => meshSettingsFromEnv({ TAKITINI_SUPERVISOR_METRICS_PORT: "http" })).toThrow(/TAKITINI_SUPERVISOR_METRICS_PORT/);
  });
});

describe("parsePlan", () => {
  it("names a duplicate service by its path", () => {
    const svc = { name: "a", command: "node", log: "/tmp/a.log" };
    expect(() => parsePlan({ services: [svc, svc], statusFile: "/tmp/s.json" })).toThrow(PlanError);
    expect(() => parsePlan({ services: [svc, svc], statusFile: "/tmp/s.json" })).toThrow(/services\.1\.name: duplicate service a/);
  });
  it("refuses a plan without services", () => {
    expect(() => parsePlan({ services: [], statusFile: "/tmp/s.json" })).toThrow(/services/);
  });
});
