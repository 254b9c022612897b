import { baseConfig, httpServersShape, loadConfig, port, refusalFields, signInFields } from "@takitini/runtime";
import { z } from "zod";

const topicList = z
  .string()
  .transform((s) => s.split(",").map((t) => t.trim()).filter((t) => t.length > 0))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name")));

export const configSchema = baseConfig.extend({
  /**
   * PORT (8083): the console and the oversight API, HTTPS with HTTP_TLS_CERT_FILE and
   * HTTP_TLS_KEY_FILE; ADMIN_PORT (8183): /metrics and /docs, plain HTTP on HOST; both
   * /healthz and /readyz. Rate limits: RATE_LIMIT_PER_MINUTE per client address,
   * RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE per oversight account (0: off).
   */
  ...httpServersShape({ port: 8083, perAddressPerMinute: 1200, perPrincipalPerMinute: 600 }),
  /** Decision records and partners' access records, written by the exchange (the only writer of this topic). */
  AUDIT_TOPIC: z.string().min(1).default("takitini.audit.decisions.v1"),
  /**
   * Access-only topics, each written by one other service (the briefing's): only
   * access records are ingested from them. A decision record there is
   * dead-lettered as a provenance mismatch; anything that does not decode, with
   * its own reason. Empty: none.
   */
  ACCESS_TOPICS: topicList.default(["takitini.audit.briefing-access.v1"]),
  /**
   * Refusal topics, written by the adapters and the briefing: refusals of
   * identified callers and summaries of unauthenticated ones, nothing else (any
   * other kind is dead-lettered as a provenance mismatch). Empty: none.
   */
  REFUSAL_TOPICS: topicList.default(["takitini.audit.refusals.v1"]),
  /**
   * The audit's own /v1 and gRPC requests refused for their credential (none,
   * unknown, expired, disabled, throttled) are counted per window of this length
   * and each window's counts appended as refusal summaries — not one record per
   * request.
   */
  REFUSAL_WINDOW_MS: refusalFields.windowMs,
  /** Distinct (door, code, route) keys per window; more are counted under one overflow key. */
  REFUSAL_MAX_KEYS: refusalFields.maxKeys,
  /** Distinct client addresses counted per window (the count is then a lower bound, and says so). */
  REFUSAL_MAX_ADDRESSES: refusalFields.maxAddresses,
  /**
   * Agency topics, the leaders' submissions and the linkage service's link alerts: each event becomes a
   * publish record (metadata and a hash, never content; an alert's record names both linked subjects).
   */
  INTEL_TOPICS: topicList.default(["takitini.intel.police.v1", "takitini.intel.customs.v1", "takitini.intel.mbie.v1", "takitini.intel.msd.v1", "takitini.intel.community.v1", "takitini.intel.linkage.v1"]),
  DEADLETTER_TOPIC: z.string().min(1).default("takitini.deadletter.v1"),
  /** Consumer group of the ingest. Offsets are committed only after PostgreSQL has the records. */
  GROUP_ID: z.string().min(1).default("takitini-audit-ledger"),
  /** The ledger's PostgreSQL server, e.g. postgres://user:pass@127.0.0.1:5432/takitini; unset: embedded PGlite. */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL").optional(),
  /**
   * The ledger's owner role, used only at start to create the schema, apply the
   * migrations and grant DATABASE_URL's role INSERT and SELECT — then closed.
   * Unset: the migrations must already be applied (npm run audit:migrate), except
   * in development. The service's own role is checked either way.
   */
  AUDIT_MIGRATION_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL").optional(),
  /** Data directory of the embedded PostgreSQL (PGlite) used when DATABASE_URL is unset. */
  AUDIT_PGLITE_DIR: z.string().min(1).optional(),
  /** Schema the ledger lives in (created if missing). */
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a lower-case SQL identifier").default("public"),
  /**
   * The oversight accounts file (JSON, {"accounts": [{name, role, credential, expires_at, disabled?}]}),
   * re-read when it changes. See the README; `dist/tools/account.js` makes an entry.
   */
  AUDIT_OVERSIGHT_ACCOUNTS_FILE: z.string().min(1).optional(),
  /** Deprecated: the old tokens file (SHA-256 hex of each token → officer), or an accounts file. Use AUDIT_OVERSIGHT_ACCOUNTS_FILE. */
  AUDIT_OVERSIGHT_TOKENS_FILE: z.string().min(1).optional(),
  /** How often the accounts file is looked at for a change. */
  ACCOUNTS_POLL_MS: signInFields.pollMs,
  /** How long a verified bearer credential is remembered (scrypt is slow); 0: never. */
  CREDENTIAL_CACHE_TTL_MS: signInFields.cacheTtlMs,
  /** Failed credentials allowed per account and per client address before backing off. */
  SIGN_IN_FREE_FAILURES: signInFields.freeFailures,
  /** First backoff after those; doubled by each further failure, up to SIGN_IN_BACKOFF_MAX_MS. */
  SIGN_IN_BACKOFF_BASE_MS: signInFields.backoffBaseMs,
  SIGN_IN_BACKOFF_MAX_MS: signInFields.backoffMaxMs,
  /** How often a tree head is signed when the tree has grown. */
  HEAD_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  /** Most records appended in one PostgreSQL transaction. */
  MAX_RECORDS_PER_TRANSACTION: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Partitions' fetched batches the ingest handles at once; their records share transactions (up to MAX_RECORDS_PER_TRANSACTION) and offsets commits. */
  AUDIT_INGEST_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(8),
  /** Console session lifetime (absolute, from sign-in): 1 s to 24 h (seconds only make sense in tests of expiry). */
  SESSION_TTL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(8 * 3_600_000),
  /** A console session unused this long ends: 1 s to 24 h, at most SESSION_TTL_MS. */
  SESSION_IDLE_MS: z.coerce.number().int().min(1000).max(86_400_000).default(30 * 60_000),
  /** How often ended sessions, forgotten failures and stale verifications are swept. */
  SESSION_SWEEP_MS: signInFields.sweepMs,
  /** Ed25519 private key (PKCS#8 PEM) that signs tree heads; or LEDGER_SIGNING_KEY_FILE. Without either the service refuses to start, except in development (TAKITINI_ENV), where a key is generated. */
  LEDGER_SIGNING_KEY: z.string().optional(),
  /** A file readable by its owner only (0600 or 0400): any group or other permission is refused. */
  LEDGER_SIGNING_KEY_FILE: z.string().optional(),
  /**
   * `development` (set by `npm start` and the test stacks) allows a signing key
   * generated per process; anything else is production, where the service
   * refuses to start without LEDGER_SIGNING_KEY(_FILE).
   */
  TAKITINI_ENV: z.enum(["development", "production"]).default("production"),
  /** The topic every signed tree head is published to (the oversight body's witness reads it); key: DATABASE_SCHEMA. */
  HEADS_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name").default("takitini.audit.heads.v1"),
  /** How often the active writer looks for a head it has not yet published (and retries one Kafka refused). */
  HEAD_PUBLISH_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  /**
   * How often a standby tries the ledger writer's lock (a PostgreSQL advisory
   * lock), and the active writer checks it still holds it. A standby takes the
   * lock within this long of the active's database session ending.
   */
  AUDIT_WRITER_LOCK_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  /**
   * The ingest consumer's group session: when an active writer dies without
   * leaving the group, its successor's consumer joins once this has passed.
   * Kafka's default bounds: 6 s to 5 min.
   */
  AUDIT_KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(10_000),
  /** The active writer is not ingesting (not ready) when its consumer neither fetched nor appended within this long. */
  AUDIT_INGEST_STALL_MS: z.coerce.number().int().min(6000).max(600_000).default(15_000),
  /** First and longest delay between restarts of a crashed ingest consumer (doubling, jittered). */
  AUDIT_RESTART_BACKOFF_BASE_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  AUDIT_RESTART_BACKOFF_MAX_MS: z.coerce.number().int().min(50).max(600_000).default(30_000),
  /**
   * Not ready for this long and the process exits with status 1, for its
   * supervisor to restart it, rather than stay alive and idle. 0: never.
   */
  AUDIT_MAX_UNREADY_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  /** Port of the oversight gRPC service (takitini.audit.v1.OversightService); 0 picks a free one. */
  GRPC_PORT: port.default(9083),
  /** PEM certificate chain and private key for the gRPC service: both or neither. Without them it serves plaintext on 127.0.0.1 only. */
  GRPC_TLS_CERT: z.string().min(1).optional(),
  GRPC_TLS_KEY: z.string().min(1).optional(),
  /** Headless Chromium that prints the quarterly reports' PDF (Debian's chromium); without it format=pdf answers 503 REPORT_PDF_UNAVAILABLE. */
  CHROMIUM_PATH: z.string().min(1).default("/usr/bin/chromium"),
}).superRefine((c, ctx) => {
  if (c.AUDIT_OVERSIGHT_ACCOUNTS_FILE === undefined && c.AUDIT_OVERSIGHT_TOKENS_FILE === undefined) {
    ctx.addIssue({ code: "custom", path: ["AUDIT_OVERSIGHT_ACCOUNTS_FILE"], message: "required: the oversight accounts file" });
  }
  if (c.AUDIT_OVERSIGHT_ACCOUNTS_FILE !== undefined && c.AUDIT_OVERSIGHT_TOKENS_FILE !== undefined) {
    ctx.addIssue({ code: "custom", path: ["AUDIT_OVERSIGHT_TOKENS_FILE"], message: "set AUDIT_OVERSIGHT_ACCOUNTS_FILE or (deprecated) AUDIT_OVERSIGHT_TOKENS_FILE, not both" });
  }
  if (c.SIGN_IN_BACKOFF_MAX_MS < c.SIGN_IN_BACKOFF_BASE_MS) ctx.addIssue({ code: "custom", path: ["SIGN_IN_BACKOFF_MAX_MS"], message: "must be at least SIGN_IN_BACKOFF_BASE_MS" });
  if (c.AUDIT_RESTART_BACKOFF_MAX_MS < c.AUDIT_RESTART_BACKOFF_BASE_MS) ctx.addIssue({ code: "custom", path: ["AUDIT_RESTART_BACKOFF_MAX_MS"], message: "must be at least AUDIT_RESTART_BACKOFF_BASE_MS" });
  if (c.AUDIT_MAX_UNREADY_MS > 0 && c.AUDIT_MAX_UNREADY_MS < c.AUDIT_INGEST_STALL_MS) ctx.addIssue({ code: "custom", path: ["AUDIT_MAX_UNREADY_MS"], message: "must be 0 (never) or at least AUDIT_INGEST_STALL_MS" });
  if (c.SESSION_IDLE_MS > c.SESSION_TTL_MS) ctx.addIssue({ code: "custom", path: ["SESSION_IDLE_MS"], message: "must be at most SESSION_TTL_MS" });
  // A topic is read in one role only: an access topic that is also the decisions or an agency topic would be misread.
  for (const t of c.ACCESS_TOPICS) {
    if (t === c.AUDIT_TOPIC) ctx.addIssue({ code: "custom", path: ["ACCESS_TOPICS"], message: `${t} is AUDIT_TOPIC: the exchange's decisions topic is not an access-only topic` });
    if (c.INTEL_TOPICS.includes(t)) ctx.addIssue({ code: "custom", path: ["ACCESS_TOPICS"], message: `${t} is also in INTEL_TOPICS` });
  }
  for (const t of c.REFUSAL_TOPICS) {
    if (t === c.AUDIT_TOPIC) ctx.addIssue({ code: "custom", path: ["REFUSAL_TOPICS"], message: `${t} is AUDIT_TOPIC: the exchange's decisions topic is not a refusals topic` });
    if (c.ACCESS_TOPICS.includes(t)) ctx.addIssue({ code: "custom", path: ["REFUSAL_TOPICS"], message: `${t} is also in ACCESS_TOPICS` });
    if (c.INTEL_TOPICS.includes(t)) ctx.addIssue({ code: "custom", path: ["REFUSAL_TOPICS"], message: `${t} is also in INTEL_TOPICS` });
  }
  if ((c.GRPC_TLS_CERT === undefined) !== (c.GRPC_TLS_KEY === undefined)) {
    const missing = c.GRPC_TLS_CERT === undefined ? "GRPC_TLS_CERT" : "GRPC_TLS_KEY";
    ctx.addIssue({ code: "custom", path: [missing], message: "GRPC_TLS_CERT and GRPC_TLS_KEY are set together (a file path each) or not at all" });
  }
});

export type Config = z.infer<typeof configSchema>;

/** The accounts file to read: AUDIT_OVERSIGHT_ACCOUNTS_FILE, else the deprecated AUDIT_OVERSIGHT_TOKENS_FILE. */
export function accountsFile(c: Config): { path: string; variable: string } {
  return c.AUDIT_OVERSIGHT_ACCOUNTS_FILE !== undefined
    ? { path: c.AUDIT_OVERSIGHT_ACCOUNTS_FILE, variable: "AUDIT_OVERSIGHT_ACCOUNTS_FILE" }
    : { path: c.AUDIT_OVERSIGHT_TOKENS_FILE!, variable: "AUDIT_OVERSIGHT_TOKENS_FILE" };
}

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
