import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { cacheDir, POM_PATH } from "./paths.js";
import { isAlive } from "./process.js";

/** Written into the libs dir last: a libs dir without it is a half-finished fetch. */
export const COMPLETE_MARKER = ".takitini-complete";

/** The pinned broker version, read from the pom (its one source of truth). Pure given `pomXml`. */
export function kafkaVersion(pomXml?: string): string {
  const pom = pomXml ?? readFileSync(POM_PATH, "utf8");
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom);
  if (!m?.[1]) throw new Error(`no <kafka.version> property in ${pomXml === undefined ? POM_PATH : "the pom"}`);
  return m[1];
}

/** `<cache>/kafka-<version>/libs`: where the broker's runtime jars live. */
export function libsDir(version = kafkaVersion(), cache = cacheDir()): string {
  return join(cache, `kafka-${version}`, "libs");
}

/** Whether `libs` holds a finished fetch. */
export function isDistributionComplete(libs: string): boolean {
  return existsSync(join(libs, COMPLETE_MARKER));
}

function runsVersion(cmd: string, args: string[], env: NodeJS.ProcessEnv): boolean {
  const r = spawnSync(cmd, args, { stdio: "ignore", timeout: 30_000, env });
  return r.error === undefined && r.status === 0;
}

/** The `java` to run: `$JAVA_HOME/bin/java` when set, else `java` on the PATH. Throws a clear error if there is none. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string {
  const fromHome = env.JAVA_HOME ? join(env.JAVA_HOME, "bin", "java") : undefined;
  if (fromHome && existsSync(fromHome) && runsVersion(fromHome, ["-version"], env)) return fromHome;
  if (runsVersion("java", ["-version"], env)) return "java";
  throw new Error(
    "Java not found: the Kafka broker runs on the JVM. Install a Java 17 runtime " +
      "(Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME" +
      (fromHome ? ` (JAVA_HOME=${env.JAVA_HOME} has no working bin/java)` : ""),
  );
}

/** `mvn` on the PATH, or a clear error. */
export function findMaven(env: NodeJS.ProcessEnv = process.env): string {
  if (runsVersion("mvn", ["-v"], env)) return "mvn";
  throw new Error(
    "Maven not found: it fetches the Kafka broker's jars from Maven Central. " +
      "Install it (Debian: apt-get install maven), or point KAFKA_BROKERS at an existing cluster",
  );
}

/** A fetcher copies the runtime jars of Kafka `version` into the (empty) directory `outDir`. */
export type Fetcher = (outDir: string, version: string) => Promise<void>;

/** The default fetcher: `mvn dependency:copy-dependencies` on infra/kafka/pom.xml. */
export const mavenFetch: Fetcher = async (outDir) => {
  const mvn = findMaven();
  const args = ["-B", "-q", "-f", POM_PATH, "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${outDir}`];
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(mvn, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => output.push(d.toString()));
    child.stderr.on("data", (d: Buffer) => output.push(d.toString()));
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0) {
    const tail = output.join("").trim().split("\n").slice(-30).join("\n");
    throw new Error(`mvn ${args.join(" ")} failed (exit ${code}):\n${tail}`);
  }
};

export interface EnsureDistributionOptions {
  /** Cache root; default `$TAKITINI_CACHE` or `~/.cache/takitini`. */
  cache?: string;
  /** Default: the pom's `kafka.version`. */
  version?: string;
  /** Progress messages (default: stderr). */
  log?: (msg: string) => void;
  /** How to fetch (default: Maven). Tests inject their own. */
  fetch?: Fetcher;
  /** How long to wait for another process's fetch. */
  lockTimeoutMs?: number;
}

/**
 * Make sure the broker's jars are in the cache, fetching them from Maven Central
 * when missing; returns the libs directory. A fetch goes to a side directory and
 * is renamed into place only once complete (with a marker), so a half-finished
 * fetch is redone; a lock directory keeps concurrent runs from fetching twice.
 */
export async function ensureKafkaDistribution(opts: EnsureDistributionOptions = {}): Promise<string> {
  const version = opts.version ?? kafkaVersion();
  const libs = libsDir(version, opts.cache ?? cacheDir());
  if (isDistributionComplete(libs)) return libs;
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  if (opts.fetch === undefined) findMaven(); // fail before taking the lock, with what to install
  const fetch = opts.fetch ?? mavenFetch;
  const parent = dirname(libs);
  mkdirSync(parent, { recursive: true });

  return withLock(join(parent, ".fetch.lock"), opts.lockTimeoutMs ?? 10 * 60_000, log, async () => {
    if (isDistributionComplete(libs)) return libs; // another process fetched while we waited
    // We hold the lock: leftovers of crashed fetches are nobody's.
    for (const entry of readdirSync(parent)) {
      if (entry.startsWith(`${basename(libs)}.partial-`) || entry.startsWith(`${basename(libs)}.old-`)) {
        rmSync(join(parent, entry), { recursive: true, force: true });
      }
    }
    const partial = `${libs}.partial-${process.pid}`;
    mkdirSync(partial, { recursive: true });
    const t0 = Date.now();
    log(`fetching Apache Kafka ${version} (kafka_2.13 and its runtime dependencies) from Maven Central into ${libs}`);
    try {
      await fetch(partial, version);
      const jars = readdirSync(partial).filter((f) => f.endsWith(".jar"));
      const main = `kafka_2.13-${version}.jar`;
      if (!jars.includes(main)) throw new Error(`the fetch finished but ${main} is not among the ${jars.length} jars it copied`);
      writeFileSync(join(partial, COMPLETE_MARKER), `kafka ${version}\n${jars.length} jars\n${new Date().toISOString()}\n`);
      if (existsSync(libs)) {
        // An unfinished earlier fetch (no marker). Move it aside rather than delete in place.
        const old = `${libs}.old-${process.pid}-${Date.now()}`;
        renameSync(libs, old);
        rmSync(old, { recursive: true, force: true });
      }
      renameSync(partial, libs);
      log(`fetched ${jars.length} jars in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return libs;
    } catch (err) {
      rmSync(partial, { recursive: true, force: true });
      throw err;
    }
  });
}

/**
 * Run `fn` holding a lock directory. A lock whose owner process (on this host)
 * is gone is stale and taken over.
 */
export async function withLock<T>(lockDir: string, timeoutMs: number, log: (msg: string) => void, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const owner = join(lockDir, "owner");
  let told = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(owner, `${process.pid} ${hostname()}\n`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const [pidText, host] = (existsSync(owner) ? readFileSync(owner, "utf8") : "").trim().split(" ");
      const pid = Number(pidText);
      if (host === hostname() && Number.isInteger(pid) && pid > 0 && !isAlive(pid)) {
        log(`removing stale lock ${lockDir} (owner pid ${pid} is gone)`);
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${lockDir}; remove it if no fetch is running`);
      if (!told) {
        log(`waiting for another fetch to finish (lock ${lockDir})`);
        told = true;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
