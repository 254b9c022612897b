/**
 * Community leaders are people: named accounts (a person, the role `leader`,
 * their subscriber, a scrypt credential, an expiry, a switch) from a real
 * accounts file, on the briefing's HTTP door. Who viewed is recorded; expired
 * and disabled accounts are refused with their codes; failures are throttled
 * (429, Retry-After); rotating or removing an account ends its token and its
 * sessions without a restart.
 */
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { AccessRecord, type AccessRecord as Record_ } from "@takitini/proto";
import { AccountsFile, AccountsFileError, createLogger, newCredential, parseAccounts, tokenHash } from "@takitini/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { briefingViewed, CHANNELS } from "./access.js";
import { leaderGateOver } from "./accounts.fixture.js";
import { briefingAppForTests, NOW } from "./app.fixture.js";
import { leaderAccounts, leaderCheck, LEADER_ROLES } from "./auth.js";
import { AUDIENCES } from "./briefing.fixture.js";
import { configSchema, leaderAccountsFile, signInSettings } from "./config.js";

const [rangi, mere, tama, wiremu] = await Promise.all([newCredential(), newCredential(), newCredential(), newCredential()]);
const FUTURE = "2099-01-01T00:00:00Z";
const ACCOUNTS = [
  { name: "Rangi Parata", role: "leader", subscriber: "community-eastern", credential: rangi.credential, expires_at: FUTURE },
  { name: "Mere Expired", role: "leader", subscriber: "community-eastern", credential: mere.credential, expires_at: "2020-01-01T00:00:00Z" },
  { name: "Tama Disabled", role: "leader", subscriber: "community-eastern", credential: tama.credential, expires_at: FUTURE, disabled: true },
  { name: "Wiremu Huata", role: "leader", subscriber: "community-eastern", credential: wiremu.credential, expires_at: FUTURE },
];

