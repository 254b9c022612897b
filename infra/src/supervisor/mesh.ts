/**
 * The mesh's services as `npm start` runs them: their ports and every variable
 * of their environment (Kafka principal, TLS files, secrets' files, the ledger's
 * database). One place; `bin/takitini` asks for it (`takitini-supervisor ports`,
 * `env <service>`) instead of keeping a copy.
 */
import { join } from "node:path";
import { SERVICE_NODE_FLAGS } from "./node-flags.js";
import { z } from "zod";
import { brokerList, ConfigError } from "@takitini/runtime";
import { REPO_ROOT } from "../kafka/paths.js";
import type { SupervisorPlanInput, ServiceSpec } from "./plan.js";

/**
 * In start order; stopped in the reverse one (the audit last, so it ingests what the others wrote).
 * The linkage service starts after the exchange (which decides its alerts) and before the adapters
 * (whose records it links); stopped after them, it has linked what they published.
 */
export const MESH_SERVICES = ["audit", "exchange", "linkage", "police-adapter", "customs-adapter", "mbie-adapter", "msd-adapter", "briefing"] as const;
export type MeshService = (typeof MESH_SERVICES)[number];

export interface MeshPorts {
  /** The door (HTTP or HTTPS). */
  port: number;
  /** Plain HTTP: /healthz, /readyz, /metrics, /docs. Always port + 100. */
  admin: number;
  /** gRPC, where the service has it (the adapters' and the audit's default to their config's). */
  grpc?: number;
}

const DOOR_PORTS: Record<MeshService, { port: number; grpc?: number }> = {
  "police-adapter": { port: 8081, grpc: 9081 },
  exchange: { port: 8082, grpc: 9082 },
  audit: { port: 8083, grpc: 9083 },
  "customs-adapter": { port: 8084, grpc: 9084 },
  "mbie-adapter": { port: 8085, grpc: 9085 },
  "msd-adapter": { port: 8086, grpc: 9086 },
  briefing: { port: 8087 },
  // No API: its door answers /healthz and /readyz only (links leave it only as alerts on Kafka).
  linkage: { port: 8088 },
};

export function meshPorts(service: MeshService): MeshPorts {
  const { port, grpc } = DOOR_PORTS[service];
  return { port, admin: port + 100, ...(grpc === undefined ? {} : { grpc }) };
}

/** The exchange's TAXII 2.1 door (foreign partners, mutual TLS). */
export const EXCHANGE_TAXII_PORT = 9443;

/** The supervisor's own /metrics, beside the services' admin ports. */
export const MESH_SUPERVISOR_METRICS_PORT = 8180;

export interface MeshSettings {
  repoRoot: string;
  /** `<repo>/.takitini`: logs, status, oversight and briefing secrets, the adapters' key, the linkage match key. */
  stateDir: string;
  pkiDir: string;
  brokers: string;
  /** The audit ledger's PostgreSQL as the service's role (insert and select only); required to run the audit. */
  databaseUrl?: string;
  /** The ledger's owner role, which migrates and grants at the audit's start (least privilege); unset: the audit's own role migrates (development). */
  migrationDatabaseUrl?: string;
  demoRate: number;
  /** Completed weeks of seeded demo history each adapter backfills at start (0: none). */
  demoHistoryWeeks: number;
  insecureKafka: boolean;
  instanceId: string;
  /** The Node binary the services run on. */
  node: string;
  metricsPort: number;
  stopGraceMs: number;
}

/** The linkage service's match key (HMAC key of every match token), made once by bin/takitini and kept. */
export const linkageKeyFile = (stateDir: string) => join(stateDir, "linkage", "match.key");

