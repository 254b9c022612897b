/**
 * The ledger's SQL on an embedded PostgreSQL (PGlite: PostgreSQL compiled to
 * WebAssembly, in-process), so `npm start` needs no database server. Same
 * schema, same migrations, same queries: PGlite runs the plpgsql triggers,
 * advisory locks and SELECT … FOR UPDATE like a server does.
 *
 * Rows come back as node-postgres returns them — bigint as a decimal string,
 * bytea as a Buffer — so the ledger reads both alike. Queries without
 * parameters go through the simple protocol (several statements allowed, as
 * with node-postgres); queries with parameters through the extended protocol.
 *
 * One process owns a data directory: PGlite is a single-user PostgreSQL, so
 * `openPglite` takes a lock file beside the data and refuses a directory
 * another live process holds. It has one session: statements queue, and a
 * transaction holds the session until it ends — inside `transaction(fn)`, use
 * only the `tx` it is given (a query on the database itself would wait for the
 * transaction, which waits for it). Session settings (`set search_path`) stay.
 *
 * `openDatabase` picks the store for the audit service: a node-postgres pool
 * when a database URL is given, else PGlite in a data directory.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PGlite, types, type Results, type Transaction } from "@electric-sql/pglite";
import pg from "pg";
import { pgDatabase, type SqlDatabase, type SqlResult, type SqlSession } from "./sql.js";

/** Where `npm start` keeps the embedded ledger when no DATABASE_URL is set. */
export const DEFAULT_PGLITE_DIR = join(homedir(), ".cache", "takitini", "audit-pglite");

/** Keep the in-memory database (tests): nothing is written to disk. */
export const IN_MEMORY = "memory://";

/** node-postgres's text forms for the types the ledger reads. */
const PARSERS = {
  [types.INT8]: (x: string) => x,
  [types.BYTEA]: (x: string) => Buffer.from(x.slice(2), "hex"), // text form `\x<hex>`
};

export interface PgliteDatabase extends SqlDatabase {
  /** The data directory, or `memory://`. */
  readonly dataDir: string;
  /** The embedded engine (for diagnostics; use the SqlDatabase methods for queries). */
  readonly pglite: PGlite;
  /** Close the engine (flushing it to disk) and release the directory. Idempotent. */
  close(): Promise<void>;
}

function toResult<R>(r: Results<R> | undefined): SqlResult<R> {
  if (!r) return { rows: [], rowCount: null };
  return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
}

function session(q: PGlite | Transaction): SqlSession {
  return {
    async query<R extends object>(text: string, params: unknown[] = []): Promise<SqlResult<R>> {
      if (params.length > 0) return toResult(await q.query<R>(text, params));
      // Like node-postgres without parameters: the simple protocol, which takes several statements.
      const all = await q.exec(text);
      return toResult(all.at(-1) as Results<R> | undefined);
    },
  };
}

/** Take `<dataDir>.lock` for this process; a lock whose process is gone is taken over. */
function lockDirectory(dataDir: string): () => void {
  const file = `${dataDir}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(readFileSync(file, "utf8").trim());
      if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new Error(`the embedded audit database ${dataDir} is in use by process ${holder} (${file})`);
      }
      if (holder === process.pid) throw new Error(`the embedded audit database ${dataDir} is already open in this process`);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Open (creating if need be) an embedded PostgreSQL in `dataDir` (default DEFAULT_PGLITE_DIR; `memory://` for none on disk). */
export async function openPglite(dataDir: string = DEFAULT_PGLITE_DIR): Promise<PgliteDatabase> {
  const inMemory = dataDir.startsWith("memory://");
  const dir = inMemory ? dataDir : resolve(dataDir);
  const unlock = inMemory ? () => undefined : lockDirectory(dir);
  let engine: PGlite;
  try {
    if (!inMemory) mkdirSync(dir, { recursive: true });
    engine = await PGlite.create(dir, { parsers: PARSERS });
  } catch (err) {
    unlock();
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    dataDir: dir,
    pglite: engine,
    ...session(engine),
    transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
      return engine.transaction((tx) => fn(session(tx)));
    },
    close() {
      closed ??= engine.close().finally(unlock);
      return closed;
    },
  };
}

export interface DatabaseConfig {
  /** A PostgreSQL URL (DATABASE_URL): when set, the ledger lives on that server. */
  databaseUrl?: string | undefined;
  /** Without a URL: the embedded database's directory (default DEFAULT_PGLITE_DIR; `memory://` keeps nothing). */
  pgliteDir?: string | undefined;
  /** The schema the ledger lives in (created if missing; default: the database's search_path, normally public). */
  schema?: string | undefined;
  /** Create the schema if missing (default true). False for a role that may not create (the service's, under least privilege): the owner's migration made it. */
  createSchema?: boolean | undefined;
  /** Connections in the pool to the server (default 8). */
  poolMax?: number | undefined;
  /** Longest wait for a new connection to the server (default 5 s). */
  connectTimeoutMs?: number | undefined;
  /** An idle pooled connection failed (the server restarted, say); the pool drops it and reconnects on the next query. Default: ignored. */
  onPoolError?: ((err: Error) => void) | undefined;
}

export interface OpenedDatabase {
  db: SqlDatabase;
  kind: "postgres" | "pglite";
  /** The server URL without its password, or the embedded database's directory. */
  location: string;
  close(): Promise<void>;
}

function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/**
 * The audit service's store: PostgreSQL at `databaseUrl` when it is set, else
 * the embedded PGlite in `pgliteDir`. Either runs the same migrations and
 * queries (Ledger.open migrates).
 */
export async function openDatabase(config: DatabaseConfig = {}): Promise<OpenedDatabase> {
  const schema = config.schema?.trim() || undefined;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`schema ${JSON.stringify(schema)} is not a lower-case SQL identifier`);
  const url = config.databaseUrl?.trim();
  if (url) {
    const pool = new pg.Pool({
      connectionString: url,
      max: config.poolMax ?? 8,
      application_name: "takitini-audit",
      // A server that went away must not hang a query or a checkout: fail, and the caller retries.
      connectionTimeoutMillis: config.connectTimeoutMs ?? 5000,
      keepAlive: true,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    pool.on("error", config.onPoolError ?? (() => undefined));
    try {
      if (schema && config.createSchema !== false) {
        // Two instances starting at once may both find it missing: the loser's unique violation means it exists now.
        await pool.query(`create schema if not exists "${schema}"`).catch((err: { code?: string }) => {
          if (err.code !== "23505" && err.code !== "42P06") throw err;
        });
      } else await pool.query("select 1");
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new Error(`cannot reach PostgreSQL at ${withoutPassword(url)}: ${(err as Error).message}`, { cause: err });
    }
    let ended: Promise<void> | undefined;
    return { db: pgDatabase(pool), kind: "postgres", location: withoutPassword(url), close: () => (ended ??= pool.end()) };
  }
  const db = await openPglite(config.pgliteDir?.trim() || DEFAULT_PGLITE_DIR);
  if (schema) {
    try {
      await db.query(`create schema if not exists "${schema}"; set search_path = "${schema}"`); // one session: it stays set
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return { db, kind: "pglite", location: db.dataDir, close: () => db.close() };
}
