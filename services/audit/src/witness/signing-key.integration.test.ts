/**
 * The built service (dist/main.js) refuses to start without a signing key
 * outside development, and with a key file its group or others could read —
 * before it opens its database or Kafka.
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const PKG = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "audit-signing-key-"));
const accounts = join(dir, "accounts.json");
writeFileSync(accounts, JSON.stringify({ accounts: [] }), { mode: 0o600 });
const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" });

beforeAll(() => {
  expect(statSync(join(PKG, "dist/main.js")).mtimeMs, "dist/main.js is older than src/main.ts: npm run build -w @takitini/audit").toBeGreaterThanOrEqual(statSync(join(PKG, "src/main.ts")).mtimeMs);
});

/** The service with only what it needs to reach the key check (nothing inherited: no key, no TAKITINI_ENV from the caller). */
function start(env: Record<string, string>) {
  const r = spawnSync(process.execPath, [join(PKG, "dist/main.js")], {
    env: { PATH: process.env.PATH ?? "", AUDIT_OVERSIGHT_ACCOUNTS_FILE: accounts, AUDIT_PGLITE_DIR: join(dir, "pglite"), TAKITINI_INSECURE_KAFKA: "true", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  const lines = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { level: number | string; code?: string; msg: string });
  return { status: r.status, lines };
}

describe("the audit's signing key at start", () => {
  it("is required outside development: no key, no start (exit 1, SIGNING_KEY_REQUIRED)", () => {
    for (const env of [{}, { TAKITINI_ENV: "production" }]) {
      const r = start(env);
      expect(r.status).toBe(1);
      expect(r.lines).toContainEqual(expect.objectContaining({ code: "SIGNING_KEY_REQUIRED", msg: expect.stringMatching(/LEDGER_SIGNING_KEY_FILE .*required outside development/) }));
    }
  });

  it("is refused in a file its group or others can read (mode 0644, 0640), even in development", () => {
    for (const mode of [0o644, 0o640]) {
      const file = join(dir, `key-${mode.toString(8)}.pem`);
      writeFileSync(file, pem, { mode });
      for (const env of [{}, { TAKITINI_ENV: "development" }]) {
        const r = start({ ...env, LEDGER_SIGNING_KEY_FILE: file });
        expect(r.status).toBe(1);
        expect(r.lines).toContainEqual(expect.objectContaining({ code: "SIGNING_KEY_FILE_MODE", msg: expect.stringContaining(`mode 0${mode.toString(8)}`) }));
      }
    }
  });
});
