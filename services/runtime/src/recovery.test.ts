import { describe, expect, it } from "vitest";
import { backoffDelay, bounded, isConsuming, unreadyStep, watchUnready } from "./recovery.js";

describe("backoffDelay", () => {
  const b = { baseMs: 1000, maxMs: 30_000 };
  it("doubles per restart up to the maximum, with no jitter at random() = 1", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((a) => backoffDelay(a, b, () => 1))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });
  it("jitters down by at most a half", () => {
    expect(backoffDelay(1, b, () => 0)).toBe(1000);
    expect(backoffDelay(1, b, () => 0.5)).toBe(1500);
  });
  it("treats a negative attempt as the first and never returns 0", () => {
    expect(backoffDelay(-1, b, () => 1)).toBe(1000);
    expect(backoffDelay(0, { baseMs: 1, maxMs: 1 }, () => 0)).toBe(1);
  });
});

describe("isConsuming", () => {
  const facts = { running: true, joined: true, lastProgressAt: 10_000 };
  it("is consuming when in the group and fetched within the stall window", () => {
    expect(isConsuming(facts, 10_000, 20_000)).toBe(true);
    expect(isConsuming(facts, 30_000, 20_000)).toBe(true);
  });
  it("is not once no fetch completed for longer than the stall window (a broker that went away)", () => {
    expect(isConsuming(facts, 30_001, 20_000)).toBe(false);
  });
  it("is not when out of the group (crashed, restarting) or stopped, however recent the last fetch", () => {
    expect(isConsuming({ ...facts, joined: false }, 10_000, 20_000)).toBe(false);
    expect(isConsuming({ ...facts, running: false }, 10_000, 20_000)).toBe(false);
  });
  it("is not before anything was ever fetched", () => {
    expect(isConsuming({ running: true, joined: true, lastProgressAt: 0 }, 10 ** 12, 20_000)).toBe(false);
  });
});

describe("unreadyStep", () => {
  it("starts the clock at the first not-ready sample and gives up at the bound", () => {
    let s = unreadyStep({ since: undefined }, false, 1000, 5000);
    expect(s).toEqual({ clock: { since: 1000 }, giveUp: false, unreadyMs: 0 });
    s = unreadyStep(s.clock, false, 5999, 5000);
    expect(s.giveUp).toBe(false);
    s = unreadyStep(s.clock, false, 6000, 5000);
    expect(s).toEqual({ clock: { since: 1000 }, giveUp: true, unreadyMs: 5000 });
  });
  it("stops the clock when ready again, so a later outage starts from zero", () => {
    const s = unreadyStep({ since: 1000 }, true, 9000, 5000);
    expect(s).toEqual({ clock: { since: undefined }, giveUp: false, unreadyMs: 0 });
    expect(unreadyStep(s.clock, false, 9500, 5000).giveUp).toBe(false);
  });
  it("never gives up with a bound of 0", () => {
    expect(unreadyStep({ since: 0 }, false, 10 ** 9, 0).giveUp).toBe(false);
  });
});

describe("bounded", () => {
  it("settles with the promise, swallowing its error", async () => {
    await expect(bounded(Promise.reject(new Error("broker away")), 10_000)).resolves.toBeUndefined();
  });
  it("gives up on a promise that never settles", async () => {
    const t0 = Date.now();
    await bounded(new Promise(() => undefined), 50);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
  });
});

describe("watchUnready", () => {
  it("gives up once, after the bound, with how long it was not ready", async () => {
    const calls: number[] = [];
    watchUnready({ maxMs: 30, intervalMs: 5, ready: () => false, giveUp: (ms) => void calls.push(ms) });
    await new Promise((r) => setTimeout(r, 120));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeGreaterThanOrEqual(30);
  });
  it("never gives up while ready, and stops when asked", async () => {
    let giveUps = 0;
    let samples = 0;
    const stop = watchUnready({ maxMs: 10, intervalMs: 5, ready: async () => (samples++, true), giveUp: () => void giveUps++ });
    await new Promise((r) => setTimeout(r, 60));
    stop();
    const seen = samples;
    await new Promise((r) => setTimeout(r, 30));
    expect(giveUps).toBe(0);
    expect(seen).toBeGreaterThan(0);
    expect(samples).toBe(seen);
  });
  it("schedules nothing with a bound of 0", async () => {
    let samples = 0;
    watchUnready({ maxMs: 0, intervalMs: 1, ready: () => (samples++, false), giveUp: () => undefined });
    await new Promise((r) => setTimeout(r, 20));
    expect(samples).toBe(0);
  });
});
