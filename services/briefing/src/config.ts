import { DEFAULT_DATA_DIR } from "@takitini/policies";
import { baseConfig, loadConfig, port } from "@takitini/runtime";
import { z } from "zod";

const topic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name");
/** The briefing's access-record topic: it writes this and the digest topic, nothing else. */
export const DEFAULT_ACCESS_TOPIC = "takitini.audit.briefing-access.v1";

const bool = z.enum(["true", "false"]).transform((v) => v === "true");

export const configSchema = baseConfig.extend({
  /** HTTP port: pages, JSON API, health, readiness, metrics. */
  PORT: port.default(8087),
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
  /** Names this instance's transactional digest producer (`takitini-briefing-digest-<INSTANCE_ID>`). */
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default("local-0"),
  /**
   * A file of at least 16 bytes keying every rounding draw. Keep it stable and
   * secret: the same secret rounds the same figure the same way in every request
   * and across restarts; without it the rounding cannot be undone.
   */
  BRIEFING_ROUNDING_SECRET_FILE: z.string().min(1),
  /** JSON: sha256(token) in lowercase hex → community-leader subscriber id. Unset: no leader can sign in. */
  BRIEFING_LEADER_TOKENS_FILE: z.string().min(1).optional(),
  /** The registry's public-tier subscriber whose topic feeds public briefings. */
  BRIEFING_PUBLIC_SUBSCRIBER: z.string().min(1).default("public"),
  /** Suppression thresholds: MSD's 6 for leaders; coarser for the public, never finer than 6. */
  BRIEFING_LEADER_THRESHOLD: z.coerce.number().int().min(6).max(100).default(6),
  BRIEFING_PUBLIC_THRESHOLD: z.coerce.number().int().min(6).max(100).default(10),
  /** How often due digests are looked for. */
  BRIEFING_DIGEST_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  /** How long after a period ends before its digest goes out (late records arrive). */
  BRIEFING_DIGEST_GRACE_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** How many completed periods back a (re)started service still publishes missing digests for. */
  BRIEFING_DIGEST_LOOKBACK: z.coerce.number().int().min(1).max(52).default(4),
  /** Mark the sign-in cookie Secure (set true behind HTTPS). */
  BRIEFING_COOKIE_SECURE: bool.default(false),
});

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
