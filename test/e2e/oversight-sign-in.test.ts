import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./browser.js";
import { account, bearer, editAccounts, freshPage, pathOf, postForm, request, runAccountTool, setCookie, until, waitUntil, wrongSecret, writeAccounts, type Account, type Answer } from "./sign-in.js";
import { auditEnv, startService, type RunningService } from "./stack.js";

/**
 * Oversight staff signing in, on the real audit service (its PostgreSQL ledger,
 * its Kafka ingest) from its build, over the API and in Debian's headless
 * Chromium through the console's own sign-in page, as a person would: a valid
 * account is let in, a wrong token and an expired account are refused, roles
 * hold (a reviewer reads but may not sign a tree head; an administrator may),
 * rotating a credential with the account tool — no restart — refuses the old
 * token and ends the old session while the new one works, a disabled or removed
 * account stops at once, sessions end after the idle timeout and at their
 * absolute lifetime (seconds, by configuration) and send the person back to sign
 * in, and failed sign-ins are throttled (429 SIGN_IN_THROTTLED with Retry-After;
 * a page saying how long) with even the right token refused until the backoff
 * has passed.
 *
 * Two audit services, one after the other: one with the shipped session
 * settings for sign-in, roles, rotation and removal; one with sessions of
 * seconds and a quick throttle for expiry and throttling (its failures would
 * throttle the other tests, which come from the same address).
 */

const brokers = inject("brokers");
const databaseUrl = inject("databaseUrl");
const run = randomUUID().slice(0, 8);
const dir = mkdtempSync(join(tmpdir(), "takitini-e2e-oversight-sign-in-"));
const COOKIE = "takitini_oversight";
const DAY = 86_400_000;

let browser: Browser;
const problems: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** An audit service from its build, on its own ledger schema and consumer group, reading `accountsFile`. */
async function startAudit(label: string, accountsFile: string, env: Record<string, string> = {}): Promise<RunningService> {
  const r = `${run}-${label}`;
  return startService("audit", {
    KAFKA_BROKERS: brokers.join(","),
    ...auditEnv(databaseUrl, r),
    GROUP_ID: `takitini-audit-e2e-${r}`,
    AUDIT_OVERSIGHT_ACCOUNTS_FILE: accountsFile,
    // A changed accounts file is seen within a quarter of a second.
    ACCOUNTS_POLL_MS: "250",
    // No scheduled tree heads: only the ones asked for (the roles test needs a record no head covers yet).
    HEAD_INTERVAL_MS: "3600000",
    ...env,
  });
}

/** The console's sign-in form over HTTP (no browser): the answer and the session cookie it set, if any. */
async function formSignIn(svc: RunningService, token: string, headers: Record<string, string> = {}): Promise<{ answer: Answer; cookie: string | undefined }> {
  const answer = await postForm(svc, "/console/login", { token }, headers);
  return { answer, cookie: setCookie(answer, COOKIE)?.pair };
}

/** Sign in on the console's own page in a fresh browser profile and wait for the search page. */
async function browserSignIn(svc: RunningService, token: string): Promise<Page> {
  const { page } = await freshPage(browser, problems);
  await page.goto(`${svc.url}/console/`);
  expect(pathOf(page)).toBe("/console/login");
  await page.fill("#token", token);
  await Promise.all([page.waitForURL(`${svc.url}/console/`), page.click("#login-form button[type=submit]")]);
  await page.waitForSelector("#results-table, #results p.empty");
  return page;
}

/** Submit `token` on the sign-in page and wait for the page the service answers with. */
async function submitToken(page: Page, token: string): Promise<void> {
  await page.fill("#token", token);
  await Promise.all([page.waitForNavigation(), page.click("#login-form button[type=submit]")]);
}

/** The sign-in page's message, once shown. */
async function loginError(page: Page): Promise<string> {
  await page.waitForSelector("#login-error:not([hidden])");
  return ((await page.textContent("#login-error")) ?? "").trim();
}

/** Go to the console's search page with whatever session the browser holds; resolves where it ends up. */
async function openConsole(svc: RunningService, page: Page): Promise<"console" | "sign-in"> {
  await page.goto(`${svc.url}/console/`);
  // The page itself loads for any cookie; its call to the API decides (a 401 sends it to sign in).
  await page.waitForSelector("#login-form, #results-table, #results p.empty, #page-error:not([hidden])");
  return pathOf(page) === "/console/login" ? "sign-in" : "console";
}

