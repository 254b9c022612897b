/**
 * pgDatabase's transactions on real PostgreSQL when the server ends the session
 * (a fast shutdown or a restart sends every backend 57P01, "terminating
 * connection due to administrator command"). A checked-out node-postgres client
 * has no error listener of the pool's, so an error that arrives between two
 * statements was an uncaught exception that would end the audit process; now
 * the transaction rejects, the broken connection is discarded, and the pool goes on.
 */
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { pgDatabase } from "./sql.js";

const url = inject("databaseUrl");
const pool = new pg.Pool({ connectionString: url, max: 2 });
pool.on("error", () => undefined);
const other = new pg.Pool({ connectionString: url, max: 1 });
afterAll(async () => {
  await pool.end();
  await other.end();
});
const db = pgDatabase(pool);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a transaction whose session the server ends", () => {
  it("rejects instead of throwing from the socket, and the pool serves the next transaction on a new connection", async () => {
    let pid = 0;
    const outcome = db.transaction(async (tx) => {
      pid = (await tx.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
      await other.query("select pg_terminate_backend($1)", [pid]);
      await sleep(300); // the FATAL arrives while the client is idle inside the transaction
      await tx.query("select 1");
    });
    await expect(outcome).rejects.toThrow();
    const next = await db.transaction(async (tx) => (await tx.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid);
    expect(next).not.toBe(pid);
  });

  it("a session ended with no statement in flight after the transaction still leaves the pool working", async () => {
    const pid = await db.transaction(async (tx) => (await tx.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid);
    await other.query("select pg_terminate_backend($1)", [pid]); // now idle in the pool: the pool's own listener
    await sleep(300);
    const { rows } = await db.query<{ one: number }>("select 1 as one");
    expect(rows).toEqual([{ one: 1 }]);
  });
});
