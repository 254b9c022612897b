import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { accountEntry, Accounts, AccountsFileError, accountStatus, legacyBase, parseAccounts, type AccountBase, type AccountFormat } from "./accounts.js";
import { newCredential } from "./credential-hash.js";

type Role = "reviewer" | "administrator";
const format: AccountFormat<AccountBase<Role>> = {
  label: "oversight",
  entry: accountEntry(["reviewer", "administrator"] as const, {}, (b) => b),
  legacy: { value: z.string().min(1).max(200), toAccount: (hash, name) => legacyBase(hash, name, "reviewer") },
};
interface Leader extends AccountBase<"leader"> {
  subscriber: string;
}
const leaders: AccountFormat<Leader> = {
  label: "community leader",
  entry: accountEntry(["leader"] as const, { subscriber: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a subscriber id") }, (b, x) => ({ ...b, subscriber: x.subscriber })),
};
const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const issuesOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof AccountsFileError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  throw new Error("expected the file to be refused");
};

const aroha = await newCredential();
const hemi = await newCredential();
const FUTURE = "2099-01-01T00:00:00Z";
const file = (accounts: unknown[]) => JSON.stringify({ accounts });

describe("the accounts file", () => {
  it("lists named accounts with a role, a scrypt credential, an expiry and an optional switch", () => {
    const parsed = parseAccounts(
      file([
        { name: "Aroha Ngata", role: "reviewer", credential: aroha.credential, expires_at: FUTURE },
        { name: "Hemi", role: "administrator", credential: hemi.credential, expires_at: "2099-01-01T12:00:00+13:00", disabled: true },
      ]),
      "accounts.json",
      format,
    );
    expect(parsed.legacy).toBe(false);
    expect(parsed.accounts).toEqual([
      { name: "Aroha Ngata", role: "reviewer", credential: aroha.credential, expiresAt: new Date(FUTURE), disabled: false, legacy: false },
      { name: "Hemi", role: "administrator", credential: hemi.credential, expiresAt: new Date("2098-12-31T23:00:00Z"), disabled: true, legacy: false },
    ]);
    expect(parseAccounts(file([]), "a.json", format).accounts).toEqual([]);
  });

  it("refuses a bad file naming every offending field", () => {
    const ok = { name: "Aroha", role: "reviewer", credential: aroha.credential, expires_at: FUTURE };
    expect(
      issuesOf(() =>
        parseAccounts(
          file([
            ok,
            { ...ok, name: "Hemi", credential: hemi.credential, expires_at: "next Tuesday" },
            { ...ok, name: "Mere", role: "superuser", credential: hemi.credential.replace("32768", "1024") },
            { ...ok, name: "Tama", credential: sha("t") },
            { ...ok, name: "Wiremu", expire_at: FUTURE },
            { name: "", role: "reviewer", credential: aroha.credential },
          ]),
          "accounts.json",
          format,
        ),
      ),
    ).toEqual([
      expect.stringMatching(/^accounts\[1\]\.expires_at: expected an ISO 8601 date-time/),
      expect.stringMatching(/^accounts\[2\]\.role: /),
      expect.stringMatching(/^accounts\[2\]\.credential: N must be a power of two/),
      expect.stringMatching(/^accounts\[3\]\.credential: expected scrypt\$N\$r\$p\$salt_b64\$hash_b64/),
      "accounts[4].expire_at: unknown field \"expire_at\"",
      expect.stringMatching(/^accounts\[5\]\.name: /),
      expect.stringMatching(/^accounts\[5\]\.expires_at: /),
    ]);
    expect(issuesOf(() => parseAccounts(file([ok, { ...ok, name: "aroha", credential: hemi.credential }, { ...ok, name: "Mere" }]), "a.json", format))).toEqual([
      expect.stringMatching(/^accounts\[1\]\.name: the same name as accounts\[0\]/),
      expect.stringMatching(/^accounts\[2\]\.credential: the same credential as accounts\[0\]/),
    ]);
    expect(issuesOf(() => parseAccounts("{", "a.json", format))).toEqual([expect.stringMatching(/^: not JSON/)]);
    expect(issuesOf(() => parseAccounts(JSON.stringify({ accounts: {} }), "a.json", format))).toEqual([expect.stringMatching(/^accounts: /)]);
    expect(issuesOf(() => parseAccounts(file([{ ...ok, subscriber: "community-eastern" }]), "a.json", format))).toEqual(['accounts[0].subscriber: unknown field "subscriber"']);
    // The error says where the file is.
    expect(() => parseAccounts(file([{ ...ok, role: "x" }]), "/etc/takitini/accounts.json", format)).toThrow(/^\/etc\/takitini\/accounts.json: accounts\[0\]\.role/);
  });

  it("carries a service's own fields, and applies its own checks", () => {
    const entry = { name: "Rangi", role: "leader", subscriber: "community-eastern", credential: aroha.credential, expires_at: FUTURE };
    expect(parseAccounts(file([entry]), "l.json", leaders).accounts[0]).toMatchObject({ name: "Rangi", role: "leader", subscriber: "community-eastern" });
    expect(issuesOf(() => parseAccounts(file([{ ...entry, subscriber: "Eastern Leaders" }]), "l.json", leaders))).toEqual(["accounts[0].subscriber: expected a subscriber id"]);
    expect(issuesOf(() => parseAccounts(file([{ ...entry, subscriber: undefined }]), "l.json", leaders))).toEqual([expect.stringMatching(/^accounts\[0\]\.subscriber: /)]);
    const check = (accounts: readonly Leader[]) => accounts.flatMap((a, i) => (a.subscriber === "community-eastern" ? [] : [{ path: `accounts[${i}].subscriber`, code: "unknown_subscriber", message: `${a.subscriber} is not a community-leader subscriber` }]));
    expect(issuesOf(() => parseAccounts(file([{ ...entry, subscriber: "customs" }]), "l.json", leaders, check))).toEqual(["accounts[0].subscriber: customs is not a community-leader subscriber"]);
    // Without a legacy mapping, the old tokens format is refused.
    expect(issuesOf(() => parseAccounts(JSON.stringify({ [sha("t")]: "community-eastern" }), "l.json", leaders))).toEqual([expect.stringMatching(/^: this is the old tokens format/)]);
  });

  it("still reads the old tokens file (SHA-256 → name) where the service allows it, as accounts without expiry", () => {
    const parsed = parseAccounts(JSON.stringify({ [sha("old-token")]: "local developer" }), "tokens.json", format);
    expect(parsed.legacy).toBe(true);
    expect(parsed.accounts).toEqual([{ name: "local developer", role: "reviewer", credential: `sha256$${sha("old-token")}`, expiresAt: undefined, disabled: false, legacy: true }]);
    expect(parseAccounts("{}", "tokens.json", format).legacy).toBe(true);
    expect(issuesOf(() => parseAccounts(JSON.stringify({ "old-token": "Officer" }), "t.json", format))).toEqual([expect.stringMatching(/^old-token: .*SHA-256 hex of a token/)]);
    expect(issuesOf(() => parseAccounts(JSON.stringify({ [sha("t")]: "" }), "t.json", format))).toEqual([expect.stringMatching(new RegExp(`^${sha("t")}: `))]);
  });
});

describe("accounts", () => {
  const entries = (over: Partial<AccountBase<Role>> = {}): AccountBase<Role>[] => [
    { name: "Aroha", role: "reviewer", credential: aroha.credential, expiresAt: new Date(FUTURE), disabled: false, legacy: false, ...over },
    { name: "Hemi", role: "administrator", credential: hemi.credential, expiresAt: new Date(FUTURE), disabled: false, legacy: false },
  ];

  it("verify a token against the one entry its id names, and refuse any other", async () => {
    const accounts = new Accounts(entries());
    expect((await accounts.verify(aroha.token))?.name).toBe("Aroha");
    expect((await accounts.verify(hemi.token))?.name).toBe("Hemi");
    expect(accounts.named(hemi.token)?.name).toBe("Hemi");
    // The right id with the wrong secret, an unknown id, garbage.
    const [prefix, id] = aroha.token.split(".");
    expect(await accounts.verify(`${prefix}.${id}.${"A".repeat(43)}`)).toBeUndefined();
    expect(accounts.named(`${prefix}.${id}.${"A".repeat(43)}`)?.name).toBe("Aroha");
    expect(await accounts.verify(`tkt.${"B".repeat(16)}.${"A".repeat(43)}`)).toBeUndefined();
    expect(await accounts.verify("")).toBeUndefined();
    expect(await accounts.verify("x".repeat(600))).toBeUndefined();
  });

  it("verify old tokens by SHA-256 in constant time", async () => {
    const accounts = new Accounts(parseAccounts(JSON.stringify({ [sha("old-token-1")]: "Officer One", [sha("old-token-2")]: "Officer Two" }), "t", format).accounts);
    expect((await accounts.verify("old-token-2"))?.name).toBe("Officer Two");
    expect(await accounts.verify("old-token-3")).toBeUndefined();
    expect(accounts.named("old-token-2")).toBeUndefined();
  });

  it("remember a success for the cache's lifetime — keyed by an HMAC, never the token — and never a failure", async () => {
    let now = 0;
    const accounts = new Accounts(entries(), { cacheTtlMs: 60_000, now: () => now });
    expect(accounts.fromCache(aroha.token)).toBeUndefined();
    await accounts.verify(aroha.token);
    expect(accounts.cached).toBe(1);
    expect(accounts.fromCache(aroha.token)?.name).toBe("Aroha");
    const cache = (accounts as unknown as { cache: Map<string, unknown> }).cache;
    expect([...cache.keys()].join()).not.toContain(aroha.token.split(".")[2]);
    await accounts.verify(`${aroha.token.slice(0, -1)}x`);
    expect(accounts.cached).toBe(1);
    // A second verification within the lifetime costs no scrypt.
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) expect((await accounts.verify(aroha.token))?.name).toBe("Aroha");
    expect(performance.now() - t0).toBeLessThan(50);
    now = 60_000;
    expect(accounts.fromCache(aroha.token)).toBeUndefined();
    await accounts.verify(aroha.token);
    now = 200_000;
    expect(accounts.sweep()).toBe(1);
    expect(accounts.cached).toBe(0);
    // Lifetime 0: nothing is remembered.
    const uncached = new Accounts(entries(), { cacheTtlMs: 0 });
    await uncached.verify(aroha.token);
    expect(uncached.cached).toBe(0);
  });

  it("share one scrypt among concurrent verifications of one token", async () => {
    const accounts = new Accounts(entries());
    const t0 = performance.now();
    const all = await Promise.all(Array.from({ length: 20 }, () => accounts.verify(hemi.token)));
    expect(all.every((a) => a?.name === "Hemi")).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it("say when an account is expired or disabled", () => {
    const [a] = entries({ expiresAt: new Date(1000) });
    expect(accountStatus(a!, 999)).toBe("ok");
    expect(accountStatus(a!, 1000)).toBe("CREDENTIAL_EXPIRED");
    expect(accountStatus({ ...a!, disabled: true }, 0)).toBe("CREDENTIAL_DISABLED");
    expect(accountStatus({ ...a!, expiresAt: undefined }, Number.MAX_SAFE_INTEGER)).toBe("ok");
  });

  it("on a new set, drop every remembered verification and name the accounts it ends", async () => {
    const accounts = new Accounts(entries());
    const seen: string[][] = [];
    accounts.onChange((c) => seen.push(c.ended.map((a) => a.name)));
    await accounts.verify(aroha.token);
    await accounts.verify(hemi.token);
    expect(accounts.cached).toBe(2);
    // Unchanged accounts (new objects, same fields) end nothing.
    expect(accounts.replace(entries()).ended).toEqual([]);
    expect(accounts.cached).toBe(0);
    // Aroha rotated, Hemi disabled.
    const rotated = await newCredential();
    const change = accounts.replace([
      { ...entries()[0]!, credential: rotated.credential },
      { ...entries()[1]!, disabled: true },
    ]);
    expect(change.ended.map((a) => a.name)).toEqual(["Aroha", "Hemi"]);
    expect(change.added.map((a) => a.name)).toEqual(["Aroha", "Hemi"]);
    expect(await accounts.verify(aroha.token)).toBeUndefined();
    expect((await accounts.verify(rotated.token))?.name).toBe("Aroha");
    // Removed.
    expect(accounts.replace([]).ended.map((a) => a.name)).toEqual(["Aroha", "Hemi"]);
    expect(await accounts.verify(hemi.token)).toBeUndefined();
    expect(seen).toEqual([[], ["Aroha", "Hemi"], ["Aroha", "Hemi"]]);
  });

  it("refuse a token whose account was removed while its scrypt ran", async () => {
    const accounts = new Accounts(entries());
    const pending = accounts.verify(aroha.token);
    accounts.replace(entries().slice(1));
    expect(await pending).toBeUndefined();
    expect(accounts.cached).toBe(0);
  });
});
