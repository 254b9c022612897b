import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const HAVE_PROC = existsSync("/proc/self/stat");

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Whether `pid` is a live process. A zombie (exited but not yet reaped — which
 * happens to a detached broker whose adopting parent does not reap) counts as gone.
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  if (!HAVE_PROC) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.charAt(stat.lastIndexOf(")") + 2);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The command line of `pid`, or undefined if it cannot be read. */
export function commandLine(pid: number): string | undefined {
  if (HAVE_PROC) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      return undefined;
    }
  }
  const r = spawnSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export interface StopResult {
  /** `not-running`: nothing to stop; `exited`: stopped after SIGTERM; `killed`: needed SIGKILL. */
  outcome: "not-running" | "exited" | "killed";
  ms: number;
}

/** SIGTERM (Kafka shuts down cleanly), wait up to `graceMs`, then SIGKILL. Throws if it still lives. */
export async function stopProcess(pid: number, graceMs = 30_000): Promise<StopResult> {
  const t0 = Date.now();
  if (!isAlive(pid)) return { outcome: "not-running", ms: 0 };
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return { outcome: "exited", ms: Date.now() - t0 };
  }
  if (await waitForExit(pid, graceMs)) return { outcome: "exited", ms: Date.now() - t0 };
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* gone in between */
  }
  if (await waitForExit(pid, 10_000)) return { outcome: "killed", ms: Date.now() - t0 };
  throw new Error(`process ${pid} is still alive after SIGTERM and SIGKILL`);
}

/** Resolve true once `pid` is gone, false after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

// Runs as `node -e WATCHDOG owner target graceMs`: when `owner` dies without
// having stopped `target`, SIGTERM it, then SIGKILL after the grace period.
const WATCHDOG = `
const [owner, target, grace] = process.argv.slice(1).map(Number);
const fs = require("node:fs");
const alive = (p) => {
  try { process.kill(p, 0); } catch (e) { return e.code === "EPERM"; }
  try { const s = fs.readFileSync("/proc/" + p + "/stat", "utf8"); const c = s.charAt(s.lastIndexOf(")") + 2); return c !== "Z" && c !== "X"; } catch { return !fs.existsSync("/proc/self/stat"); }
};
const poll = setInterval(() => {
  if (!alive(target)) process.exit(0);
  if (alive(owner)) return;
  clearInterval(poll);
  try { process.kill(target, "SIGTERM"); } catch {}
  const deadline = Date.now() + grace;
  setInterval(() => {
    if (!alive(target)) process.exit(0);
    if (Date.now() > deadline) { try { process.kill(target, "SIGKILL"); } catch {} process.exit(0); }
  }, 200);
}, 1000);
`;

/**
 * Start a tiny detached watchdog that stops `target` if this process dies
 * without stopping it (a crashed or killed test run must not leave a broker
 * behind). It exits by itself once `target` is gone.
 */
export function startWatchdog(target: number, graceMs = 20_000, owner = process.pid): number | undefined {
  const child = spawn(process.execPath, ["-e", WATCHDOG, String(owner), String(target), String(graceMs)], {
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  return child.pid;
}
