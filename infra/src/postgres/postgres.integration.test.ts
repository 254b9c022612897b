/**
 * The local launcher for real: Debian's PostgreSQL (installed if missing), a
 * throwaway cluster on loopback, stopped and removed. Runs whatever DATABASE_URL
 * says, since it tests the launcher itself. (The `select 1` check with a client
 * lives in services/audit, which depends on pg.)
 */
import { existsSync, statSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { providePostgres, tcpAnswers, type ProvidedPostgres } from "./provide.js";

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
    await pg.stop();
    await pg.stop(); // idempotent
    expect(existsSync(pg.dir!)).toBe(false);
    expect(await tcpAnswers("127.0.0.1", Number(u.port), 1000)).toBe(false);
  }, 120_000);
});
