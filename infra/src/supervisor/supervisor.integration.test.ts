/**
 * The supervisor's CLI on real child processes (fixtures/child.mjs), started in
 * its own session as the launcher starts it: a child killed with SIGKILL is
 * restarted and ready again; a child crashing in a loop is restarted with a
 * growing delay; restarts are counted in the status file and the metrics; stop
 * ends every process (SIGKILL for one that ignores SIGTERM), and a supervisor
 * that was itself SIGKILLed leaves nothing behind once `stop` has run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePorts } from "../kafka/ports.js";
import { isAlive, waitForExit } from "../kafka/process.js";
import type { SupervisorPlanInput } from "./plan.js";
import type { SupervisorStatus } from "./supervisor.js";

const CLI = fileURLToPath(new URL("../../dist/supervisor/cli.js", import.meta.url));
const CHILD = fileURLToPath(new URL("./fixtures/child.mjs", import.meta.url));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Every live process whose command line carries this run's token. */
function processesWith(token: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").includes(token) && isAlive(Number(d));
      } catch {
        return false;
      }
    })
    .map(Number);
}

interface Run {
  dir: string;
  token: string;
  statusFile: string;
  supervisor: ChildProcess;
  output: () => string;
  /** Resolves once the supervisor exited and its output was read to the end. */
  closed: Promise<void>;
  status: () => SupervisorStatus | undefined;
}

