/**
 * The mesh as the fault suite runs it: every service a real process under the
 * real supervisor (`node infra/dist/supervisor/cli.js run --plan`), each with
 * the environment `npm start` gives it (meshServiceEnv) but on free ports, the
 * suite's PKI and event-id key, one ledger schema shared by two audits (one
 * active writer, one standby), and two instances of every adapter, of the
 * exchange (one consumer group, partitions shared) and of the briefing (each
 * rebuilds its own view; the digest is fenced). No demo stream: only the
 * suite's load flows.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { meshServiceEnv, parsePlan, type MeshService, type MeshSettings, type SupervisorStatus } from "@takitini/infra";
import type { AgencyAdapter } from "@takitini/adapter-kit";
import { customsAdapter } from "../../services/customs-adapter/dist/adapter.js";
import { mbieAdapter } from "../../services/mbie-adapter/dist/adapter.js";
import { msdAdapter } from "../../services/msd-adapter/dist/adapter.js";
import { policeAdapter } from "../../services/police-adapter/dist/adapter.js";
import { adapterDoorEnv } from "../e2e/publishers.js";
import { auditEnv, freePort, ROOT, trustSuiteCa } from "../e2e/stack.js";
import type { Door } from "./load.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const ADAPTERS: Record<string, AgencyAdapter> = {
  "police-adapter": policeAdapter,
  "customs-adapter": customsAdapter,
  "mbie-adapter": mbieAdapter,
  "msd-adapter": msdAdapter,
};

/** One supervised process: its plan name (unique), its kind (the mesh service it is an instance of) and ports. */
export interface Instance {
  name: string;
  kind: MeshService;
  port: number;
  admin: number;
  /** https:// for the adapters, the audit and the briefing. */
  url: string;
  adminUrl: string;
}

export interface FaultMesh {
  instances: Instance[];
  /** Every adapter instance's door, for the load. */
  doors: Door[];
  /** The ledger the audits share. */
  ledger: { databaseUrl: string; schema: string; publicKeyFile: string };
  /** The supervisor's status file, as `status --json` prints it. */
  status(): SupervisorStatus;
  /** takitini_supervisor_restarts_total{service} from the supervisor's /metrics. */
  restartsCounted(service: string): Promise<number>;
  /** A gauge or counter of an instance's /metrics (the first sample of `name`), undefined when absent or unreachable. */
  metric(instance: string, name: string): Promise<number | undefined>;
  /** Wait until every instance answers /readyz 200 (twice, a second apart) and the supervisor has none in backoff; the time it took. */
  waitReady(timeoutMs: number): Promise<number>;
  /** SIGKILL an instance's current process (its pid from the supervisor's status). */
  kill(instance: string): number;
  /** The supervisor's log and an instance's log tail, for a failing test's message. */
  logTail(instance?: string, lines?: number): string;
  stop(): Promise<void>;
}

const INSTANCES: { name: string; kind: MeshService }[] = [
  { name: "audit", kind: "audit" },
  { name: "audit-standby", kind: "audit" },
  { name: "exchange", kind: "exchange" },
  { name: "exchange-b", kind: "exchange" },
  ...Object.keys(ADAPTERS).flatMap((kind) => [
    { name: kind, kind: kind as MeshService },
    { name: `${kind}-b`, kind: kind as MeshService },
  ]),
  { name: "briefing", kind: "briefing" },
  { name: "briefing-b", kind: "briefing" },
];

const HTTPS: ReadonlySet<string> = new Set(["audit", "briefing"]);

