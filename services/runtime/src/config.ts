import { z } from "zod";
import { httpTlsIssues, type HttpTlsSettings } from "./http-tls.js";
import { kafkaSecurityIssues, kafkaSecurityShape, type KafkaSecuritySettings } from "./kafka-security.js";

/** Thrown when the environment does not satisfy a service's configuration schema. */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(readonly issues: { path: string; message: string }[]) {
    super(
      `invalid configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    );
    this.name = "ConfigError";
  }
}

/** Comma-separated `host:port` list, e.g. "127.0.0.1:9092,127.0.0.1:9192". */
export const brokerList = z
  .string()
  .trim()
  .min(1)
  .transform((s) => s.split(",").map((b) => b.trim()).filter((b) => b.length > 0))
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, "expected host:port")).min(1));

export const port = z.coerce.number().int().min(0).max(65535);

export const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/** Settings every service shares. Each service extends this with its own. */
export const baseConfig = z.object({
  LOG_LEVEL: logLevel.default("info"),
  HOST: z.string().default("127.0.0.1"),
  KAFKA_BROKERS: brokerList.default(["127.0.0.1:9092"]),
  ...kafkaSecurityShape,
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

/**
 * Parse configuration from the environment. Unknown variables are ignored (the
 * environment holds much else); every invalid one is reported with its name.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  // Every service's Kafka clients authenticate (or are told by name not to).
  const data = result.data as unknown;
  if (data !== null && typeof data === "object" && "TAKITINI_INSECURE_KAFKA" in data) {
    const issues = kafkaSecurityIssues(data as KafkaSecuritySettings);
    if (issues.length > 0) throw new ConfigError(issues);
  }
  // A door's TLS files come in pairs; its admin listener needs a port of its own.
  if (data !== null && typeof data === "object") {
    const d = data as HttpTlsSettings & { PORT?: unknown; ADMIN_PORT?: unknown };
    const issues = httpTlsIssues(d);
    if (typeof d.ADMIN_PORT === "number" && d.ADMIN_PORT !== 0 && d.ADMIN_PORT === d.PORT) issues.push({ path: "ADMIN_PORT", message: "must differ from PORT (the admin listener is a listener of its own)" });
    if (issues.length > 0) throw new ConfigError(issues);
  }
  return result.data;
}
