/**
 * Least privilege on the real PostgreSQL server from the global setup: an owner
 * role runs the migrations, the service role is granted insert and select only.
 * As the service role every way to change, delete or hide a row fails with a
 * privilege error (not merely the append-only trigger), and appending and
 * reading work. The superuser connection only creates the roles.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { appendRecords } from "../ingest.js";
import { CompactTree, createSigner, encodeEntry, leafHash } from "../merkle/index.js";
import { decision } from "../oversight/decisions.fixture.js";
import { fromDecision } from "../oversight/records.js";
import { checkStore, trustKeys } from "../verify/index.js";
import { Ledger } from "./ledger.js";
import { loadMigrations, migrate, pendingMigrations } from "./migrate.js";
import { grantServiceRole, privilegeProblems, roleFacts } from "./privileges.js";
import { LedgerStartError, openLedgerDatabase, type LedgerStartOptions } from "./startup.js";
import type { Logger } from "@takitini/runtime";
import { pgDatabase } from "./sql.js";

const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const pools: pg.Pool[] = [];
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const suffix = randomBytes(4).toString("hex");
const ownerRole = `ledger_owner_${suffix}`;
const serviceRole = `ledger_service_${suffix}`;
const password = randomBytes(12).toString("hex");
const schema = `ledger_priv_${suffix}`;
const startSchemas = [`ledger_start_${suffix}`, `ledger_bare_${suffix}`];

function urlOf(role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = password;
  return u.toString();
}

function as(role: string, opts: { schema?: string; max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: urlOf(role), max: opts.max ?? 2, options: `-c search_path=${opts.schema ?? schema}` });
  pools.push(pool);
  return pool;
}

let owner: pg.Pool;
let service: pg.Pool;

beforeAll(async () => {
  for (const r of [ownerRole, serviceRole]) await admin.query(`create role ${r} login password '${password}'`);
  await admin.query(`grant connect on database ${new URL(url).pathname.slice(1) || "postgres"} to ${ownerRole}, ${serviceRole}`);
  await admin.query(`grant create on database ${new URL(url).pathname.slice(1) || "postgres"} to ${ownerRole}`);
  await admin.query(`create schema ${schema} authorization ${ownerRole}`);
  owner = as(ownerRole);
  service = as(serviceRole, { max: 4 });
  await migrate(pgDatabase(owner));
  await grantServiceRole(pgDatabase(owner), serviceRole, schema);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  for (const x of [schema, ...startSchemas]) await admin.query(`drop schema if exists ${x} cascade`);
  for (const r of [serviceRole, ownerRole]) {
    await admin.query(`drop owned by ${r}`).catch(() => undefined);
    await admin.query(`drop role if exists ${r}`);
  }
  await admin.end();
});

/** The ledger's tables: the log's and the oversight index's. */
const COLUMN: Record<string, string> = {
  ledger_leaves: "leaf_hash",
  ledger_nodes: "hash",
  ledger_tree_states: "root_hash",
  ledger_keys: "public_key",
  ledger_heads: "signature",
  audit_records: "kind",
  audit_subjects: "subject_id",
  // Subject keys (migration 011): only the owner destroys them (audit:erase, audit:purge).
  subject_keys: "subject_id",
};
const TABLES = Object.keys(COLUMN);

/** The statement fails with a privilege error (42501 and PostgreSQL's own wording, not the append-only trigger's). */
async function refused(sql: string) {
  const err = await service.query(sql).then(
    () => undefined,
    (e: Error & { code?: string }) => e,
  );
  expect(err, sql).toBeDefined();
  expect(err!.code, `${sql}: ${err!.message}`).toBe("42501");
  expect(err!.message).not.toMatch(/append-only/);
  return err!;
}

