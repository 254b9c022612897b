import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF, decideRestart, describeExit, isFailure, type BackoffPolicy, type ExitFacts } from "./backoff.js";

const policy: BackoffPolicy = { ...DEFAULT_BACKOFF, initialMs: 500, factor: 2, maxMs: 30_000, stableMs: 60_000, restart: "on-failure" };
const exit = (facts: Partial<ExitFacts>): ExitFacts => ({ code: 1, signal: null, upMs: 1_000, stopping: false, streak: 0, ...facts });

describe("backoffDelay", () => {
  it("doubles from 0.5 s and stops at 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(policy, n))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
  it("stays at the cap for a very long streak", () => {
    expect(backoffDelay(policy, 10_000)).toBe(30_000);
  });
  it("treats an attempt below 1 as the first", () => {
    expect(backoffDelay(policy, 0)).toBe(500);
  });
});

describe("decideRestart", () => {
  it("restarts a process killed by SIGKILL after the initial delay", () => {
    expect(decideRestart(policy, exit({ code: null, signal: "SIGKILL" }))).toEqual({ restart: true, delayMs: 500, streak: 1 });
  });
  it("restarts a non-zero exit", () => {
    expect(decideRestart(policy, exit({ code: 3 }))).toEqual({ restart: true, delayMs: 500, streak: 1 });
  });
  it("backs off a process crashing in a loop", () => {
    let streak = 0;
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const d = decideRestart(policy, exit({ code: 1, upMs: 200, streak }));
      if (!d.restart) throw new Error("expected a restart");
      delays.push(d.delayMs);
      streak = d.streak;
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
  it("forgets the streak once the process stayed up for stableMs", () => {
    expect(decideRestart(policy, exit({ streak: 6, upMs: 60_000 }))).toEqual({ restart: true, delayMs: 500, streak: 1 });
    expect(decideRestart(policy, exit({ streak: 6, upMs: 59_999 }))).toEqual({ restart: true, delayMs: 30_000, streak: 7 });
  });
  it("never restarts what the supervisor is stopping, however it ended", () => {
    expect(decideRestart(policy, exit({ stopping: true, code: null, signal: "SIGKILL" }))).toEqual({ restart: false, reason: "stopping" });
    expect(decideRestart({ ...policy, restart: "always" }, exit({ stopping: true, code: 0 }))).toEqual({ restart: false, reason: "stopping" });
  });
  it("leaves a clean exit alone on-failure, restarts it with always", () => {
    expect(decideRestart(policy, exit({ code: 0 }))).toEqual({ restart: false, reason: "clean-exit" });
    expect(decideRestart({ ...policy, restart: "always" }, exit({ code: 0 }))).toEqual({ restart: true, delayMs: 500, streak: 1 });
  });
  it("counts a SIGTERM from someone else as a failure", () => {
    expect(decideRestart(policy, exit({ code: null, signal: "SIGTERM" })).restart).toBe(true);
  });
});

describe("isFailure and describeExit", () => {
  it("classifies exits", () => {
    expect(isFailure({ code: 0, signal: null })).toBe(false);
    expect(isFailure({ code: 2, signal: null })).toBe(true);
    expect(isFailure({ code: null, signal: "SIGSEGV" })).toBe(true);
  });
  it("names the code or the signal", () => {
    expect(describeExit({ code: 3, signal: null })).toBe("exit code 3");
    expect(describeExit({ code: null, signal: "SIGKILL" })).toBe("signal SIGKILL");
  });
});
