import { describe, expect, it } from "vitest";
import { backoffDelay, isTransientDatabaseError, unreadyStep } from "./recovery.js";

describe("backoffDelay", () => {
  const b = { baseMs: 1000, maxMs: 30_000 };
  it("doubles per attempt up to the maximum, with no jitter at random() = 1", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((a) => backoffDelay(a, b, () => 1))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });
  it("jitters down by at most a half", () => {
    expect(backoffDelay(2, b, () => 0)).toBe(2000);
    expect(backoffDelay(2, b, () => 0.5)).toBe(3000);
  });
  it("treats a negative attempt as the first and never returns 0", () => {
    expect(backoffDelay(-3, b, () => 1)).toBe(1000);
    expect(backoffDelay(0, { baseMs: 1, maxMs: 1 }, () => 0)).toBe(1);
  });
});

describe("isTransientDatabaseError", () => {
  const pgError = (code: string, message = "x") => Object.assign(new Error(message), { code });
  it.each([
    ["connection refused", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
    ["connection reset", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })],
    ["server shut down (57P01)", pgError("57P01", "terminating connection due to administrator command")],
    ["server starting (57P03)", pgError("57P03", "the database system is starting up")],
    ["connection exception class 08", pgError("08006")],
    ["too many connections", pgError("53300")],
    ["serialization victim", pgError("40001")],
    ["deadlock victim", pgError("40P01")],
    ["node-postgres: connection lost", new Error("Connection terminated unexpectedly")],
    ["node-postgres: pool checkout timed out", new Error("timeout exceeded when trying to connect")],
    ["wrapped in a cause", new Error("append failed", { cause: pgError("57P01") })],
  ])("retries %s", (_name, err) => {
    expect(isTransientDatabaseError(err)).toBe(true);
  });

  it.each([
    ["a unique violation", pgError("23505", "duplicate key value violates unique constraint")],
    ["an append-only refusal", pgError("42501", "the audit ledger is append-only: UPDATE on ledger_leaves refused")],
    ["a corrupt ledger state", Object.assign(new Error("the stored nodes do not fold to the stored root"), { code: "STATE_CORRUPT" })],
    ["a fenced writer", Object.assign(new Error("the ledger writer's lock is no longer held"), { code: "NOT_ACTIVE_WRITER" })],
    ["a plain error", new Error("boom")],
    ["not an error", "ECONNREFUSED"],
    ["nothing", undefined],
  ])("does not retry %s", (_name, err) => {
    expect(isTransientDatabaseError(err)).toBe(false);
  });

  it("does not loop on a cause cycle", () => {
    const a = new Error("a") as Error & { cause?: unknown };
    a.cause = a;
    expect(isTransientDatabaseError(a)).toBe(false);
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
  it("stops the clock when ready again", () => {
    const s = unreadyStep({ since: 1000 }, true, 9000, 5000);
    expect(s).toEqual({ clock: { since: undefined }, giveUp: false, unreadyMs: 0 });
    expect(unreadyStep(s.clock, false, 9500, 5000).giveUp).toBe(false);
  });
  it("never gives up with a bound of 0", () => {
    expect(unreadyStep({ since: 0 }, false, 10 ** 9, 0).giveUp).toBe(false);
  });
});
