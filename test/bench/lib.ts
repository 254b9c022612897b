// Shared by the benchmarks: a real broker, services as processes, percentiles.
// Benchmarks measure; they assert nothing. Quote ratios from one run: these
// machines are shared and noisy.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { SERVICE_NODE_FLAGS, auditRoles, ensurePki, environmentFor, loadTopicDeclarations, meshPublishers, pkiFiles, provideKafka, postgresSettings, providePostgres, redactUrl, type ProvidedKafka, type TopicDeclaration } from "@takitini/infra";
import { readEventIdKey, type EventIdKey } from "@takitini/runtime";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** A broker with the mesh's declared topics, plus `extraTopics` (e.g. a run's own fresh topics). */
export async function kafkaForBench(extraTopics: TopicDeclaration[] = [], brokers = 1) {
  const shipped = loadTopicDeclarations(undefined, process.env, environmentFor(brokers));
  const k = await provideKafka({ brokers, ...(extraTopics.length > 0 ? { topics: [...shipped, ...extraTopics] } : {}) });
  console.error(`[bench] Kafka (${k.mode}) at ${k.brokers.join(",")}`);
  return k;
}

/**
 * The adapters' doors for a benchmark: mutual TLS with the broker's PKI (which
 * provideKafka has issue.sh fill with the services' server and the publishers'
 * client certificates; a temporary one when the broker is plaintext), one
 * event-id key per run, and publishers' clients on keep-alive connections.
 */
export interface AdapterDoors {
  /** The PKI directory (ca.crt, service/, publisher/). */
  pkiDir: string;
  /** The run's event-id key, as the adapters read it: the benches compute the ids they expect with it. */
  eventIdKey: EventIdKey;
  /** An adapter's environment for its doors: server certificate, the CA publishers chain to, the event-id key. */
  env(service: string): Record<string, string>;
  /** The publishing system of an adapter's agency (`police-adapter` → `police/nia`, infra/pki/publishers). */
  publisherOf(service: string): string;
  /** Its SPIFFE id, as the events it publishes carry it. */
  publisherUri(service: string): string;
  /**
   * A keep-alive HTTPS agent presenting the adapter's agency publisher's certificate
   * and trusting the mesh's CA (no connection limit, like fetch's pool): a TLS
   * handshake per connection, not per request.
   */
  agent(service: string): Agent;
  /** The import CLI's `--cert`/`--key` for the adapter's agency publisher. */
  importArgs(service: string): string[];
}

export function adapterDoors(kafka: Pick<ProvidedKafka, "pkiDir">): AdapterDoors {
  const publishers = meshPublishers();
  const publisherOf = (service: string): string => {
    const agency = service.replace(/-adapter$/, "");
    const p = publishers.find((id) => id.startsWith(`${agency}/`));
    if (!p) throw new Error(`infra/pki/publishers names no publishing system for ${agency}`);
    return p;
  };
  // Temporary files (a plaintext broker's door PKI, the run's key) are removed when the bench exits.
  const temporary = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    process.once("exit", () => rmSync(d, { recursive: true, force: true }));
    return d;
  };
  let dir = kafka.pkiDir;
  if (dir === undefined) dir = ensurePki(temporary("takitini-bench-pki-"), []);
  const files = pkiFiles(dir);
  const needed = [files.ca, ...publishers.flatMap((p) => Object.values(files.publisher(p))), ...publishers.map((p) => `${p.split("/")[0]}-adapter`).flatMap((s) => Object.values(files.service(s)))];
  // The local broker's PKI has them already; an external cluster's TAKITINI_PKI_DIR may not.
  if (needed.some((f) => !existsSync(f))) ensurePki(dir, [], { log: (m) => console.error(`[bench] ${m}`) });
  const keyFile = join(temporary("takitini-bench-key-"), "event-id.key");
  writeFileSync(keyFile, randomBytes(32).toString("hex"), { mode: 0o600 });
  const ca = readFileSync(files.ca);
  return {
    pkiDir: dir,
    eventIdKey: readEventIdKey(keyFile),
    env: (service) => {
      const server = files.service(service);
      return { EVENT_ID_KEY_FILE: keyFile, HTTP_TLS_CERT_FILE: server.cert, HTTP_TLS_KEY_FILE: server.key, HTTP_TLS_CA_FILE: files.ca };
    },
    publisherOf,
    publisherUri: (service) => `spiffe://takitini.local/publisher/${publisherOf(service)}`,
    agent: (service) => {
      const p = files.publisher(publisherOf(service));
      return new Agent({ keepAlive: true, ca, cert: readFileSync(p.cert), key: readFileSync(p.key) });
    },
    importArgs: (service) => {
      const p = files.publisher(publisherOf(service));
      return ["--cert", p.cert, "--key", p.key];
    },
  };
}

