import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AccessAction, AccessRecord } from "@takitini/proto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./browser.js";
import { client, createRunTopics, header, readTopic, type Seen } from "./kafka.js";
import { account, bearer, editAccounts, freshPage, pathOf, postForm, request, runAccountTool, setCookie, until, waitUntil, wrongSecret, writeAccounts, type Account, type Answer } from "./sign-in.js";
import { startService, type RunningService } from "./stack.js";

/**
 * Community leaders signing in, on the real briefing service (its Kafka feed of
 * the community topics, its access records) from its build, over the API and in
 * Debian's headless Chromium through the briefing's own sign-in page, as a
 * person would: a valid account sees their region's briefing (and the view is
 * recorded with their name), a wrong token and an expired account are refused,
 * rotating a credential with the account tool — no restart — refuses the old
 * token and ends the old session while the new one works, a disabled or removed
 * account stops at once, sessions end after the idle timeout and at their
 * absolute lifetime (seconds, by configuration) and send the person back to sign
 * in, and failed sign-ins are throttled (429 SIGN_IN_THROTTLED with Retry-After,
 * the page saying how long) with even the right token refused until the backoff
 * has passed.
 *
 * Two briefing services, one after the other, on this run's topics: one with
 * the shipped session settings; one with sessions of seconds and a quick
 * throttle (its failures would throttle the other tests, from the same address).
 */

const brokers = inject("brokers");
const run = randomUUID().slice(0, 8);
const POLICIES = fileURLToPath(new URL("../../policies/", import.meta.url));
const T = {
  eastern: `takitini.e2e.${run}.deliver.community-eastern.v1`,
  public: `takitini.e2e.${run}.deliver.public.v1`,
  access: `takitini.e2e.${run}.audit.briefing-access.v1`,
  digest: `takitini.e2e.${run}.briefings.v1`,
};
const COOKIE = "takitini_briefing";
const DAY = 86_400_000;
const PAGE = "/briefings/eastern";
const JSON_API = "/v1/briefings/eastern";

let dir: string;
let browser: Browser;
const problems: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "takitini-e2e-leader-sign-in-"));
  // The registry as shipped, the community tiers delivered to this run's topics (which the account tool checks leaders against too).
  const registry = JSON.parse(readFileSync(join(POLICIES, "data/subscribers.json"), "utf8")) as Record<string, { delivery_topic: string }>;
  registry["community-eastern"]!.delivery_topic = T.eastern;
  registry.public!.delivery_topic = T.public;
  writeFileSync(join(dir, "subscribers.json"), JSON.stringify(registry, null, 2));
  writeFileSync(join(dir, "secret"), randomUUID() + randomUUID());
  await createRunTopics(
    [
      { name: T.eastern, role: "delivery" },
      { name: T.public, role: "delivery" },
      { name: T.access, role: "briefing-access" },
      { name: T.digest, role: "briefings" },
    ],
    join(dir, "subscribers.json"),
  );
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const leader = (name: string, o: { days?: number; expiresAt?: Date } = { days: 1 }) => account({ name, role: "leader", extra: { subscriber: "community-eastern" }, ...o });

/** A briefing service from its build on this run's topics, reading `accountsFile`. */
async function startBriefing(label: string, accountsFile: string, env: Record<string, string> = {}): Promise<RunningService> {
  return startService("briefing", {
    KAFKA_BROKERS: brokers.join(","),
    ACCESS_TOPIC: T.access,
    DIGEST_TOPIC: T.digest,
    GROUP_ID: `takitini-briefing-e2e-${run}-${label}`,
    INSTANCE_ID: `e2e-${run}-${label}`,
    POLICY_DATA_DIR: dir,
    BRIEFING_ROUNDING_SECRET_FILE: join(dir, "secret"),
    BRIEFING_LEADER_ACCOUNTS_FILE: accountsFile,
    BRIEFING_DIGEST_LOOKBACK: "1",
    // A changed accounts file is seen within a quarter of a second.
    BRIEFING_ACCOUNTS_POLL_MS: "250",
    ...env,
  });
}

