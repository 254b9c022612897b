import { baseConfig, loadConfig, port } from "@takitini/runtime";
import { z } from "zod";

export const configSchema = baseConfig.extend({
  /** HTTP port for POST /v1/reports, health, readiness and metrics. */
  PORT: port.default(8081),
  /** Topic the adapter publishes Police intelligence events to. */
  POLICE_TOPIC: z.string().min(1).default("takitini.intel.police.v1"),
  /** Largest accepted request body, in bytes. */
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().max(16 * 1024 * 1024).default(256 * 1024),
  /** How long a publish may wait for the broker's acknowledgement (acks=all). */
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