describe("the service role", () => {
  it("appends (leaves, nodes, tree states, index) and reads, and the ledger verifies", async () => {
    const db = pgDatabase(service);
    expect(await pendingMigrations(db)).toEqual([]);
    const ledger = await Ledger.open(db, { signer, migrate: false });
    const out = await appendRecords(
      ledger,
      Array.from({ length: 5 }, (_, i) => fromDecision(decision(randomUUID(), `partner-${i % 2}`, i % 3 !== 0, { subjectIds: [`subject-${i}`] }), new Date())),
    );
    expect(out.appended).toBe(5);
    await ledger.signHead();
    const proof = await ledger.inclusionProof(3);
    expect(proof.proof.length).toBeGreaterThan(0);
    expect((await service.query("select count(*)::int as n from audit_subjects")).rows[0].n).toBe(5);
    const report = await checkStore(service, trustKeys([signer.publicKeyPem]));
    expect(report.ok).toBe(true);
  });

  it("holds insert and select only: privilegeProblems finds nothing; the owner and the superuser are named", async () => {
    expect(privilegeProblems(await roleFacts(pgDatabase(service)))).toEqual([]);
    const ownerProblems = privilegeProblems(await roleFacts(pgDatabase(owner)));
    expect(ownerProblems).toContain(`role ${ownerRole} owns schema ${schema}`);
    for (const t of TABLES) expect(ownerProblems).toContain(`role ${ownerRole} owns table ${t}`);
    const superuser = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${schema}` });
    pools.push(superuser);
    const superProblems = privilegeProblems(await roleFacts(pgDatabase(superuser)));
    expect(superProblems[0]).toMatch(/is a superuser/);
  });

  it("is tried below on every table of the ledger's schema (a table a later migration adds needs its case)", async () => {
    const { rows } = await owner.query<{ relname: string }>("select relname from pg_class where relnamespace = $1::regnamespace and relkind in ('r', 'p') order by relname", [schema]);
    expect(rows.map((r) => r.relname)).toEqual([...TABLES, "ledger_migrations"].sort());
  });

  it.each(TABLES)("cannot UPDATE, DELETE, TRUNCATE, ALTER, disable or drop a trigger on, or DROP %s", async (table) => {
    await refused(`update ${table} set ${COLUMN[table]} = ${COLUMN[table]}`);
    await refused(`delete from ${table}`);
    await refused(`truncate ${table}`);
    await refused(`alter table ${table} disable trigger all`);
    await refused(`alter table ${table} add column x int`);
    await refused(`drop table ${table}`);
    const { rows } = await owner.query<{ tgname: string }>(`select tgname from pg_trigger where tgrelid = '${schema}.${table}'::regclass and not tgisinternal limit 1`);
    if (rows[0]) await refused(`drop trigger ${rows[0].tgname} on ${table}`);
  });

  it("cannot create in the schema, turn triggers off with session_replication_role, or change the migrations table", async () => {
    await refused("create table sneaky (x int)");
    await refused("create view sneaky as select 1");
    await refused("create function sneaky() returns int language sql as 'select 1'");
    await refused("set session_replication_role = replica");
    await refused("insert into ledger_migrations (version, name) values (999, 'sneaky')");
    const facts = await roleFacts(pgDatabase(service));
    expect(facts.tables.every((t) => !t.update && !t.delete && !t.truncate && !t.trigger)).toBe(true);
  });
});

describe("migration 010", () => {
  it("carries an existing ledger over: its tree state becomes the first row of ledger_tree_states and appends continue it", async () => {
    const old = `ledger_old_${randomBytes(4).toString("hex")}`;
    await admin.query(`create schema ${old}`);
    const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${old}` });
    try {
      const db = pgDatabase(pool);
      await migrate(
        db,
        loadMigrations().filter((m) => m.version < 10),
      );
      // A ledger of 3 leaves as the code before migration 010 wrote it (state UPDATEd in place).
      const tree = CompactTree.empty();
      const at = new Date(1_700_000_000_000);
      for (let i = 0; i < 3; i++) {
        const entry = encodeEntry({ index: i, appendedAtMs: at.getTime(), kind: "decision", recordId: `old-${i}`, payload: Buffer.from(`old ${i}`) });
        const hash = leafHash(entry);
        for (const n of tree.append(hash)) await pool.query("insert into ledger_nodes (level, idx, hash) values ($1, $2, $3)", [n.level, String(n.index), n.hash]);
        await pool.query("insert into ledger_leaves (idx, record_id, kind, appended_at, entry, leaf_hash) values ($1, $2, 'decision', $3, $4, $5)", [i, `old-${i}`, at, entry, hash]);
      }
      await pool.query("update ledger_state set tree_size = 3, root_hash = $1", [tree.root()]);

      expect(await migrate(db)).toContain(10);
      const { rows } = await pool.query<{ tree_size: string }>("select tree_size from ledger_tree_states order by tree_size");
      expect(rows.map((r) => Number(r.tree_size))).toEqual([0, 3]);
      expect((await pool.query("select tree_size from ledger_state")).rows).toEqual([{ tree_size: "3" }]);

      const ledger = await Ledger.open(db, { signer });
      const out = await ledger.appendBatch([{ recordId: "new-3", kind: "decision", payload: Buffer.from("new") }]);
      expect(out.outcomes[0]!.index).toBe(3);
      expect((await ledger.appendBatch([{ recordId: "old-1", kind: "decision", payload: Buffer.from("old 1") }])).appended).toBe(0);
      await ledger.signHead();
      expect((await checkStore(pool, trustKeys([signer.publicKeyPem]))).ok).toBe(true);
    } finally {
      await pool.end();
      await admin.query(`drop schema ${old} cascade`);
    }
  });
});

