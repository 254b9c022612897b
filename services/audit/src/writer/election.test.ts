/**
 * The election's transitions with an in-memory lock (one holder at a time, like
 * an advisory lock); writer.integration.test.ts runs it on PostgreSQL.
 */
import { createLogger, createMetricsRegistry, type Registry } from "@takitini/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { WriterElection } from "./election.js";
import type { WriterLock } from "./lock.js";

const logger = createLogger("audit-test", "silent");

/** Locks on one shared slot; `fail` makes the database unreachable for that lock. */
function memoryLocks() {
  let holder: object | undefined;
  const make = () => {
    const lock: WriterLock & { fail: boolean; lose(): void } = {
      fail: false,
      tryAcquire: async () => {
        if (lock.fail) throw new Error("ECONNREFUSED");
        if (holder === undefined || holder === lock) holder = lock;
        return holder === lock;
      },
      check: async () => {
        if (lock.fail) throw new Error("ECONNREFUSED");
        return holder === lock;
      },
      release: async () => {
        if (holder === lock) holder = undefined;
      },
      fence: async () => undefined,
      lose() {
        // The session ended: the server released the lock, and the client hears of it.
        if (holder === lock) holder = undefined;
        lock.onLost?.(new Error("connection terminated"));
      },
    };
    return lock;
  };
  return { make, holder: () => holder };
}

interface Instance {
  election: WriterElection;
  lock: ReturnType<ReturnType<typeof memoryLocks>["make"]>;
  events: string[];
  metrics: Registry;
}

const started: WriterElection[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.stop()));
});

function instance(locks: ReturnType<typeof memoryLocks>, opts: { failStart?: () => boolean } = {}): Instance {
  const lock = locks.make();
  const events: string[] = [];
  const metrics = createMetricsRegistry("audit-test");
  const election = new WriterElection(lock, {
    pollMs: 20,
    logger,
    metrics,
    onActive: async () => {
      events.push("active");
      if (opts.failStart?.()) throw new Error("cannot start");
    },
    onStandby: async (reason) => void events.push(`standby: ${reason}`),
  });
  started.push(election);
  return { election, lock, events, metrics };
}

async function activeInstance(locks: ReturnType<typeof memoryLocks>): Promise<Instance> {
  const a = instance(locks);
  a.election.start();
  await until(() => a.election.role === "active");
  return a;
}

const metric = async (m: Registry, name: string) => (await m.getSingleMetric(name)!.get()).values.reduce((n, v) => n + v.value, 0);
const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("WriterElection", () => {
  it("makes one instance active and keeps the other standing by", async () => {
    const locks = memoryLocks();
    const a = await activeInstance(locks);
    const b = instance(locks);
    b.election.start();
    await new Promise((r) => setTimeout(r, 100));
    expect([a.election.role, b.election.role]).toEqual(["active", "standby"]);
    expect(b.events).toEqual([]);
    expect(await metric(a.metrics, "audit_writer_active")).toBe(1);
    expect(await metric(b.metrics, "audit_writer_active")).toBe(0);
    expect(await metric(a.metrics, "audit_writer_takeovers_total")).toBe(1);
    expect(b.election.lockHealthy(1000)).toBe(true);
  });

  it("stops writing at once when the lock's connection is lost, and the standby takes over", async () => {
    const locks = memoryLocks();
    const a = await activeInstance(locks);
    const b = instance(locks);
    b.election.start();
    await b.election.settled();
    // a stood down waits two polls before trying again: b, the standby, takes it.
    a.lock.lose();
    await a.election.settled();
    expect(a.election.role).toBe("standby");
    expect(a.events).toEqual(["active", expect.stringMatching(/^standby: the writer lock's connection was lost/)]);
    await until(() => b.election.role === "active");
    expect(b.events).toEqual(["active"]);
    expect(await metric(b.metrics, "audit_writer_takeovers_total")).toBe(1);
    expect(await metric(a.metrics, "audit_writer_lock_lost_total")).toBe(1);
    expect(await metric(a.metrics, "audit_writer_active")).toBe(0);
    // a stands by again once its holdoff is over.
    await new Promise((r) => setTimeout(r, 100));
    expect(a.election.role).toBe("standby");
    expect(a.election.lockHealthy(50)).toBe(true);
    // A standby that cannot reach the database is not a healthy one once its last answer is old.
    a.lock.fail = true;
    await new Promise((r) => setTimeout(r, 100));
    expect(a.election.lockHealthy(50)).toBe(false);
  });

  it("steps down when a check finds the lock gone or cannot be made", async () => {
    const locks = memoryLocks();
    const a = await activeInstance(locks);
    a.lock.fail = true;
    await until(() => a.election.role === "standby");
    expect(a.events[1]).toMatch(/^standby: the writer lock could not be checked/);
    expect(locks.holder()).toBeUndefined();
  });

  it("gives the lock back when it cannot start writing, and tries again later", async () => {
    const locks = memoryLocks();
    let failures = 2;
    const a = instance(locks, { failStart: () => failures-- > 0 });
    a.election.start();
    await until(() => a.events.filter((e) => e === "active").length === 3 && a.election.role === "active");
    expect(a.events.filter((e) => e.startsWith("standby: starting to write failed"))).toHaveLength(2);
  });

  it("on stop, finalises while holding the lock and then releases it", async () => {
    const locks = memoryLocks();
    const a = await activeInstance(locks);
    let heldWhileFinalising = false;
    await a.election.stop(async () => void (heldWhileFinalising = locks.holder() === a.lock));
    expect(heldWhileFinalising).toBe(true);
    expect(locks.holder()).toBeUndefined();
    expect(a.election.role).toBe("stopped");
  });
});