/** The sign-in form over HTTP (no browser): the answer and the session cookie it set, if any. */
async function formSignIn(svc: RunningService, token: string, headers: Record<string, string> = {}): Promise<{ answer: Answer; cookie: string | undefined }> {
  const answer = await postForm(svc, "/login", { token, next: PAGE }, headers);
  return { answer, cookie: setCookie(answer, COOKIE)?.pair };
}

/** Open the leaders' briefing in a fresh browser profile: sent to sign in, the token given on the page, the briefing shown. */
async function browserSignIn(svc: RunningService, token: string): Promise<Page> {
  const { page } = await freshPage(browser, problems);
  await page.goto(`${svc.url}${PAGE}`);
  expect(pathOf(page)).toBe("/login");
  await page.fill("#token", token);
  await Promise.all([page.waitForURL(`${svc.url}${PAGE}`), page.click("form.login button[type=submit]")]);
  expect(await page.textContent("h1")).toBe("Eastern");
  return page;
}

/** Give `token` on the sign-in page and wait for the page the service answers with. */
async function submitToken(page: Page, token: string): Promise<void> {
  await page.fill("#token", token);
  await Promise.all([page.waitForNavigation(), page.click("form.login button[type=submit]")]);
}

/** The sign-in page's message (role=alert), or undefined when it shows none. */
async function alertText(page: Page): Promise<string | undefined> {
  const alert = page.locator('main p[role="alert"]');
  return (await alert.count()) === 0 ? undefined : ((await alert.textContent()) ?? "").trim();
}

/** Open the briefing with whatever session the browser holds: where it ends up. */
async function openBriefing(svc: RunningService, page: Page): Promise<"briefing" | "sign-in"> {
  await page.goto(`${svc.url}${PAGE}`);
  const where = pathOf(page);
  if (where === PAGE) expect(await page.textContent("h1")).toBe("Eastern");
  else expect(where).toBe("/login");
  return where === PAGE ? "briefing" : "sign-in";
}

const SESSION_ENDED = "Your session has ended. Sign in again.";
const NOT_RECOGNISED = "That token was not recognised.";

