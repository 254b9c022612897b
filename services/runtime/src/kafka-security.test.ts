import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import {
  baseConfig,
  ConfigError,
  kafkaAuthorizationFailure,
  kafkaPrincipalOf,
  kafkaSecurityIssues,
  kafkaSecurityOptions,
  KafkaSecurityError,
  loadConfig,
  logKafkaRefusal,
  pkiSecurityEnv,
  readKafkaSecurity,
} from "./index.js";

const ISSUE = fileURLToPath(new URL("../../../infra/pki/issue.sh", import.meta.url));
let pki: string;

beforeAll(() => {
  // The project's own PKI script: real certificates, as the broker sees them.
  pki = mkdtempSync(join(tmpdir(), "takitini-runtime-pki-"));
  execFileSync("bash", [ISSUE, "--out", pki, "--kafka", "exchange operator"], { stdio: "ignore" });
}, 60_000);

describe("Kafka security configuration", () => {
  it("requires the three TLS files unless plaintext is asked for by name", () => {
    expect(() => loadConfig(baseConfig, {})).toThrow(ConfigError);
    try {
      loadConfig(baseConfig, { KAFKA_TLS_CA_FILE: "/ca.crt" });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.path).sort()).toEqual(["KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE"]);
    }
    const cfg = loadConfig(baseConfig, pkiSecurityEnv("/pki", "exchange"));
    expect(cfg.TAKITINI_INSECURE_KAFKA).toBe(false);
    expect(cfg.KAFKA_TLS_CERT_FILE).toBe("/pki/kafka/exchange.crt");
  });

  it("refuses TLS files alongside TAKITINI_INSECURE_KAFKA=true, naming each", () => {
    expect(kafkaSecurityIssues({ TAKITINI_INSECURE_KAFKA: true, KAFKA_TLS_CA_FILE: "/ca.crt" })).toEqual([
      { path: "KAFKA_TLS_CA_FILE", message: "must not be set with TAKITINI_INSECURE_KAFKA=true" },
    ]);
    expect(kafkaSecurityIssues({ TAKITINI_INSECURE_KAFKA: true })).toEqual([]);
    expect(() => loadConfig(baseConfig, { TAKITINI_INSECURE_KAFKA: "yes" })).toThrow(ConfigError);
  });

  it("reads a principal's certificate and names the principal", () => {
    const security = readKafkaSecurity({ TAKITINI_INSECURE_KAFKA: false, ...pkiSecurityEnv(pki, "exchange") });
    expect(security.mode).toBe("mtls");
    if (security.mode !== "mtls") return;
    expect(security.principal).toBe("exchange");
    const opts = kafkaSecurityOptions(security);
    expect(opts.ssl).toMatchObject({ rejectUnauthorized: true, cert: readFileSync(join(pki, "kafka/exchange.crt"), "utf8") });
    expect(kafkaSecurityOptions({ mode: "insecure" })).toEqual({});
  });

  it("refuses a certificate that is not a Kafka principal's, and unreadable files, naming the variable", () => {
    // The partners' gRPC certificates come from the same CA but are not Kafka identities.
    const partner = { TAKITINI_INSECURE_KAFKA: false, ...pkiSecurityEnv(pki, "exchange"), KAFKA_TLS_CERT_FILE: join(pki, "subscriber/customs.crt") };
    expect(() => readKafkaSecurity(partner)).toThrow(KafkaSecurityError);
    expect(() => readKafkaSecurity(partner)).toThrow(/KAFKA_TLS_CERT_FILE/);
    const missing = { TAKITINI_INSECURE_KAFKA: false, ...pkiSecurityEnv(pki, "nobody") };
    expect(() => readKafkaSecurity(missing)).toThrow(/KAFKA_TLS_CERT_FILE: cannot read .*ENOENT/);
  });

  it("takes the principal only from an O=Takitini, OU=kafka subject", () => {
    expect(kafkaPrincipalOf(readFileSync(join(pki, "kafka/operator.crt"), "utf8"))).toBe("operator");
    expect(kafkaPrincipalOf(readFileSync(join(pki, "service/exchange.crt"), "utf8"))).toBeUndefined();
    expect(kafkaPrincipalOf("not a certificate")).toBeUndefined();
  });
});

describe("Kafka authorisation failures", () => {
  it("finds the broker's authorisation error however kafkajs wraps it", () => {
    const protocol = Object.assign(new Error("Not authorized to access topics: [Topic authorization failed]"), { type: "TOPIC_AUTHORIZATION_FAILED" });
    expect(kafkaAuthorizationFailure(protocol)).toBe("TOPIC_AUTHORIZATION_FAILED");
    expect(kafkaAuthorizationFailure(Object.assign(new Error("retries exceeded"), { originalError: { type: "GROUP_AUTHORIZATION_FAILED" } }))).toBe("GROUP_AUTHORIZATION_FAILED");
    expect(kafkaAuthorizationFailure(new Error("boom", { cause: { type: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED" } }))).toBe("TRANSACTIONAL_ID_AUTHORIZATION_FAILED");
    expect(kafkaAuthorizationFailure(Object.assign(new Error("x"), { type: "NOT_LEADER_FOR_PARTITION" }))).toBeUndefined();
    expect(kafkaAuthorizationFailure("text")).toBeUndefined();
  });

  it("logs a refusal with the topic and operation, and nothing else", () => {
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (l: string) => void lines.push(l) });
    const err = Object.assign(new Error("Not authorized"), { type: "TOPIC_AUTHORIZATION_FAILED" });
    expect(logKafkaRefusal(logger, err, { operation: "write to", topics: ["takitini.intel.police.v1"] })).toBe(true);
    expect(logKafkaRefusal(logger, new Error("other"), { operation: "write to", topics: ["t"] })).toBe(false);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ code: "KAFKA_NOT_AUTHORISED", kafkaError: "TOPIC_AUTHORIZATION_FAILED", topics: ["takitini.intel.police.v1"] });
    expect(String(line.msg)).toContain("takitini.intel.police.v1");
  });
});

describe("intel topic names", () => {
  it("names the agency of an intelligence topic, with or without a prefix", async () => {
    const { intelTopicAgency } = await import("./index.js");
    expect(intelTopicAgency("takitini.intel.police.v1")).toBe("police");
    expect(intelTopicAgency("takitini.e2e.ab12.intel.customs.v2")).toBe("customs");
    expect(intelTopicAgency("intel.msd.v1")).toBe("msd");
    for (const other of ["takitini.deliver.police.v1", "takitini.intel.police", "takitini.xintel.police.v1", "takitini.intel.POLICE.v1", "takitini.intel.police.v1.extra"]) {
      expect(intelTopicAgency(other)).toBeUndefined();
    }
  });
});

describe("a command-line tool's principal", () => {
  it("defaults to the local stack's certificate, and says which principal it needs", async () => {
    const { toolKafkaSecurity } = await import("./index.js");
    expect(toolKafkaSecurity({}, pki, "operator", "peek")).toMatchObject({ mode: "mtls", principal: "operator" });
    expect(toolKafkaSecurity({ TAKITINI_INSECURE_KAFKA: "true" }, pki, "operator", "peek")).toEqual({ mode: "insecure" });
    expect(() => toolKafkaSecurity({}, join(pki, "nowhere"), "operator", "peek")).toThrow(/peek needs the Kafka "operator" principal/);
    expect(() => toolKafkaSecurity(pkiSecurityEnv(pki, "exchange"), pki, "operator", "peek")).toThrow(/needs the Kafka "operator" principal, but the certificate given is "exchange"'s/);
  });
});
