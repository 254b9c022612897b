import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { COMPLETE_MARKER, ensureKafkaDistribution, findJava, findMaven, isDistributionComplete, kafkaVersion, libsDir, withLock, type Fetcher } from "./distribution.js";

const quiet = () => undefined;

/** A fake fetch that writes the jars Maven would, counting its calls. */
function fakeFetcher(delayMs = 0) {
  const calls: string[] = [];
  const fetch: Fetcher = async (outDir, version) => {
    calls.push(outDir);
    await new Promise((r) => setTimeout(r, delayMs));
    writeFileSync(join(outDir, `kafka_2.13-${version}.jar`), "jar");
    writeFileSync(join(outDir, `kafka-clients-${version}.jar`), "jar");
  };
  return { fetch, calls };
}

const temps: string[] = [];
const tempCache = () => {
  const dir = mkdtempSync(join(tmpdir(), "takitini-cache-"));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe("kafkaVersion", () => {
  it("reads the pinned version from the pom", () => {
    expect(kafkaVersion()).toBe("3.9.2");
    expect(kafkaVersion("<project><properties><kafka.version> 3.8.1 </kafka.version></properties></project>")).toBe("3.8.1");
    expect(() => kafkaVersion("<project/>")).toThrow(/kafka\.version/);
  });

  it("puts the jars under <cache>/kafka-<version>/libs", () => {
    expect(libsDir("3.9.2", "/c")).toBe("/c/kafka-3.9.2/libs");
  });
});

describe("the tools it needs", () => {
  it("finds java and mvn on this machine", () => {
    expect(findJava()).toMatch(/java$/);
    expect(findMaven()).toBe("mvn");
  });

  it("says what to install when java or mvn is missing", () => {
    const none = { PATH: "/nonexistent" };
    expect(() => findJava(none)).toThrow(/Java not found.*openjdk-17-jre-headless/);
    expect(() => findJava({ ...none, JAVA_HOME: "/nonexistent/jdk" })).toThrow(/JAVA_HOME=\/nonexistent\/jdk/);
    expect(() => findMaven(none)).toThrow(/Maven not found.*apt-get install maven/);
  });
});

describe("ensureKafkaDistribution", () => {
  it("fetches once, marks the fetch complete, then reuses it", async () => {
    const cache = tempCache();
    const f = fakeFetcher();
    const libs = await ensureKafkaDistribution({ cache, version: "9.9.9", fetch: f.fetch, log: quiet });
    expect(libs).toBe(libsDir("9.9.9", cache));
    expect(isDistributionComplete(libs)).toBe(true);
    expect(readdirSync(libs).sort()).toEqual([COMPLETE_MARKER, "kafka-clients-9.9.9.jar", "kafka_2.13-9.9.9.jar"].sort());
    await ensureKafkaDistribution({ cache, version: "9.9.9", fetch: f.fetch, log: quiet });
    expect(f.calls).toHaveLength(1);
    // No side directories or lock are left behind.
    expect(readdirSync(join(cache, "kafka-9.9.9"))).toEqual(["libs"]);
  });

  it("redoes a half-finished fetch (a libs dir without the marker)", async () => {
    const cache = tempCache();
    const libs = libsDir("9.9.9", cache);
    mkdirSync(libs, { recursive: true });
    writeFileSync(join(libs, "truncated.jar"), "");
    const f = fakeFetcher();
    await ensureKafkaDistribution({ cache, version: "9.9.9", fetch: f.fetch, log: quiet });
    expect(f.calls).toHaveLength(1);
    expect(existsSync(join(libs, "truncated.jar"))).toBe(false);
    expect(isDistributionComplete(libs)).toBe(true);
  });

  it("fetches only once when called concurrently", async () => {
    const cache = tempCache();
    const f = fakeFetcher(150);
    const results = await Promise.all([1, 2, 3].map(() => ensureKafkaDistribution({ cache, version: "9.9.9", fetch: f.fetch, log: quiet })));
    expect(new Set(results).size).toBe(1);
    expect(f.calls).toHaveLength(1);
  });

  it("leaves no marker when the fetch fails or misses the broker jar", async () => {
    const cache = tempCache();
    await expect(
      ensureKafkaDistribution({ cache, version: "9.9.9", log: quiet, fetch: async () => Promise.reject(new Error("network down")) }),
    ).rejects.toThrow("network down");
    await expect(
      ensureKafkaDistribution({ cache, version: "9.9.9", log: quiet, fetch: async (dir) => writeFileSync(join(dir, "other.jar"), "") }),
    ).rejects.toThrow(/kafka_2\.13-9\.9\.9\.jar/);
    expect(isDistributionComplete(libsDir("9.9.9", cache))).toBe(false);
    expect(readdirSync(join(cache, "kafka-9.9.9"))).toEqual([]);
  });
});

describe("withLock", () => {
  it("takes over a lock whose owner process is gone", async () => {
    const dir = tempCache();
    const lock = join(dir, "x.lock");
    mkdirSync(lock);
    writeFileSync(join(lock, "owner"), `999999999 ${(await import("node:os")).hostname()}\n`);
    const messages: string[] = [];
    expect(await withLock(lock, 2000, (m) => messages.push(m), async () => readFileSync(join(lock, "owner"), "utf8"))).toMatch(String(process.pid));
    expect(messages.join()).toMatch(/stale/);
    expect(existsSync(lock)).toBe(false);
  });

  it("waits for a live owner and times out with a clear error", async () => {
    const dir = tempCache();
    const lock = join(dir, "x.lock");
    mkdirSync(lock);
    writeFileSync(join(lock, "owner"), `${process.pid} ${(await import("node:os")).hostname()}\n`);
    await expect(withLock(lock, 300, quiet, async () => 1)).rejects.toThrow(/timed out.*x\.lock/);
  });
});
