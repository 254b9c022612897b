import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { accountEntry, Accounts, parseAccounts, type AccountBase, type AccountFormat } from "./accounts.js";
import { addAccountToFile, createAccount, runAccountTool, type AccountToolSpec } from "./account-tool.js";

interface Leader extends AccountBase<"leader"> {
  subscriber: string;
}
const format: AccountFormat<Leader> = {
  label: "community leader",
  entry: accountEntry(["leader"] as const, { subscriber: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a subscriber id") }, (b, x) => ({ ...b, subscriber: x.subscriber })),
};
const spec: AccountToolSpec<Leader> = {
  command: "account",
  format,
  roles: ["leader"],
  defaultRole: "leader",
  extra: [{ name: "subscriber", help: "the leader's subscriber id" }],
  check: (accounts) => accounts.flatMap((a, i) => (a.subscriber.startsWith("community-") ? [] : [{ path: `accounts[${i}].subscriber`, code: "unknown", message: `${a.subscriber} is not a community-leader subscriber` }])),
};
const NOW = new Date("2026-01-01T00:00:00Z");

function run(args: string[]) {
  let out = "";
  let err = "";
  return runAccountTool(args, spec, { out: (s) => void (out += s), err: (s) => void (err += s), now: NOW }).then((code) => ({ code, out, err }));
}

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("the account tool", () => {
  it("makes an account: the file entry (scrypt hash only) and the token, once", async () => {
    const { code, out, err } = await run(["--name", "Rangi Parata", "--subscriber", "community-eastern", "--days", "90"]);
    expect(code).toBe(0);
    const [line, token, rest] = out.split("\n");
    expect(rest).toBe("");
    const entry = JSON.parse(line!) as Record<string, string>;
    expect(entry).toEqual({ name: "Rangi Parata", role: "leader", subscriber: "community-eastern", credential: expect.stringMatching(/^scrypt\$32768\$8\$1\$/), expires_at: "2026-04-01T00:00:00.000Z" });
    expect(token).toMatch(/^tkt\./);
    expect(line).not.toContain(token!.split(".")[2]);
    expect(err).toMatch(/shown once/);
    // The entry works as printed.
    const accounts = new Accounts(parseAccounts(JSON.stringify({ accounts: [entry] }), "f", format).accounts);
    expect((await accounts.verify(token!))?.subscriber).toBe("community-eastern");
  });

  it("adds to an accounts file, and rotates an account of the same name in place", async () => {
    dir = mkdtempSync(join(tmpdir(), "takitini-tool-"));
    const path = join(dir, "accounts.json");
    const first = await run(["--name", "Rangi", "--subscriber", "community-eastern", "--file", path]);
    expect(first.code).toBe(0);
    expect(first.err).toMatch(/^added Rangi \(leader, until 2026-04-01/);
    expect((statSync(path).mode & 0o777).toString(8)).toBe("600");
    await run(["--name", "Mere", "--subscriber", "community-eastern", "--expires", "2026-12-31T00:00:00+13:00", "--file", path]);
    const before = parseAccounts(readFileSync(path, "utf8"), path, format).accounts;
    expect(before.map((a) => a.name)).toEqual(["Rangi", "Mere"]);
    const rotated = await run(["--name", "rangi", "--subscriber", "community-eastern", "--days", "30", "--file", path]);
    expect(rotated.err).toMatch(/^rotated rangi/);
    const after = parseAccounts(readFileSync(path, "utf8"), path, format).accounts;
    expect(after.map((a) => a.name)).toEqual(["rangi", "Mere"]);
    expect(after[0]!.credential).not.toBe(before[0]!.credential);
    expect(after[1]).toEqual(before[1]);
    const accounts = new Accounts(after);
    expect(await accounts.verify(first.out.trim())).toBeUndefined();
    expect((await accounts.verify(rotated.out.trim()))?.name).toBe("rangi");
  });

  it("refuses what would make a bad file, and leaves the file as it was", async () => {
    dir = mkdtempSync(join(tmpdir(), "takitini-tool-"));
    const path = join(dir, "accounts.json");
    await run(["--name", "Rangi", "--subscriber", "community-eastern", "--file", path]);
    const before = readFileSync(path, "utf8");
    const bad = await run(["--name", "Mere", "--subscriber", "customs", "--file", path]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/accounts\[1\]\.subscriber: customs is not a community-leader subscriber/);
    expect(readFileSync(path, "utf8")).toBe(before);
    expect((await run(["--name", "Mere", "--subscriber", "Not An Id"])).err).toMatch(/accounts\[0\]\.subscriber: expected a subscriber id/);
    writeFileSync(path, JSON.stringify({ ["a".repeat(64)]: "community-eastern" }));
    expect((await run(["--name", "Mere", "--subscriber", "community-eastern", "--file", path])).err).toMatch(/not an accounts file/);
  });

  it("says what is missing or wrong in its arguments", async () => {
    expect(await run([])).toMatchObject({ code: 2, err: expect.stringMatching(/--name is required[\s\S]*--subscriber is required[\s\S]*usage:/) });
    expect((await run(["--name", "X", "--subscriber", "community-x", "--role", "admin"])).err).toMatch(/--role must be one of leader/);
    expect((await run(["--name", "X", "--subscriber", "community-x", "--days", "0"])).err).toMatch(/--days must be/);
    expect((await run(["--name", "X", "--subscriber", "community-x", "--days", "9", "--expires", "2027-01-01T00:00:00Z"])).err).toMatch(/not both/);
    expect((await run(["--name", "X", "--subscriber", "community-x", "--expires", "someday"])).err).toMatch(/--expires must be/);
    expect((await run(["--nme", "X"])).code).toBe(2);
    expect(await run(["--help"])).toMatchObject({ code: 0, out: expect.stringMatching(/^usage: account --name/) });
  });

  it("takes an optional extra when given, and leaves it out when not", async () => {
    const emailFormat: AccountFormat<Leader> = {
      label: "community leader",
      entry: accountEntry(["leader"] as const, { subscriber: z.string(), email: z.email().optional() }, (b, x) => ({ ...b, subscriber: x.subscriber })),
    };
    const withEmail: AccountToolSpec<Leader> = { ...spec, format: emailFormat, extra: [...spec.extra!, { name: "email", help: "an address", optional: true }] };
    const make = async (args: string[]) => {
      let out = "";
      const code = await runAccountTool(args, withEmail, { out: (x) => void (out += x), err: () => undefined, now: NOW });
      return { code, entry: JSON.parse(out.split("\n")[0]!) as Record<string, unknown> };
    };
    expect((await make(["--name", "Rangi", "--subscriber", "community-eastern", "--email", "rangi@example.org"])).entry).toMatchObject({ subscriber: "community-eastern", email: "rangi@example.org" });
    const without = await make(["--name", "Rangi", "--subscriber", "community-eastern"]);
    expect(without.code).toBe(0);
    expect(without.entry).not.toHaveProperty("email");
    let err = "";
    await runAccountTool(["--help"], withEmail, { out: (x) => void (err += x), err: () => undefined, now: NOW });
    expect(err).toMatch(/--subscriber <subscriber> \[--email <email>\]/);
  });

  it("makes entries by function too", async () => {
    const { entry, token } = await createAccount({ name: "Aroha", role: "reviewer", days: 1, now: NOW });
    expect(entry).toMatchObject({ name: "Aroha", role: "reviewer", expires_at: "2026-01-02T00:00:00.000Z" });
    expect(token).toMatch(/^tkt\./);
    expect(() => addAccountToFile("/nonexistent-dir/accounts.json", { ...entry, subscriber: "community-x", role: "leader" }, format)).toThrow();
  });
});
