/**
 * The supervisor: starts a plan's services, restarts one that fails with
 * exponential backoff (backoff.ts decides), logs and counts every restart, and
 * stops them all — SIGTERM, then SIGKILL after the grace period — in the reverse
 * of the start order. Its state is in a JSON status file rewritten at every
 * change, and, with a metrics port, in Prometheus metrics on 127.0.0.1.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";
import { Counter, Gauge, Registry } from "@takitini/runtime";
import { decideRestart, describeExit, type ExitStatus } from "./backoff.js";
import type { ServiceSpec, SupervisorPlan } from "./plan.js";

export type ServiceState = "starting" | "ready" | "backoff" | "stopping" | "stopped" | "exited";

export interface ServiceStatus {
  pid: number | null;
  /** `starting`: running, not yet ready; `ready`: answered its ready URL since this start (or has none);
   *  `backoff`: failed, restart pending; `exited`: exited cleanly, not restarted; `stopped`: stopped by the supervisor. */
  state: ServiceState;
  /** Restarts since the supervisor started. */
  restarts: number;
  /** Restarts in a row without the service staying up for the backoff's `stableMs`. */
  streak: number;
  startedAt: string | null;
  readyAt: string | null;
  lastExit: { code: number | null; signal: string | null; at: string; upMs: number } | null;
  /** When a pending restart is due. */
  nextStartAt: string | null;
  log: string;
  /** The command line it runs (as /proc/<pid>/cmdline shows it, space-joined). */
  command: string;
}

export interface SupervisorStatus {
  pid: number;
  state: "running" | "stopping" | "stopped";
  startedAt: string;
  /** Prometheus metrics, when the plan has a metrics port. */
  metricsUrl: string | null;
  services: Record<string, ServiceStatus>;
}

interface Slot {
  spec: ServiceSpec;
  child: ChildProcess | undefined;
  status: ServiceStatus;
  startedMs: number;
  timer: NodeJS.Timeout | undefined;
  /** Resolves when the current process has exited (undefined when none runs). */
  exited: Promise<void> | undefined;
}

const READY_POLL_MS = 500;
const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export interface SupervisorOptions {
  /** Each log line (default: stdout, and the plan's log file). */
  log?: (line: string) => void;
}

export class Supervisor {
  private readonly slots: Slot[];
  private readonly registry = new Registry();
  private readonly restartsTotal: Counter<"service">;
  private readonly exitsTotal: Counter<"service" | "cause">;
  private server: Server | undefined;
  private metricsUrl: string | null = null;
  private state: SupervisorStatus["state"] = "running";
  private readonly startedAt = Date.now();
  private readonly writeLog: (line: string) => void;