const SESSION_ENDED = "Your session has ended or the page needs an oversight credential. Sign in again.";

describe("oversight sign-in, roles, rotation and removal (shipped session settings)", () => {
  let audit: RunningService;
  const file = join(dir, "accounts.json");
  let aroha: Account; // reviewer
  let hemi: Account; // administrator
  let mere: Account; // reviewer, expired yesterday
  let rawiri: Account; // reviewer, rotated by the account tool
  let tama: Account; // reviewer, to be disabled
  let wiremu: Account; // reviewer, to be removed

  beforeAll(async () => {
    const now = Date.now();
    [aroha, hemi, mere, rawiri, tama, wiremu] = await Promise.all([
      account({ name: "Aroha Ngata", role: "reviewer", days: 1 }),
      account({ name: "Hemi Walker", role: "administrator", days: 1 }),
      account({ name: "Mere Expired", role: "reviewer", expiresAt: new Date(now - DAY) }),
      account({ name: "Rawiri Rotated", role: "reviewer", days: 1 }),
      account({ name: "Tama Disabled", role: "reviewer", days: 1 }),
      account({ name: "Wiremu Removed", role: "reviewer", days: 1 }),
    ]);
    writeAccounts(file, [aroha, hemi, mere, rawiri, tama, wiremu].map((a) => a.entry));
    // Refusals from this address are not what these tests are about: no backoff within them.
    audit = await startAudit("door", file, { SIGN_IN_FREE_FAILURES: "100" });
  });
  afterAll(async () => {
    expect(await audit?.stop("SIGTERM")).toBe(0);
  });

  /** The oversight_query records of `METHOD route` in the ledger, as an administrator reads them (officer, role, status). */
  async function recordedQueries(action: string): Promise<{ officer: string; officer_role: string; status: number }[]> {
    const list = await request(audit, `/v1/records?kind=oversight_query&limit=500`, { headers: bearer(hemi.token) });
    expect(list.status).toBe(200);
    const ids = (list.json.records as { id: string; action: string }[]).filter((r) => r.action === action).map((r) => r.id);
    const out = [];
    for (const id of ids.reverse()) out.push((await request(audit, `/v1/records/${id}`, { headers: bearer(hemi.token) })).json.record.detail);
    return out;
  }

  it("lets a valid account in: by bearer token, by the sign-in form for a session cookie, and in Chromium through the sign-in page", async () => {
    const api = await request(audit, "/v1/records?limit=5", { headers: bearer(aroha.token) });
    expect(api.status).toBe(200);
    expect(Array.isArray(api.json.records)).toBe(true);

    const { answer, cookie } = await formSignIn(audit, aroha.token);
    expect([answer.status, answer.headers.get("location")]).toEqual([303, "/console/"]);
    expect(setCookie(answer, COOKIE)?.attributes).toMatch(/HttpOnly; SameSite=Strict; Path=\/; Max-Age=28800/);
    expect((await request(audit, "/v1/records?limit=1", { headers: { cookie: cookie! } })).status).toBe(200);

    const page = await browserSignIn(audit, aroha.token);
    const [session] = await page.context().cookies();
    expect(session).toMatchObject({ name: COOKIE, httpOnly: true, sameSite: "Strict" });
    expect(session!.value).not.toContain(aroha.token.split(".")[2]!); // a session id, never the token
    await page.context().close();

    // Every query names who asked.
    const recorded = await recordedQueries("GET /v1/records");
    expect(recorded.filter((q) => q.officer === "Aroha Ngata" && q.status === 200).length).toBeGreaterThanOrEqual(3);
    expect(recorded.find((q) => q.officer === "Aroha Ngata")).toMatchObject({ officer_role: "reviewer" });
  });

  it("refuses a wrong token: 401 over the API, no session from the form, and the sign-in page says so", async () => {
    for (const token of [wrongSecret(aroha.token), "not-an-oversight-token"]) {
      const api = await request(audit, "/v1/records", { headers: bearer(token) });
      expect([api.status, api.json.error.code]).toEqual([401, "OVERSIGHT_CREDENTIAL_REQUIRED"]);
      const { answer, cookie } = await formSignIn(audit, token);
      expect([answer.status, answer.headers.get("location"), cookie]).toEqual([303, "/console/login.html?failed=1", undefined]);
    }
    expect((await request(audit, "/v1/records")).status).toBe(401);

    const { context, page } = await freshPage(browser, problems);
    await page.goto(`${audit.url}/console/login`);
    await submitToken(page, wrongSecret(aroha.token));
    expect(await loginError(page)).toBe("That credential was not accepted.");
    expect(pathOf(page)).toBe("/console/login.html");
    expect(await context.cookies()).toEqual([]);
    expect(await openConsole(audit, page)).toBe("sign-in");
    await context.close();
  });

  it("refuses an account whose credential has expired: CREDENTIAL_EXPIRED over the API and on the sign-in page", async () => {
    const api = await request(audit, "/v1/records", { headers: bearer(mere.token) });
    expect([api.status, api.json.error.code]).toEqual([401, "CREDENTIAL_EXPIRED"]);
    const { answer, cookie } = await formSignIn(audit, mere.token);
    expect([answer.status, answer.headers.get("location"), cookie]).toEqual([303, "/console/login.html?error=CREDENTIAL_EXPIRED", undefined]);

    const { context, page } = await freshPage(browser, problems);
    await page.goto(`${audit.url}/console/login`);
    await submitToken(page, mere.token);
    expect(await loginError(page)).toBe("That credential has expired (CREDENTIAL_EXPIRED). Ask for a new one.");
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it("holds roles: a reviewer reads but may not sign a tree head (403 ROLE_NOT_PERMITTED, recorded), an administrator may — over the API and in the console", async () => {
    const refused = await request(audit, "/v1/tree/heads", { method: "POST", headers: bearer(aroha.token) });
    expect([refused.status, refused.json.error.code]).toEqual([403, "ROLE_NOT_PERMITTED"]);
    expect(refused.json.error.message).toBe("POST /v1/tree/heads is for an administrator; this account is a reviewer");
    const none = await request(audit, "/v1/tree/head", { headers: bearer(aroha.token) });
    expect([none.status, none.json.error.code]).toEqual([404, "NO_SIGNED_HEAD"]);

    // In the console: a record no head covers yet offers to sign one; the reviewer is refused, the administrator is not.
    const { json } = await request(audit, "/v1/records?kind=oversight_query&limit=1", { headers: bearer(aroha.token) });
    const recordPage = `${audit.url}/console/record?id=${encodeURIComponent(json.records[0].id)}`;
    const reviewer = await browserSignIn(audit, aroha.token);
    await reviewer.goto(recordPage);
    await reviewer.waitForSelector("#proof-status:not([data-status=checking])");
    expect(await reviewer.getAttribute("#proof-status", "data-status")).toBe("pending");
    await reviewer.click("#sign-head");
    await reviewer.waitForSelector("#page-error:not([hidden])");
    expect(await reviewer.textContent("#page-error")).toContain("ROLE_NOT_PERMITTED");
    expect(await reviewer.getAttribute("#proof-status", "data-status")).toBe("pending");
    expect((await request(audit, "/v1/tree/head", { headers: bearer(aroha.token) })).status).toBe(404);
    await reviewer.context().close();

    const administrator = await browserSignIn(audit, hemi.token);
    await administrator.goto(recordPage);
    await administrator.waitForSelector("#proof-status:not([data-status=checking])");
    await administrator.click("#sign-head");
    await administrator.waitForSelector("#proof-status[data-status=verified]");
    await administrator.context().close();
    expect((await request(audit, "/v1/tree/head", { headers: bearer(aroha.token) })).status).toBe(200);
    expect((await request(audit, "/v1/tree/heads", { method: "POST", headers: bearer(hemi.token) })).status).toBe(201);

    // Each refusal is in the ledger as an oversight query, with who asked and their role.
    const signings = await recordedQueries("POST /v1/tree/heads");
    expect(signings.map((q) => [q.officer, q.officer_role, q.status])).toEqual([
      ["Aroha Ngata", "reviewer", 403],
      ["Aroha Ngata", "reviewer", 403],
      ["Hemi Walker", "administrator", 201],
      ["Hemi Walker", "administrator", 201],
    ]);
  });

  it("rotates a credential with the account tool, without a restart: the old token and its sessions end at once, the new token works", async () => {
    const page = await browserSignIn(audit, rawiri.token);
    const { cookie } = await formSignIn(audit, rawiri.token);
    expect((await request(audit, "/v1/records?limit=1", { headers: { cookie: cookie! } })).status).toBe(200);
    expect((await request(audit, "/v1/records?limit=1", { headers: bearer(rawiri.token) })).status).toBe(200); // verified, so remembered

    const rotated = await runAccountTool("audit", ["--name", "Rawiri Rotated", "--role", "reviewer", "--days", "1", "--file", file]);
    expect(rotated).not.toBe(rawiri.token);
    // The service re-reads the file on its own: the session the old token opened ends.
    await until("the old session to end", async () => ((await request(audit, "/v1/records?limit=1", { headers: { cookie: cookie! } })).status === 401 ? true : undefined));
    const old = await request(audit, "/v1/records?limit=1", { headers: bearer(rawiri.token) });
    expect([old.status, old.json.error.code]).toEqual([401, "OVERSIGHT_CREDENTIAL_REQUIRED"]);
    expect((await formSignIn(audit, rawiri.token)).answer.headers.get("location")).toBe("/console/login.html?failed=1");
    expect((await request(audit, "/v1/records?limit=1", { headers: bearer(rotated) })).status).toBe(200);
    // Other accounts go on.
    expect((await request(audit, "/v1/records?limit=1", { headers: bearer(aroha.token) })).status).toBe(200);

    // The browser's session has ended too: the console sends the person back to sign in, where the new token works.
    expect(await openConsole(audit, page)).toBe("sign-in");
    expect(new URL(page.url()).search).toBe("?error=session");
    expect(await loginError(page)).toBe(SESSION_ENDED);
    await page.fill("#token", rotated);
    await Promise.all([page.waitForURL(`${audit.url}/console/`), page.click("#login-form button[type=submit]")]);
    expect(await openConsole(audit, page)).toBe("console");
    await page.context().close();

    expect(audit.output()).toMatch(/"code":"SESSIONS_ENDED"[^\n]*"Rawiri Rotated"/);
    for (const token of [rawiri.token, rotated]) expect(audit.output()).not.toContain(token.split(".")[2]!);
  });

  it("stops a disabled and a removed account at once: their tokens are refused and their sessions end", async () => {
    const tamaPage = await browserSignIn(audit, tama.token);
    const wiremuPage = await browserSignIn(audit, wiremu.token);
    const tamaCookie = (await formSignIn(audit, tama.token)).cookie!;
    const wiremuCookie = (await formSignIn(audit, wiremu.token)).cookie!;
    for (const cookie of [tamaCookie, wiremuCookie]) expect((await request(audit, "/v1/records?limit=1", { headers: { cookie } })).status).toBe(200);

    editAccounts(file, (entries) => entries.filter((e) => e["name"] !== "Wiremu Removed").map((e) => (e["name"] === "Tama Disabled" ? { ...e, disabled: true } : e)));
    await until("both sessions to end", async () => {
      const statuses = await Promise.all([tamaCookie, wiremuCookie].map(async (cookie) => (await request(audit, "/v1/records?limit=1", { headers: { cookie } })).status));
      return statuses.every((s) => s === 401) ? true : undefined;
    });
    const disabled = await request(audit, "/v1/records", { headers: bearer(tama.token) });
    expect([disabled.status, disabled.json.error.code]).toEqual([401, "CREDENTIAL_DISABLED"]);
    expect((await formSignIn(audit, tama.token)).answer.headers.get("location")).toBe("/console/login.html?error=CREDENTIAL_DISABLED");
    const removed = await request(audit, "/v1/records", { headers: bearer(wiremu.token) });
    expect([removed.status, removed.json.error.code]).toEqual([401, "OVERSIGHT_CREDENTIAL_REQUIRED"]);
    expect((await request(audit, "/v1/records?limit=1", { headers: bearer(aroha.token) })).status).toBe(200);

    // In the browser: sent back to sign in, and told why the token no longer works.
    for (const [page, token, message] of [
      [tamaPage, tama.token, "That account is disabled (CREDENTIAL_DISABLED)."],
      [wiremuPage, wiremu.token, "That credential was not accepted."],
    ] as const) {
      expect(await openConsole(audit, page)).toBe("sign-in");
      expect(await loginError(page)).toBe(SESSION_ENDED);
      await submitToken(page, token);
      expect(await loginError(page)).toBe(message);
      expect(await openConsole(audit, page)).toBe("sign-in");
      await page.context().close();
    }
  });
});

describe("oversight session expiry and throttling (sessions of seconds, a quick throttle)", () => {
  let audit: RunningService;
  const file = join(dir, "accounts-short.json");
  const IDLE_MS = 3000;
  const TTL_MS = 9000;
  const FREE_FAILURES = 3;
  const BACKOFF_MS = 2000;
  let idle: Account;
  let busy: Account;
  let kiri: Account; // the target of the API's wrong guesses
  let ngaio: Account; // the target of the browser's

  beforeAll(async () => {
    const reviewer = (name: string) => account({ name, role: "reviewer", days: 1 });
    [idle, busy, kiri, ngaio] = await Promise.all([reviewer("Ihaia Idle"), reviewer("Pania Busy"), reviewer("Kiri Guessed"), reviewer("Ngaio Guessed")]);
    writeAccounts(file, [idle, busy, kiri, ngaio].map((a) => a.entry));
    audit = await startAudit("short", file, {
      SESSION_IDLE_MS: String(IDLE_MS),
      SESSION_TTL_MS: String(TTL_MS),
      SESSION_SWEEP_MS: "1000",
      SIGN_IN_FREE_FAILURES: String(FREE_FAILURES),
      SIGN_IN_BACKOFF_BASE_MS: String(BACKOFF_MS),
      SIGN_IN_BACKOFF_MAX_MS: String(2 * BACKOFF_MS),
    });
  });
  afterAll(async () => {
    expect(await audit?.stop("SIGTERM")).toBe(0);
  });

  it("ends a session left idle for SESSION_IDLE_MS: the API refuses its cookie and the console sends the person back to sign in", async () => {
    const page = await browserSignIn(audit, idle.token);
    const browserUsed = Date.now(); // the search page has had its answer
    const { answer, cookie } = await formSignIn(audit, idle.token);
    const used = await request(audit, "/v1/records?limit=1", { headers: { cookie: cookie! } });
    expect(used.status).toBe(200);
    expect(setCookie(answer, COOKIE)?.attributes).toContain(`Max-Age=${TTL_MS / 1000}`);

    await waitUntil(Math.max(used.receivedAt, browserUsed) + IDLE_MS + 300);
    const refused = await request(audit, "/v1/records?limit=1", { headers: { cookie: cookie! } });
    expect([refused.status, refused.json.error.code]).toEqual([401, "OVERSIGHT_CREDENTIAL_REQUIRED"]);
    expect(refused.receivedAt - answer.sentAt).toBeLessThan(TTL_MS); // idle, not the lifetime
    expect(await openConsole(audit, page)).toBe("sign-in");
    expect(await loginError(page)).toBe(SESSION_ENDED);
    // The account itself is fine: signing in again works.
    await page.fill("#token", idle.token);
    await Promise.all([page.waitForURL(`${audit.url}/console/`), page.click("#login-form button[type=submit]")]);
    expect(await openConsole(audit, page)).toBe("console");
    await page.context().close();
  });

  it("ends a session at SESSION_TTL_MS however busy it is kept: the API refuses its cookie and the console sends the person back to sign in", async () => {
    const page = await browserSignIn(audit, busy.token);
    const browserSignedIn = Date.now();
    const { answer, cookie } = await formSignIn(audit, busy.token);
    // Used every second (well inside the idle timeout) until refused.
    const uses: Answer[] = [];
    let browserEnded: number | undefined;
    while (uses.length < 30) {
      const a = await request(audit, "/v1/records?limit=1", { headers: { cookie: cookie! } });
      uses.push(a);
      if (browserEnded === undefined && (await openConsole(audit, page)) === "sign-in") browserEnded = Date.now();
      if (a.status !== 200 && browserEnded !== undefined) break;
      await waitUntil(a.sentAt + 1000);
    }
    const first = uses.findIndex((a) => a.status !== 200);
    expect(first).toBeGreaterThan(0);
    expect(uses.slice(first).map((a) => a.status)).toEqual(uses.slice(first).map(() => 401));
    // Alive well past the idle timeout, thanks to use; ended at the lifetime, not before.
    expect(uses[first - 1]!.sentAt - answer.receivedAt).toBeGreaterThan(IDLE_MS + 1000);
    expect(uses[first - 1]!.sentAt).toBeLessThan(answer.receivedAt + TTL_MS);
    expect(uses[first]!.receivedAt).toBeGreaterThanOrEqual(answer.sentAt + TTL_MS);
    expect(browserEnded! - browserSignedIn).toBeGreaterThan(IDLE_MS + 1000);
    expect(browserEnded! - browserSignedIn).toBeGreaterThanOrEqual(TTL_MS - 2000);
    expect(pathOf(page)).toBe("/console/login");
    await page.context().close();
  });

  it("throttles repeated wrong tokens over the API: 429 SIGN_IN_THROTTLED with Retry-After, and the right token is refused too until the backoff has passed", async () => {
    const guess = wrongSecret(kiri.token);
    const statuses: number[] = [];
    let throttled: Answer | undefined;
    let lastFailure: Answer | undefined;
    while (!throttled && statuses.length < FREE_FAILURES + 3) {
      const a = await request(audit, "/v1/records", { headers: bearer(guess) });
      statuses.push(a.status);
      if (a.status === 429) throttled = a;
      else lastFailure = a;
    }
    // The free failures are refused as wrong; the one after them backs off.
    expect(statuses).toEqual([...Array.from({ length: FREE_FAILURES }, () => 401), 429]);
    // Retry-After: the backoff left, in whole seconds rounded up (the first backoff is BACKOFF_MS).
    const retryAfter = Number(throttled!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(BACKOFF_MS / 1000);
    expect(throttled!.json.error).toMatchObject({ code: "SIGN_IN_THROTTLED", retry_after_seconds: retryAfter });
    // The sign-in form, asked as an API client would: JSON, the same code.
    const form = await formSignIn(audit, kiri.token);
    expect([form.answer.status, form.answer.json.error.code, form.cookie]).toEqual([429, "SIGN_IN_THROTTLED", undefined]);

    // The right token, during the backoff: refused, unchecked, until the backoff has passed (polled, not slept).
    const right = await request(audit, "/v1/records?limit=1", { headers: bearer(kiri.token) });
    expect([right.status, right.json.error.code]).toEqual([429, "SIGN_IN_THROTTLED"]);
    const passed = await until("the backoff to pass", async () => {
      const a = await request(audit, "/v1/records?limit=1", { headers: bearer(kiri.token) });
      if (a.status === 429) return undefined;
      return a;
    });
    expect(passed.status).toBe(200);
    expect(passed.receivedAt - lastFailure!.sentAt).toBeGreaterThanOrEqual(BACKOFF_MS);
  });

  it("throttles repeated wrong sign-ins on the console's page with a clear message, and lets the right token in only once the backoff has passed", async () => {
    const { context, page } = await freshPage(browser, problems);
    await page.goto(`${audit.url}/console/login`);
    // This address has failed before (the API test): at most a few more attempts before the page is paused.
    let attempts = 0;
    let pausedSentAt: number;
    for (;;) {
      pausedSentAt = Date.now();
      await submitToken(page, wrongSecret(ngaio.token));
      attempts++;
      if ((await page.locator('[data-code="SIGN_IN_THROTTLED"]').count()) > 0) break;
      expect(await loginError(page)).toBe("That credential was not accepted.");
      expect(attempts).toBeLessThan(FREE_FAILURES + 2);
    }
    expect(await page.textContent("h1")).toBe("Too many sign-in attempts");
    const message = (await page.textContent('[data-code="SIGN_IN_THROTTLED"]')) ?? "";
    const wait = Number(/Try again in (\d+) seconds\./.exec(message)?.[1]);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual((2 * BACKOFF_MS) / 1000);

    // The right token while paused: the same page, no session.
    await page.goto(`${audit.url}/console/login`);
    await submitToken(page, ngaio.token);
    expect(await page.locator('[data-code="SIGN_IN_THROTTLED"]').count()).toBe(1);
    expect(await context.cookies()).toEqual([]);
    // Tried again until the pause is over (each paused attempt is neither checked nor counted): then it signs in.
    await until(
      "the console to let the right token in",
      async () => {
        await page.goto(`${audit.url}/console/login`);
        await submitToken(page, ngaio.token);
        return pathOf(page) === "/console/" ? true : undefined;
      },
      20_000,
      250,
    );
    // Not before the pause the page announced was over (it said `wait` seconds, rounded up, when it was asked).
    expect(Date.now() - pausedSentAt).toBeGreaterThan((wait - 1) * 1000);
    expect(await openConsole(audit, page)).toBe("console");
    await context.close();
  });

  it("ran the pages without script errors or policy violations", () => {
    expect(problems).toEqual([]);
  });
});
