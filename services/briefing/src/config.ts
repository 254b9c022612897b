import { DEFAULT_DATA_DIR } from "@takitini/policies";
import { baseConfig, httpServersShape, loadConfig, refusalFields, signInFields } from "@takitini/runtime";
import { z } from "zod";

const topic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name");
/** The briefing's access-record topic: it writes this and the digest topic, nothing else. */
export const DEFAULT_ACCESS_TOPIC = "takitini.audit.briefing-access.v1";

const bool = z.enum(["true", "false"]).transform((v) => v === "true");
const sessionMs = z.coerce.number().int().min(1000).max(7 * 86_400_000);

export const configSchema = baseConfig.extend({
  /**
   * PORT (8087): pages and the JSON API, HTTPS with HTTP_TLS_CERT_FILE and
   * HTTP_TLS_KEY_FILE; ADMIN_PORT (8187): /metrics, plain HTTP on HOST; both
   * /healthz and /readyz. Rate limits: RATE_LIMIT_PER_MINUTE per client address,
   * RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE per leader account (0: off).
   */
  ...httpServersShape({ port: 8087, perAddressPerMinute: 600, perPrincipalPerMinute: 300 }),
  /** Directory holding the subscriber registry (subscribers.json): community tiers, their topics and regions. */
  POLICY_DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  /**
   * Where access records (briefings viewed and refused) are written: the briefing's
   * own access topic, which the audit service ingests. Never the decisions topic —
   * only the exchange may write that.
   */
  ACCESS_TOPIC: topic.default(DEFAULT_ACCESS_TOPIC),
  /** Where the weekly digest is published. */
  DIGEST_TOPIC: topic.default("takitini.briefings.v1"),
  /**
   * Consumer group of the community-topic reader, and the prefix of every other
   * group the service creates (the digest index reader's), so one prefixed ACL
   * covers them all. It commits no offsets: the aggregates are rebuilt from the
   * topics at every start.
   */
  GROUP_ID: z.string().min(1).default("takitini-briefing"),
  /**
   * Names this instance in its consumer groups (`<GROUP_ID>-feed-<INSTANCE_ID>-…`,
   * `<GROUP_ID>-digest-index-<INSTANCE_ID>-…`). Digest publication does not depend
   * on it: every instance shares the digest writers' transactional id.
   */
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default("local-0"),
  /**
   * A file of at least 16 bytes keying every rounding draw. Keep it stable and
   * secret: the same secret rounds the same figure the same way in every request
   * and across restarts; without it the rounding cannot be undone.
   */
  BRIEFING_ROUNDING_SECRET_FILE: z.string().min(1),
  /**
   * The leader accounts file (JSON, {"accounts": [{name, role: "leader", subscriber, credential, expires_at, disabled?}]}),
   * re-read when it changes; `dist/tools/account.js` makes an entry. Unset (and no tokens file): no leader can sign in.
   */
  BRIEFING_LEADER_ACCOUNTS_FILE: z.string().min(1).optional(),
  /** Deprecated: the old tokens file (sha256(token) in lowercase hex → subscriber id), or an accounts file. Use BRIEFING_LEADER_ACCOUNTS_FILE. */
  BRIEFING_LEADER_TOKENS_FILE: z.string().min(1).optional(),
  /** How often the accounts file is looked at for a change. */
  BRIEFING_ACCOUNTS_POLL_MS: signInFields.pollMs,
  /** How long a verified bearer credential is remembered (scrypt is slow); 0: never. */
  BRIEFING_CREDENTIAL_CACHE_TTL_MS: signInFields.cacheTtlMs,
  /** Sign-in session lifetime (absolute) and idle timeout: 1 s to 7 days each (seconds only make sense in tests of expiry); the idle timeout at most the lifetime. */
  BRIEFING_SESSION_TTL_MS: sessionMs.default(12 * 3_600_000),
  BRIEFING_SESSION_IDLE_MS: sessionMs.default(3_600_000),
  /** How often ended sessions, forgotten failures and stale verifications are swept. */
  BRIEFING_SESSION_SWEEP_MS: signInFields.sweepMs,
  /** Failed credentials allowed per account and per client address before backing off; the first backoff, doubled per failure up to the longest. */
  BRIEFING_SIGN_IN_FREE_FAILURES: signInFields.freeFailures,
  BRIEFING_SIGN_IN_BACKOFF_BASE_MS: signInFields.backoffBaseMs,
  BRIEFING_SIGN_IN_BACKOFF_MAX_MS: signInFields.backoffMaxMs,
  /** The registry's public-tier subscriber whose topic feeds public briefings. */
  BRIEFING_PUBLIC_SUBSCRIBER: z.string().min(1).default("public"),
  /** Suppression thresholds: MSD's 6 for leaders; coarser for the public, never finer than 6. */
  BRIEFING_LEADER_THRESHOLD: z.coerce.number().int().min(6).max(100).default(6),
  BRIEFING_PUBLIC_THRESHOLD: z.coerce.number().int().min(6).max(100).default(10),
  /** First and longest delay between restarts of a crashed Kafka consumer (doubling, jittered). */
  BRIEFING_RESTART_BACKOFF_BASE_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  BRIEFING_RESTART_BACKOFF_MAX_MS: z.coerce.number().int().min(50).max(600_000).default(30_000),
  /** A consumer that completed no fetch within this long is not consuming (so not ready). */
  BRIEFING_CONSUMER_STALL_MS: z.coerce.number().int().min(6000).max(600_000).default(20_000),
  /**
   * Not ready for this long and the process exits with status 1, for its
   * supervisor to restart it, rather than stay alive and idle. 0: never.
   */
  BRIEFING_MAX_UNREADY_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  /** How often due digests are looked for. */
  BRIEFING_DIGEST_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  /** How long after a period ends before its digest goes out (late records arrive). */
  BRIEFING_DIGEST_GRACE_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** How many completed periods back a (re)started service still publishes missing digests for. */
  BRIEFING_DIGEST_LOOKBACK: z.coerce.number().int().min(1).max(52).default(4),
  /** Mark the sign-in cookie Secure behind a TLS-terminating proxy; it always is when HTTP_TLS_CERT_FILE is set. */
  BRIEFING_COOKIE_SECURE: bool.default(false),
  /**
   * Where a leader's request refused for its credential is counted: per
   * REFUSAL_WINDOW_MS window, by code and route pattern, one RefusalSummary per
   * key to this topic (the audit's refusals topic) — not an access record per
   * request. A signed-in leader refused a region keeps an access record each.
   */
  REFUSAL_TOPIC: refusalFields.topic,
  REFUSAL_WINDOW_MS: refusalFields.windowMs,
  /** Refusal messages held while Kafka is away; beyond it each is dropped and counted (refusals_dropped_total). */
  REFUSAL_QUEUE_MAX: refusalFields.queueMax,
  /** Distinct (door, code, route) keys per window before the overflow key; distinct client addresses counted per window. */
  REFUSAL_MAX_KEYS: refusalFields.maxKeys,
  REFUSAL_MAX_ADDRESSES: refusalFields.maxAddresses,
  /**
   * The digest by email (all optional: without SMTP_HOST no email is sent).
   * SMTP_TLS: `starttls` (required, the default), `implicit` (TLS from the first
   * byte, usually port 465) or `none` (plaintext: a local relay or a test server only).
   */
  SMTP_HOST: z.string().min(1).max(253).optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  SMTP_TLS: z.enum(["starttls", "implicit", "none"]).default("starttls"),
  /** A PEM file of the authority the SMTP server's certificate chains to, if not a public one. */
  SMTP_TLS_CA_FILE: z.string().min(1).optional(),
  /** The sender address of the digest emails. */
  SMTP_FROM: z.email().max(254).optional(),
  /** SMTP authentication: both or neither; the password in a file. */
  SMTP_USER: z.string().min(1).max(254).optional(),
  SMTP_PASSWORD_FILE: z.string().min(1).optional(),
  /** How long one SMTP send may take (connection, greeting, each command). */
  SMTP_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(30_000),
  /** A file of at least 32 bytes keying recipient ids, unsubscribe tokens and Message-IDs; keep it stable and secret. */
  BRIEFING_MAIL_SECRET_FILE: z.string().min(1).optional(),
  /** The briefing's base URL as readers reach it (links in the email: the page, the unsubscribe link). */
  BRIEFING_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Claims, sent records and unsubscribes (compacted, kept forever; keyed ids, never an address). */
  BRIEFING_MAIL_TOPIC: topic.default("takitini.briefing-mail.v1"),
  BRIEFING_MAIL_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  /** How many completed weeks back a leader digest is still emailed (1: the last completed week only). */
  BRIEFING_MAIL_LOOKBACK: z.coerce.number().int().min(1).max(8).default(1),
  /** A claim younger than this is a send in progress; older, its sender died and the email is sent again (same Message-ID). */
  BRIEFING_MAIL_CLAIM_LEASE_MS: z.coerce.number().int().min(1000).max(86_400_000).default(600_000),
  /** Sends of one email before it is given up; after failed attempt n the next waits BRIEFING_MAIL_RETRY_BASE_MS × 2^(n−1), at most 6 h. */
  BRIEFING_MAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  BRIEFING_MAIL_RETRY_BASE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /**
   * Leaders' submissions (observations, support needs, feedback): published on
   * SUBMISSIONS_TOPIC (the community intelligence topic the exchange decides;
   * only the briefing may write it), noted on BRIEFING_SUBMISSIONS_TOPIC (its own,
   * compacted: the leaders' status pages), their routing read back from
   * RECEIPTS_TOPIC (the exchange's receipts).
   */
  SUBMISSIONS_TOPIC: topic.default("takitini.intel.community.v1"),
  BRIEFING_SUBMISSIONS_TOPIC: topic.default("takitini.briefing-submissions.v1"),
  RECEIPTS_TOPIC: topic.default("takitini.community-receipts.v1"),
  /** Submissions one leader account may make per BRIEFING_SUBMISSION_WINDOW_MS (429 RATE_LIMITED beyond, with Retry-After). */
  BRIEFING_SUBMISSIONS_PER_WINDOW: z.coerce.number().int().min(1).max(1000).default(10),
  BRIEFING_SUBMISSION_WINDOW_MS: z.coerce.number().int().min(1000).max(7 * 86_400_000).default(3_600_000),
  /** How long one submission's transaction may take before the leader is told to try again (503 SUBMIT_FAILED). */
  BRIEFING_SUBMIT_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(10_000),
  /** How long an unsubscribe link stays valid after its email was sent. */
  BRIEFING_UNSUBSCRIBE_TOKEN_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
}).superRefine((c, ctx) => {
  if (c.SMTP_HOST !== undefined) {
    for (const v of ["SMTP_FROM", "BRIEFING_MAIL_SECRET_FILE", "BRIEFING_PUBLIC_URL"] as const) if (c[v] === undefined) ctx.addIssue({ code: "custom", path: [v], message: "required when SMTP_HOST is set" });
    if (c.BRIEFING_MAIL_CLAIM_LEASE_MS < 2 * c.SMTP_TIMEOUT_MS) ctx.addIssue({ code: "custom", path: ["BRIEFING_MAIL_CLAIM_LEASE_MS"], message: "must be at least twice SMTP_TIMEOUT_MS, so that a send in progress is never taken for a dead one" });
  }
  if ((c.SMTP_USER === undefined) !== (c.SMTP_PASSWORD_FILE === undefined)) ctx.addIssue({ code: "custom", path: ["SMTP_PASSWORD_FILE"], message: "set SMTP_USER and SMTP_PASSWORD_FILE together, or neither" });
  for (const other of ["ACCESS_TOPIC", "DIGEST_TOPIC", "REFUSAL_TOPIC"] as const) {
    if (c.BRIEFING_MAIL_TOPIC === c[other]) ctx.addIssue({ code: "custom", path: ["BRIEFING_MAIL_TOPIC"], message: `must not be ${other}` });
  }
  const own = ["ACCESS_TOPIC", "DIGEST_TOPIC", "REFUSAL_TOPIC", "BRIEFING_MAIL_TOPIC"] as const;
  for (const t of ["SUBMISSIONS_TOPIC", "BRIEFING_SUBMISSIONS_TOPIC", "RECEIPTS_TOPIC"] as const) {
    for (const other of [...own, "SUBMISSIONS_TOPIC", "BRIEFING_SUBMISSIONS_TOPIC", "RECEIPTS_TOPIC"] as const) {
      if (other !== t && c[t] === c[other]) ctx.addIssue({ code: "custom", path: [t], message: `must not be ${other}` });
    }
  }
  for (const other of ["ACCESS_TOPIC", "DIGEST_TOPIC"] as const) {
    if (c.REFUSAL_TOPIC === c[other]) ctx.addIssue({ code: "custom", path: ["REFUSAL_TOPIC"], message: `must not be ${other}: refusals have a topic of their own` });
  }
  if (c.BRIEFING_LEADER_ACCOUNTS_FILE !== undefined && c.BRIEFING_LEADER_TOKENS_FILE !== undefined) {
    ctx.addIssue({ code: "custom", path: ["BRIEFING_LEADER_TOKENS_FILE"], message: "set BRIEFING_LEADER_ACCOUNTS_FILE or (deprecated) BRIEFING_LEADER_TOKENS_FILE, not both" });
  }
  if (c.BRIEFING_RESTART_BACKOFF_MAX_MS < c.BRIEFING_RESTART_BACKOFF_BASE_MS) ctx.addIssue({ code: "custom", path: ["BRIEFING_RESTART_BACKOFF_MAX_MS"], message: "must be at least BRIEFING_RESTART_BACKOFF_BASE_MS" });
  if (c.BRIEFING_MAX_UNREADY_MS > 0 && c.BRIEFING_MAX_UNREADY_MS < c.BRIEFING_CONSUMER_STALL_MS) ctx.addIssue({ code: "custom", path: ["BRIEFING_MAX_UNREADY_MS"], message: "must be 0 (never) or at least BRIEFING_CONSUMER_STALL_MS" });
  if (c.BRIEFING_SESSION_IDLE_MS > c.BRIEFING_SESSION_TTL_MS) ctx.addIssue({ code: "custom", path: ["BRIEFING_SESSION_IDLE_MS"], message: "must be at most BRIEFING_SESSION_TTL_MS" });
  if (c.BRIEFING_SIGN_IN_BACKOFF_MAX_MS < c.BRIEFING_SIGN_IN_BACKOFF_BASE_MS) ctx.addIssue({ code: "custom", path: ["BRIEFING_SIGN_IN_BACKOFF_MAX_MS"], message: "must be at least BRIEFING_SIGN_IN_BACKOFF_BASE_MS" });
});

