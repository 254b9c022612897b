/**
 * Oversight staff are people: named accounts from a real accounts file, on the
 * app as main.ts builds it (an in-memory PGlite ledger, the console's routes,
 * app.inject): the ledger records the account's name for every query, expired
 * and disabled accounts are refused with their codes, failures are throttled
 * (429, Retry-After), and rotating or removing an account in the file ends its
 * token and its console sessions without a restart.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccountsFile, createLogger, createMetricsRegistry, newCredential } from "@takitini/runtime";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp as buildServers, type AppDeps } from "../app.js";
/** The door (the admin listener is tested in admin.test.ts). */
const buildApp = async (deps: AppDeps) => (await buildServers(deps)).app;
import { configSchema } from "../config.js";
import { IN_MEMORY, Ledger, openPglite } from "../ledger/index.js";
import { createSigner } from "../merkle/index.js";
import { gateOver } from "./accounts.fixture.js";
import { oversightAccounts, type OversightAccount } from "./credentials.js";
import { LedgerRefusals } from "./refusals.js";

const dir = mkdtempSync(join(tmpdir(), "audit-accounts-"));
const path = join(dir, "accounts.json");
let version = 0;
function writeAccounts(accounts: object[]) {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify({ accounts }));
  const t = new Date(Date.now() + ++version * 1000);
  utimesSync(tmp, t, t);
  renameSync(tmp, path);
}

const [aroha, hemi, mere, tama] = await Promise.all([newCredential(), newCredential(), newCredential(), newCredential()]);
const FUTURE = new Date(Date.now() + 90 * 86_400_000).toISOString();
const PAST = new Date(Date.now() - 86_400_000).toISOString();
const accounts = [
  { name: "Aroha Ngata", role: "reviewer", credential: aroha.credential, expires_at: FUTURE },
  { name: "Hemi Walker", role: "administrator", credential: hemi.credential, expires_at: FUTURE },
  { name: "Mere Expired", role: "reviewer", credential: mere.credential, expires_at: PAST },
  { name: "Tama Disabled", role: "reviewer", credential: tama.credential, expires_at: FUTURE, disabled: true },
];
writeAccounts(accounts);

let db: Awaited<ReturnType<typeof openPglite>>;
let app: FastifyInstance;
let file: AccountsFile<OversightAccount>;
let refusals: LedgerRefusals;
const form = { "content-type": "application/x-www-form-urlencoded" };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  db = await openPglite(IN_MEMORY);
  const ledger = await Ledger.open(db, { signer: createSigner(generateKeyPairSync("ed25519").privateKey) });
  const logger = createLogger("t", "silent");
  file = new AccountsFile({ path, format: oversightAccounts, logger });
  // Refusals for a credential are counted in a window the tests flush themselves.
  refusals = new LedgerRefusals(ledger, { windowMs: 3_600_000, logger });
  app = await buildApp({ logger, metrics: createMetricsRegistry("t"), db, ledger, gate: gateOver(file.accounts, { logger, settings: { freeFailures: 3, sessionTtlMs: 3_600_000, sessionIdleMs: 3_600_000 } }), readiness: [], refusals });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The refusal_summary records appended since `from`. */
async function summariesSince(from: number): Promise<Record<string, unknown>[]> {
  const rows = await db.query<{ doc: Record<string, unknown> }>("select doc from audit_records where kind = 'refusal_summary' and idx >= $1 order by idx", [String(from)]);
  return rows.rows.map((r) => r.doc);
}

/** The oversight_query records appended since `from`. */
async function queriesSince(from: number): Promise<Record<string, unknown>[]> {
  const rows = await db.query<{ doc: Record<string, unknown> }>("select doc from audit_records where kind = 'oversight_query' and idx >= $1 order by idx", [String(from)]);
  return rows.rows.map((r) => r.doc);
}
const treeSize = async () => Number((await db.query<{ n: string }>("select count(*) as n from audit_records")).rows[0]!.n);

