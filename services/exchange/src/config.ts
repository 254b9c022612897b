import { baseConfig, loadConfig, port } from "@takitini/runtime";
import { hostname } from "node:os";
import { z } from "zod";

const topicList = z
  .string()
  .transform((s) => s.split(",").map((t) => t.trim()).filter((t) => t.length > 0))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name")).min(1));

export const configSchema = baseConfig.extend({
  /** HTTP port for health, readiness and metrics. */
  PORT: port.default(8082),
  /** Comma-separated agency topics to consume. */
  INTEL_TOPICS: topicList.default(["takitini.intel.police.v1", "takitini.intel.customs.v1", "takitini.intel.mbie.v1", "takitini.intel.msd.v1"]),
  AUDIT_TOPIC: z.string().min(1).default("takitini.audit.decisions.v1"),
  DEADLETTER_TOPIC: z.string().min(1).default("takitini.deadletter.v1"),
  /** Consumer group shared by every exchange instance. */
  GROUP_ID: z.string().min(1).default("takitini-exchange"),
  /**
   * Stable identity of this instance. The transactional id derives from it, so a
   * restarted instance fences its predecessor's unfinished transaction.
   */
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).default(`exchange-${hostname()}`),
  /**
   * Consumer-group session timeout. A crashed instance's partitions move to the
   * survivors after this long; the broker's group.min.session.timeout.ms (6 s by
   * default) is the floor.
   */
  SESSION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(300_000).default(30_000),
  /** Assigned partitions processed at once, each in its own transactions. */
  PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(4),
  /** Most source records committed in one Kafka transaction. */
  MAX_EVENTS_PER_TRANSACTION: z.coerce.number().int().min(1).max(10_000).default(200),
  /** Compiled policy and its data; default to those shipped in @takitini/policies. */
  POLICY_WASM: z.string().optional(),
  POLICY_DATA_DIR: z.string().optional(),
});

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
