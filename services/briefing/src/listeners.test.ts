/**
 * The briefing's two listeners: the door (pages and JSON, HTTPS when TLS is on)
 * serves neither /metrics nor /docs under any spelling — the admin listener
 * serves /metrics; the sign-in cookie is Secure whenever TLS is on; a leader is
 * held to their own rate limit.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { adminPathsServed, createHttpServer, createLogger, createMetricsRegistry, readHttpTls } from "@takitini/runtime";
import { beforeAll, describe, expect, it } from "vitest";
import { leaderGateWithTokens } from "./accounts.fixture.js";
import { briefingAppForTests } from "./app.fixture.js";

const TOKEN = "eastern-leaders-listeners-token-0123456789";
const gate = () => leaderGateWithTokens({ [TOKEN]: "community-eastern" });
let pki: string;

beforeAll(() => {
  pki = join(mkdtempSync(join(tmpdir(), "takitini-briefing-tls-")), "pki");
  execFileSync("bash", [fileURLToPath(new URL("../../../infra/pki/issue.sh", import.meta.url)), "--out", pki], { stdio: "ignore" });
}, 60_000);

describe("the briefing's door and admin listener", () => {
  it("serves /metrics on the admin listener only: never on the door, under any spelling (the same sweep finds it on a single-listener door)", async () => {
    const { app, admin } = briefingAppForTests({ gate: gate() });
    expect(await adminPathsServed(app)).toEqual([]);
    expect((await admin.inject({ url: "/metrics" })).body).toContain("briefing_views_total");
    expect((await admin.inject({ url: "/healthz" })).statusCode).toBe(200);
    const legacy = createHttpServer({ service: "briefing", logger: createLogger("t", "silent"), metrics: createMetricsRegistry("t"), readiness: [] });
    expect(await adminPathsServed(legacy)).toEqual(expect.arrayContaining(["/metrics", "/%6Detrics", "/./metrics"]));
  });

  it("marks the sign-in cookie Secure whenever TLS is on (or BRIEFING_COOKIE_SECURE), and only then", async () => {
    const tls = readHttpTls({ HTTP_TLS_CERT_FILE: join(pki, "service/briefing.crt"), HTTP_TLS_KEY_FILE: join(pki, "service/briefing.key") })!;
    for (const [deps, secure] of [[{ tls }, true], [{ cookieSecure: true }, true], [{}, false]] as const) {
      const { app } = briefingAppForTests({ gate: gate(), deps });
      const login = await app.inject({ method: "POST", url: "/login", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: `token=${TOKEN}` });
      expect(login.statusCode).toBe(303);
      const set = String(login.headers["set-cookie"]);
      expect(set).toMatch(/HttpOnly; SameSite=Strict/);
      expect(/; Secure/.test(set)).toBe(secure);
      const logout = await app.inject({ method: "POST", url: "/logout" });
      expect(/; Secure/.test(String(logout.headers["set-cookie"]))).toBe(secure);
    }
  });

  it("holds a leader to their own rate limit, in JSON and on the page; the public tier is held only per address", async () => {
    const { app } = briefingAppForTests({ gate: gate(), deps: { rateLimit: { perAddressPerMinute: 0, perPrincipalPerMinute: 2 } } });
    const json = () => app.inject({ url: "/v1/briefings/eastern?week=2026-W47", headers: { authorization: `Bearer ${TOKEN}` } });
    expect([(await json()).statusCode, (await json()).statusCode]).toEqual([200, 200]);
    const refused = await json();
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe("RATE_LIMITED");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    const page = await app.inject({ url: "/briefings/eastern?week=2026-W47", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(page.statusCode).toBe(429);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.body).toContain("RATE_LIMITED");
    for (let i = 0; i < 5; i++) expect((await app.inject({ url: "/v1/public/eastern?quarter=2026-Q3" })).statusCode).toBe(200);
  });
});
