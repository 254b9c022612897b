/**
 * Schema migrations: the numbered SQL files in ./migrations, applied in order,
 * each once, in one transaction under an advisory lock (so concurrent starters
 * wait rather than race). Everything lives in the connection's current schema.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { SqlDatabase, SqlSession } from "./sql.js";

export const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** `NNN_name.sql` files, ordered by version. Pure over a directory listing. */
export function parseMigrationNames(files: readonly string[]): { version: number; name: string; file: string }[] {
  const out = files
    .filter((f) => f.endsWith(".sql"))
    .map((file) => {
      const m = /^(\d{3,})_([a-z0-9_]+)\.sql$/.exec(file);
      if (!m) throw new Error(`migration file ${file} is not named NNN_name.sql`);
      return { version: Number(m[1]), name: m[2]!, file };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) if (out[i]!.version === out[i - 1]!.version) throw new Error(`two migrations numbered ${out[i]!.version}`);
  return out;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return parseMigrationNames(readdirSync(dir)).map((m) => ({ version: m.version, name: m.name, sql: readFileSync(`${dir}/${m.file}`, "utf8") }));
}

/** Apply the migrations not yet applied, then `after` (grants) in the same transaction and under the same lock; returns the versions applied now. */
export async function migrate(db: SqlDatabase, migrations: readonly Migration[] = loadMigrations(), after?: (tx: SqlSession) => Promise<void>): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(hashtext(current_schema() || '.ledger_migrations'))");
    await tx.query(
      "create table if not exists ledger_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())",
    );
    const done = new Set((await tx.query<{ version: number }>("select version from ledger_migrations")).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.query(m.sql);
      await tx.query("insert into ledger_migrations (version, name) values ($1, $2)", [m.version, m.name]);
      applied.push(m.version);
    }
    if (after) await after(tx);
    return applied;
  });
}

/** The versions not yet applied in the connection's schema (all of them if it holds no ledger). Reads only: for a role that may not migrate. */
export async function pendingMigrations(db: SqlSession, migrations: readonly Migration[] = loadMigrations()): Promise<number[]> {
  const { rows } = await db.query<{ exists: boolean }>("select to_regclass('ledger_migrations') is not null as exists");
  const done = rows[0]?.exists ? new Set((await db.query<{ version: number }>("select version from ledger_migrations")).rows.map((r) => r.version)) : new Set<number>();
  return migrations.filter((m) => !done.has(m.version)).map((m) => m.version);
}