/** Every variable a mesh service gets on top of the launcher's environment. */
export function meshServiceEnv(s: MeshSettings, svc: MeshService): Record<string, string> {
  const pki = (...p: string[]) => join(s.pkiDir, ...p);
  const state = (...p: string[]) => join(s.stateDir, ...p);
  const own: Record<string, string> = {};
  switch (svc) {
    case "exchange":
      Object.assign(own, {
        GRPC_PORT: String(meshPorts("exchange").grpc),
        // International partners' TAXII 2.1 door, with the gRPC door's certificate, CA and CRL.
        TAXII_PORT: String(EXCHANGE_TAXII_PORT),
        GRPC_TLS_CERT: pki("service", "exchange.crt"),
        GRPC_TLS_KEY: pki("service", "exchange.key"),
        GRPC_TLS_CA: pki("ca.crt"),
        SUBSCRIBE_CRL_FILE: pki("crl.pem"),
      });
      break;
    case "audit":
      Object.assign(own, {
        ...(s.databaseUrl === undefined ? {} : { DATABASE_URL: s.databaseUrl }),
        ...(s.migrationDatabaseUrl === undefined ? {} : { AUDIT_MIGRATION_DATABASE_URL: s.migrationDatabaseUrl }),
        AUDIT_OVERSIGHT_ACCOUNTS_FILE: state("oversight", "accounts.json"),
        LEDGER_SIGNING_KEY_FILE: state("oversight", "ledger-signing-key.pem"),
        // npm start is a development machine (the key above is still required to be owner-only).
        TAKITINI_ENV: "development",
        HTTP_TLS_CERT_FILE: pki("service", "audit.crt"),
        HTTP_TLS_KEY_FILE: pki("service", "audit.key"),
      });
      break;
    case "briefing":
      Object.assign(own, {
        BRIEFING_ROUNDING_SECRET_FILE: state("briefing", "rounding.secret"),
        BRIEFING_LEADER_ACCOUNTS_FILE: state("briefing", "leader-accounts.json"),
        // Keys leaders' feed keys and, with SMTP_* in the launcher's environment, the digest emails' unsubscribe links.
        BRIEFING_MAIL_SECRET_FILE: state("briefing", "mail.secret"),
        BRIEFING_PUBLIC_URL: `https://127.0.0.1:${meshPorts("briefing").port}`,
        HTTP_TLS_CERT_FILE: pki("service", "briefing.crt"),
        HTTP_TLS_KEY_FILE: pki("service", "briefing.key"),
      });
      break;
    case "linkage":
      Object.assign(own, {
        // Only this service reads it (owner-only file; the service refuses anything else).
        LINKAGE_KEY_FILE: linkageKeyFile(s.stateDir),
        HTTP_TLS_CERT_FILE: pki("service", "linkage.crt"),
        HTTP_TLS_KEY_FILE: pki("service", "linkage.key"),
      });
      break;
    default:
      // An adapter's doors: its server certificate, the CA publishers' certificates chain to, the event-id key.
      Object.assign(own, {
        EVENT_ID_KEY_FILE: state("adapters", "event-id.key"),
        HTTP_TLS_CERT_FILE: pki("service", `${svc}.crt`),
        HTTP_TLS_KEY_FILE: pki("service", `${svc}.key`),
        HTTP_TLS_CA_FILE: pki("ca.crt"),
      });
  }
  // Each service is its own Kafka principal (the adapters are named after themselves).
  if (!s.insecureKafka) {
    Object.assign(own, {
      KAFKA_TLS_CA_FILE: pki("ca.crt"),
      KAFKA_TLS_CERT_FILE: pki("kafka", `${svc}.crt`),
      KAFKA_TLS_KEY_FILE: pki("kafka", `${svc}.key`),
    });
  }
  const ports = meshPorts(svc);
  return {
    ...own,
    KAFKA_BROKERS: s.brokers,
    PORT: String(ports.port),
    ADMIN_PORT: String(ports.admin),
    INSTANCE_ID: s.instanceId,
    DEMO_RECORDS_PER_MINUTE: String(s.demoRate),
    DEMO_HISTORY_WEEKS: String(s.demoHistoryWeeks),
  };
}

export function meshServiceSpec(s: MeshSettings, svc: MeshService): ServiceSpec {
  return {
    name: svc,
    command: s.node,
    args: [...SERVICE_NODE_FLAGS, join(s.repoRoot, "services", svc, "dist", "main.js")],
    env: meshServiceEnv(s, svc),
    cwd: s.repoRoot,
    log: join(s.stateDir, "logs", `${svc}.log`),
    readyUrl: `http://127.0.0.1:${meshPorts(svc).admin}/readyz`,
  };
}

/**
 * The oversight body's witness beside the mesh (`npm start`): follows the audit's
 * heads topic as the `oversight` Kafka principal and appends every signed tree
 * head to `.takitini/oversight/witness.jsonl`, checked against the ledger's
 * public key (`npm run audit:verify -- --witness .takitini/oversight/witness.jsonl`).
 * No readiness URL: it has no listener.
 */
