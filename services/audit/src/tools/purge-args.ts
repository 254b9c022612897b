/**
 * The purge tools' arguments (pure): `audit:erase` (one subject, lawfully
 * erased) and `audit:purge` (every subject past retention). Bad input is a
 * stable code and the offending argument, and nothing is destroyed.
 */
import { parseArgs } from "node:util";
import { z } from "zod";

export const ERASE_USAGE = `usage: npm run audit:erase -- --database-url <postgres://owner…> --subject <id> --reason erasure --authority "<legal basis>" --by "<who>" [--schema <name>]

  --database-url <url>   the ledger's database as its OWNER role (the service's role may not delete keys);
                         default $AUDIT_MIGRATION_DATABASE_URL
  --subject <id>         the pseudonymous subject id to erase, e.g. police/person/P-20931
  --reason erasure       why (the only reason this tool takes; retention is audit:purge)
  --authority <text>     the authority or legal basis relied on, recorded in the purge record
  --by <text>            who asked for it and ran it, recorded in the purge record
  --schema <name>        the ledger's schema (default $DATABASE_SCHEMA, else public)

exit status: 0 erased; 1 failed part-way (run it again: it picks up where it stopped); 2 bad input or
no key held for the subject — nothing destroyed`;

export const PURGE_USAGE = `usage: npm run audit:purge -- --database-url <postgres://owner…> [--now <ISO time>] [--policy <file>] [--by <text>] [--dry-run] [--schema <name>]

  --database-url <url>   the ledger's database as its OWNER role; default $AUDIT_MIGRATION_DATABASE_URL
  --now <time>           judge retention as of this time (ISO 8601; default now)
  --policy <file>        the retention policy (default services/audit/retention.json)
  --by <text>            who ran it, recorded in the purge record (default "audit:purge")
  --dry-run              count the subjects due and destroy nothing
  --schema <name>        the ledger's schema (default $DATABASE_SCHEMA, else public)

exit status: 0 done (or nothing due); 1 failed part-way (run it again); 2 bad input — nothing destroyed`;

export interface ArgIssue {
  /** Stable: ARGUMENT_INVALID, ARGUMENT_MISSING. */
  code: "ARGUMENT_INVALID" | "ARGUMENT_MISSING";
  argument: string;
  message: string;
}

export type Parsed<T> = { ok: true; options: T } | { ok: false; issues: ArgIssue[] } | { ok: "help" };

/** A subject id as the oversight API takes it. */
export const SUBJECT_ID = /^[A-Za-z0-9._:/-]{1,200}$/;
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

const databaseUrl = z.string().refine((u) => {
  try {
    return ["postgres:", "postgresql:"].includes(new URL(u).protocol);
  } catch {
    return false;
  }
}, "expected a postgres:// URL");
const text = (what: string) => z.string().trim().min(3, `name ${what} (at least 3 characters)`).max(500);

const common = {
  "database-url": databaseUrl,
  schema: z.string().regex(SCHEMA, "expected a lower-case SQL identifier"),
};

const eraseSchema = z.strictObject({
  ...common,
  subject: z.string().regex(SUBJECT_ID, "expected a subject id (letters, digits and . _ : / -, at most 200)"),
  reason: z.literal("erasure", "audit:erase takes --reason erasure (retention is audit:purge)"),
  authority: text("the authority or legal basis"),
  by: text("who asked for and ran the erasure"),
});

const purgeSchema = z.strictObject({
  ...common,
  now: z.iso.datetime({ offset: true, message: "expected an ISO 8601 time, e.g. 2033-01-01T00:00:00Z" }).transform((s) => new Date(s)),
  policy: z.string().min(1).optional(),
  by: text("who ran the purge"),
  "dry-run": z.boolean(),
});

export type EraseOptions = z.infer<typeof eraseSchema>;
export type PurgeOptions = z.infer<typeof purgeSchema>;

function parse<S extends z.ZodType>(
  schema: S,
  argv: string[],
  options: Record<string, { type: "string" | "boolean" }>,
  defaults: Record<string, unknown>,
): Parsed<z.infer<S>> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    return { ok: false, issues: [{ code: "ARGUMENT_INVALID", argument: "", message: (err as Error).message }] };
  }
  if (values["help"]) return { ok: "help" };
  delete values["help"];
  const given = Object.fromEntries(Object.entries({ ...defaults, ...values }).filter(([, v]) => v !== undefined));
  const r = schema.safeParse(given);
  if (r.success) return { ok: true, options: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((i) => {
      const argument = String(i.path[0] ?? "");
      return { code: given[argument] === undefined ? "ARGUMENT_MISSING" : "ARGUMENT_INVALID", argument: argument ? `--${argument}` : "", message: given[argument] === undefined ? "is required" : i.message };
    }),
  };
}

export function eraseOptions(argv: string[], env: NodeJS.ProcessEnv): Parsed<EraseOptions> {
  const s = { type: "string" } as const;
  return parse(eraseSchema, argv, { "database-url": s, subject: s, reason: s, authority: s, by: s, schema: s }, {
    "database-url": env.AUDIT_MIGRATION_DATABASE_URL,
    schema: env.DATABASE_SCHEMA || "public",
  });
}

export function purgeOptions(argv: string[], env: NodeJS.ProcessEnv, now: () => Date = () => new Date()): Parsed<PurgeOptions> {
  const s = { type: "string" } as const;
  return parse(purgeSchema, argv, { "database-url": s, now: s, policy: s, by: s, "dry-run": { type: "boolean" }, schema: s }, {
    "database-url": env.AUDIT_MIGRATION_DATABASE_URL,
    schema: env.DATABASE_SCHEMA || "public",
    now: now().toISOString(),
    by: "audit:purge",
    "dry-run": false,
  });
}

/** Issues as the tools print them: one line each, `CODE --argument: message`. */
export function describeIssues(issues: readonly ArgIssue[]): string {
  return issues.map((i) => `${i.code}${i.argument ? ` ${i.argument}` : ""}: ${i.message}`).join("\n");
}

/** Warn (stderr) when the WAL segment could not be switched after the rewrite (subjects/purge.ts step 4). */
export function warnWal<T extends { walSwitched: boolean }>(done: T, write: (s: string) => void = (s) => void process.stderr.write(s)): T {
  if (!done.walSwitched) {
    write(
      "WAL_NOT_SWITCHED: this role may not run pg_switch_wal(); until the current WAL segment is switched (a superuser: select pg_switch_wal(), or grant EXECUTE on it to the owner), a physical backup can include the destroyed keys' WAL records\n",
    );
  }
  return done;
}