  constructor(private readonly plan: SupervisorPlan, options: SupervisorOptions = {}) {
    this.slots = plan.services.map((spec) => ({
      spec,
      child: undefined,
      timer: undefined,
      exited: undefined,
      startedMs: 0,
      status: { pid: null, state: "stopped", restarts: 0, streak: 0, startedAt: null, readyAt: null, lastExit: null, nextStartAt: null, log: spec.log, command: [spec.command, ...spec.args].join(" ") },
    }));
    this.writeLog = options.log ?? defaultLog(plan.logFile);
    const labels = { registers: [this.registry] };
    this.restartsTotal = new Counter({ name: "takitini_supervisor_restarts_total", help: "Restarts of a service after it failed (non-zero exit or a signal)", labelNames: ["service"], ...labels });
    this.exitsTotal = new Counter({ name: "takitini_supervisor_exits_total", help: "Exits of a service the supervisor did not ask for, by cause (code:<n> or signal:<name>)", labelNames: ["service", "cause"], ...labels });
    const gauge = (name: string, help: string, value: (s: Slot) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["service"],
        ...labels,
        collect: function (this: Gauge<"service">) {
          for (const slot of slots) this.set({ service: slot.spec.name }, value(slot));
        },
      });
    const slots = this.slots;
    gauge("takitini_supervisor_service_up", "1 while the service's process runs", (s) => (s.child ? 1 : 0));
    gauge("takitini_supervisor_service_ready", "1 once the service answered its ready URL since its last start", (s) => (s.status.state === "ready" ? 1 : 0));
    gauge("takitini_supervisor_restart_streak", "Restarts in a row without the service staying up", (s) => s.status.streak);
    for (const slot of this.slots) this.restartsTotal.inc({ service: slot.spec.name }, 0);
  }

  /** Open the metrics endpoint and start every service (in plan order); does not wait for readiness. */
  async start(): Promise<void> {
    if (this.plan.metricsPort !== undefined) await this.serveMetrics(this.plan.metricsPort);
    this.log(`supervising ${this.slots.map((s) => s.spec.name).join(", ")} (pid ${process.pid}; status ${this.plan.statusFile}${this.metricsUrl ? `; metrics ${this.metricsUrl}` : ""})`);
    for (const slot of this.slots) this.launch(slot);
    this.persist();
  }

  /** Stop every service in the reverse order: SIGTERM, SIGKILL after the grace period. */
  async stop(): Promise<void> {
    if (this.state !== "running") return;
    this.state = "stopping";
    this.persist();
    for (const slot of [...this.slots].reverse()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.status.nextStartAt = null;
      await this.stopSlot(slot);
    }
    this.state = "stopped";
    this.persist();
    this.log("every service stopped");
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  status(): SupervisorStatus {
    return {
      pid: process.pid,
      state: this.state,
      startedAt: iso(this.startedAt),
      metricsUrl: this.metricsUrl,
      services: Object.fromEntries(this.slots.map((s) => [s.spec.name, { ...s.status }])),
    };
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  private launch(slot: Slot): void {
    const { spec } = slot;
    mkdirSync(dirname(spec.log), { recursive: true });
    const fd = openSync(spec.log, "a");
    const now = Date.now();
    writeSync(fd, `--- takitini-supervisor: starting ${spec.name}${slot.status.restarts ? ` (restart ${slot.status.restarts})` : ""} at ${iso(now)} ---\n`);
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    slot.child = child;
    slot.startedMs = now;
    Object.assign(slot.status, { pid: child.pid ?? null, state: "starting", startedAt: iso(now), readyAt: null, nextStartAt: null });
    let done = false;
    slot.exited = new Promise<void>((resolve) => {
      const finish = (exit: ExitStatus) => {
        if (done) return;
        done = true;
        resolve();
        this.onExit(slot, child, exit);
      };
      child.once("exit", (code, signal) => finish({ code, signal }));
      // A spawn that fails (no such command) emits only `error`.
      child.once("error", (err) => {
        if (child.pid === undefined) {
          this.log(`${spec.name} could not be started: ${err.message}`);
          finish({ code: 127, signal: null });
        }
      });
    });
    if (slot.status.restarts > 0) this.log(`${spec.name} restarted (pid ${child.pid ?? "?"}, restart ${slot.status.restarts})`);
    void this.watchReady(slot, child);
  }

  private async watchReady(slot: Slot, child: ChildProcess): Promise<void> {
    const url = slot.spec.readyUrl;
    const current = () => slot.child === child && this.state === "running";
    while (url !== undefined && current()) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        if (res.ok) break;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
    if (!current()) return;
    slot.status.state = "ready";
    slot.status.readyAt = iso(Date.now());
    this.persist();
    if (url === undefined) return;
    const exit = slot.status.lastExit;
    if (slot.status.restarts > 0 && exit) this.log(`${slot.spec.name} is ready again (${seconds(Date.now() - Date.parse(exit.at))} after it exited)`);
    else this.log(`${slot.spec.name} is ready (pid ${child.pid ?? "?"})`);
  }

  private onExit(slot: Slot, child: ChildProcess, exit: ExitStatus): void {
    if (slot.child !== child) return;
    const now = Date.now();
    const upMs = now - slot.startedMs;
    slot.child = undefined;
    slot.exited = undefined;
    slot.status.pid = null;
    slot.status.lastExit = { code: exit.code, signal: exit.signal, at: iso(now), upMs };
    const stopping = this.state !== "running" || slot.status.state === "stopping";
    const decision = decideRestart(this.plan.backoff, { ...exit, upMs, stopping, streak: slot.status.streak });
    if (!decision.restart) {
      slot.status.state = decision.reason === "stopping" ? "stopped" : "exited";
      if (decision.reason === "clean-exit") {
        this.exitsTotal.inc({ service: slot.spec.name, cause: "code:0" });
        this.log(`${slot.spec.name} exited cleanly (${describeExit(exit)}) after ${seconds(upMs)}; not restarted`);
      }
      this.persist();
      return;
    }
    this.exitsTotal.inc({ service: slot.spec.name, cause: exit.signal !== null ? `signal:${exit.signal}` : `code:${exit.code}` });
    slot.status.streak = decision.streak;
    slot.status.restarts += 1;
    slot.status.state = "backoff";
    slot.status.nextStartAt = iso(now + decision.delayMs);
    this.restartsTotal.inc({ service: slot.spec.name });
    this.log(
      `${slot.spec.name} exited (${describeExit(exit)}) after ${seconds(upMs)}; restarting in ${seconds(decision.delayMs)} ` +
        `(restart ${slot.status.restarts}, ${decision.streak} in a row; log ${slot.spec.log})`,
    );
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (this.state === "running") this.launch(slot);
      this.persist();
    }, decision.delayMs);
    this.persist();
  }

  private async stopSlot(slot: Slot): Promise<void> {
    const child = slot.child;
    const exited = slot.exited;
    if (!child || !exited) {
      if (slot.status.state !== "exited") slot.status.state = "stopped";
      return;
    }
    slot.status.state = "stopping";
    this.persist();
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.plan.stopGraceMs)));
    const inTime = await Promise.race([exited.then(() => true), graceOver]);
    clearTimeout(timer);
    if (!inTime) {
      this.log(`${slot.spec.name} did not stop within ${seconds(this.plan.stopGraceMs)} of SIGTERM; SIGKILL`);
      child.kill("SIGKILL");
      await exited;
    }
    this.log(`${slot.spec.name} stopped`);
  }

  private async serveMetrics(port: number): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET" && path === "/metrics") {
        this.metrics().then(
          (body) => res.writeHead(200, { "content-type": this.registry.contentType }).end(body),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      } else if (req.method === "GET" && path === "/status") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(this.status()));
      } else if (req.method === "GET" && path === "/healthz") {
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.metricsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  }

  private persist(): void {
    const file = this.plan.statusFile;
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.status(), null, 2)}\n`);
    renameSync(tmp, file);
  }

  /** A line in the supervisor's log (stdout and its log file). */
  note(message: string): void {
    this.log(message);
  }

  private log(message: string): void {
    this.writeLog(`[supervisor] ${new Date().toISOString()} ${message}`);
  }
}

function defaultLog(file: string | undefined): (line: string) => void {
  let fd: number | undefined;
  if (file !== undefined) {
    mkdirSync(dirname(file), { recursive: true });
    fd = openSync(file, "a");
  }
  return (line) => {
    process.stdout.write(`${line}\n`);
    if (fd !== undefined) writeSync(fd, `${line}\n`);
  };
}
