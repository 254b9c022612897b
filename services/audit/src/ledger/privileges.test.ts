import { describe, expect, it } from "vitest";
import { privilegeProblems, type RoleFacts, type TableFacts } from "./privileges.js";

const table = (name: string, over: Partial<TableFacts> = {}): TableFacts => ({
  table: name,
  owned: false,
  select: true,
  insert: name !== "ledger_migrations",
  update: false,
  delete: false,
  truncate: false,
  references: false,
  trigger: false,
  ...over,
});

const facts = (over: Partial<RoleFacts> = {}): RoleFacts => ({
  role: "audit",
  schema: "public",
  superuser: false,
  createRole: false,
  bypassRls: false,
  ownsSchema: false,
  createInSchema: false,
  setReplicationRole: false,
  tables: [table("ledger_leaves"), table("ledger_migrations"), table("audit_records")],
  ...over,
});

describe("privilegeProblems", () => {
  it("finds nothing for a role with insert and select only (select only on ledger_migrations)", () => {
    expect(privilegeProblems(facts())).toEqual([]);
  });

  it("names a superuser, CREATEROLE, BYPASSRLS, the schema's owner and CREATE in the schema", () => {
    expect(privilegeProblems(facts({ superuser: true, createRole: true, bypassRls: true, setReplicationRole: true, ownsSchema: true }))).toEqual([
      "role audit is a superuser",
      "role audit has CREATEROLE",
      "role audit has BYPASSRLS",
      "role audit owns schema public",
    ]);
    expect(privilegeProblems(facts({ createInSchema: true }))).toEqual(["role audit may CREATE in schema public"]);
    expect(privilegeProblems(facts({ setReplicationRole: true }))).toEqual(["role audit may SET session_replication_role"]);
  });

  it("names each table the role owns, and each privilege beyond insert and select", () => {
    const f = facts({
      tables: [
        table("ledger_leaves", { owned: true, update: true }),
        table("ledger_nodes", { update: true, truncate: true }),
        table("audit_subjects", { delete: true, trigger: true, references: true }),
        table("ledger_migrations", { insert: true }),
      ],
    });
    expect(privilegeProblems(f)).toEqual([
      "role audit owns table ledger_leaves",
      "role audit may UPDATE, TRUNCATE on ledger_nodes",
      "role audit may DELETE, REFERENCES, TRIGGER on audit_subjects",
      "role audit may INSERT on ledger_migrations",
    ]);
  });

  it("names what is missing, and a schema with no tables", () => {
    expect(privilegeProblems(facts({ tables: [table("ledger_leaves", { insert: false }), table("audit_records", { select: false, insert: false })] }))).toEqual([
      "role audit lacks INSERT on ledger_leaves",
      "role audit lacks SELECT, INSERT on audit_records",
    ]);
    expect(privilegeProblems(facts({ tables: [] }))).toEqual(["schema public holds no ledger tables (not migrated?)"]);
  });
});
