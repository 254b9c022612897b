import { ConfigError } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { readConfig } from "../config.js";

/** The exchange's Kafka principal (every service must authenticate to Kafka). */
const KAFKA = { KAFKA_TLS_CA_FILE: "/pki/ca.crt", KAFKA_TLS_CERT_FILE: "/pki/kafka/exchange.crt", KAFKA_TLS_KEY_FILE: "/pki/kafka/exchange.key" };
const read = (env: Record<string, string>) => readConfig({ ...KAFKA, ...env });

const TLS = { GRPC_TLS_CERT: "/pki/service/exchange.crt", GRPC_TLS_KEY: "/pki/service/exchange.key", GRPC_TLS_CA: "/pki/ca.crt" };

function issues(env: Record<string, string>): string[] {
  try {
    read(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("configuration was accepted");
}

describe("Subscribe configuration", () => {
  it("takes the TLS files, with the door's defaults", () => {
    const c = read(TLS);
    expect(c).toMatchObject({ ...TLS, GRPC_PORT: 9082, GRPC_INSECURE: false, GRPC_KEEPALIVE_TIME_MS: 30_000, GRPC_KEEPALIVE_TIMEOUT_MS: 10_000, GRPC_MAX_STREAMS: 64 });
  });

  it("requires every TLS file unless insecure mode is asked for", () => {
    expect(issues({})).toEqual([
      "GRPC_TLS_CERT: required (a file path) unless GRPC_INSECURE=true",
      "GRPC_TLS_KEY: required (a file path) unless GRPC_INSECURE=true",
      "GRPC_TLS_CA: required (a file path) unless GRPC_INSECURE=true",
    ]);
    expect(issues({ GRPC_TLS_CERT: TLS.GRPC_TLS_CERT, GRPC_TLS_KEY: TLS.GRPC_TLS_KEY })).toEqual(["GRPC_TLS_CA: required (a file path) unless GRPC_INSECURE=true"]);
  });

  it("takes insecure mode only when asked for exactly, and never with TLS files", () => {
    expect(read({ GRPC_INSECURE: "true", GRPC_PORT: "0" })).toMatchObject({ GRPC_INSECURE: true, GRPC_PORT: 0 });
    expect(issues({ GRPC_INSECURE: "yes" })[0]).toMatch(/^GRPC_INSECURE: /);
    expect(issues({ ...TLS, GRPC_INSECURE: "true" })).toEqual([
      "GRPC_TLS_CERT: must not be set with GRPC_INSECURE=true",
      "GRPC_TLS_KEY: must not be set with GRPC_INSECURE=true",
      "GRPC_TLS_CA: must not be set with GRPC_INSECURE=true",
    ]);
  });

  it("bounds the port, keepalive and stream limit", () => {
    expect(issues({ ...TLS, GRPC_PORT: "70000" })[0]).toMatch(/^GRPC_PORT: /);
    expect(issues({ ...TLS, GRPC_KEEPALIVE_TIME_MS: "10" })[0]).toMatch(/^GRPC_KEEPALIVE_TIME_MS: /);
    expect(issues({ ...TLS, GRPC_MAX_STREAMS: "0" })[0]).toMatch(/^GRPC_MAX_STREAMS: /);
  });

  it("takes a CRL file with its reload interval, never in insecure mode", () => {
    expect(read(TLS)).toMatchObject({ SUBSCRIBE_CRL_RELOAD_MS: 5_000 });
    expect(read(TLS).SUBSCRIBE_CRL_FILE).toBeUndefined();
    expect(read({ ...TLS, SUBSCRIBE_CRL_FILE: "/pki/crl.pem", SUBSCRIBE_CRL_RELOAD_MS: "1000" })).toMatchObject({ SUBSCRIBE_CRL_FILE: "/pki/crl.pem", SUBSCRIBE_CRL_RELOAD_MS: 1_000 });
    expect(issues({ ...TLS, SUBSCRIBE_CRL_RELOAD_MS: "10" })[0]).toMatch(/^SUBSCRIBE_CRL_RELOAD_MS: /);
    expect(issues({ GRPC_INSECURE: "true", SUBSCRIBE_CRL_FILE: "/pki/crl.pem" })).toEqual(["SUBSCRIBE_CRL_FILE: must not be set with GRPC_INSECURE=true"]);
  });
});
