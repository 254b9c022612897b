/**
 * Global setup: one real PostgreSQL server for the audit ledger's integration
 * tests — DATABASE_URL if set, else a throwaway cluster from Debian's
 * `postgresql` package started by infra's launcher. No mock and no skipping: if
 * no server can be had, setup throws and `npm test` fails.
 *
 * Imports infra's source directly (not the @takitini/infra package, which audit
 * does not depend on and whose dist turbo would not build first).
 */
import type { TestProject } from "vitest/node";
import { providePostgres } from "../../infra/src/postgres/provide.ts";
import { redactUrl } from "../../infra/src/postgres/launcher.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    postgresMode: string;
  }
}

export default async function setup(project: TestProject) {
  const t0 = Date.now();
  const pg = await providePostgres({ log: (m) => process.stderr.write(`[audit] ${m}\n`) });
  process.stderr.write(`[audit] PostgreSQL (${pg.mode}) at ${redactUrl(pg.url)} in ${Date.now() - t0} ms\n`);
  project.provide("databaseUrl", pg.url);
  project.provide("postgresMode", pg.mode);
  return async () => {
    await pg.stop();
  };
}
