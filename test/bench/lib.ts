// Shared by the benchmarks: a real broker, services as processes, percentiles.
// Benchmarks measure; they assert nothing. Quote ratios from one run: these
// machines are shared and noisy.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { loadTopicDeclarations, provideKafka, providePostgres, redactUrl, type TopicDeclaration } from "@takitini/infra";

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
export async function kafkaForBench(extraTopics: TopicDeclaration[] = []) {
  const k = await provideKafka(extraTopics.length > 0 ? { topics: [...loadTopicDeclarations(), ...extraTopics] } : {});
  console.error(`[bench] Kafka (${k.mode}) at ${k.brokers.join(",")}`);
  return k;
}

/** The audit ledger's PostgreSQL for a benchmark: DATABASE_URL, else a throwaway local cluster. */
export async function postgresForBench() {
  const pg = await providePostgres({ log: (m) => console.error(`[bench] ${m}`) });
  console.error(`[bench] PostgreSQL (${pg.mode}) at ${redactUrl(pg.url)}`);
  return pg;
}

/** An audit service's settings for a run: its own schema, a throwaway oversight credential. */
export function auditBenchEnv(databaseUrl: string, run: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "takitini-bench-oversight-"));
  const token = randomBytes(24).toString("base64url");
  writeFileSync(join(dir, "tokens.json"), JSON.stringify({ [createHash("sha256").update(token).digest("hex")]: "benchmark" }));
  return { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: `bench_${run.replace(/[^a-z0-9]/g, "_")}`, AUDIT_OVERSIGHT_TOKENS_FILE: join(dir, "tokens.json"), GRPC_PORT: "0" };
}

export interface Proc {
  child: ChildProcess;
  url: string;
  /** Its admin listener (plain HTTP): /metrics, /docs, the probes. */
  adminUrl: string;
  stop(): Promise<void>;
  /** Peak resident set size in kB, read from /proc while running. */
  peakRssKb(): number;
}

export async function startProcess(script: string, env: Record<string, string>): Promise<Proc> {
  const port = await freePort();
  const adminPort = await freePort();
  const child = spawn(process.execPath, [`${ROOT}${script}`], { env: { ...process.env, ...env, PORT: String(port), ADMIN_PORT: String(adminPort), LOG_LEVEL: "warn" }, stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode}`);
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