export type Config = z.infer<typeof configSchema>;

/** The leader accounts file to read, if any: BRIEFING_LEADER_ACCOUNTS_FILE, else the deprecated BRIEFING_LEADER_TOKENS_FILE. */
export function leaderAccountsFile(c: Config): { path: string; variable: string } | undefined {
  if (c.BRIEFING_LEADER_ACCOUNTS_FILE !== undefined) return { path: c.BRIEFING_LEADER_ACCOUNTS_FILE, variable: "BRIEFING_LEADER_ACCOUNTS_FILE" };
  if (c.BRIEFING_LEADER_TOKENS_FILE !== undefined) return { path: c.BRIEFING_LEADER_TOKENS_FILE, variable: "BRIEFING_LEADER_TOKENS_FILE" };
  return undefined;
}

/** The SMTP transport's options (nodemailer), or undefined when no email is sent. */
export function smtpSettings(c: Config, readFile: (path: string) => string) {
  if (c.SMTP_HOST === undefined) return undefined;
  return {
    host: c.SMTP_HOST,
    port: c.SMTP_PORT,
    secure: c.SMTP_TLS === "implicit",
    requireTLS: c.SMTP_TLS === "starttls",
    ignoreTLS: c.SMTP_TLS === "none",
    ...(c.SMTP_TLS_CA_FILE !== undefined ? { tls: { ca: readFile(c.SMTP_TLS_CA_FILE) } } : {}),
    ...(c.SMTP_USER !== undefined ? { auth: { user: c.SMTP_USER, pass: readFile(c.SMTP_PASSWORD_FILE!).trim() } } : {}),
    connectionTimeout: c.SMTP_TIMEOUT_MS,
    greetingTimeout: c.SMTP_TIMEOUT_MS,
    socketTimeout: c.SMTP_TIMEOUT_MS,
  };
}

/** The gate's settings from the configuration. */
export function signInSettings(c: Config) {
  return {
    sessionTtlMs: c.BRIEFING_SESSION_TTL_MS,
    sessionIdleMs: c.BRIEFING_SESSION_IDLE_MS,
    freeFailures: c.BRIEFING_SIGN_IN_FREE_FAILURES,
    backoffBaseMs: c.BRIEFING_SIGN_IN_BACKOFF_BASE_MS,
    backoffMaxMs: c.BRIEFING_SIGN_IN_BACKOFF_MAX_MS,
    cacheTtlMs: c.BRIEFING_CREDENTIAL_CACHE_TTL_MS,
  };
}

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
