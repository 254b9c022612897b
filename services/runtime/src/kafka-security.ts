import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { KafkaConfig } from "kafkajs";
import { z } from "zod";

/**
 * How a service reaches Kafka. The mesh's brokers serve clients over TLS and
 * require a client certificate (mutual TLS): the broker takes the principal from
 * the certificate (subject `O=Takitini, OU=kafka, CN=<principal>`) and authorises
 * every request against ACLs generated from the topic declarations and the
 * sharing policy (infra/src/kafka/acls.ts). Plaintext is only for a throwaway
 * local run, and only when asked for by name (TAKITINI_INSECURE_KAFKA=true).
 */
export const kafkaSecurityShape = {
  /** PEM of the CA the brokers' certificates chain to (infra/pki: ca.crt). */
  KAFKA_TLS_CA_FILE: z.string().min(1).optional(),
  /** PEM certificate of this service's Kafka principal (infra/pki: kafka/<principal>.crt). */
  KAFKA_TLS_CERT_FILE: z.string().min(1).optional(),
  /** PEM private key of that certificate (infra/pki: kafka/<principal>.key). */
  KAFKA_TLS_KEY_FILE: z.string().min(1).optional(),
  /**
   * `true` only for a throwaway local broker with a plaintext listener: no
   * encryption, no identity, no ACLs. Every service logs a warning at start.
   */
  TAKITINI_INSECURE_KAFKA: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
};

export interface KafkaSecuritySettings {
  KAFKA_TLS_CA_FILE?: string | undefined;
  KAFKA_TLS_CERT_FILE?: string | undefined;
  KAFKA_TLS_KEY_FILE?: string | undefined;
  TAKITINI_INSECURE_KAFKA: boolean;
}

const TLS_KEYS = ["KAFKA_TLS_CA_FILE", "KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE"] as const;

/**
 * Mutual TLS, or explicitly plaintext — never half of each (an operator must not
 * believe Kafka traffic is protected when it is not). Pure: the issues, by variable.
 */
export function kafkaSecurityIssues(s: KafkaSecuritySettings): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  for (const key of TLS_KEYS) {
    if (s.TAKITINI_INSECURE_KAFKA && s[key]) issues.push({ path: key, message: "must not be set with TAKITINI_INSECURE_KAFKA=true" });
    if (!s.TAKITINI_INSECURE_KAFKA && !s[key]) issues.push({ path: key, message: "required (a PEM file path) unless TAKITINI_INSECURE_KAFKA=true" });
  }
  return issues;
}

/** What a kafkajs client needs to authenticate, and who it is. */
export type KafkaSecurity =
  | { mode: "mtls"; ssl: { ca: string[]; cert: string; key: string }; principal: string }
  | { mode: "insecure" };

/** The Kafka principal a certificate maps to: its subject's CN when the subject is O=Takitini, OU=kafka. Pure. */
export function kafkaPrincipalOf(certPem: string): string | undefined {
  let subject: string;
  try {
    subject = new X509Certificate(certPem).subject;
  } catch {
    return undefined;
  }
  const parts = new Map(subject.split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const));
  if (parts.get("O") !== "Takitini" || parts.get("OU") !== "kafka") return undefined;
  const cn = parts.get("CN");
  return cn !== undefined && /^[a-z0-9][a-z0-9-]*$/.test(cn) ? cn : undefined;
}

/** Thrown when the TLS files cannot be read or are not what Kafka will accept. */
export class KafkaSecurityError extends Error {
  readonly code = "KAFKA_TLS_INVALID";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "KafkaSecurityError";
  }
}

/** Read the TLS material named by the settings (validated by `kafkaSecurityIssues`). */
export function readKafkaSecurity(s: KafkaSecuritySettings, read: (path: string) => string = (p) => readFileSync(p, "utf8")): KafkaSecurity {
  if (s.TAKITINI_INSECURE_KAFKA) return { mode: "insecure" };
  const load = (key: (typeof TLS_KEYS)[number]): string => {
    const path = s[key];
    if (!path) throw new KafkaSecurityError(key, "required unless TAKITINI_INSECURE_KAFKA=true");
    try {
      return read(path);
    } catch (err) {
      throw new KafkaSecurityError(key, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const ca = load("KAFKA_TLS_CA_FILE");
  const cert = load("KAFKA_TLS_CERT_FILE");
  const key = load("KAFKA_TLS_KEY_FILE");
  const principal = kafkaPrincipalOf(cert);
  if (principal === undefined) throw new KafkaSecurityError("KAFKA_TLS_CERT_FILE", "not a Kafka principal's certificate (subject must be O=Takitini, OU=kafka, CN=<principal>)");
  return { mode: "mtls", ssl: { ca: [ca], cert, key }, principal };
}

/** The kafkajs options for that security (none for plaintext). Pure. */
export function kafkaSecurityOptions(security: KafkaSecurity): Pick<KafkaConfig, "ssl"> {
  if (security.mode === "insecure") return {};
  // Node verifies the broker's certificate against the CA and its name (IP SAN for 127.0.0.1).
  return { ssl: { ca: security.ssl.ca, cert: security.ssl.cert, key: security.ssl.key, rejectUnauthorized: true } };
}

/** The security of a local stack's principal, from a PKI directory laid out by infra/pki/issue.sh. */
export function pkiSecurityEnv(pkiDir: string, principal: string): Record<string, string> {
  return {
    KAFKA_TLS_CA_FILE: `${pkiDir}/ca.crt`,
    KAFKA_TLS_CERT_FILE: `${pkiDir}/kafka/${principal}.crt`,
    KAFKA_TLS_KEY_FILE: `${pkiDir}/kafka/${principal}.key`,
  };
}

/**
 * The security of a command-line tool acting as `principal`: plaintext when asked
 * for by name; else the KAFKA_TLS_* files when given; else the local stack's
 * certificate for that principal in `pkiDir` (what `npm start` issues). Throws
 * with what to do when none is there.
 */
export function toolKafkaSecurity(env: NodeJS.ProcessEnv, pkiDir: string, principal: string, tool: string): KafkaSecurity {
  if (env.TAKITINI_INSECURE_KAFKA === "true") return { mode: "insecure" };
  const given = TLS_KEYS.some((k) => env[k]);
  const settings: KafkaSecuritySettings = given
    ? { TAKITINI_INSECURE_KAFKA: false, KAFKA_TLS_CA_FILE: env.KAFKA_TLS_CA_FILE, KAFKA_TLS_CERT_FILE: env.KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE: env.KAFKA_TLS_KEY_FILE }
    : { TAKITINI_INSECURE_KAFKA: false, ...pkiSecurityEnv(pkiDir, principal) };
  let security: KafkaSecurity;
  try {
    security = readKafkaSecurity(settings);
  } catch (err) {
    throw new KafkaSecurityError(
      (err as KafkaSecurityError).path ?? "KAFKA_TLS_CERT_FILE",
      `${tool} needs the Kafka "${principal}" principal: set KAFKA_TLS_CA_FILE, KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE to its certificate (npm start issues one in ${pkiDir}/kafka/${principal}.crt) — ${(err as Error).message}`,
    );
  }
  if (security.mode === "mtls" && security.principal !== principal) {
    throw new KafkaSecurityError("KAFKA_TLS_CERT_FILE", `${tool} needs the Kafka "${principal}" principal, but the certificate given is "${security.principal}"'s`);
  }
  return security;
}