describe("oversight accounts on the API", () => {
  it("let a named account in by its own token, and record the account's name with its query", async () => {
    const from = await treeSize();
    const res = await app.inject({ url: "/v1/records?kind=decision", headers: bearer(aroha.token) });
    expect(res.statusCode).toBe(200);
    const admin = await app.inject({ url: "/v1/records?kind=decision", headers: bearer(hemi.token) });
    expect(admin.statusCode).toBe(200);
    const recorded = await queriesSince(from);
    expect(recorded.map((q) => q["officer"])).toEqual(["Aroha Ngata", "Hemi Walker"]);
    expect(recorded.map((q) => q["officer_role"])).toEqual(["reviewer", "administrator"]);
  });

  it("refuse an expired account with CREDENTIAL_EXPIRED and a disabled one with CREDENTIAL_DISABLED: no row each, counted by code in the window's summary, naming nobody", async () => {
    await refusals.flush();
    const from = await treeSize();
    const expired = await app.inject({ url: "/v1/records", headers: bearer(mere.token) });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe("CREDENTIAL_EXPIRED");
    const disabled = await app.inject({ url: "/v1/records", headers: bearer(tama.token) });
    expect(disabled.statusCode).toBe(401);
    expect(disabled.json().error.code).toBe("CREDENTIAL_DISABLED");
    expect(await queriesSince(from)).toEqual([]);
    expect(await refusals.flush()).toBe(2);
    const summaries = await summariesSince(from);
    expect(summaries.map((q) => [q["code"], q["route"], q["count"]]).sort()).toEqual([
      ["CREDENTIAL_DISABLED", "/v1/records", 1],
      ["CREDENTIAL_EXPIRED", "/v1/records", 1],
    ]);
    expect(JSON.stringify(summaries)).not.toMatch(/Mere|Tama/);
    // Nor can they sign in to the console.
    const signIn = await app.inject({ method: "POST", url: "/console/login", headers: form, payload: `token=${mere.token}` });
    expect(signIn.statusCode).toBe(303);
    expect(signIn.headers.location).toBe("/console/login.html?error=CREDENTIAL_EXPIRED");
    expect(signIn.headers["set-cookie"]).toBeUndefined();
  });

  it("throttle failed credentials: 429 SIGN_IN_THROTTLED with Retry-After, counted like any refusal for a credential", async () => {
    const wrong = `${hemi.token.slice(0, -6)}AAAAAA`;
    const remote = { remoteAddress: "198.51.100.7" };
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ url: "/v1/records", headers: bearer(wrong), ...remote });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe("OVERSIGHT_CREDENTIAL_REQUIRED");
    }
    await refusals.flush();
    const from = await treeSize();
    const throttled = await app.inject({ url: "/v1/records", headers: bearer(wrong), ...remote });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers["retry-after"]).toBe("1");
    expect(throttled.json().error).toMatchObject({ code: "SIGN_IN_THROTTLED", retry_after_seconds: 1 });
    expect(await queriesSince(from)).toEqual([]);
    await refusals.flush();
    expect((await summariesSince(from)).map((q) => [q["code"], q["count"], q["distinct_addresses"]])).toEqual([["SIGN_IN_THROTTLED", 1, 1]]);
    // The account the token names backs off from any address; another account does not.
    expect((await app.inject({ url: "/v1/records", headers: bearer(wrong), remoteAddress: "203.0.113.9" })).statusCode).toBe(429);
    expect((await app.inject({ url: "/v1/records", headers: bearer(aroha.token), ...remote })).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await app.inject({ url: "/v1/records", headers: bearer(hemi.token), remoteAddress: "203.0.113.9" })).statusCode).toBe(200);
  });

  it("throttle the console's sign-in per client address: a page for a browser, JSON for anything else", async () => {
    const remote = { remoteAddress: "192.0.2.44" };
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: "POST", url: "/console/login", headers: form, payload: `token=guess-${i}`, ...remote });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe("/console/login.html?failed=1");
    }
    const page = await app.inject({ method: "POST", url: "/console/login", headers: { ...form, accept: "text/html,application/xhtml+xml" }, payload: "token=guess-3", ...remote });
    expect(page.statusCode).toBe(429);
    expect(page.headers["retry-after"]).toMatch(/^[12]$/);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(page.body).toContain("SIGN_IN_THROTTLED");
    expect(page.body).not.toMatch(/<script/);
    const json = await app.inject({ method: "POST", url: "/console/login", headers: form, payload: "token=guess-4", ...remote });
    expect(json.statusCode).toBe(429);
    expect(json.json().error.code).toBe("SIGN_IN_THROTTLED");
    expect(json.headers["set-cookie"]).toBeUndefined();
    // A token verified within the last minute is not a guess: it signs in even from the address backing off.
    const ok = await app.inject({ method: "POST", url: "/console/login", headers: form, payload: `token=${aroha.token}`, ...remote });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe("/console/");
  });

  it("end a rotated account's token and console sessions at once, without a restart, and take its new token", async () => {
    const signIn = await app.inject({ method: "POST", url: "/console/login", headers: form, payload: `token=${aroha.token}`, remoteAddress: "192.0.2.50" });
    const session = String(signIn.headers["set-cookie"]).split(";")[0]!;
    const hemiSignIn = await app.inject({ method: "POST", url: "/console/login", headers: form, payload: `token=${hemi.token}`, remoteAddress: "192.0.2.50" });
    const hemiSession = String(hemiSignIn.headers["set-cookie"]).split(";")[0]!;
    expect((await app.inject({ url: "/v1/records", headers: { cookie: session } })).statusCode).toBe(200);
    expect((await app.inject({ url: "/v1/records", headers: bearer(aroha.token) })).statusCode).toBe(200);

    const rotated = await newCredential();
    writeAccounts([{ ...accounts[0], credential: rotated.credential }, ...accounts.slice(1)]);
    expect(await file.reload()).toBe("replaced");
    // The old token (verified a moment ago, so remembered) and the session it opened: refused at once.
    expect((await app.inject({ url: "/v1/records", headers: bearer(aroha.token) })).statusCode).toBe(401);
    expect((await app.inject({ url: "/v1/records", headers: { cookie: session } })).statusCode).toBe(401);
    // Another account's session goes on.
    expect((await app.inject({ url: "/v1/records", headers: { cookie: hemiSession } })).statusCode).toBe(200);
    const from = await treeSize();
    expect((await app.inject({ url: "/v1/records", headers: bearer(rotated.token) })).statusCode).toBe(200);
    expect((await queriesSince(from)).map((q) => q["officer"])).toEqual(["Aroha Ngata"]);

    // Removed from the file: Hemi's session ends too.
    writeAccounts([{ ...accounts[0], credential: rotated.credential }]);
    expect(await file.reload()).toBe("replaced");
    expect((await app.inject({ url: "/v1/records", headers: { cookie: hemiSession } })).statusCode).toBe(401);
    expect((await app.inject({ url: "/v1/records", headers: bearer(hemi.token) })).statusCode).toBe(401);

    // A bad file is refused: the accounts held stay.
    writeAccounts([{ ...accounts[0], credential: rotated.credential, expires_at: "tomorrow" }]);
    expect(await file.reload()).toBe("refused");
    expect((await app.inject({ url: "/v1/records", headers: bearer(rotated.token) })).statusCode).toBe(200);
  });
});

