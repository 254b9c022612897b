/**
 * The writer's lock on the real PostgreSQL server from the global setup: one
 * holder per schema, the fence, and the lock going with its session.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { pgDatabase } from "../ledger/index.js";
import { NotActiveWriterError, PgWriterLock } from "./lock.js";

const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const locks: PgWriterLock[] = [];
afterAll(async () => {
  await Promise.all(locks.map((l) => l.release()));
  await admin.end();
});

const lockOn = (schema: string) => {
  const l = new PgWriterLock({ url, schema, timeoutMs: 3000 });
  locks.push(l);
  return l;
};
const db = pgDatabase(admin);
const fenced = (l: PgWriterLock) => db.transaction((tx) => l.fence(tx));

describe("PgWriterLock", () => {
  it("has one holder per schema; the holder passes the fence, others are refused", async () => {
    const schema = `w_${randomBytes(5).toString("hex")}`;
    const a = lockOn(schema);
    const b = lockOn(schema);
    const other = lockOn(`${schema}_other`);
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    expect(await other.tryAcquire()).toBe(true);
    expect(await a.check()).toBe(true);
    expect(await b.check()).toBe(false);
    await expect(fenced(a)).resolves.toBeUndefined();
    await expect(fenced(b)).rejects.toBeInstanceOf(NotActiveWriterError);
    await a.release();
    expect(await b.tryAcquire()).toBe(true);
    await expect(fenced(a)).rejects.toMatchObject({ code: "NOT_ACTIVE_WRITER" });
    await expect(fenced(b)).resolves.toBeUndefined();
  });

  it("goes with its session: a terminated connection is reported at once and the lock is free for another", async () => {
    const schema = `w_${randomBytes(5).toString("hex")}`;
    const a = lockOn(schema);
    const b = lockOn(schema);
    expect(await a.tryAcquire()).toBe(true);
    const pid = a.backendPid!;
    // The fence is checked against the session's pid: keep a's view of it before the loss.
    const lost = new Promise<Error>((resolve) => (a.onLost = resolve));
    await admin.query("select pg_terminate_backend($1)", [pid]);
    expect((await lost).message).toMatch(/terminat|ended|Connection/i);
    expect(await b.tryAcquire()).toBe(true);
    await expect(fenced(a)).rejects.toBeInstanceOf(NotActiveWriterError);
    expect(await a.check()).toBe(false);
    // a can stand by again on a new session.
    expect(await a.tryAcquire()).toBe(false);
    expect(a.backendPid).not.toBe(pid);
  });
});
