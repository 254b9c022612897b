import { ConfigError } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { readConfig } from "./config.js";

/** Everything else valid: plaintext gRPC and Kafka, as a local run has them. */
const BASE = { GRPC_INSECURE: "true", TAKITINI_INSECURE_KAFKA: "true" };

function issues(env: Record<string, string>): string[] {
  try {
    readConfig({ ...BASE, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("configuration was accepted");
}

describe("agency topics", () => {
  it("default to the four agencies' topics, the community leaders' submissions and the link alerts", () => {
    expect(readConfig(BASE).INTEL_TOPICS).toEqual(["takitini.intel.police.v1", "takitini.intel.customs.v1", "takitini.intel.mbie.v1", "takitini.intel.msd.v1", "takitini.intel.community.v1", "takitini.intel.linkage.v1"]);
  });

  it("take any names that follow the convention, per-run test names included", () => {
    const topics = "takitini.e2e.run-1.intel.customs.v1, takitini.e2e.run-1.intel.police.v1,intel.msd.v2";
    expect(readConfig({ ...BASE, INTEL_TOPICS: topics }).INTEL_TOPICS).toEqual(["takitini.e2e.run-1.intel.customs.v1", "takitini.e2e.run-1.intel.police.v1", "intel.msd.v2"]);
  });

  const refused = (topic: string) => `INTEL_TOPICS: ${topic} names no publishing agency (expected a name ending in intel.<police|customs|mbie|msd|community|linkage>.v<N>)`;

  it("refuse a topic that names no publishing agency, naming it, on INTEL_TOPICS", () => {
    expect(issues({ INTEL_TOPICS: "takitini.intel.police.v1,takitini.intel.fbi.v1" })).toEqual([refused("takitini.intel.fbi.v1")]);
    // Each bad one is named; the good ones are not.
    const bad = ["e2e-run.intel.police", "takitini.deadletter.v1", "takitini.intel.Police.v1"];
    expect(issues({ INTEL_TOPICS: ["takitini.intel.msd.v1", ...bad].join(",") })).toEqual(bad.map(refused));
  });

  it("still refuse what is no topic name at all, or none", () => {
    expect(issues({ INTEL_TOPICS: "takitini.intel.police.v1,not a topic" })[0]).toMatch(/^INTEL_TOPICS\.1: expected a Kafka topic name/);
    expect(issues({ INTEL_TOPICS: " , " })[0]).toMatch(/^INTEL_TOPICS: /);
  });
});

describe("recovery settings", () => {
  it("default to restarts from 1 s to 30 s, a 20 s stall window and an exit after 5 minutes not ready", () => {
    const c = readConfig(BASE);
    expect([c.EXCHANGE_RESTART_BACKOFF_BASE_MS, c.EXCHANGE_RESTART_BACKOFF_MAX_MS, c.EXCHANGE_CONSUMER_STALL_MS, c.EXCHANGE_MAX_UNREADY_MS]).toEqual([1000, 30_000, 20_000, 300_000]);
    expect(readConfig({ ...BASE, EXCHANGE_MAX_UNREADY_MS: "0" }).EXCHANGE_MAX_UNREADY_MS).toBe(0);
  });

  it("refuse a bound shorter than the stall window, and a backoff whose maximum is below its base", () => {
    expect(issues({ EXCHANGE_MAX_UNREADY_MS: "10000" })).toEqual(["EXCHANGE_MAX_UNREADY_MS: must be 0 (never) or at least EXCHANGE_CONSUMER_STALL_MS"]);
    expect(issues({ EXCHANGE_RESTART_BACKOFF_BASE_MS: "5000", EXCHANGE_RESTART_BACKOFF_MAX_MS: "1000" })).toEqual(["EXCHANGE_RESTART_BACKOFF_MAX_MS: must be at least EXCHANGE_RESTART_BACKOFF_BASE_MS"]);
  });
});

describe("the receipts topic", () => {
  it("defaults to takitini.community-receipts.v1 and takes another topic name", () => {
    expect(readConfig(BASE).RECEIPTS_TOPIC).toBe("takitini.community-receipts.v1");
    expect(readConfig({ ...BASE, RECEIPTS_TOPIC: "takitini.e2e.run-1.community-receipts.v1" }).RECEIPTS_TOPIC).toBe("takitini.e2e.run-1.community-receipts.v1");
  });

  it("refuses what is no topic name", () => {
    expect(issues({ RECEIPTS_TOPIC: "community receipts" })).toEqual(["RECEIPTS_TOPIC: expected a Kafka topic name"]);
    expect(issues({ RECEIPTS_TOPIC: "" })[0]).toMatch(/^RECEIPTS_TOPIC: /);
  });
});

describe("the TAXII door", () => {
  it("listens on 9443 by default (0: off), pages of at most 100, deliveries served 2 s after they are made", () => {
    const c = readConfig(BASE);
    expect([c.TAXII_PORT, c.TAXII_MAX_PAGE, c.TAXII_SETTLE_MS, c.TAXII_RATE_LIMIT_PER_MINUTE, c.TAXII_RATE_LIMIT_PER_PARTNER_PER_MINUTE]).toEqual([9443, 100, 2000, 600, 240]);
    expect(readConfig({ ...BASE, TAXII_PORT: "0" }).TAXII_PORT).toBe(0);
  });

  it.each([
    ["TAXII_PORT", "65536"],
    ["TAXII_PORT", "https"],
    ["TAXII_MAX_PAGE", "0"],
    ["TAXII_MAX_PAGE", "10001"],
    ["TAXII_SETTLE_MS", "-1"],
    ["TAXII_SETTLE_MS", "120001"],
    ["TAXII_RATE_LIMIT_PER_PARTNER_PER_MINUTE", "-5"],
  ])("refuses %s=%s, naming it", (key, value) => {
    expect(issues({ [key]: value })[0]).toMatch(new RegExp(`^${key}: `));
  });
});
