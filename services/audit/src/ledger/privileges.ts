/**
 * Least privilege: the ledger's tables belong to an owner role that runs the
 * migrations; the service connects as a role that may only INSERT and SELECT.
 * It cannot UPDATE, DELETE or TRUNCATE a row, ALTER or DROP a table, disable or
 * drop a trigger (only an owner can), CREATE in the schema, or SET
 * session_replication_role (which turns triggers off; superuser only).
 *
 * `grantServiceRole` runs on the owner's connection after the migrations (tables
 * a later migration adds are granted the same way). `roleFacts` reads what the
 * connected role may do on every table of its schema; `privilegeProblems` (pure)
 * names everything beyond insert and select, and anything missing.
 */
import { migrate } from "./migrate.js";
import type { SqlDatabase, SqlSession } from "./sql.js";

/** Tables the service may read but never write (it never migrates). */
export const READ_ONLY_TABLES = ["ledger_migrations"] as const;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Grant `role` INSERT and SELECT on every table of `schema` (SELECT only on READ_ONLY_TABLES) and nothing else. Run as the owner. */
export async function grantServiceRole(owner: SqlSession, role: string, schema: string): Promise<void> {
  const r = ident(role);
  const s = ident(schema);
  await owner.query(`revoke all on all tables in schema ${s} from ${r}`);
  await owner.query(`revoke all on all sequences in schema ${s} from ${r}`);
  await owner.query(`revoke create on schema ${s} from ${r}`);
  // The ledger's schema is no one else's to create objects in (PostgreSQL 15's default for public; older servers granted it).
  await owner.query(`revoke create on schema ${s} from public`);
  await owner.query(`grant usage on schema ${s} to ${r}`);
  await owner.query(`grant select, insert on all tables in schema ${s} to ${r}`);
  for (const t of READ_ONLY_TABLES) await owner.query(`revoke insert on ${s}.${ident(t)} from ${r}`);
}

/** On the owner's connection: apply the migrations not yet applied, then grant `role` its insert and select. Returns the versions applied now. */
export async function migrateAndGrant(owner: SqlDatabase, role: string, schema: string): Promise<number[]> {
  // One transaction under the migrations' lock: two instances starting at once never GRANT concurrently ("tuple concurrently updated").
  return migrate(owner, undefined, (tx) => grantServiceRole(tx, role, schema));
}

/** What the connected role may do on one table of its schema. */
export interface TableFacts {
  table: string;
  owned: boolean;
  select: boolean;
  insert: boolean;
  update: boolean;
  delete: boolean;
  truncate: boolean;
  references: boolean;
  trigger: boolean;
}

export interface RoleFacts {
  role: string;
  schema: string;
  superuser: boolean;
  /** CREATEROLE lets a role make itself a member of the tables' owner (PostgreSQL ≤ 15) or create roles that may. */
  createRole: boolean;
  bypassRls: boolean;
  ownsSchema: boolean;
  createInSchema: boolean;
  /** SET session_replication_role (turns off ordinary triggers). */
  setReplicationRole: boolean;
  tables: TableFacts[];
}

const TABLES_SQL = `
select c.relname as table,
       pg_has_role(current_user, c.relowner, 'USAGE') as owned,
       has_table_privilege(c.oid, 'SELECT') as select,
       has_table_privilege(c.oid, 'INSERT') as insert,
       has_any_column_privilege(c.oid, 'UPDATE') as update,
       has_table_privilege(c.oid, 'DELETE') as delete,
       has_table_privilege(c.oid, 'TRUNCATE') as truncate,
       has_any_column_privilege(c.oid, 'REFERENCES') as references,
       has_table_privilege(c.oid, 'TRIGGER') as trigger
  from pg_class c
 where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p')
 order by c.relname`;

const ROLE_SQL = `
select current_user as role, current_schema() as schema, r.rolsuper as superuser, r.rolcreaterole as create_role,
       r.rolbypassrls as bypass_rls,
       pg_has_role(current_user, n.nspowner, 'USAGE') as owns_schema,
       has_schema_privilege(n.oid, 'CREATE') as create_in_schema,
       (r.rolsuper or has_parameter_privilege('session_replication_role', 'SET')) as set_replication_role
  from pg_roles r, pg_namespace n
 where r.rolname = current_user and n.nspname = current_schema()`;

/** Read what the connected role may do in its schema (the schema must exist). */
export async function roleFacts(db: SqlSession): Promise<RoleFacts> {
  const role = (await db.query<{ role: string; schema: string | null; superuser: boolean; create_role: boolean; bypass_rls: boolean; owns_schema: boolean; create_in_schema: boolean; set_replication_role: boolean }>(ROLE_SQL)).rows[0];
  if (!role) throw new Error("the connection's schema does not exist (search_path names no existing schema)");
  const tables = (await db.query<TableFacts>(TABLES_SQL)).rows;
  return {
    role: role.role,
    schema: role.schema ?? "",
    superuser: role.superuser,
    createRole: role.create_role,
    bypassRls: role.bypass_rls,
    ownsSchema: role.owns_schema,
    createInSchema: role.create_in_schema,
    setReplicationRole: role.set_replication_role,
    tables,
  };
}

/** Everything the role may do beyond inserting and selecting on the ledger's tables, and any insert or select it lacks. Pure. */
export function privilegeProblems(f: RoleFacts): string[] {
  const out: string[] = [];
  const who = `role ${f.role}`;
  if (f.superuser) out.push(`${who} is a superuser`);
  if (f.createRole) out.push(`${who} has CREATEROLE`);
  if (f.bypassRls) out.push(`${who} has BYPASSRLS`);
  if (f.ownsSchema) out.push(`${who} owns schema ${f.schema}`);
  else if (f.createInSchema) out.push(`${who} may CREATE in schema ${f.schema}`);
  if (f.setReplicationRole && !f.superuser) out.push(`${who} may SET session_replication_role`);
  if (f.tables.length === 0) out.push(`schema ${f.schema} holds no ledger tables (not migrated?)`);
  const readOnly = new Set<string>(READ_ONLY_TABLES);
  for (const t of f.tables) {
    if (t.owned) {
      out.push(`${who} owns table ${t.table}`);
      continue; // an owner may do anything; its privileges say nothing more
    }
    const extra: string[] = (["update", "delete", "truncate", "references", "trigger"] as const).filter((p) => t[p]);
    if (readOnly.has(t.table) && t.insert) extra.unshift("insert");
    if (extra.length > 0) out.push(`${who} may ${extra.map((p) => p.toUpperCase()).join(", ")} on ${t.table}`);
    const missing = [...(t.select ? [] : ["select"]), ...(t.insert || readOnly.has(t.table) ? [] : ["insert"])];
    if (missing.length > 0) out.push(`${who} lacks ${missing.map((p) => p.toUpperCase()).join(", ")} on ${t.table}`);
  }
  return out;
}
