import { pino, type Logger, type LoggerOptions } from "pino";

/**
 * Paths that may hold personal information anywhere a log line could carry an
 * event, a native record or a request. Their values are replaced, never logged.
 * Services log ids, codes and counts — not content — but this is the backstop.
 */
export const REDACTED_PATHS: readonly string[] = [
  "req.body",
  "req.headers.authorization",
  "req.headers.cookie",
  "body",
  "record",
  "event.subjects",
  "subjects",
  "persons",
  "*.subjects",
  "*.persons",
  "*.vehicles",
  "*.summary",
  "*.fullName",
  "*.full_name",
  "*.name",
  "*.aliases",
  "*.dateOfBirth",
  "*.date_of_birth",
  "*.dob",
  "*.address",
  "*.phoneNumbers",
  "*.phones",
  "*.documents",
  "*.plate",
];

export const REDACTION_CENSOR = "[REDACTED]";

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    name: service,
    level,
    base: { service },
    redact: { paths: [...REDACTED_PATHS], censor: REDACTION_CENSOR },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/** JSON logger with personal-information redaction. */
export function createLogger(
  service: string,
  level = "info",
  destination?: pino.DestinationStream,
): Logger {
  return destination
    ? pino(loggerOptions(service, level), destination)
    : pino(loggerOptions(service, level));
}

export type { Logger };
