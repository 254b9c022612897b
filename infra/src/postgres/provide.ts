import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../kafka/ports.js";
import { startWatchdog } from "../kafka/process.js";
import { parseAuditRolesOutput, parseStartOutput, POSTGRES_SCRIPT, postgresSettings, redactUrl, startArgs, type AuditRoleUrls, type SettingValue } from "./launcher.js";

export type PostgresMode = "external" | "local";

export interface ProvidedPostgres {
  /** Connection URL (with credentials). */
  url: string;
  mode: PostgresMode;
  /** The cluster's directory and postmaster pid (`local` only). */
  dir?: string;
  pid?: number;
  /** Stops what was started and deletes its directory (nothing for `external`). Idempotent. */
  stop(): Promise<void>;
}

export interface ProvidePostgresOptions {
  /** Environment to read DATABASE_URL from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Server settings for the local cluster; default postgresSettings(). */
  settings?: Record<string, SettingValue>;
  /** How long to wait for an external server's port to answer. */
  connectTimeoutMs?: number;
  /** Progress messages (default: none). */
  log?: (msg: string) => void;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [POSTGRES_SCRIPT, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`postgres.sh ${args[0]} exited ${code}: ${err.trim().split("\n").slice(-8).join("\n")}`))));
  });
}

/** Whether host:port accepts a TCP connection within `timeoutMs`. */
export function tcpAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * A real PostgreSQL server for a test suite or a local run:
 *  1. DATABASE_URL if set: that existing server (an error if its port does not answer);
 *  2. else a throwaway cluster from Debian's `postgresql` package (installed if
 *     missing, when root), on 127.0.0.1 and a free port, in a new temporary
 *     directory that `stop()` deletes. A watchdog stops it if this process dies.
 * Never a mock and never a silent skip: if neither works it throws.
 */
export async function providePostgres(opts: ProvidePostgresOptions = {}): Promise<ProvidedPostgres> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const external = env.DATABASE_URL?.trim();
  if (external) {
    let u: URL;
    try {
      u = new URL(external);
    } catch {
      throw new Error("DATABASE_URL is set but is not a URL");
    }
    const port = Number(u.port || 5432);
    if (u.hostname && !(await tcpAnswers(u.hostname, port, opts.connectTimeoutMs ?? 5000))) {
      throw new Error(`DATABASE_URL=${redactUrl(external)} is set but nothing answers at ${u.hostname}:${port}`);
    }
    return { url: external, mode: "external", stop: async () => undefined };
  }

  await run(["install"], env);
  const settings = opts.settings ?? postgresSettings();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    // A new directory each try; the port is free now but may be taken before the server binds it.
    const dir = mkdtempSync(join(tmpdir(), "takitini-pg-"));
    const port = await freePort();
    try {
      log(`starting a throwaway PostgreSQL cluster in ${dir} on 127.0.0.1:${port}`);
      const cluster = parseStartOutput(await run(startArgs({ dir, port, settings }), env));
      startWatchdog(cluster.pid, 15_000);
      let stopped: Promise<void> | undefined;
      const stop = () => (stopped ??= run(["stop", "--dir", cluster.dir, "--remove"], env).then(() => undefined));
      return { url: cluster.url, mode: "local", dir: cluster.dir, pid: cluster.pid, stop };
    } catch (err) {
      lastError = err;
      await run(["stop", "--dir", dir, "--remove"], env).catch(() => rmSync(dir, { recursive: true, force: true }));
    }
  }
  throw new Error(`no PostgreSQL server could be provided:\n - external: DATABASE_URL is not set\n - local: ${(lastError as Error).message}`);
}

const auditRolesMade = new Map<string, AuditRoleUrls>();

/**
 * The audit ledger's roles on the server a superuser's `url` reaches (least
 * privilege: `postgres.sh audit-roles`): made once, with passwords derived from
 * `url`, so calling again — another test file, another process — changes
 * nothing. Synchronous, for the test stacks' environment builders; remembered per url.
 */
export function auditRoles(url: string, env: NodeJS.ProcessEnv = process.env): AuditRoleUrls {
  const made = auditRolesMade.get(url);
  if (made) return made;
  const out = execFileSync("bash", [POSTGRES_SCRIPT, "audit-roles", "--url", url], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const roles = parseAuditRolesOutput(out);
  auditRolesMade.set(url, roles);
  return roles;
}

export { parseAuditRolesOutput, type AuditRoleUrls, parseStartOutput, POSTGRES_SCRIPT, postgresSettings, redactUrl, startArgs, type LaunchedCluster, type SettingValue } from "./launcher.js";
