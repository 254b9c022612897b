/**
 * The ledger writer's lock: a PostgreSQL session-level advisory lock held on a
 * connection of its own. The session holds it until it releases it or ends —
 * the process died, the connection broke, the server restarted — and then
 * PostgreSQL releases it by itself, so a standby polling with
 * pg_try_advisory_lock gets it.
 *
 * The lock is a pair of int4 keys: a fixed namespace and a hash of the ledger's
 * schema, so ledgers in different schemas of one database have writers of their
 * own (advisory locks are per database already).
 *
 * `fence(tx)` runs inside an append's transaction (after the ledger's append
 * lock is taken) and fails it unless this lock's session still holds the lock:
 * a writer whose lock session has gone cannot commit an ingested batch, even if
 * it has not yet noticed.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import type { SqlSession } from "../ledger/index.js";

/** "TAKI": the namespace key of Takitini's advisory locks. */
export const LOCK_NAMESPACE = 0x54414b49;

/** The lock's two int4 keys for the ledger in `schema`: both non-negative (pg_locks shows them as oids). Pure. */
export function writerLockKeys(schema: string): [number, number] {
  const h = createHash("sha256").update(`takitini.audit.ledger-writer/${schema}`).digest();
  return [LOCK_NAMESPACE, h.readUInt32BE(0) & 0x7fffffff];
}

/** An append attempted by an instance that does not hold the writer's lock. */
export class NotActiveWriterError extends Error {
  readonly code = "NOT_ACTIVE_WRITER";
  constructor(message: string) {
    super(message);
    this.name = "NotActiveWriterError";
  }
}

/** What the election needs of a lock. */
export interface WriterLock {
  /** Take the lock if free (connecting first if needed); false if another session holds it. Throws if the database cannot be reached. */
  tryAcquire(): Promise<boolean>;
  /** Whether this session still holds the lock; throws if the connection is gone. */
  check(): Promise<boolean>;
  /** Release the lock and close the connection (the lock goes with it). Never throws. */
  release(): Promise<void>;
  /** Fail `tx` unless this session holds the lock. */
  fence(tx: SqlSession): Promise<void>;
  /** Called once per connection when it breaks or ends while the lock may be held. */
  onLost?: (err: Error) => void;
}

export interface PgWriterLockOptions {
  url: string;
  schema: string;
  /** Longest wait for a connection or a statement on the lock's session. */
  timeoutMs: number;
}

/** The advisory lock on a dedicated node-postgres client. */
export class PgWriterLock implements WriterLock {
  private client: pg.Client | undefined;
  private pid: number | undefined;
  private held = false;
  readonly keys: [number, number];
  onLost?: (err: Error) => void;

  constructor(private readonly opts: PgWriterLockOptions) {
    this.keys = writerLockKeys(opts.schema);
  }

  /** The backend pid of the lock's session (for tests and logs). */
  get backendPid(): number | undefined {
    return this.pid;
  }

  private async session(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      connectionString: this.opts.url,
      application_name: "takitini-audit-writer-lock",
      connectionTimeoutMillis: this.opts.timeoutMs,
      query_timeout: this.opts.timeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
    });
    const lost = (err: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.pid = undefined;
      const wasHeld = this.held;
      this.held = false;
      client.end().catch(() => undefined);
      if (wasHeld) this.onLost?.(err);
    };
    client.on("error", lost);
    client.on("end", () => lost(new Error("the writer lock's connection ended")));
    try {
      await client.connect();
      const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
      this.pid = rows[0]!.pid;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    return client;
  }

  async tryAcquire(): Promise<boolean> {
    const client = await this.session();
    try {
      const { rows } = await client.query<{ ok: boolean }>("select pg_try_advisory_lock($1::int4, $2::int4) as ok", this.keys);
      this.held = rows[0]?.ok === true;
      return this.held;
    } catch (err) {
      await this.drop();
      throw err;
    }
  }

  async check(): Promise<boolean> {
    const client = this.client;
    if (!client || !this.held) return false;
    try {
      const { rows } = await client.query<{ ok: boolean }>(
        `select exists (select 1 from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())
           and classid = $1::int4::oid and objid = $2::int4::oid and objsubid = 2 and pid = pg_backend_pid() and granted) as ok`,
        this.keys,
      );
      return rows[0]?.ok === true;
    } catch (err) {
      await this.drop();
      throw err;
    }
  }

  async fence(tx: SqlSession): Promise<void> {
    const pid = this.pid;
    if (pid === undefined || !this.held) throw new NotActiveWriterError("this instance does not hold the ledger writer's lock");
    const { rows } = await tx.query<{ ok: boolean }>(
      `select exists (select 1 from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())
         and classid = $1::int4::oid and objid = $2::int4::oid and objsubid = 2 and pid = $3 and granted) as ok`,
      [...this.keys, pid],
    );
    if (rows[0]?.ok !== true) throw new NotActiveWriterError(`the ledger writer's lock is no longer held by session ${pid}`);
  }

  async release(): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (this.held) await client.query("select pg_advisory_unlock($1::int4, $2::int4)", this.keys).catch(() => undefined);
    this.held = false;
    await this.drop();
  }

  /** Close the session without calling onLost (the caller knows). */
  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.pid = undefined;
    this.held = false;
    await client?.end().catch(() => undefined);
  }
}

/**
 * The embedded database (PGlite) is one process's by construction — openPglite
 * locks its data directory — so that process is always the writer.
 */
export function soleWriterLock(): WriterLock {
  return {
    tryAcquire: async () => true,
    check: async () => true,
    release: async () => undefined,
    fence: async () => undefined,
  };
}
