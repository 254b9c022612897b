/**
 * The local launcher for real: Debian's PostgreSQL (installed if missing), a
 * throwaway cluster on loopback, stopped and removed. Runs whatever DATABASE_URL
 * says, since it tests the launcher itself. (The `select 1` check with a client
 * lives in services/audit, which depends on pg.)
 */
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { auditRoles, parseAuditRolesOutput, POSTGRES_SCRIPT, providePostgres, tcpAnswers, type ProvidedPostgres } from "./provide.js";

let pg: ProvidedPostgres | undefined;
afterAll(() => pg?.stop());

describe("a local throwaway PostgreSQL cluster", () => {
  it("starts on 127.0.0.1, owned by a non-root user, and is gone after stop()", async () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    pg = await providePostgres({ env });
    expect(pg.mode).toBe("local");
    const u = new URL(pg.url);
    expect(u.hostname).toBe("127.0.0.1");
    expect(u.password.length).toBeGreaterThanOrEqual(16);
    expect(await tcpAnswers("127.0.0.1", Number(u.port), 2000)).toBe(true);
    expect(statSync(`${pg.dir}/data`).uid).not.toBe(0);
    // The audit ledger's roles (least privilege): made once, the same passwords every run, neither a superuser.
    const roles = auditRoles(pg.url);
    expect(parseAuditRolesOutput(execFileSync("bash", [POSTGRES_SCRIPT, "audit-roles", "--url", pg.url], { encoding: "utf8" }))).toEqual(roles);
    const ask = (url: string, sql: string) => execFileSync("psql", [url, "-tAc", sql], { encoding: "utf8" }).trim();
    expect(ask(roles.serviceUrl, "select current_user || ' ' || rolsuper || rolcreaterole || rolcreatedb from pg_roles where rolname = current_user")).toBe("takitini_audit falsefalsefalse");
    expect(ask(roles.ownerUrl, "select current_user || ' ' || rolsuper || ' ' || has_database_privilege(current_database(), 'CREATE') from pg_roles where rolname = current_user")).toBe("takitini_audit_owner false true");
    expect(ask(roles.serviceUrl, "select has_database_privilege(current_database(), 'CREATE')")).toBe("f");
    // Erasure switches the WAL after destroying keys: the owner may, the service may not.
    expect(ask(roles.ownerUrl, "select has_function_privilege('pg_switch_wal()', 'EXECUTE')")).toBe("t");
    expect(ask(roles.serviceUrl, "select has_function_privilege('pg_switch_wal()', 'EXECUTE')")).toBe("f");
    await pg.stop();
    await pg.stop(); // idempotent
    expect(existsSync(pg.dir!)).toBe(false);
    expect(await tcpAnswers("127.0.0.1", Number(u.port), 1000)).toBe(false);
  }, 120_000);
});
