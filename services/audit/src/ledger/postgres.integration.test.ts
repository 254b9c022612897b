/** The server the global setup provided is real and reachable, and (when started locally) confined to loopback. */
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";

const pool = new pg.Pool({ connectionString: inject("databaseUrl"), max: 2 });
afterAll(() => pool.end());

describe("the provided PostgreSQL server", () => {
  it("answers select 1", async () => {
    const { rows } = await pool.query("select 1 as one");
    expect(rows).toEqual([{ one: 1 }]);
  });

  it("is a PostgreSQL server of version 13 or later", async () => {
    const { rows } = await pool.query<{ v: string }>("select current_setting('server_version_num') as v");
    expect(Number(rows[0]!.v)).toBeGreaterThanOrEqual(130000);
  });

  it("listens on 127.0.0.1 only when started by the launcher", async () => {
    if (inject("postgresMode") !== "local") {
      expect(inject("postgresMode")).toBe("external");
      return;
    }
    const { rows } = await pool.query<{ a: string }>("select current_setting('listen_addresses') as a");
    expect(rows[0]!.a).toBe("127.0.0.1");
  });
});
