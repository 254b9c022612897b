#!/usr/bin/env node
/**
 * takitini-supervisor (node infra/dist/supervisor/cli.js) — runs the mesh's services and restarts the ones that fail.
 *
 *   run --mesh            the mesh as `npm start` runs it (settings from the environment: mesh.ts)
 *   run --plan <file>     any plan (JSON, plan.ts): a test's or a fault suite's services
 *   status [--json]       the supervisor and every service: state, pid, restarts, last exit
 *   wait-ready [--timeout <s>] [--pid <pid>]   until every service is ready; exit 1 (printing the ones
 *                         that are not) when the time is up, 3 when the supervisor is gone; --pid: the
 *                         supervisor just started (its status file may still be an earlier run's)
 *   stop [--timeout <s>]  SIGTERM the supervisor (it stops every service: SIGTERM, SIGKILL after the grace
 *                         period) and wait; SIGKILL it and any service it left behind after the timeout
 *   ports                 the mesh's services and ports: `<service> <port> <admin port> <grpc port|->`
 *   env <service>         the variables a mesh service runs with, one KEY=VALUE a line
 *
 * status, wait-ready and stop read the status file: `--status <file>`, default
 * `<state dir>/supervisor.json` (`$TAKITINI_STATE_DIR`, else `<repo>/.takitini`).
 * Exit codes: 0 ok; 1 failed; 2 usage; 3 (status, wait-ready) no supervisor running; 4 (run) one already runs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { commandLine, isAlive, waitForExit } from "../kafka/process.js";
import { REPO_ROOT } from "../kafka/paths.js";
import { MESH_SERVICES, meshPlan, meshPorts, meshServiceEnv, meshSettingsFromEnv, type MeshService } from "./mesh.js";
import { parsePlan, readPlan, type SupervisorPlan } from "./plan.js";
import { Supervisor, type SupervisorStatus } from "./supervisor.js";

const EXIT = { OK: 0, FAILED: 1, USAGE: 2, NOT_RUNNING: 3, ALREADY_RUNNING: 4 } as const;
const USAGE = "usage: takitini-supervisor run (--mesh | --plan <file>) | status [--json] | wait-ready [--timeout <s>] [--pid <pid>] | stop [--timeout <s>] | ports | env <service>  [--status <file>]";

class UsageError extends Error {}

const err = (m: string) => process.stderr.write(`[takitini-supervisor] ${m}\n`);
const out = (m: string) => process.stdout.write(`${m}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) throw new UsageError(`${name} needs a value`);
  return v;
}

/** A `--timeout`-like option in seconds (the fallback too), as milliseconds. */
function seconds(args: string[], name: string, fallback: number): number {
  const v = option(args, name);
  if (v === undefined) return fallback * 1000;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number of seconds`);
  return n * 1000;
}

const defaultStatusFile = () => join(process.env.TAKITINI_STATE_DIR || join(REPO_ROOT, ".takitini"), "supervisor.json");

function readStatus(file: string): SupervisorStatus | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as SupervisorStatus;
  } catch {
    return undefined;
  }
}

/** The status of a supervisor that is still alive (a stale file of a dead one counts as none). */
function liveStatus(file: string): SupervisorStatus | undefined {
  const s = readStatus(file);
  return s && s.state !== "stopped" && isAlive(s.pid) ? s : undefined;
}

async function run(args: string[]): Promise<number> {
  const planFile = option(args, "--plan");
  let plan: SupervisorPlan;
  if (args.includes("--mesh")) plan = parsePlan(meshPlan(meshSettingsFromEnv()));
  else if (planFile !== undefined) plan = readPlan(planFile);
  else throw new UsageError("run needs --mesh or --plan <file>");
  const running = liveStatus(plan.statusFile);
  if (running) {
    err(`a supervisor already runs (pid ${running.pid}; ${plan.statusFile})`);
    return EXIT.ALREADY_RUNNING;
  }
  const supervisor = new Supervisor(plan);
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    supervisor.note(`${signal}: stopping every service`);
    stopping = supervisor.stop().then(
      () => process.exit(EXIT.OK),
      (e: Error) => {
        err(`stop failed: ${e.message}`);
        process.exit(EXIT.FAILED);
      },
    );
  };
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => stop(signal));
  await supervisor.start();
  return new Promise<number>(() => {
    /* runs until a signal stops it */
  });
}

function status(args: string[], file: string): number {
  const s = liveStatus(file);
  if (args.includes("--json")) {
    out(JSON.stringify(s ?? readStatus(file) ?? null, null, 2));
    return s ? EXIT.OK : EXIT.NOT_RUNNING;
  }
  if (!s) {
    out(`no supervisor running (${file})`);
    return EXIT.NOT_RUNNING;
  }
  out(`supervisor pid ${s.pid}, ${s.state} since ${s.startedAt}${s.metricsUrl ? `, metrics ${s.metricsUrl}` : ""}`);
  for (const [name, v] of Object.entries(s.services)) {
    const last = v.lastExit ? `last exit ${v.lastExit.signal ?? `code ${v.lastExit.code}`} at ${v.lastExit.at}` : "";
    out(`  ${name.padEnd(16)} ${v.state.padEnd(8)} pid ${String(v.pid ?? "-").padEnd(8)} restarts ${String(v.restarts).padEnd(4)} ${last}`.trimEnd());
  }
  return EXIT.OK;
}

async function waitReady(args: string[], file: string): Promise<number> {
  const deadline = Date.now() + seconds(args, "--timeout", 120);
  // --pid: the supervisor just started, whose status file may not be written yet.
  const pidOption = option(args, "--pid");
  const pid = pidOption === undefined ? undefined : Number(pidOption);
  if (pid !== undefined && !(Number.isInteger(pid) && pid > 0)) throw new UsageError("--pid must be a process id");
  for (;;) {
    if (pid !== undefined && readStatus(file)?.pid !== pid) {
      if (!isAlive(pid)) {
        err(`the supervisor (pid ${pid}) exited before it started its services`);
        return EXIT.FAILED;
      }
      if (Date.now() > deadline) return EXIT.FAILED;
      await sleep(200);
      continue;
    }
    const s = liveStatus(file);
    if (!s) {
      err(`the supervisor is not running (${file})`);
      return EXIT.NOT_RUNNING;
    }
    const waiting = Object.entries(s.services).filter(([, v]) => v.state !== "ready").map(([name]) => name);
    if (waiting.length === 0) return EXIT.OK;
    if (Date.now() > deadline) {
      err(`not ready: ${waiting.join(", ")}`);
      out(waiting.join("\n"));
      return EXIT.FAILED;
    }
    await sleep(500);
  }
}

async function stop(args: string[], file: string): Promise<number> {
  const s = readStatus(file);
  if (!s) return EXIT.OK;
  const timeoutMs = seconds(args, "--timeout", 120);
  if (s.state !== "stopped" && isAlive(s.pid)) {
    process.kill(s.pid, "SIGTERM");
    if (!(await waitForExit(s.pid, timeoutMs))) {
      err(`the supervisor (pid ${s.pid}) did not stop within ${timeoutMs / 1000} s; SIGKILL`);
      try {
        process.kill(s.pid, "SIGKILL");
      } catch {
        /* gone in between */
      }
      await waitForExit(s.pid, 5_000);
    }
  }
  // Anything a killed supervisor left behind: the services its last status names, if they are still those processes.
  const last = readStatus(file) ?? s;
  let leftover = 0;
  for (const [name, v] of Object.entries(last.services)) {
    if (v.pid === null || !isAlive(v.pid) || commandLine(v.pid) !== v.command) continue;
    leftover++;
    err(`${name} (pid ${v.pid}) outlived its supervisor; stopping it`);
    try {
      process.kill(v.pid, "SIGTERM");
    } catch {
      continue;
    }
    if (!(await waitForExit(v.pid, 10_000))) process.kill(v.pid, "SIGKILL");
  }
  return leftover === 0 ? EXIT.OK : EXIT.FAILED;
}

function isMeshService(name: string | undefined): name is MeshService {
  return (MESH_SERVICES as readonly string[]).includes(name ?? "");
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const file = option(args, "--status") ?? defaultStatusFile();
  switch (command) {
    case "run":
      return run(args);
    case "status":
      return status(args, file);
    case "wait-ready":
      return waitReady(args, file);
    case "stop":
      return stop(args, file);
    case "ports":
      for (const svc of MESH_SERVICES) {
        const p = meshPorts(svc);
        out(`${svc} ${p.port} ${p.admin} ${p.grpc ?? "-"}`);
      }
      return EXIT.OK;
    case "env": {
      const svc = args[0];
      if (!isMeshService(svc)) throw new UsageError(`env needs one of: ${MESH_SERVICES.join(", ")}`);
      for (const [k, v] of Object.entries(meshServiceEnv(meshSettingsFromEnv(), svc))) out(`${k}=${v}`);
      return EXIT.OK;
    }
    default:
      throw new UsageError(command === undefined ? "no command" : `unknown command ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    err(e instanceof UsageError ? `${e.message}\n${USAGE}` : e.message);
    process.exit(e instanceof UsageError ? EXIT.USAGE : EXIT.FAILED);
  },
);
