#!/usr/bin/env node
/**
 * npm run audit:migrate -- --database-url <owner's postgres://…> --grant <service role> [--schema <name>]
 *
 * Least privilege, as a separate step: connects as the ledger's owner role,
 * creates the schema if missing, applies the migrations not yet applied, and
 * grants the service's role INSERT and SELECT on the ledger's tables and
 * nothing else (src/ledger/privileges.ts). Run it before starting a new version
 * of the service; the service itself then never holds the owner's credentials
 * (or let the service do the same at start with AUDIT_MIGRATION_DATABASE_URL).
 *
 * Exit codes: 0 done; 2 usage or database error.
 */
import { parseArgs } from "node:util";
import { migrateAndGrant, openDatabase } from "../ledger/index.js";

const USAGE = `usage: npm run audit:migrate -- --database-url <postgres://owner…> --grant <service role> [--schema <name>]

  --database-url <url>   the ledger's database, as the role that owns (or will own) its tables;
                         default $AUDIT_MIGRATION_DATABASE_URL
  --grant <role>         the role the audit service connects as: INSERT and SELECT only
  --schema <name>        the ledger's schema (default $DATABASE_SCHEMA, else public)`;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, options: { "database-url": { type: "string" }, grant: { type: "string" }, schema: { type: "string" }, help: { type: "boolean", short: "h" } } }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const url = v["database-url"] ?? env.AUDIT_MIGRATION_DATABASE_URL;
  const schema = v.schema ?? env.DATABASE_SCHEMA ?? "public";
  if (!url || !v.grant) {
    process.stderr.write(`${!url ? "--database-url" : "--grant"} is required\n${USAGE}\n`);
    return 2;
  }
  try {
    const owner = await openDatabase({ databaseUrl: url, schema, poolMax: 1 });
    try {
      const applied = await migrateAndGrant(owner.db, v.grant, schema);
      process.stdout.write(`${owner.location} schema ${schema}: ${applied.length > 0 ? `applied migrations ${applied.join(", ")}` : "migrations up to date"}; ${v.grant} may insert and select only\n`);
    } finally {
      await owner.close();
    }
    return 0;
  } catch (err) {
    process.stderr.write(`audit:migrate: ${(err as Error).message}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
