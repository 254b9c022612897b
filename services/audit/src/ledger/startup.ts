/**
 * The ledger's database at the service's start, under least privilege:
 *
 *  - AUDIT_MIGRATION_DATABASE_URL set: the owner's connection creates the schema,
 *    applies the migrations and grants the service's role (DATABASE_URL) insert
 *    and select, then is closed — the service runs on its own role alone;
 *  - otherwise the migrations must already be applied (`npm run audit:migrate`),
 *    or, in development only (TAKITINI_ENV=development), the service migrates
 *    with its own role as before;
 *  - then the service's role is checked (privileges.ts): a role that may do more
 *    than insert and select on the ledger's tables, or owns them, is refused
 *    outside development, naming what is wrong;
 *  - without DATABASE_URL the embedded PGlite has one role, which owns
 *    everything: single-user by construction, for development.
 */
import type { Logger } from "@takitini/runtime";
import { migrate, pendingMigrations } from "./migrate.js";
import { openDatabase, type OpenedDatabase } from "./pglite.js";
import { migrateAndGrant, privilegeProblems, roleFacts } from "./privileges.js";

export interface LedgerStartOptions {
  /** DATABASE_URL: the service role's connection. */
  databaseUrl?: string | undefined;
  /** AUDIT_MIGRATION_DATABASE_URL: the owner's, used only here to migrate and grant. */
  migrationUrl?: string | undefined;
  pgliteDir?: string | undefined;
  schema: string;
  /** TAKITINI_ENV=development: a role with too much is warned about, not refused; no migration URL and the service migrates itself. */
  development: boolean;
  onPoolError?: (err: Error) => void;
}

/** Why the service may not start on this database. */
export class LedgerStartError extends Error {
  constructor(
    readonly code: "AUDIT_ROLE_TOO_POWERFUL" | "LEDGER_NOT_MIGRATED" | "AUDIT_ROLE_IS_OWNER",
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
    this.name = "LedgerStartError";
  }
}

/** Open, migrate (as the owner, when given) and check the ledger's database. Migrations are done when it returns: open the Ledger with `migrate: false`. */
export async function openLedgerDatabase(o: LedgerStartOptions, logger: Logger): Promise<OpenedDatabase> {
  if (!o.databaseUrl) {
    const database = await openDatabase({ pgliteDir: o.pgliteDir, schema: o.schema });
    logger.warn({ code: "LEDGER_SINGLE_ROLE", database: "pglite" }, "embedded PGlite: one database role, which owns the ledger's tables (no least privilege; development only — set DATABASE_URL for a server)");
    await migrate(database.db);
    return database;
  }
  const ownerUrl = o.migrationUrl;
  // The owner first: it creates the schema the service's role may not.
  const owner = ownerUrl ? await openDatabase({ databaseUrl: ownerUrl, schema: o.schema, poolMax: 1, ...(o.onPoolError ? { onPoolError: o.onPoolError } : {}) }) : undefined;
  let database: OpenedDatabase | undefined;
  try {
    database = await openDatabase({ databaseUrl: o.databaseUrl, schema: o.schema, createSchema: owner === undefined && o.development, ...(o.onPoolError ? { onPoolError: o.onPoolError } : {}) });
    const role = (await database.db.query<{ role: string }>("select current_user as role")).rows[0]!.role;
    if (owner) {
      const ownerRole = (await owner.db.query<{ role: string }>("select current_user as role")).rows[0]!.role;
      if (ownerRole === role) throw new LedgerStartError("AUDIT_ROLE_IS_OWNER", `DATABASE_URL and AUDIT_MIGRATION_DATABASE_URL both connect as ${role}: the service needs a role of its own`);
      const applied = await migrateAndGrant(owner.db, role, o.schema);
      logger.info({ code: "LEDGER_MIGRATED", applied, owner: ownerRole, role, schema: o.schema }, "ledger migrated by its owner; the service role may insert and select only");
      await owner.close();
    } else if (o.development) {
      await migrate(database.db);
    } else {
      const pending = await pendingMigrations(database.db);
      if (pending.length > 0) {
        throw new LedgerStartError("LEDGER_NOT_MIGRATED", `the ledger in schema ${o.schema} lacks migrations ${pending.join(", ")}: run npm run audit:migrate as its owner, or set AUDIT_MIGRATION_DATABASE_URL`);
      }
    }
    const problems = privilegeProblems(await roleFacts(database.db));
    if (problems.length > 0) {
      if (!o.development) {
        throw new LedgerStartError("AUDIT_ROLE_TOO_POWERFUL", `the service's database role may do more than insert and select on the ledger: ${problems.join("; ")}`, problems);
      }
      logger.warn({ code: "AUDIT_ROLE_TOO_POWERFUL", problems }, "the service's database role may do more than insert and select on the ledger (allowed in development only)");
    }
    return database;
  } catch (err) {
    await database?.close().catch(() => undefined);
    throw err;
  } finally {
    await owner?.close().catch(() => undefined);
  }
}
