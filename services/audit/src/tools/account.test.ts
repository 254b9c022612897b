/** The built account command (dist/tools/account.js): an oversight account's file entry and its token, shown once. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Accounts, parseAccounts } from "@takitini/runtime";
import { beforeAll, describe, expect, it } from "vitest";
import { oversightAccounts } from "../oversight/credentials.js";

const PKG = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(PKG, "dist/tools/account.js");

const newest = (rel: string, ext: string) => {
  const root = join(PKG, rel);
  return Math.max(0, ...readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(ext) && !f.endsWith(".test.ts") && !f.endsWith(".fixture.ts")).map((f) => statSync(join(root, f)).mtimeMs));
};

beforeAll(() => {
  const stale = () => Math.max(newest("src/tools", ".ts"), newest("src/oversight", ".ts")) > Math.min(newest("dist/tools", "account.js"), newest("dist/oversight", ".js"));
  if (stale()) spawnSync(process.execPath, [join(PKG, "../../node_modules/typescript/bin/tsc"), "-p", join(PKG, "tsconfig.json")], { stdio: "ignore" });
  expect(stale(), "dist/tools/account.js is older than its sources: npm run build -w @takitini/audit").toBe(false);
});

function account(args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("node dist/tools/account.js", () => {
  it("prints the account's JSON line and its token, once; the line holds only a scrypt hash", async () => {
    const { status, stdout, stderr } = account(["--name", "Aroha", "--role", "reviewer", "--days", "90"]);
    expect(status).toBe(0);
    const [line, token] = stdout.trim().split("\n");
    const entry = JSON.parse(line!) as Record<string, string>;
    expect(Object.keys(entry)).toEqual(["name", "role", "credential", "expires_at"]);
    expect(entry).toMatchObject({ name: "Aroha", role: "reviewer", credential: expect.stringMatching(/^scrypt\$32768\$8\$1\$/) });
    expect(Date.parse(entry["expires_at"]!) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    expect(stderr).toMatch(/shown once/);
    const accounts = new Accounts(parseAccounts(JSON.stringify({ accounts: [entry] }), "f", oversightAccounts).accounts);
    expect((await accounts.verify(token!))?.name).toBe("Aroha");
  });

  it("adds to an accounts file and rotates by name", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "audit-account-")), "accounts.json");
    const first = account(["--name", "Aroha", "--role", "reviewer", "--file", file]);
    const admin = account(["--name", "Hemi", "--role", "administrator", "--days", "30", "--file", file]);
    expect([first.status, admin.status]).toEqual([0, 0]);
    const rotated = account(["--name", "Aroha", "--role", "reviewer", "--file", file]);
    expect(rotated.stderr).toMatch(/^rotated Aroha/);
    const accounts = new Accounts(parseAccounts(readFileSync(file, "utf8"), file, oversightAccounts).accounts);
    expect(accounts.list.map((a) => [a.name, a.role])).toEqual([
      ["Aroha", "reviewer"],
      ["Hemi", "administrator"],
    ]);
    expect(await accounts.verify(first.stdout.trim())).toBeUndefined();
    expect((await accounts.verify(rotated.stdout.trim()))?.name).toBe("Aroha");
    expect((await accounts.verify(admin.stdout.trim()))?.role).toBe("administrator");
  });

  it("refuses a role that is not an oversight role, with usage", () => {
    const { status, stderr } = account(["--name", "Aroha", "--role", "superuser"]);
    expect(status).toBe(2);
    expect(stderr).toMatch(/--role must be one of reviewer, administrator/);
  });
});
