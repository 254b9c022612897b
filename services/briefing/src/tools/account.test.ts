/** The built account command (dist/tools/account.js): a community leader's file entry and token, shown once. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Accounts, parseAccounts } from "@takitini/runtime";
import { beforeAll, describe, expect, it } from "vitest";
import { leaderAccounts } from "../auth.js";

const PKG = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(PKG, "dist/tools/account.js");
const newest = (rel: string, files: (f: string) => boolean) => Math.max(0, ...readdirSync(join(PKG, rel), { recursive: true, encoding: "utf8" }).filter(files).map((f) => statSync(join(PKG, rel, f)).mtimeMs));

beforeAll(() => {
  const stale = () => Math.max(newest("src/tools", (f) => f.endsWith(".ts") && !f.endsWith(".test.ts")), statSync(join(PKG, "src/auth.ts")).mtimeMs) > newest("dist/tools", (f) => f === "account.js");
  if (stale()) spawnSync(process.execPath, [join(PKG, "../../node_modules/typescript/bin/tsc"), "-p", join(PKG, "tsconfig.json")], { stdio: "ignore" });
  expect(stale(), "dist/tools/account.js is older than its sources: npm run build -w @takitini/briefing").toBe(false);
});

function account(args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("node dist/tools/account.js", () => {
  it("prints a leader's JSON line (role leader, their subscriber) and the token, once", async () => {
    const { status, stdout } = account(["--name", "Rangi Parata", "--subscriber", "community-eastern", "--days", "90"]);
    expect(status).toBe(0);
    const [line, token] = stdout.trim().split("\n");
    const entry = JSON.parse(line!) as Record<string, string>;
    expect(entry).toMatchObject({ name: "Rangi Parata", role: "leader", subscriber: "community-eastern", credential: expect.stringMatching(/^scrypt\$32768\$8\$1\$/) });
    const accounts = new Accounts(parseAccounts(JSON.stringify({ accounts: [entry] }), "f", leaderAccounts).accounts);
    expect((await accounts.verify(token!))?.subscriber).toBe("community-eastern");
  });

  it("writes an accounts file, refusing a subscriber that is not a community leader of the registry", () => {
    const file = join(mkdtempSync(join(tmpdir(), "briefing-account-")), "leaders.json");
    expect(account(["--name", "Rangi", "--subscriber", "community-eastern", "--file", file]).status).toBe(0);
    const bad = account(["--name", "Mere", "--subscriber", "customs", "--file", file]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/accounts\[1\]\.subscriber: "customs" is not a community-leader subscriber/);
    expect(parseAccounts(readFileSync(file, "utf8"), file, leaderAccounts).accounts.map((a) => a.name)).toEqual(["Rangi"]);
    expect(account(["--name", "Mere"]).stderr).toMatch(/--subscriber is required[\s\S]*community-eastern/);
  });
});