function startSupervisor(name: string, plan: (dir: string, token: string) => SupervisorPlanInput): Run {
  const dir = mkdtempSync(join(tmpdir(), `takitini-supervisor-${name}-`));
  const token = `token-${name}-${process.pid}-${Date.now()}`;
  const p = plan(dir, token);
  const planFile = join(dir, "plan.json");
  writeFileSync(planFile, JSON.stringify(p));
  // Its own session, as bin/takitini starts it (setsid): terminal signals reach only the supervisor.
  const supervisor = spawn(process.execPath, [CLI, "run", "--plan", planFile], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  supervisor.stdout!.on("data", (b: Buffer) => (output += b.toString()));
  supervisor.stderr!.on("data", (b: Buffer) => (output += b.toString()));
  const closed = new Promise<void>((r) => supervisor.once("close", () => r()));
  return {
    dir,
    token,
    statusFile: p.statusFile,
    supervisor,
    output: () => output,
    closed,
    status: () => {
      try {
        return JSON.parse(readFileSync(p.statusFile, "utf8")) as SupervisorStatus;
      } catch {
        return undefined;
      }
    },
  };
}

/** `stop`, run without blocking this process (which reads the supervisor's output meanwhile). */
function stopCli(statusFile: string): Promise<{ status: number | null; stderr: string }> {
  const p = spawn(process.execPath, [CLI, "stop", "--status", statusFile], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  p.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => p.once("close", (status) => resolve({ status, stderr })));
}

// Each case waits on real processes for up to 20–30 s (waitFor's deadlines): the default 5 s
// test timeout failed them on a loaded machine before their own deadlines could.
const CASE_TIMEOUT_MS = 60_000;

describe("supervisor (real child processes)", { timeout: CASE_TIMEOUT_MS }, () => {
  let run: Run;
  let steadyPort: number;
  let stubbornPort: number;
  const seenPids = new Set<number>();

  beforeAll(async () => {
    [steadyPort, stubbornPort] = (await freePorts(2)) as [number, number];
    run = startSupervisor("main", (dir, token) => ({
      services: [
        { name: "steady", command: process.execPath, args: [CHILD, token], env: { CHILD_MODE: "serve", CHILD_PORT: String(steadyPort) }, log: join(dir, "steady.log"), readyUrl: `http://127.0.0.1:${steadyPort}/readyz` },
        { name: "crasher", command: process.execPath, args: [CHILD, token], env: { CHILD_MODE: "crash", CHILD_CRASH_AFTER_MS: "50" }, log: join(dir, "crasher.log") },
        { name: "stubborn", command: process.execPath, args: [CHILD, token], env: { CHILD_MODE: "serve", CHILD_PORT: String(stubbornPort), CHILD_IGNORE_TERM: "1" }, log: join(dir, "stubborn.log"), readyUrl: `http://127.0.0.1:${stubbornPort}/readyz` },
      ],
      backoff: { initialMs: 200, factor: 2, maxMs: 1_600, stableMs: 60_000 },
      stopGraceMs: 1_000,
      statusFile: join(dir, "supervisor.json"),
      metricsPort: 0,
      logFile: join(dir, "supervisor.log"),
    }));
    await waitFor("steady and stubborn ready", () => {
      const s = run.status();
      return s?.services.steady?.state === "ready" && s.services.stubborn?.state === "ready" && s;
    });
  }, CASE_TIMEOUT_MS);

  afterAll(async () => {
    if (run.supervisor.pid !== undefined && isAlive(run.supervisor.pid)) process.kill(run.supervisor.pid, "SIGKILL");
    for (const pid of processesWith(run.token)) process.kill(pid, "SIGKILL");
    rmSync(run.dir, { recursive: true, force: true });
  });

  it("restarts a child killed with SIGKILL, which becomes ready again, and counts it", async () => {
    const before = run.status()!.services.steady!;
    expect(before.restarts).toBe(0);
    const pid = before.pid!;
    seenPids.add(pid);
    process.kill(pid, "SIGKILL");
    const after = await waitFor("steady restarted and ready", () => {
      const s = run.status()?.services.steady;
      return s && s.pid !== null && s.pid !== pid && s.state === "ready" && s;
    });
    seenPids.add(after.pid!);
    expect(after.restarts).toBe(1);
    expect(after.lastExit).toMatchObject({ code: null, signal: "SIGKILL" });
    expect(isAlive(pid)).toBe(false);
    const res = await fetch(`http://127.0.0.1:${steadyPort}/readyz`);
    expect(res.status).toBe(200);
    expect(run.output()).toMatch(/steady exited \(signal SIGKILL\) after [\d.]+ s; restarting in 0\.2 s \(restart 1, 1 in a row/);
    expect(run.output()).toMatch(/steady is ready again/);
    // Its output still goes to its log, a marker line at each start.
    const log = readFileSync(join(run.dir, "steady.log"), "utf8");
    expect(log.match(/--- takitini-supervisor: starting steady/g)).toHaveLength(2);
    expect(log.match(/child serve started/g)).toHaveLength(2);
  });

  it("backs off a child crashing in a loop: 0.2, 0.4, 0.8, 1.6, 1.6 s", async () => {
    await waitFor("five crasher restarts", () => (run.status()?.services.crasher?.restarts ?? 0) >= 5 && true, 30_000);
    const delays = [...run.output().matchAll(/crasher exited \(exit code 3\) after [\d.]+ s; restarting in ([\d.]+) s/g)].map((m) => Number(m[1]));
    expect(delays.slice(0, 5)).toEqual([0.2, 0.4, 0.8, 1.6, 1.6]);
    // Each start came no sooner than its delay after the previous start (the child lives ~50 ms).
    const starts = [...readFileSync(join(run.dir, "crasher.log"), "utf8").matchAll(/starting crasher(?: \(restart \d+\))? at (\S+) ---/g)].map((m) => Date.parse(m[1]!));
    for (let i = 1; i <= 4; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(delays[i - 1]! * 1000);
    const crasher = run.status()!.services.crasher!;
    expect(crasher.lastExit).toMatchObject({ code: 3, signal: null });
    expect(crasher.streak).toBe(crasher.restarts);
  });

  it("serves the restart counts as Prometheus metrics", async () => {
    const status = run.status()!;
    expect(status.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await (await fetch(status.metricsUrl!)).text();
    expect(text).toContain('takitini_supervisor_restarts_total{service="steady"} 1');
    expect(text).toContain('takitini_supervisor_restarts_total{service="stubborn"} 0');
    expect(text).toContain('takitini_supervisor_exits_total{service="steady",cause="signal:SIGKILL"} 1');
    expect(text).toContain('takitini_supervisor_service_ready{service="steady"} 1');
    const crasherRestarts = Number(/takitini_supervisor_restarts_total\{service="crasher"\} (\d+)/.exec(text)?.[1]);
    expect(crasherRestarts).toBeGreaterThanOrEqual(5);
  });

  it("stop ends every process: SIGTERM, SIGKILL for the one ignoring it, nothing left behind", async () => {
    const status = run.status()!;
    for (const s of Object.values(status.services)) if (s.pid !== null) seenPids.add(s.pid);
    expect(processesWith(run.token).length).toBeGreaterThanOrEqual(2);
    const r = await stopCli(run.statusFile);
    expect(r.status, r.stderr).toBe(0);
    await run.closed;
    for (const pid of seenPids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(processesWith(run.token)).toEqual([]);
    const final = run.status()!;
    expect(final.state).toBe("stopped");
    expect(Object.values(final.services).map((s) => s.state)).toEqual(["stopped", "stopped", "stopped"]);
    expect(run.output()).toMatch(/stubborn did not stop within 1\.0 s of SIGTERM; SIGKILL/);
    expect(readFileSync(join(run.dir, "steady.log"), "utf8")).toMatch(/child stopping on SIGTERM/);
    // The supervisor's own log file has the same lines as its stdout.
    expect(readFileSync(join(run.dir, "supervisor.log"), "utf8")).toMatch(/steady exited \(signal SIGKILL\)[^]*SIGTERM: stopping every service[^]*every service stopped/);
  });
});

describe("a supervisor killed with SIGKILL", { timeout: CASE_TIMEOUT_MS }, () => {
  it("leaves its services to `stop`, which ends them", async () => {
    const [port] = (await freePorts(1)) as [number];
    const run = startSupervisor("killed", (dir, token) => ({
      services: [{ name: "orphan", command: process.execPath, args: [CHILD, token], env: { CHILD_MODE: "serve", CHILD_PORT: String(port) }, log: join(dir, "orphan.log"), readyUrl: `http://127.0.0.1:${port}/readyz` }],
      statusFile: join(dir, "supervisor.json"),
    }));
    try {
      const child = await waitFor("orphan ready", () => {
        const s = run.status()?.services.orphan;
        return s?.state === "ready" && s.pid;
      });
      process.kill(run.supervisor.pid!, "SIGKILL");
      expect(await waitForExit(run.supervisor.pid!, 5_000)).toBe(true);
      expect(isAlive(child)).toBe(true);
      const r = await stopCli(run.statusFile);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/orphan \(pid \d+\) outlived its supervisor; stopping it/);
      expect(isAlive(child)).toBe(false);
      expect(processesWith(run.token)).toEqual([]);
    } finally {
      for (const pid of processesWith(run.token)) process.kill(pid, "SIGKILL");
      rmSync(run.dir, { recursive: true, force: true });
    }
  });
});