describe("the service's start (openLedgerDatabase)", () => {
  const warnings: unknown[] = [];
  const logger = { info: () => undefined, warn: (o: unknown) => void warnings.push(o) } as unknown as Logger;
  const start = async (o: Partial<LedgerStartOptions>) => {
    const database = await openLedgerDatabase({ schema: startSchemas[0]!, development: false, ...o }, logger);
    await database.close();
  };
  const refusal = (o: Partial<LedgerStartOptions>) =>
    start(o).then(
      () => undefined,
      (e: unknown) => e as LedgerStartError,
    );

  it("with AUDIT_MIGRATION_DATABASE_URL: the owner creates the schema, migrates and grants; the service role then passes its check", async () => {
    await start({ databaseUrl: urlOf(serviceRole), migrationUrl: urlOf(ownerRole) });
    const facts = await roleFacts(pgDatabase(as(serviceRole, { schema: startSchemas[0]! })));
    expect(facts.schema).toBe(startSchemas[0]);
    expect(privilegeProblems(facts)).toEqual([]);
    // Started again without the owner: already migrated, the role checks out.
    await start({ databaseUrl: urlOf(serviceRole) });
  });

  it("refuses a role that owns the ledger, naming what it may do, outside development; warns in development", async () => {
    const err = await refusal({ databaseUrl: urlOf(ownerRole) });
    expect(err).toBeInstanceOf(LedgerStartError);
    expect(err!.code).toBe("AUDIT_ROLE_TOO_POWERFUL");
    expect(err!.problems).toContain(`role ${ownerRole} owns table ledger_leaves`);
    expect(err!.message).toContain(`role ${ownerRole} owns schema ${startSchemas[0]}`);
    warnings.length = 0;
    await start({ databaseUrl: urlOf(ownerRole), development: true });
    expect(warnings).toContainEqual(expect.objectContaining({ code: "AUDIT_ROLE_TOO_POWERFUL" }));
  });

  it("starts two instances at once on a new schema (as the fault suite's two audits do): both migrate-and-grant, one after the other", async () => {
    for (let i = 0; i < 3; i++) {
      const fresh = `ledger_twice_${suffix}_${i}`;
      startSchemas.push(fresh);
      await Promise.all([0, 1].map(() => start({ databaseUrl: urlOf(serviceRole), migrationUrl: urlOf(ownerRole), schema: fresh })));
    }
  });

  it("refuses a ledger not migrated, and one role given as both the owner and the service", async () => {
    expect((await refusal({ databaseUrl: urlOf(serviceRole), schema: startSchemas[1]! }))?.code).toBe("LEDGER_NOT_MIGRATED");
    expect((await refusal({ databaseUrl: urlOf(ownerRole), migrationUrl: urlOf(ownerRole), schema: startSchemas[1]! }))?.code).toBe("AUDIT_ROLE_IS_OWNER");
  });
});