describe("leader sign-in, rotation and removal (shipped session settings)", () => {
  let briefing: RunningService;
  let file: string;
  let rangi: Account;
  let mere: Account; // expired yesterday
  let rawiri: Account; // rotated by the account tool
  let tama: Account; // to be disabled
  let wiremu: Account; // to be removed

  beforeAll(async () => {
    file = join(dir, "leaders.json");
    [rangi, mere, rawiri, tama, wiremu] = await Promise.all([
      leader("Rangi Parata"),
      leader("Mere Expired", { expiresAt: new Date(Date.now() - DAY) }),
      leader("Rawiri Rotated"),
      leader("Tama Disabled"),
      leader("Wiremu Removed"),
    ]);
    writeAccounts(file, [rangi, mere, rawiri, tama, wiremu].map((a) => a.entry));
    // Refusals from this address are not what these tests are about: no backoff within them.
    briefing = await startBriefing("door", file, { BRIEFING_SIGN_IN_FREE_FAILURES: "100" });
  });
  afterAll(async () => {
    expect(await briefing?.stop("SIGTERM")).toBe(0);
  });

  it("lets a valid leader in: by bearer token, by the sign-in form for a session cookie, and in Chromium through the sign-in page — and records who viewed", async () => {
    const api = await request(briefing, JSON_API, { headers: bearer(rangi.token) });
    expect(api.status).toBe(200);
    expect(api.json.region).toMatchObject({ slug: "eastern" });

    const { answer, cookie } = await formSignIn(briefing, rangi.token);
    expect([answer.status, answer.headers.get("location")]).toEqual([303, PAGE]);
    expect(setCookie(answer, COOKIE)?.attributes).toMatch(/HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200/);
    expect((await request(briefing, JSON_API, { headers: { cookie: cookie! } })).status).toBe(200);

    const page = await browserSignIn(briefing, rangi.token);
    const [session] = await page.context().cookies();
    expect(session).toMatchObject({ name: COOKIE, httpOnly: true, sameSite: "Strict" });
    expect(session!.value).not.toContain(rangi.token.split(".")[2]!); // a session id, never the token
    await page.context().close();

    // Each view is on the access topic with the leader's name and role.
    const kafka = client(brokers);
    const viewedByRangi = (r: AccessRecord) => r.action === AccessAction.ACCESS_ACTION_BRIEFING_VIEWED && r.accountName === "Rangi Parata";
    const decode = (s: Seen) => (header(s.message, "event-type") === "audit.access" ? AccessRecord.decode(s.message.value!) : undefined);
    let counted = 0;
    const seen = await readTopic(kafka, T.access, { until: (s) => (decode(s) && viewedByRangi(decode(s)!) ? ++counted : counted) >= 3, timeoutMs: 30_000 });
    const views = seen.map(decode).filter((r): r is AccessRecord => r !== undefined && viewedByRangi(r));
    expect(views.map((r) => r.resource.split("?")[0]).sort()).toEqual([JSON_API, JSON_API, PAGE].sort());
    expect(views.every((r) => r.accountRole === "leader" && r.subscriberId === "community-eastern")).toBe(true);
  });

  it("refuses a wrong token: 401 over the API, no session from the form, and the sign-in page says so", async () => {
    for (const token of [wrongSecret(rangi.token), "not-a-leader-token"]) {
      const api = await request(briefing, JSON_API, { headers: bearer(token) });
      expect([api.status, api.json.error.code]).toEqual([401, "UNAUTHENTICATED"]);
      const { answer, cookie } = await formSignIn(briefing, token);
      expect([answer.status, cookie]).toEqual([401, undefined]);
      expect(answer.text).toContain(NOT_RECOGNISED);
    }
    expect((await request(briefing, JSON_API)).status).toBe(401);

    const { context, page } = await freshPage(browser, problems);
    await page.goto(`${briefing.url}${PAGE}`);
    await submitToken(page, wrongSecret(rangi.token));
    expect(await alertText(page)).toBe(NOT_RECOGNISED);
    expect(pathOf(page)).toBe("/login");
    expect(await context.cookies()).toEqual([]);
    expect(await openBriefing(briefing, page)).toBe("sign-in");
    await context.close();
  });

  it("refuses a leader whose token has expired: CREDENTIAL_EXPIRED over the API and on the sign-in page", async () => {
    const api = await request(briefing, JSON_API, { headers: bearer(mere.token) });
    expect([api.status, api.json.error.code]).toEqual([401, "CREDENTIAL_EXPIRED"]);
    const { answer, cookie } = await formSignIn(briefing, mere.token);
    expect([answer.status, cookie]).toEqual([401, undefined]);

    const { context, page } = await freshPage(browser, problems);
    await page.goto(`${briefing.url}/login`);
    await submitToken(page, mere.token);
    expect(await alertText(page)).toBe("That token has expired (CREDENTIAL_EXPIRED). Ask for a new one.");
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it("rotates a credential with the account tool, without a restart: the old token and its sessions end at once, the new token works", async () => {
    const page = await browserSignIn(briefing, rawiri.token);
    const { cookie } = await formSignIn(briefing, rawiri.token);
    expect((await request(briefing, JSON_API, { headers: { cookie: cookie! } })).status).toBe(200);
    expect((await request(briefing, JSON_API, { headers: bearer(rawiri.token) })).status).toBe(200); // verified, so remembered

    const rotated = await runAccountTool("briefing", ["--name", "Rawiri Rotated", "--subscriber", "community-eastern", "--days", "1", "--file", file], { POLICY_DATA_DIR: dir });
    expect(rotated).not.toBe(rawiri.token);
    await until("the old session to end", async () => ((await request(briefing, JSON_API, { headers: { cookie: cookie! } })).status === 401 ? true : undefined));
    const old = await request(briefing, JSON_API, { headers: bearer(rawiri.token) });
    expect([old.status, old.json.error.code]).toEqual([401, "UNAUTHENTICATED"]);
    expect((await formSignIn(briefing, rawiri.token)).answer.status).toBe(401);
    expect((await request(briefing, JSON_API, { headers: bearer(rotated) })).status).toBe(200);
    expect((await request(briefing, JSON_API, { headers: bearer(rangi.token) })).status).toBe(200);

    // The browser's session has ended too: sent back to sign in, told why, and the new token works there.
    expect(await openBriefing(briefing, page)).toBe("sign-in");
    expect(await alertText(page)).toBe(SESSION_ENDED);
    await page.fill("#token", rotated);
    await Promise.all([page.waitForURL(`${briefing.url}${PAGE}`), page.click("form.login button[type=submit]")]);
    expect(await openBriefing(briefing, page)).toBe("briefing");
    await page.context().close();

    expect(briefing.output()).toMatch(/"code":"SESSIONS_ENDED"[^\n]*"Rawiri Rotated"/);
    for (const token of [rawiri.token, rotated]) expect(briefing.output()).not.toContain(token.split(".")[2]!);
  });

  it("stops a disabled and a removed leader at once: their tokens are refused and their sessions end", async () => {
    const tamaPage = await browserSignIn(briefing, tama.token);
    const wiremuPage = await browserSignIn(briefing, wiremu.token);
    const tamaCookie = (await formSignIn(briefing, tama.token)).cookie!;
    const wiremuCookie = (await formSignIn(briefing, wiremu.token)).cookie!;
    for (const cookie of [tamaCookie, wiremuCookie]) expect((await request(briefing, JSON_API, { headers: { cookie } })).status).toBe(200);

    editAccounts(file, (entries) => entries.filter((e) => e["name"] !== "Wiremu Removed").map((e) => (e["name"] === "Tama Disabled" ? { ...e, disabled: true } : e)));
    await until("both sessions to end", async () => {
      const statuses = await Promise.all([tamaCookie, wiremuCookie].map(async (cookie) => (await request(briefing, JSON_API, { headers: { cookie } })).status));
      return statuses.every((s) => s === 401) ? true : undefined;
    });
    const disabled = await request(briefing, JSON_API, { headers: bearer(tama.token) });
    expect([disabled.status, disabled.json.error.code]).toEqual([401, "CREDENTIAL_DISABLED"]);
    const removed = await request(briefing, JSON_API, { headers: bearer(wiremu.token) });
    expect([removed.status, removed.json.error.code]).toEqual([401, "UNAUTHENTICATED"]);
    expect((await request(briefing, JSON_API, { headers: bearer(rangi.token) })).status).toBe(200);

    for (const [page, token, message] of [
      [tamaPage, tama.token, "That account is disabled (CREDENTIAL_DISABLED)."],
      [wiremuPage, wiremu.token, NOT_RECOGNISED],
    ] as const) {
      expect(await openBriefing(briefing, page)).toBe("sign-in");
      expect(await alertText(page)).toBe(SESSION_ENDED);
      await submitToken(page, token);
      expect(await alertText(page)).toBe(message);
      expect(await page.context().cookies()).toEqual([]); // the ended session's cookie was cleared, and no new one set
      await page.context().close();
    }
  });
});

describe("leader session expiry and throttling (sessions of seconds, a quick throttle)", () => {
  let briefing: RunningService;
  let file: string;
  const IDLE_MS = 3000;
  const TTL_MS = 9000;
  const FREE_FAILURES = 3;
  const BACKOFF_MS = 2000;
  let idle: Account;
  let busy: Account;
  let kiri: Account; // the target of the API's wrong guesses
  let ngaio: Account; // the target of the browser's

  beforeAll(async () => {
    file = join(dir, "leaders-short.json");
    [idle, busy, kiri, ngaio] = await Promise.all([leader("Ihaia Idle"), leader("Pania Busy"), leader("Kiri Guessed"), leader("Ngaio Guessed")]);
    writeAccounts(file, [idle, busy, kiri, ngaio].map((a) => a.entry));
    briefing = await startBriefing("short", file, {
      BRIEFING_SESSION_IDLE_MS: String(IDLE_MS),
      BRIEFING_SESSION_TTL_MS: String(TTL_MS),
      BRIEFING_SESSION_SWEEP_MS: "1000",
      BRIEFING_SIGN_IN_FREE_FAILURES: String(FREE_FAILURES),
      BRIEFING_SIGN_IN_BACKOFF_BASE_MS: String(BACKOFF_MS),
      BRIEFING_SIGN_IN_BACKOFF_MAX_MS: String(2 * BACKOFF_MS),
    });
  });
  afterAll(async () => {
    expect(await briefing?.stop("SIGTERM")).toBe(0);
  });

  it("ends a session left idle for BRIEFING_SESSION_IDLE_MS: the API refuses its cookie and the page sends the leader back to sign in", async () => {
    const page = await browserSignIn(briefing, idle.token);
    const browserUsed = Date.now();
    const { answer, cookie } = await formSignIn(briefing, idle.token);
    const used = await request(briefing, JSON_API, { headers: { cookie: cookie! } });
    expect(used.status).toBe(200);
    expect(setCookie(answer, COOKIE)?.attributes).toContain(`Max-Age=${TTL_MS / 1000}`);

    await waitUntil(Math.max(used.receivedAt, browserUsed) + IDLE_MS + 300);
    const refused = await request(briefing, JSON_API, { headers: { cookie: cookie! } });
    expect([refused.status, refused.json.error.code]).toEqual([401, "UNAUTHENTICATED"]);
    expect(refused.receivedAt - answer.sentAt).toBeLessThan(TTL_MS); // idle, not the lifetime
    expect(await openBriefing(briefing, page)).toBe("sign-in");
    expect(await alertText(page)).toBe(SESSION_ENDED);
    await page.fill("#token", idle.token);
    await Promise.all([page.waitForURL(`${briefing.url}${PAGE}`), page.click("form.login button[type=submit]")]);
    expect(await openBriefing(briefing, page)).toBe("briefing");
    await page.context().close();
  });

  it("ends a session at BRIEFING_SESSION_TTL_MS however busy it is kept: the API refuses its cookie and the page sends the leader back to sign in", async () => {
    const page = await browserSignIn(briefing, busy.token);
    const browserSignedIn = Date.now();
    const { answer, cookie } = await formSignIn(briefing, busy.token);
    const uses: Answer[] = [];
    let browserEnded: number | undefined;
    while (uses.length < 30) {
      const a = await request(briefing, JSON_API, { headers: { cookie: cookie! } });
      uses.push(a);
      if (browserEnded === undefined && (await openBriefing(briefing, page)) === "sign-in") browserEnded = Date.now();
      if (a.status !== 200 && browserEnded !== undefined) break;
      await waitUntil(a.sentAt + 1000);
    }
    const first = uses.findIndex((a) => a.status !== 200);
    expect(first).toBeGreaterThan(0);
    expect(uses.slice(first).map((a) => a.status)).toEqual(uses.slice(first).map(() => 401));
    expect(uses[first - 1]!.sentAt - answer.receivedAt).toBeGreaterThan(IDLE_MS + 1000);
    expect(uses[first - 1]!.sentAt).toBeLessThan(answer.receivedAt + TTL_MS);
    expect(uses[first]!.receivedAt).toBeGreaterThanOrEqual(answer.sentAt + TTL_MS);
    expect(browserEnded! - browserSignedIn).toBeGreaterThan(IDLE_MS + 1000);
    expect(browserEnded! - browserSignedIn).toBeGreaterThanOrEqual(TTL_MS - 2000);
    await page.context().close();
  });

  it("throttles repeated wrong tokens over the API: 429 SIGN_IN_THROTTLED with Retry-After, and the right token is refused too until the backoff has passed", async () => {
    const guess = wrongSecret(kiri.token);
    const statuses: number[] = [];
    let throttled: Answer | undefined;
    let lastFailure: Answer | undefined;
    while (!throttled && statuses.length < FREE_FAILURES + 3) {
      const a = await request(briefing, JSON_API, { headers: bearer(guess) });
      statuses.push(a.status);
      if (a.status === 429) throttled = a;
      else lastFailure = a;
    }
    expect(statuses).toEqual([...Array.from({ length: FREE_FAILURES }, () => 401), 429]);
    const retryAfter = Number(throttled!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(BACKOFF_MS / 1000);
    expect(throttled!.json.error).toMatchObject({ code: "SIGN_IN_THROTTLED", retry_after_seconds: retryAfter });
    // The sign-in form: 429 with Retry-After and a page saying so.
    const form = await formSignIn(briefing, kiri.token);
    expect([form.answer.status, form.cookie]).toEqual([429, undefined]);
    expect(Number(form.answer.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(form.answer.text).toMatch(/Too many sign-in attempts \(SIGN_IN_THROTTLED\)\. Try again in \d+ seconds\./);

    const right = await request(briefing, JSON_API, { headers: bearer(kiri.token) });
    expect([right.status, right.json.error.code]).toEqual([429, "SIGN_IN_THROTTLED"]);
    const passed = await until("the backoff to pass", async () => {
      const a = await request(briefing, JSON_API, { headers: bearer(kiri.token) });
      return a.status === 429 ? undefined : a;
    });
    expect(passed.status).toBe(200);
    expect(passed.receivedAt - lastFailure!.sentAt).toBeGreaterThanOrEqual(BACKOFF_MS);
  });

  it("throttles repeated wrong sign-ins on the sign-in page with a clear message, and lets the right token in only once the backoff has passed", async () => {
    const { context, page } = await freshPage(browser, problems);
    await page.goto(`${briefing.url}/login`);
    let attempts = 0;
    let pausedSentAt: number;
    let message: string | undefined;
    for (;;) {
      pausedSentAt = Date.now();
      await submitToken(page, wrongSecret(ngaio.token));
      attempts++;
      message = await alertText(page);
      if (message?.includes("SIGN_IN_THROTTLED")) break;
      expect(message).toBe(NOT_RECOGNISED);
      expect(attempts).toBeLessThan(FREE_FAILURES + 2);
    }
    const wait = Number(/^Too many sign-in attempts \(SIGN_IN_THROTTLED\)\. Try again in (\d+) seconds\.$/.exec(message)?.[1]);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual((2 * BACKOFF_MS) / 1000);

    // The right token while paused: the same message, no session.
    await submitToken(page, ngaio.token);
    expect(await alertText(page)).toMatch(/SIGN_IN_THROTTLED/);
    expect(await context.cookies()).toEqual([]);
    await until(
      "the page to let the right token in",
      async () => {
        await page.goto(`${briefing.url}/login`);
        await submitToken(page, ngaio.token);
        return pathOf(page) === PAGE ? true : undefined;
      },
      20_000,
      250,
    );
    expect(Date.now() - pausedSentAt).toBeGreaterThan((wait - 1) * 1000);
    expect(await openBriefing(briefing, page)).toBe("briefing");
    await context.close();
  });

  it("ran the pages without script errors", () => {
    expect(problems).toEqual([]);
  });
});