export function meshWitnessSpec(s: MeshSettings): ServiceSpec {
  const state = (...p: string[]) => join(s.stateDir, ...p);
  return {
    name: "witness",
    command: s.node,
    args: [
      join(s.repoRoot, "services", "audit", "dist", "tools", "witness.js"),
      "--out",
      state("oversight", "witness.jsonl"),
      "--key",
      state("oversight", "ledger-public-key.pem"),
      "--brokers",
      s.brokers,
    ],
    env: s.insecureKafka
      ? { TAKITINI_INSECURE_KAFKA: "true" }
      : { KAFKA_TLS_CA_FILE: join(s.pkiDir, "ca.crt"), KAFKA_TLS_CERT_FILE: join(s.pkiDir, "kafka", "oversight.crt"), KAFKA_TLS_KEY_FILE: join(s.pkiDir, "kafka", "oversight.key") },
    cwd: s.repoRoot,
    log: state("logs", "witness.log"),
  };
}

export function meshPlan(s: MeshSettings): SupervisorPlanInput {
  if (s.databaseUrl === undefined) throw new Error("the mesh's audit needs its database: set AUDIT_DATABASE_URL");
  return {
    services: [...MESH_SERVICES.map((svc) => meshServiceSpec(s, svc)), meshWitnessSpec(s)],
    stopGraceMs: s.stopGraceMs,
    statusFile: join(s.stateDir, "supervisor.json"),
    metricsPort: s.metricsPort,
    logFile: join(s.stateDir, "logs", "supervisor.log"),
  };
}

/** The launcher's settings, from its environment (what bin/takitini exports). */
const meshEnvSchema = z.object({
  KAFKA_BROKERS: brokerList.optional(),
  TAKITINI_KAFKA_PORT: z.coerce.number().int().min(1).max(65535).default(9092),
  AUDIT_DATABASE_URL: z.string().min(1).optional(),
  AUDIT_MIGRATION_DATABASE_URL: z.string().min(1).optional(),
  TAKITINI_STATE_DIR: z.string().min(1).optional(),
  TAKITINI_PKI_DIR: z.string().min(1).optional(),
  TAKITINI_DEMO_RATE: z.coerce.number().nonnegative().default(6),
  /** 1: the adapters backfill a seeded year of demo history at start (adapter-kit history.ts); 0: none. */
  TAKITINI_DEMO_HISTORY: z.enum(["0", "1"], { message: "TAKITINI_DEMO_HISTORY must be 0 (no demo history) or 1" }).default("1"),
  TAKITINI_INSECURE_KAFKA: z.enum(["true", "false", ""]).default("false"),
  INSTANCE_ID: z.string().min(1).default("local-0"),
  TAKITINI_SUPERVISOR_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(MESH_SUPERVISOR_METRICS_PORT),
  TAKITINI_STOP_GRACE_MS: z.coerce.number().int().positive().default(10_000),
});

export function meshSettingsFromEnv(env: Record<string, string | undefined> = process.env): MeshSettings {
  const r = meshEnvSchema.safeParse(env);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
  const c = r.data;
  const stateDir = c.TAKITINI_STATE_DIR ?? join(REPO_ROOT, ".takitini");
  return {
    repoRoot: REPO_ROOT,
    stateDir,
    pkiDir: c.TAKITINI_PKI_DIR ?? join(stateDir, "pki"),
    brokers: (c.KAFKA_BROKERS ?? [`127.0.0.1:${c.TAKITINI_KAFKA_PORT}`]).join(","),
    ...(c.AUDIT_DATABASE_URL === undefined ? {} : { databaseUrl: c.AUDIT_DATABASE_URL }),
    ...(c.AUDIT_MIGRATION_DATABASE_URL === undefined ? {} : { migrationDatabaseUrl: c.AUDIT_MIGRATION_DATABASE_URL }),
    demoRate: c.TAKITINI_DEMO_RATE,
    demoHistoryWeeks: c.TAKITINI_DEMO_HISTORY === "1" ? 52 : 0,
    insecureKafka: c.TAKITINI_INSECURE_KAFKA === "true",
    instanceId: c.INSTANCE_ID,
    node: process.execPath,
    metricsPort: c.TAKITINI_SUPERVISOR_METRICS_PORT,
    stopGraceMs: c.TAKITINI_STOP_GRACE_MS,
  };
}