describe("leader accounts", () => {
  it("name a person, the role leader, their subscriber, a scrypt credential and an expiry", () => {
    const { accounts, legacy } = parseAccounts(JSON.stringify({ accounts: ACCOUNTS.slice(0, 1) }), "leaders.json", leaderAccounts);
    expect(legacy).toBe(false);
    expect(accounts).toEqual([{ name: "Rangi Parata", role: "leader", subscriber: "community-eastern", credential: rangi.credential, expiresAt: new Date(FUTURE), disabled: false, legacy: false }]);
    expect(LEADER_ROLES).toEqual(["leader"]);
  });

  it("refuse a bad file naming each field, and a subscriber that is not a community leader", () => {
    const bad = { accounts: [{ ...ACCOUNTS[0], role: "reviewer" }, { ...ACCOUNTS[3], subscriber: undefined }] };
    expect(() => parseAccounts(JSON.stringify(bad), "leaders.json", leaderAccounts)).toThrow(/accounts\[0\]\.role: .*accounts\[1\]\.subscriber: /);
    const check = leaderCheck(AUDIENCES.leaders);
    let err: unknown;
    try {
      parseAccounts(JSON.stringify({ accounts: [ACCOUNTS[0], { ...ACCOUNTS[3], subscriber: "public" }] }), "leaders.json", leaderAccounts, check);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AccountsFileError);
    expect((err as AccountsFileError).issues).toEqual([{ path: "accounts[1].subscriber", code: "unknown_subscriber", message: '"public" is not a community-leader subscriber' }]);
  });

  it("still read the old tokens file (sha256 → subscriber): a leader account without expiry, named after its subscriber and token", () => {
    const hash = tokenHash("s3cret-token-for-eastern-leaders");
    const { accounts, legacy } = parseAccounts(JSON.stringify({ [hash]: "community-eastern" }), "tokens.json", leaderAccounts, leaderCheck(AUDIENCES.leaders));
    expect(legacy).toBe(true);
    expect(accounts).toEqual([{ name: `community-eastern (token ${hash.slice(0, 8)})`, role: "leader", subscriber: "community-eastern", credential: `sha256$${hash}`, expiresAt: undefined, disabled: false, legacy: true }]);
    expect(() => parseAccounts(JSON.stringify({ "plain-token": "community-eastern" }), "t.json", leaderAccounts)).toThrow(/SHA-256 hex of a token/);
    expect(() => parseAccounts(JSON.stringify({ [hash]: "customs" }), "t.json", leaderAccounts, leaderCheck(AUDIENCES.leaders))).toThrow(new RegExp(`${hash}: "customs" is not a community-leader subscriber`));
  });

  it("are configured by BRIEFING_LEADER_ACCOUNTS_FILE (or the deprecated tokens file), with session and throttle settings", () => {
    const env = { BRIEFING_ROUNDING_SECRET_FILE: "/dev/null" };
    expect(leaderAccountsFile(configSchema.parse(env))).toBeUndefined();
    expect(leaderAccountsFile(configSchema.parse({ ...env, BRIEFING_LEADER_ACCOUNTS_FILE: "/a.json" }))).toEqual({ path: "/a.json", variable: "BRIEFING_LEADER_ACCOUNTS_FILE" });
    expect(leaderAccountsFile(configSchema.parse({ ...env, BRIEFING_LEADER_TOKENS_FILE: "/t.json" }))).toEqual({ path: "/t.json", variable: "BRIEFING_LEADER_TOKENS_FILE" });
    expect(configSchema.safeParse({ ...env, BRIEFING_LEADER_ACCOUNTS_FILE: "/a.json", BRIEFING_LEADER_TOKENS_FILE: "/t.json" }).error?.issues[0]?.path).toEqual(["BRIEFING_LEADER_TOKENS_FILE"]);
    expect(signInSettings(configSchema.parse(env))).toEqual({ sessionTtlMs: 12 * 3_600_000, sessionIdleMs: 3_600_000, freeFailures: 5, backoffBaseMs: 1000, backoffMaxMs: 900_000, cacheTtlMs: 60_000 });
    const c = configSchema.parse(env);
    expect([c.BRIEFING_ACCOUNTS_POLL_MS, c.BRIEFING_SESSION_SWEEP_MS]).toEqual([2000, 60_000]);
    expect(configSchema.safeParse({ ...env, BRIEFING_SESSION_IDLE_MS: String(13 * 3_600_000) }).error?.issues[0]?.path).toEqual(["BRIEFING_SESSION_IDLE_MS"]);
    // Seconds, for tests of expiry; never under one.
    expect(signInSettings(configSchema.parse({ ...env, BRIEFING_SESSION_TTL_MS: "6000", BRIEFING_SESSION_IDLE_MS: "2000" }))).toMatchObject({ sessionTtlMs: 6000, sessionIdleMs: 2000 });
    expect(configSchema.safeParse({ ...env, BRIEFING_SESSION_TTL_MS: "999" }).error?.issues[0]?.path).toEqual(["BRIEFING_SESSION_TTL_MS"]);
  });

  it("are named in a leader's access record once the contract carries the account", () => {
    const r = briefingViewed({ subscriberId: "community-eastern", account: { name: "Rangi Parata", role: "leader" }, channel: CHANNELS.HTTP, resource: "/v1/briefings/eastern", regions: ["EASTERN"] }, NOW, "a-1");
    const decoded = AccessRecord.decode(AccessRecord.encode(r).finish()) as Record_ & Record<string, unknown>;
    expect(decoded).toMatchObject({ id: "a-1", subscriberId: "community-eastern", channel: "briefing.http" });
    expect(decoded).toMatchObject({ accountName: "Rangi Parata", accountRole: "leader" });
  });
});

// ---- the HTTP door over a real accounts file ------------------------------------------

