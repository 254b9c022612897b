import { baseConfig, httpServersShape, loadConfig } from "@takitini/runtime";
import { hostname } from "node:os";
import { z } from "zod";

const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name");

const topicList = z
  .string()
  .transform((s) => s.split(",").map((t) => t.trim()).filter((t) => t.length > 0))
  .pipe(z.array(topicName).min(1));

export const DEFAULT_LINKS_TOPIC = "takitini.intel.linkage.v1";
export const DEFAULT_INDEX_TOPIC = "takitini.linkage-index.v1";

export const configSchema = baseConfig.extend({
  /**
   * PORT (8088): /healthz and /readyz only — the service has no API: links leave it
   * only as alerts on LINKS_TOPIC. ADMIN_PORT (8188): /metrics, /healthz, /readyz.
   */
  ...httpServersShape({ port: 8088, perAddressPerMinute: 600, perPrincipalPerMinute: 0 }),
  /** The agencies' topics whose records are linked (never the community topic: leaders' words carry no structured subjects). */
  INTEL_TOPICS: topicList.default(["takitini.intel.police.v1", "takitini.intel.customs.v1", "takitini.intel.mbie.v1", "takitini.intel.msd.v1"]),
  /** Where link alerts are published (IntelligenceEvent, source AGENCY_LINKAGE), for the exchange to decide. */
  LINKS_TOPIC: topicName.default(DEFAULT_LINKS_TOPIC),
  /** The service's own compacted state: one entry of match tokens per indexed record, read back at start. */
  LINKAGE_INDEX_TOPIC: topicName.default(DEFAULT_INDEX_TOPIC),
  /**
   * The match key: HMAC-SHA-256 key of every match token (≥ 32 bytes; raw, hex or
   * base64; owner-only file). Only this service holds it. A new key makes every
   * stored token useless: rotating it means rebuilding the index (see README).
   */
  LINKAGE_KEY_FILE: z.string().min(1, "LINKAGE_KEY_FILE is required: the match key's file (chmod 600)"),
  /** One consumer group for every instance: one member is given every partition, the others stand by. */
  GROUP_ID: z.string().min(1).default("takitini-linkage"),
  /** The active instance's transactional id: whoever becomes active fences the previous one. */
  TRANSACTIONAL_ID: z.string().min(1).default("takitini-linkage.index"),
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).default(`linkage-${hostname()}`),
  SESSION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(300_000).default(30_000),
  /** Records consumed per transaction (their index entries, their alerts and the offsets commit together). */
  MAX_EVENTS_PER_TRANSACTION: z.coerce.number().int().min(1).max(5_000).default(500),
  /** First and longest delay between restarts of a crashed consumer (doubling, jittered). */
  LINKAGE_RESTART_BACKOFF_BASE_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  LINKAGE_RESTART_BACKOFF_MAX_MS: z.coerce.number().int().min(50).max(600_000).default(30_000),
  /** Not consuming (not ready) when no fetch completed and nothing committed within this long. */
  LINKAGE_CONSUMER_STALL_MS: z.coerce.number().int().min(6000).max(600_000).default(20_000),
  /** Not ready for longer than this: the process exits 1 for its supervisor to restart it. */
  LINKAGE_MAX_UNREADY_MS: z.coerce.number().int().min(10_000).max(3_600_000).default(120_000),
});

export type LinkageConfig = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): LinkageConfig {
  return loadConfig(configSchema, env);
}
