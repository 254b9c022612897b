/**
 * The little the ledger needs from a SQL database: parameterised queries and
 * transactions. `pgDatabase` adapts a node-postgres Pool; an embedded database
 * (PGlite) can be adapted the same way, running the same SQL.
 */
import type pg from "pg";

export interface SqlResult<R> {
  rows: R[];
  rowCount: number | null;
}

export interface SqlSession {
  query<R extends object = Record<string, unknown>>(text: string, params?: unknown[]): Promise<SqlResult<R>>;
}

export interface SqlDatabase extends SqlSession {
  /** Run `fn` in one transaction on one connection: COMMIT if it resolves, ROLLBACK if it throws. */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
}

export function pgDatabase(pool: pg.Pool): SqlDatabase {
  const session = (c: pg.Pool | pg.PoolClient): SqlSession => ({
    async query<R extends object>(text: string, params: unknown[] = []) {
      const r = await c.query(text, params);
      return { rows: r.rows as R[], rowCount: r.rowCount };
    },
  });
  return {
    ...session(pool),
    async transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // A checked-out client has no listener of the pool's: a connection error that
      // arrives between statements (the server shutting down or restarting, a
      // terminated backend) would be an uncaught exception. It is kept here instead;
      // the next statement fails, the transaction rejects, and the client is discarded.
      let lost: Error | undefined;
      const onError = (err: Error) => {
        lost ??= err;
      };
      client.on("error", onError);
      try {
        await client.query("begin");
        const out = await fn(session(client));
        await client.query("commit");
        return out;
      } catch (err) {
        if (!lost) await client.query("rollback").catch((e: Error) => void (lost ??= e));
        throw err;
      } finally {
        client.off("error", onError);
        client.release(lost);
      }
    },
  };
}