/** POST a JSON body to an adapter's HTTPS door through `agent`; the answer's status and text. */
export function postJson(agent: Agent, url: string, body: string): Promise<{ status: number; text: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      const retryAfter = res.headers["retry-after"];
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, ...(retryAfter === undefined ? {} : { retryAfter }) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * The adapters' rate limits (per address and per publisher, RATE_LIMIT_PER_MINUTE
 * and RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE, 120,000 a minute by default) stay on
 * in the benchmarks. A run that may send one adapter more requests than that in
 * a minute gets both set explicitly above its total (and says so), never off;
 * otherwise nothing is set and the defaults apply. Bulk imports are not limited.
 */
export const ADAPTER_RATE_LIMIT_DEFAULT = 120_000;
export function adapterRateLimitEnv(requestsPerAdapter: number): Record<string, string> {
  if (requestsPerAdapter <= ADAPTER_RATE_LIMIT_DEFAULT) return {};
  const limit = String(Math.min(100_000_000, Math.ceil(requestsPerAdapter * 1.1)));
  console.error(`[bench] up to ${fmt(requestsPerAdapter)} HTTP requests per adapter in this run: RATE_LIMIT_PER_MINUTE and RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE set to ${limit} (default ${fmt(ADAPTER_RATE_LIMIT_DEFAULT)})`);
  return { RATE_LIMIT_PER_MINUTE: limit, RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE: limit };
}

/** The audit ledger's PostgreSQL for a benchmark: DATABASE_URL, else a throwaway local cluster. */
export async function postgresForBench() {
  // Durable, as the ledger runs in production and under npm start (fsync and synchronous commit on): the audit's
  // commits are part of what the mesh's figures measure. The tests' throwaway clusters run without fsync.
  const pg = await providePostgres({ settings: postgresSettings({ durable: true }), log: (m) => console.error(`[bench] ${m}`) });
  console.error(`[bench] PostgreSQL (${pg.mode}) at ${redactUrl(pg.url)}`);
  return pg;
}

/** An audit service's settings for a run: its own schema, a throwaway oversight credential. */
export function auditBenchEnv(databaseUrl: string, run: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "takitini-bench-oversight-"));
  const token = randomBytes(24).toString("base64url");
  writeFileSync(join(dir, "tokens.json"), JSON.stringify({ [createHash("sha256").update(token).digest("hex")]: "benchmark" }));
  // Least privilege, as in production: the ledger's service role, its owner migrating at start (databaseUrl is a superuser's).
  const roles = auditRoles(databaseUrl);
  return {
    DATABASE_URL: roles.serviceUrl,
    AUDIT_MIGRATION_DATABASE_URL: roles.ownerUrl,
    DATABASE_SCHEMA: `bench_${run.replace(/[^a-z0-9]/g, "_")}`,
    AUDIT_OVERSIGHT_TOKENS_FILE: join(dir, "tokens.json"),
    GRPC_PORT: "0",
    // A benchmark machine: heads signed with a key generated per process.
    TAKITINI_ENV: "development",
  };
}

export interface Proc {
  child: ChildProcess;
  /** Its door: https:// when it serves TLS (HTTP_TLS_CERT_FILE: the adapters), else http://. */
  url: string;
  /** Its admin listener (plain HTTP): /metrics, /docs, the probes. */
  adminUrl: string;
  stop(): Promise<void>;
  /** Peak resident set size in kB, read from /proc while running. */
  peakRssKb(): number;
}

