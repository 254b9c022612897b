import { baseConfig, httpServersShape, loadConfig, port } from "@takitini/runtime";
import { hostname } from "node:os";
import { z } from "zod";
import { topicAgency } from "./provenance.js";
import { DEFAULT_RECEIPTS_TOPIC } from "./receipt.js";
import { DEFAULT_RECORDS_TOPIC } from "./records.js";

const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name");

const topicList = z
  .string()
  .transform((s) => s.split(",").map((t) => t.trim()).filter((t) => t.length > 0))
  .pipe(z.array(topicName).min(1));

/**
 * Agency topics, each named by the convention (`…intel.<agency>.v<N>`): the name
 * is how the exchange knows which agency may publish there (provenance.ts), so a
 * topic naming none would have every event on it dead-lettered. Refuse it at start.
 */
const intelTopicList = topicList.superRefine((topics, ctx) => {
  for (const topic of topics) {
    if (topicAgency(topic) === undefined) {
      ctx.addIssue({ code: "custom", message: `${topic} names no publishing agency (expected a name ending in intel.<police|customs|mbie|msd|community|linkage>.v<N>)` });
    }
  }
});

export const configSchema = baseConfig.extend({
  /**
   * PORT (8082): GET /v1/policy, /healthz, /readyz (plain HTTP unless HTTP_TLS_CERT_FILE and
   * HTTP_TLS_KEY_FILE are set); ADMIN_PORT (8182): /metrics, /healthz, /readyz, plain HTTP on
   * HOST. RATE_LIMIT_PER_MINUTE per client address (0: off).
   */
  ...httpServersShape({ port: 8082, perAddressPerMinute: 600, perPrincipalPerMinute: 0 }),
  /**
   * Comma-separated agency topics to consume, the community topic of leaders' submissions (published by
   * the briefing) and the linkage topic of link alerts (published by the linkage service).
   */
  INTEL_TOPICS: intelTopicList.default([
    "takitini.intel.police.v1",
    "takitini.intel.customs.v1",
    "takitini.intel.mbie.v1",
    "takitini.intel.msd.v1",
    "takitini.intel.community.v1",
    "takitini.intel.linkage.v1",
  ]),
  AUDIT_TOPIC: z.string().min(1).default("takitini.audit.decisions.v1"),
  DEADLETTER_TOPIC: z.string().min(1).default("takitini.deadletter.v1"),
  /** Receipts of leaders' submissions (whom each was shared with), for the briefing: written in the transaction of the submission's decisions. */
  RECEIPTS_TOPIC: topicName.default(DEFAULT_RECEIPTS_TOPIC),
  /** Who received each record (compacted; the exchange's own): read before a correction or a withdrawal is decided, written in the deliveries' transactions. */
  RECORDS_TOPIC: topicName.default(DEFAULT_RECORDS_TOPIC),
  /** Consumer group shared by every exchange instance. */
  GROUP_ID: z.string().min(1).default("takitini-exchange"),
  /**
   * Name of this instance in logs and Kafka client ids. Fencing does not depend
   * on it: each source partition has its own transactional id (see exchange.ts).
   */
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).default(`exchange-${hostname()}`),
  /**
   * Consumer-group session timeout. A crashed instance's partitions move to the
   * survivors after this long; the broker's group.min.session.timeout.ms (6 s by
   * default) is the floor.
   */
  SESSION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(300_000).default(30_000),
  /** First and longest delay between restarts of a crashed Kafka consumer (doubling, jittered). */
  EXCHANGE_RESTART_BACKOFF_BASE_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  EXCHANGE_RESTART_BACKOFF_MAX_MS: z.coerce.number().int().min(50).max(600_000).default(30_000),
  /**
   * Not consuming (so not ready) when no fetch completed and no transaction
   * committed within this long. Above the consumer's 5 s fetch wait.
   */
  EXCHANGE_CONSUMER_STALL_MS: z.coerce.number().int().min(6000).max(600_000).default(20_000),
  /**
   * Not ready for this long and the process exits with status 1, for its
   * supervisor to restart it, rather than stay alive and idle. 0: never.
   */
  EXCHANGE_MAX_UNREADY_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  /** Assigned partitions processed at once, each in its own transactions. */
  PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(4),
  /** Most source records committed in one Kafka transaction. */
  MAX_EVENTS_PER_TRANSACTION: z.coerce.number().int().min(1).max(10_000).default(200),
  /** Compiled policy and its data; default to those shipped in @takitini/policies. */
  POLICY_WASM: z.string().optional(),
  POLICY_DATA_DIR: z.string().optional(),
  /** Port of the gRPC DeliveryService (partners' Subscribe), on HOST. */
  GRPC_PORT: port.default(9082),
  /** PEM certificate chain of the gRPC server (infra/pki/issue.sh: service/exchange.crt). Required unless GRPC_INSECURE. */
  GRPC_TLS_CERT: z.string().min(1).optional(),
  /** PEM private key of the gRPC server. Required unless GRPC_INSECURE. */
  GRPC_TLS_KEY: z.string().min(1).optional(),
  /** PEM of the CA partners' client certificates must chain to. Required unless GRPC_INSECURE. */
  GRPC_TLS_CA: z.string().min(1).optional(),
  /**
   * Local development only: serve gRPC in plaintext. There is then no client
   * certificate and so no partner identity: every Subscribe is refused (and audited).
   */
  GRPC_INSECURE: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  /** Server keepalive: ping an idle connection after this long… */
  GRPC_KEEPALIVE_TIME_MS: z.coerce.number().int().min(1_000).max(7_200_000).default(30_000),
  /** …and drop it when the ping is not answered within this long. */
  GRPC_KEEPALIVE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(10_000),
  /** Most Subscribe streams open at once (each holds a Kafka consumer). */
  GRPC_MAX_STREAMS: z.coerce.number().int().min(1).max(10_000).default(64),
  /** Most Subscribe streams one partner may hold open at once: one partner cannot take every stream. */
  GRPC_MAX_STREAMS_PER_SUBSCRIBER: z.coerce.number().int().min(1).max(10_000).default(8),
  /** Subscribe calls per minute from one client address, before its certificate's identity is read (0: off). */
  SUBSCRIBE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  /** Subscribe calls per minute from one partner (refused and audited as RATE_LIMITED; 0: off). */
  SUBSCRIBE_RATE_LIMIT_PER_SUBSCRIBER_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(120),
  /**
   * PEM CRL of the CA in GRPC_TLS_CA (infra/pki/revoke.sh writes `crl.pem`): a
   * partner certificate it lists is refused Subscribe, and its open streams end.
   * At start it must exist, parse and verify against GRPC_TLS_CA, or the exchange
   * does not start; then it is re-read when it changes. Unset: no revocation.
   */
  SUBSCRIBE_CRL_FILE: z.string().min(1).optional(),
  /** How often SUBSCRIBE_CRL_FILE is looked at for a change (and a revoked partner's open streams end within it). */
  SUBSCRIBE_CRL_RELOAD_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  /**
   * TAXII 2.1 door for foreign partners (HTTPS, mutual TLS with the gRPC door's
   * certificate, key and CA, and SUBSCRIBE_CRL_FILE's revocations), on HOST. Off
   * with GRPC_INSECURE (there is no certificate to serve it with) or TAXII_PORT=0.
   */
  TAXII_PORT: z.coerce.number().int().min(0).max(65_535).default(9443),
  /** Most STIX objects one objects or manifest page holds (and the default limit). */
  TAXII_MAX_PAGE: z.coerce.number().int().min(1).max(10_000).default(100),
  /**
   * A delivery is served once it is this old: a transaction's records become
   * visible when it commits, so one made earlier may appear after a later one was
   * read; holding the newest back keeps added_after polling from passing it.
   */
  TAXII_SETTLE_MS: z.coerce.number().int().min(0).max(120_000).default(2_000),
  /** TAXII requests per minute from one client address (before the certificate is read), and from one partner; 0: off. */
  TAXII_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(100_000_000).default(600),
  TAXII_RATE_LIMIT_PER_PARTNER_PER_MINUTE: z.coerce.number().int().min(0).max(100_000_000).default(240),
}).superRefine((c, ctx) => {
  // Mutual TLS, or explicitly plaintext — never both (an operator must not believe TLS is on when it is not).
  for (const key of ["GRPC_TLS_CERT", "GRPC_TLS_KEY", "GRPC_TLS_CA"] as const) {
    if (c.GRPC_INSECURE && c[key]) ctx.addIssue({ code: "custom", path: [key], message: "must not be set with GRPC_INSECURE=true" });
    if (!c.GRPC_INSECURE && !c[key]) ctx.addIssue({ code: "custom", path: [key], message: "required (a file path) unless GRPC_INSECURE=true" });
  }
  if (c.EXCHANGE_RESTART_BACKOFF_MAX_MS < c.EXCHANGE_RESTART_BACKOFF_BASE_MS) ctx.addIssue({ code: "custom", path: ["EXCHANGE_RESTART_BACKOFF_MAX_MS"], message: "must be at least EXCHANGE_RESTART_BACKOFF_BASE_MS" });
  if (c.EXCHANGE_MAX_UNREADY_MS > 0 && c.EXCHANGE_MAX_UNREADY_MS < c.EXCHANGE_CONSUMER_STALL_MS) ctx.addIssue({ code: "custom", path: ["EXCHANGE_MAX_UNREADY_MS"], message: "must be 0 (never) or at least EXCHANGE_CONSUMER_STALL_MS" });
  // Plaintext has no client certificates to revoke: a CRL there would only look like protection.
  if (c.GRPC_INSECURE && c.SUBSCRIBE_CRL_FILE) ctx.addIssue({ code: "custom", path: ["SUBSCRIBE_CRL_FILE"], message: "must not be set with GRPC_INSECURE=true" });
});

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
