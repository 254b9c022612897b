import { baseConfig, loadConfig, port } from "@takitini/runtime";
import { z } from "zod";

export const configSchema = baseConfig.extend({
  /** HTTP port for the oversight API, health, readiness and metrics. */
  PORT: port.default(8083),
  /** Topic of decision records written by the exchange. */
  AUDIT_TOPIC: z.string().min(1).default("takitini.audit.decisions.v1"),
  DEADLETTER_TOPIC: z.string().min(1).default("takitini.deadletter.v1"),
  /**
   * Consumer group of the projection. It commits no offsets: the audit topic is
   * retained forever and is the record; the store is rebuilt from it at start.
   */
  GROUP_ID: z.string().min(1).default("takitini-audit-projection"),
});

export type Config = z.infer<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env);
}