describe("console session settings", () => {
  const base = { DATABASE_URL: "postgres://x@127.0.0.1/db", AUDIT_OVERSIGHT_ACCOUNTS_FILE: "/a.json", TAKITINI_INSECURE_KAFKA: "true" };

  it("default to 8 h and 30 min idle; may be seconds (for tests of expiry), never under one, idle at most the lifetime", () => {
    expect(configSchema.parse(base)).toMatchObject({ SESSION_TTL_MS: 8 * 3_600_000, SESSION_IDLE_MS: 30 * 60_000 });
    expect(configSchema.parse({ ...base, SESSION_TTL_MS: "6000", SESSION_IDLE_MS: "2000" })).toMatchObject({ SESSION_TTL_MS: 6000, SESSION_IDLE_MS: 2000 });
    expect(configSchema.safeParse({ ...base, SESSION_TTL_MS: "999" }).error?.issues[0]?.path).toEqual(["SESSION_TTL_MS"]);
    expect(configSchema.safeParse({ ...base, SESSION_IDLE_MS: "999" }).error?.issues[0]?.path).toEqual(["SESSION_IDLE_MS"]);
    expect(configSchema.safeParse({ ...base, SESSION_TTL_MS: "6000", SESSION_IDLE_MS: "7000" }).error?.issues[0]?.path).toEqual(["SESSION_IDLE_MS"]);
  });
});