const dir = mkdtempSync(join(tmpdir(), "briefing-accounts-"));
const path = join(dir, "leaders.json");
let version = 0;
function writeAccounts(accounts: object[]) {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify({ accounts }));
  const t = new Date(Date.now() + ++version * 1000);
  utimesSync(tmp, t, t);
  renameSync(tmp, path);
}
writeAccounts(ACCOUNTS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const logs: Record<string, unknown>[] = [];
const logger = createLogger("briefing", "info", new Writable({ write: (c, _e, cb) => (logs.push(JSON.parse(String(c)) as Record<string, unknown>), cb()) }));
const file = new AccountsFile({ path, format: leaderAccounts, logger, check: leaderCheck(AUDIENCES.leaders) });
const { app, records, refusals } = briefingAppForTests({ gate: leaderGateOver(file.accounts, { logger, settings: { freeFailures: 3 } }), logger });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const form = { "content-type": "application/x-www-form-urlencoded" };
const URL_ = "/v1/briefings/eastern?week=2026-W47";

describe("leader accounts at the briefing's door", () => {
  it("serve a leader by their own token, and record who viewed", async () => {
    records.length = 0;
    const res = await app.inject({ url: URL_, headers: bearer(rangi.token) });
    expect(res.statusCode).toBe(200);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ subscriberId: "community-eastern", channel: "briefing.http", regions: ["EASTERN"] });
    expect(records[0]).toMatchObject({ accountName: "Rangi Parata", accountRole: "leader" });
    // A refusal outside the scope names the account too.
    const out = await app.inject({ url: "/v1/briefings/northland?week=2026-W47", headers: bearer(rangi.token) });
    expect(out.statusCode).toBe(403);
    expect(records[1]).toMatchObject({ accountName: "Rangi Parata", accountRole: "leader" });
  });

  it("refuse an expired account with CREDENTIAL_EXPIRED and a disabled one with CREDENTIAL_DISABLED", async () => {
    records.length = 0;
    const expired = await app.inject({ url: URL_, headers: bearer(mere.token) });
    expect([expired.statusCode, expired.json().error.code]).toEqual([401, "CREDENTIAL_EXPIRED"]);
    const disabled = await app.inject({ url: URL_, headers: bearer(tama.token) });
    expect([disabled.statusCode, disabled.json().error.code]).toEqual([401, "CREDENTIAL_DISABLED"]);
    const signIn = await app.inject({ method: "POST", url: "/login", headers: form, payload: `token=${mere.token}` });
    expect(signIn.statusCode).toBe(401);
    expect(signIn.body).toContain("CREDENTIAL_EXPIRED");
    expect(signIn.headers["set-cookie"]).toBeUndefined();
    expect(records).toEqual([]);
  });

  it("throttle failures: 429 SIGN_IN_THROTTLED with Retry-After on the sign-in page and the JSON API", async () => {
    const remote = { remoteAddress: "198.51.100.20" };
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: "POST", url: "/login", headers: form, payload: `token=guess-${i}-xxxxxxxxxxxxxxxx`, ...remote });
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain("That token was not recognised.");
    }
    const page = await app.inject({ method: "POST", url: "/login", headers: form, payload: "token=guess-3-xxxxxxxxxxxxxxxx", ...remote });
    expect(page.statusCode).toBe(429);
    // Each failed sign-in is counted in the refusal window, under the route, never with the token.
    const signIns = refusals.filter((r) => r.door === "sign-in" && r.address === remote.remoteAddress);
    expect(signIns.map((r) => [r.code, r.route])).toEqual([["CREDENTIAL_INVALID", "/login"], ["CREDENTIAL_INVALID", "/login"], ["CREDENTIAL_INVALID", "/login"], ["SIGN_IN_THROTTLED", "/login"]]);
    expect(JSON.stringify(signIns)).not.toContain("guess-");
    expect(page.headers["retry-after"]).toBe("1");
    expect(page.body).toContain("SIGN_IN_THROTTLED");
    const api = await app.inject({ url: URL_, headers: bearer("guess-4-xxxxxxxxxxxxxxxx"), ...remote });
    expect(api.statusCode).toBe(429);
    expect(api.headers["retry-after"]).toBe("1");
    expect(api.json().error).toMatchObject({ code: "SIGN_IN_THROTTLED", retry_after_seconds: 1 });
    // Another address is not held back.
    expect((await app.inject({ url: URL_, headers: bearer(wiremu.token), remoteAddress: "198.51.100.21" })).statusCode).toBe(200);
  });

  it("end a rotated account's token and sessions at once, without a restart", async () => {
    const signIn = await app.inject({ method: "POST", url: "/login", headers: form, payload: `token=${wiremu.token}&next=%2Fbriefings%2Feastern` });
    expect(signIn.statusCode).toBe(303);
    const cookie = String(signIn.headers["set-cookie"]).split(";")[0]!;
    expect((await app.inject({ url: "/briefings/eastern?week=2026-W47", headers: { cookie } })).statusCode).toBe(200);
    const rangiCookie = String((await app.inject({ method: "POST", url: "/login", headers: form, payload: `token=${rangi.token}` })).headers["set-cookie"]).split(";")[0]!;

    const rotated = await newCredential();
    writeAccounts([ACCOUNTS[0]!, ACCOUNTS[1]!, ACCOUNTS[2]!, { ...ACCOUNTS[3]!, credential: rotated.credential }]);
    expect(await file.reload()).toBe("replaced");
    // The page sends the browser to sign in again; the old token is refused; the new one works.
    const page = await app.inject({ url: "/briefings/eastern?week=2026-W47", headers: { cookie } });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe("/login?next=%2Fbriefings%2Feastern%3Fweek%3D2026-W47&session=ended");
    expect(page.headers["set-cookie"]).toMatch(/^takitini_briefing=; .*Max-Age=0/);
    const notice = await app.inject({ url: page.headers.location as string });
    expect(notice.body).toContain('<p role="alert">Your session has ended. Sign in again.</p>');
    expect(notice.body).toContain('name="next" value="/briefings/eastern?week=2026-W47"');
    // Without a cookie, the sign-in page has nothing to say.
    const plain = await app.inject({ url: "/briefings/eastern?week=2026-W47" });
    expect(plain.headers.location).toBe("/login?next=%2Fbriefings%2Feastern%3Fweek%3D2026-W47");
    expect((await app.inject({ url: "/login" })).body).not.toContain('role="alert"');
    expect((await app.inject({ url: URL_, headers: bearer(wiremu.token) })).statusCode).toBe(401);
    expect((await app.inject({ url: URL_, headers: bearer(rotated.token) })).statusCode).toBe(200);
    expect((await app.inject({ url: URL_, headers: { cookie: rangiCookie } })).statusCode).toBe(200);

    // A file naming a subscriber that is not a community leader is refused; the accounts held stay.
    writeAccounts([{ ...ACCOUNTS[0]!, subscriber: "customs" }]);
    expect(await file.reload()).toBe("refused");
    expect(logs).toContainEqual(expect.objectContaining({ code: "ACCOUNTS_FILE_REFUSED", issues: [expect.objectContaining({ path: "accounts[0].subscriber" })] }));
    expect((await app.inject({ url: URL_, headers: { cookie: rangiCookie } })).statusCode).toBe(200);

    // Removed: Rangi's session ends.
    writeAccounts([{ ...ACCOUNTS[3]!, credential: rotated.credential }]);
    expect(await file.reload()).toBe("replaced");
    expect((await app.inject({ url: URL_, headers: { cookie: rangiCookie } })).statusCode).toBe(401);
    expect((await app.inject({ url: URL_, headers: bearer(rangi.token) })).statusCode).toBe(401);
    // Not a token or a credential in the log.
    const log = JSON.stringify(logs);
    for (const c of [rangi, mere, tama, wiremu, rotated]) {
      expect(log).not.toContain(c.token);
      expect(log).not.toContain(c.credential);
    }
  });
});