/** Secrets `npm start` keeps in .takitini (infra/bin/takitini), made here in the suite's state dir. */
function prepareState(stateDir: string): { publicKeyFile: string } {
  const oversight = join(stateDir, "oversight");
  const briefing = join(stateDir, "briefing");
  mkdirSync(oversight, { recursive: true, mode: 0o700 });
  mkdirSync(briefing, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  writeFileSync(join(oversight, "ledger-signing-key.pem"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  const publicKeyFile = join(oversight, "ledger-public-key.pem");
  writeFileSync(publicKeyFile, publicKey.export({ type: "spki", format: "pem" }));
  writeFileSync(join(briefing, "rounding.secret"), randomBytes(32), { mode: 0o600 });
  writeFileSync(join(briefing, "mail.secret"), randomBytes(32), { mode: 0o600 });
  execFileSync(process.execPath, [join(ROOT, "services/briefing/dist/tools/account.js"), "--name", "fault suite leader", "--subscriber", "community-eastern", "--days", "1", "--file", join(briefing, "leader-accounts.json")], { stdio: "ignore" });
  return { publicKeyFile };
}

/**
 * Start the supervisor with the mesh's plan and wait until every instance is ready.
 * `stateDir` holds the plan, the status file, the secrets and every log.
 */
export async function startFaultMesh(opts: { brokers: string[]; pkiDir: string; databaseUrl: string; stateDir: string; log: (m: string) => void }): Promise<FaultMesh> {
  trustSuiteCa();
  const { publicKeyFile } = prepareState(opts.stateDir);
  const settings: MeshSettings = {
    repoRoot: ROOT,
    stateDir: opts.stateDir,
    pkiDir: opts.pkiDir,
    brokers: opts.brokers.join(","),
    databaseUrl: opts.databaseUrl,
    demoRate: 0,
    demoHistoryWeeks: 0,
    insecureKafka: false,
    instanceId: "faults",
    node: process.execPath,
    metricsPort: 0,
    stopGraceMs: 10_000,
  };
  // One ledger schema for both audits (auditEnv's is per run; the same run name here).
  const audit = auditEnv(opts.databaseUrl, "faults");
  const instances: Instance[] = [];
  const services = [];
  for (const { name, kind } of INSTANCES) {
    const port = await freePort();
    const admin = await freePort();
    const adapter = kind.endsWith("-adapter");
    const env: Record<string, string> = {
      ...meshServiceEnv(settings, kind),
      PORT: String(port),
      ADMIN_PORT: String(admin),
      HOST: "127.0.0.1",
      INSTANCE_ID: `faults-${name}`,
      LOG_LEVEL: "info",
      ...(kind === "briefing" ? {} : { GRPC_PORT: "0" }),
      // The suite's event-id key and doors' certificates (publishers.ts computes ids with the same key).
      ...(adapter ? adapterDoorEnv(kind) : {}),
      ...(kind === "audit" ? { ...audit, HEAD_INTERVAL_MS: "2000", AUDIT_MAX_UNREADY_MS: "30000" } : {}),
      // Not ready for 30 s: exit, so the supervisor restarts it (never alive and idle).
      // The TAXII door off: two exchange instances share this host, and no scenario here has a foreign partner.
      ...(kind === "exchange" ? { EXCHANGE_MAX_UNREADY_MS: "30000", TAXII_PORT: "0" } : {}),
    };
    // The suite's PKI has no CRL unless a test revokes something.
    if (env.SUBSCRIBE_CRL_FILE && !existsSync(env.SUBSCRIBE_CRL_FILE)) delete env.SUBSCRIBE_CRL_FILE;
    services.push({ name, command: process.execPath, args: [join(ROOT, "services", kind, "dist", "main.js")], env, cwd: ROOT, log: join(opts.stateDir, "logs", `${name}.log`), readyUrl: `http://127.0.0.1:${admin}/readyz` });
    instances.push({ name, kind, port, admin, url: `${adapter || HTTPS.has(kind) ? "https" : "http"}://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${admin}` });
  }
  const statusFile = join(opts.stateDir, "supervisor.json");
  const supervisorLog = join(opts.stateDir, "logs", "supervisor.log");
  // A quick backoff: the suite's outages are short, and a restart waiting 30 s would only slow it.
  const plan = parsePlan({ services, statusFile, metricsPort: 0, stopGraceMs: 10_000, logFile: supervisorLog, backoff: { initialMs: 500, factor: 2, maxMs: 4000, stableMs: 30_000 } });
  const planFile = join(opts.stateDir, "plan.json");
  writeFileSync(planFile, JSON.stringify(plan, null, 2), { mode: 0o600 });

  mkdirSync(join(opts.stateDir, "logs"), { recursive: true });
  const out = openSync(join(opts.stateDir, "logs", "supervisor.stdout"), "a");
  let supervisor: ChildProcess;
  try {
    supervisor = spawn(process.execPath, [join(ROOT, "infra/dist/supervisor/cli.js"), "run", "--plan", planFile], { stdio: ["ignore", out, out] });
  } finally {
    closeSync(out);
  }
  const exited = new Promise<void>((resolve) => supervisor.once("exit", () => resolve()));
  // Never outlive the test run: the supervisor stops its services when told to.
  const reap = () => supervisor.kill("SIGTERM");
  process.once("exit", reap);

  const status = (): SupervisorStatus => JSON.parse(readFileSync(statusFile, "utf8")) as SupervisorStatus;
  const readText = (url: string) => fetch(url, { signal: AbortSignal.timeout(3000) }).then((r) => r.text());
  const sample = (text: string, name: string, labels = ""): number | undefined => {
    const line = text.split("\n").find((l) => l.startsWith(`${name}${labels}`) && /[ {]/.test(l.charAt(name.length)));
    return line === undefined ? undefined : Number(line.trim().split(/\s+/).pop());
  };
  const tail = (file: string, lines: number) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-lines).join("\n") : "");
  const byName = (name: string) => {
    const i = instances.find((x) => x.name === name);
    if (!i) throw new Error(`no instance ${name}`);
    return i;
  };

  const mesh: FaultMesh = {
    instances,
    doors: instances.filter((i) => i.kind.endsWith("-adapter")).map((i) => ({ service: i.kind, adapter: ADAPTERS[i.kind]!, url: () => i.url })),
    ledger: { databaseUrl: opts.databaseUrl, schema: audit.DATABASE_SCHEMA!, publicKeyFile },
    status,
    async restartsCounted(service) {
      const url = status().metricsUrl;
      if (!url) throw new Error("the supervisor serves no metrics");
      return sample(await readText(url), "takitini_supervisor_restarts_total", `{service="${service}"}`) ?? 0;
    },
    async metric(instance, name) {
      try {
        return sample(await readText(`${byName(instance).adminUrl}/metrics`), name);
      } catch {
        return undefined;
      }
    },
    async waitReady(timeoutMs) {
      const t0 = Date.now();
      let waiting: string[] = [];
      let streak = 0;
      while (Date.now() - t0 < timeoutMs) {
        if (supervisor.exitCode !== null) throw new Error(`the supervisor exited (${supervisor.exitCode}):\n${tail(supervisorLog, 40)}`);
        let s: SupervisorStatus | undefined;
        try {
          s = status();
        } catch {
          /* not written yet */
        }
        const answers = await Promise.all(
          instances.map(async (i) => {
            const st = s?.services[i.name];
            if (!st || st.state === "backoff" || st.pid === null) return false;
            try {
              const res = await fetch(`${i.adminUrl}/readyz`, { signal: AbortSignal.timeout(3000) });
              await res.body?.cancel();
              return res.ok;
            } catch {
              return false;
            }
          }),
        );
        waiting = instances.filter((_, k) => !answers[k]).map((i) => i.name);
        streak = waiting.length === 0 ? streak + 1 : 0;
        if (streak >= 2) return Date.now() - t0 - 1000;
        await sleep(1000);
      }
      throw new Error(`not ready after ${timeoutMs} ms: ${waiting.join(", ")}\n${tail(supervisorLog, 30)}\n${waiting.map((w) => `--- ${w}\n${tail(join(opts.stateDir, "logs", `${w}.log`), 15)}`).join("\n")}`);
    },
    kill(instance) {
      const pid = status().services[instance]?.pid;
      if (!pid) throw new Error(`${instance} has no process to kill (${status().services[instance]?.state})`);
      process.kill(pid, "SIGKILL");
      return pid;
    },
    logTail(instance, lines = 30) {
      return instance === undefined ? tail(supervisorLog, lines) : tail(join(opts.stateDir, "logs", `${instance}.log`), lines);
    },
    async stop() {
      process.removeListener("exit", reap);
      if (supervisor.exitCode !== null) return;
      supervisor.kill("SIGTERM");
      const timer = setTimeout(() => supervisor.kill("SIGKILL"), 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    const took = await mesh.waitReady(240_000);
    opts.log(`the mesh (${instances.length} processes under the supervisor) ready in ${(took / 1000).toFixed(1)} s`);
  } catch (err) {
    await mesh.stop();
    throw err;
  }
  return mesh;
}
