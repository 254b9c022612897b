import { describe, expect, it } from "vitest";
import { isTransientDatabaseError } from "./recovery.js";

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
