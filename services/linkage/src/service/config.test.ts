import { ConfigError } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { readConfig } from "./config.js";

const env = { TAKITINI_INSECURE_KAFKA: "true", LINKAGE_KEY_FILE: "/run/secrets/linkage-match.key" };

describe("linkage configuration", () => {
  it("defaults to the agencies' topics, its own two topics and one group", () => {
    const c = readConfig(env);
    expect(c.INTEL_TOPICS).toEqual(["takitini.intel.police.v1", "takitini.intel.customs.v1", "takitini.intel.mbie.v1", "takitini.intel.msd.v1"]);
    expect([c.LINKS_TOPIC, c.LINKAGE_INDEX_TOPIC, c.GROUP_ID, c.TRANSACTIONAL_ID]).toEqual(["takitini.intel.linkage.v1", "takitini.linkage-index.v1", "takitini-linkage", "takitini-linkage.index"]);
    expect([c.PORT, c.ADMIN_PORT]).toEqual([8088, 8188]);
  });

  it("refuses to start without the match key, naming the variable", () => {
    const { LINKAGE_KEY_FILE: _, ...rest } = env;
    expect(() => readConfig(rest)).toThrow(ConfigError);
    try {
      readConfig(rest);
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.path)).toContain("LINKAGE_KEY_FILE");
    }
  });

  it("names each bad variable", () => {
    try {
      readConfig({ ...env, INTEL_TOPICS: "takitini.intel.police.v1, bad topic", MAX_EVENTS_PER_TRANSACTION: "0" });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).issues.map((i) => i.path).sort()).toEqual(["INTEL_TOPICS.1", "MAX_EVENTS_PER_TRANSACTION"]);
    }
  });
});
