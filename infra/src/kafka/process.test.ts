import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePorts, isPortFree } from "./ports.js";
import { isAlive, startWatchdog, stopProcess, waitForExit } from "./process.js";

describe("ports", () => {
  it("picks distinct free ports and sees a bound one as taken", async () => {
    const [a, b] = await freePorts(2);
    expect(a).not.toBe(b);
    expect(await isPortFree(a!)).toBe(true);
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(a, "127.0.0.1", r));
    try {
      expect(await isPortFree(a!)).toBe(false);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});

describe("processes", () => {
  it("knows which processes are alive", () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(999999999)).toBe(false);
    expect(isAlive(0)).toBe(false);
  });

  it("stops a process with SIGTERM", async () => {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    await new Promise((r) => child.once("spawn", r));
    expect(await stopProcess(child.pid!)).toMatchObject({ outcome: "exited" });
    expect(isAlive(child.pid!)).toBe(false);
    expect(await stopProcess(child.pid!)).toMatchObject({ outcome: "not-running" });
  });

  it("SIGKILLs a process that ignores SIGTERM", async () => {
    const child = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready')"], { stdio: ["ignore", "pipe", "ignore"] });
    await new Promise((r) => child.stdout!.once("data", r));
    expect(await stopProcess(child.pid!, 300)).toMatchObject({ outcome: "killed" });
  });

  it("a watchdog stops the target once its owner dies", async () => {
    const owner = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const target = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    await Promise.all([new Promise((r) => owner.once("spawn", r)), new Promise((r) => target.once("spawn", r))]);
    startWatchdog(target.pid!, 2000, owner.pid!);
    await new Promise((r) => setTimeout(r, 1200));
    expect(isAlive(target.pid!)).toBe(true); // owner alive: left alone
    owner.kill("SIGKILL");
    expect(await waitForExit(target.pid!, 5000)).toBe(true);
  }, 10_000);
});
