/**
 * The pure half of the local PostgreSQL launcher (infra/postgres/postgres.sh):
 * the settings a throwaway cluster runs with, the script's arguments, and
 * reading what it prints.
 */
import { join } from "node:path";
import { INFRA_DIR } from "../kafka/paths.js";

export const POSTGRES_SCRIPT = join(INFRA_DIR, "postgres", "postgres.sh");

export type SettingValue = string | number | boolean;

/**
 * Server settings for a throwaway cluster on a shared 2-core machine: few
 * connections and small memory; with `durable: false` (the default for tests)
 * no fsync — the data dir is deleted afterwards anyway. Benchmarks that measure
 * commit cost should pass `durable: true`.
 */
export function postgresSettings(opts: { durable?: boolean; maxConnections?: number } = {}): Record<string, SettingValue> {
  const settings: Record<string, SettingValue> = {
    max_connections: opts.maxConnections ?? 40,
    shared_buffers: "64MB",
    max_wal_size: "512MB",
    log_min_messages: "warning",
    log_connections: false,
  };
  if (!opts.durable) Object.assign(settings, { fsync: false, synchronous_commit: false, full_page_writes: false });
  return settings;
}

function settingText(v: SettingValue): string {
  return typeof v === "boolean" ? (v ? "on" : "off") : String(v);
}

/** Arguments of `postgres.sh start`. */
export function startArgs(opts: { dir: string; port: number; settings: Record<string, SettingValue> }): string[] {
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw new RangeError(`invalid port ${opts.port}`);
  const args = ["start", "--dir", opts.dir, "--port", String(opts.port)];
  for (const [name, value] of Object.entries(opts.settings)) {
    if (!/^[a-z_.]+$/.test(name)) throw new Error(`invalid setting name ${JSON.stringify(name)}`);
    args.push("-c", `${name}=${settingText(value)}`);
  }
  return args;
}

export interface LaunchedCluster {
  url: string;
  port: number;
  dir: string;
  pid: number;
  log: string;
}

/** The key=value lines `postgres.sh start` prints. */
export function parseStartOutput(stdout: string): LaunchedCluster {
  const kv = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const m = /^([a-z]+)=(.*)$/.exec(line.trim());
    if (m) kv.set(m[1]!, m[2]!);
  }
  const get = (k: string) => {
    const v = kv.get(k);
    if (v === undefined || v === "") throw new Error(`postgres.sh start printed no ${k}=`);
    return v;
  };
  const url = get("url");
  const port = Number(get("port"));
  const pid = Number(get("pid"));
  if (!Number.isInteger(port) || !Number.isInteger(pid)) throw new Error(`postgres.sh start printed port=${kv.get("port")} pid=${kv.get("pid")}`);
  return { url, port, dir: get("dir"), pid, log: get("log") };
}

/** The audit ledger's two roles (`postgres.sh audit-roles`): the service's connection (insert and select only) and the owner's (migrations). */
export interface AuditRoleUrls {
  serviceUrl: string;
  ownerUrl: string;
}

/** What `postgres.sh audit-roles` prints. */
export function parseAuditRolesOutput(stdout: string): AuditRoleUrls {
  const serviceUrl = /^audit_url=(.+)$/m.exec(stdout)?.[1]?.trim();
  const ownerUrl = /^audit_owner_url=(.+)$/m.exec(stdout)?.[1]?.trim();
  if (!serviceUrl || !ownerUrl) throw new Error("postgres.sh audit-roles printed no audit_url= or audit_owner_url=");
  return { serviceUrl, ownerUrl };
}

/** A connection URL with its password hidden, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}