/**
 * A service as a child process on free ports, ready. A free port can be taken by another
 * process (an outgoing connection's ephemeral port) before the child binds it: a child
 * that exits before it is ready is started again on other ports, up to three times.
 */
export async function startProcess(script: string, env: Record<string, string>): Promise<Proc> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(script, env);
    } catch (err) {
      if (!(err instanceof ExitedEarly) || attempt >= 3) throw err;
      console.error(`[bench] ${script} exited ${err.code} before it was ready (a port taken meanwhile?); starting it again on other ports`);
    }
  }
}

class ExitedEarly extends Error {
  readonly code: number | null;
  constructor(script: string, code: number | null) {
    super(`${script} exited ${code}`);
    this.code = code;
  }
}

async function startOnce(script: string, env: Record<string, string>): Promise<Proc> {
  const port = await freePort();
  const adminPort = await freePort();
  // BENCH_SERVICE_NODE_FLAGS="<flags>": instead of SERVICE_NODE_FLAGS, to measure other V8 settings.
  // BENCH_SERVICE_LOGS=1: the services' logs (stdout, at LOG_LEVEL warn) go to the bench's stdout.
  // BENCH_CPU_PROF=<dir>: each service writes a V8 CPU profile there when it stops (test/bench/README.md, "Profiling").
  const profDir = process.env.BENCH_CPU_PROF;
  const profile = profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${script.split("/")[1] ?? "service"}.${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVICE_NODE_FLAGS?.split(" ").filter((f) => f !== "") ?? SERVICE_NODE_FLAGS), ...profile, `${ROOT}${script}`], { env: { ...process.env, ...env, PORT: String(port), ADMIN_PORT: String(adminPort), LOG_LEVEL: "warn" }, stdio: ["ignore", process.env.BENCH_SERVICE_LOGS === "1" ? "inherit" : "ignore", "inherit"] });
  const url = `${env.HTTP_TLS_CERT_FILE ? "https" : "http"}://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new ExitedEarly(script, child.exitCode);
    try {
      // The admin listener; a service without one yet answers on its door.
      if ((await fetch(`${adminUrl}/readyz`).catch(() => fetch(`${url}/readyz`))).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${script} not ready`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    url,
    adminUrl,
    peakRssKb: () => vmHwm(child.pid!),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Peak resident set size (VmHWM) in kB of a running process; 0 once it is gone. */
export function vmHwm(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Run `task` `total` times with at most `concurrency` in flight; returns wall seconds. */
export async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString("en-NZ", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * How often the benches read the audit's /metrics while they wait for its ledger: its
 * admin door allows 1,200 requests a minute from one address (RATE_LIMIT_PER_MINUTE), and
 * every read costs the audit a rendering of its metrics while it is being measured.
 */
export const AUDIT_POLL_MS = 100;

/**
 * Records the audit service at `adminUrl` has appended to its ledger, of these kinds
 * (`audit_records_appended_total{kind}`). Throws when the metric is not there (a renamed
 * metric once left this reading NaN, every comparison with it false, and the audit's
 * figures meaningless) or the door refused the read.
 */
export async function auditAppended(adminUrl: string, kinds: readonly string[] = ["decision"]): Promise<number> {
  const res = await fetch(`${adminUrl}/metrics`);
  const text = await res.text();
  if (!res.ok) throw new Error(`the audit's /metrics answered ${res.status}: ${text.slice(0, 200)}`);
  let total = 0;
  let seen = false;
  for (const m of text.matchAll(/^audit_records_appended_total\{([^}]*)\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/gm)) {
    seen = true;
    const kind = /kind="([^"]*)"/.exec(m[1]!)?.[1] ?? "";
    if (kinds.includes(kind)) total += Number(m[2]);
  }
  if (!seen && !/^# TYPE audit_records_appended_total counter$/m.test(text)) throw new Error("the audit's /metrics has no audit_records_appended_total: cannot tell what it stored");
  return total;
}

