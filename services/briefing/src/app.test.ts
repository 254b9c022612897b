import { AccessAction } from "@takitini/proto";
import { createLogger } from "@takitini/runtime";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { leaderGateWithTokens } from "./accounts.fixture.js";
import { briefingAppForTests } from "./app.fixture.js";

const TOKEN = "eastern-leaders-token-0123456789";

function harness(opts: { auditFails?: boolean } = {}) {
  const logs: string[] = [];
  const logger = createLogger("briefing", "info", new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
  return { ...briefingAppForTests({ gate: leaderGateWithTokens({ [TOKEN]: "community-eastern" }), logger, ...opts }), logs };
}
const bearer = { authorization: `Bearer ${TOKEN}` };

describe("the briefing HTTP door", () => {
  it("serves a leader their region as JSON, audited before it is sent", async () => {
    const { app, records } = harness();
    const res = await app.inject({ url: "/v1/briefings/eastern?week=2026-W47", headers: bearer });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ schema: "takitini.briefing.v1", tier: "community_leader", region: { code: "EASTERN" }, period: { id: "2026-W47" } });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ action: AccessAction.ACCESS_ACTION_BRIEFING_VIEWED, subscriberId: "community-eastern", channel: "briefing.http", resource: "/v1/briefings/eastern?week=2026-W47", regions: ["EASTERN"] });
  });

  it("defaults to the last completed week", async () => {
    const { app } = harness();
    expect((await app.inject({ url: "/v1/briefings/eastern", headers: bearer })).json().period.id).toBe("2026-W47");
  });

  it("answers an unknown region with 404 listing the valid ones", async () => {
    const { app } = harness();
    const res = await app.inject({ url: "/v1/briefings/atlantis", headers: bearer });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: "REGION_NOT_FOUND", valid_regions: expect.arrayContaining(["eastern", "bay-of-plenty", "counties-manukau"]) });
    expect(res.json().error.valid_regions).toHaveLength(12);
    const page = await app.inject({ url: "/public/atlantis" });
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain("counties-manukau");
  });

  it("refuses a region outside the leader's scope with 403, and audits the refusal", async () => {
    const { app, records } = harness();
    const res = await app.inject({ url: "/v1/briefings/northland?week=2026-W47", headers: bearer });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("REGION_OUT_OF_SCOPE");
    expect(records).toEqual([expect.objectContaining({ action: AccessAction.ACCESS_ACTION_BRIEFING_DENIED, reason: "REGION_OUT_OF_SCOPE", regions: ["NORTHLAND"], subscriberId: "community-eastern" })]);
  });

  it("answers malformed query parameters with 400 and their field paths", async () => {
    const { app, records } = harness();
    const bad = await app.inject({ url: "/v1/briefings/eastern?week=2026-47&colour=red", headers: bearer });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe("INVALID_QUERY");
    expect(bad.json().error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["colour", "week"]);
    const future = await app.inject({ url: "/v1/briefings/eastern?week=2026-W48", headers: bearer });
    expect(future.json().error.issues).toEqual([expect.objectContaining({ path: "week", code: "period_not_completed" })]);
    expect((await app.inject({ url: "/v1/public/eastern?quarter=Q3" })).json().error.issues[0].path).toBe("quarter");
    expect(records).toEqual([]);
  });

  it("needs a leader's token; the HTML page sends a browser to sign in", async () => {
    const { app } = harness();
    expect((await app.inject({ url: "/v1/briefings/eastern" })).statusCode).toBe(401);
    expect((await app.inject({ url: "/v1/briefings/eastern", headers: { authorization: "Bearer not-a-known-token-at-all" } })).statusCode).toBe(401);
    const page = await app.inject({ url: "/briefings/eastern" });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe("/login?next=%2Fbriefings%2Feastern");
  });

  it("counts each request refused for its credential into the refusal window — by code and route pattern, never the URL — with no access record each", async () => {
    const { app, records, refusals } = harness();
    for (const [url, headers, remoteAddress] of [
      ["/v1/briefings/eastern?week=2026-W47", {}, "203.0.113.1"],
      ["/v1/briefings/northland", { authorization: "Bearer not-a-known-token-at-all" }, "203.0.113.2"],
      ["/briefings/eastern?week=2026-W47", {}, "203.0.113.1"],
    ] as const) {
      const res = await app.inject({ url, headers, remoteAddress });
      expect([401, 303], url).toContain(res.statusCode);
    }
    expect(records).toEqual([]);
    expect(refusals).toEqual([
      { door: "http", code: "UNAUTHENTICATED", route: "/v1/briefings/:region", address: "203.0.113.1" },
      { door: "http", code: "UNAUTHENTICATED", route: "/v1/briefings/:region", address: "203.0.113.2" },
      { door: "http", code: "UNAUTHENTICATED", route: "/briefings/:region", address: "203.0.113.1" },
    ]);
    // A signed-in leader refused another region keeps an access record each, and is not counted as unauthenticated.
    expect((await app.inject({ url: "/v1/briefings/northland?week=2026-W47", headers: bearer })).statusCode).toBe(403);
    expect(records).toHaveLength(1);
    expect(refusals).toHaveLength(3);
    // The public tier needs no credential: nothing refused, nothing counted.
    expect((await app.inject({ url: "/v1/public/eastern?quarter=2026-Q3" })).statusCode).toBe(200);
    expect(refusals).toHaveLength(3);
  });

  it("signs a leader in with an HttpOnly, SameSite=Strict cookie and never logs the token", async () => {
    const { app, logs } = harness();
    const res = await app.inject({ method: "POST", url: "/login", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: `token=${TOKEN}&next=%2Fbriefings%2Feastern` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/briefings/eastern");
    const cookie = String(res.headers["set-cookie"]);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await app.inject({ url: "/briefings/eastern", headers: { cookie: cookie.split(";")[0]! } });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.body).toContain("Eastern");
    const wrong = await app.inject({ method: "POST", url: "/login", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: "token=nope-nope-nope-nope" });
    expect(wrong.statusCode).toBe(401);
    expect(logs.join("")).not.toContain(TOKEN);
    // The browser holds a random session id, never the token.
    expect(cookie).not.toContain(TOKEN);
    expect(cookie).not.toContain(encodeURIComponent(TOKEN));
    expect(cookie.split(";")[0]).toMatch(/^takitini_briefing=[A-Za-z0-9_-]{43}$/);
    // Signing out ends the session, not just the cookie.
    await app.inject({ method: "POST", url: "/logout", headers: { cookie: cookie.split(";")[0]! } });
    expect((await app.inject({ url: "/v1/briefings/eastern", headers: { cookie: cookie.split(";")[0]! } })).statusCode).toBe(401);
  });

  it("serves the public tier without a credential, audited as the public subscriber", async () => {
    const { app, records } = harness();
    const res = await app.inject({ url: "/public/eastern?quarter=2026-Q3" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("Public briefing");
    expect(records[0]).toMatchObject({ subscriberId: "public", channel: "briefing.http", regions: ["EASTERN"] });
  });

  it("serves nothing when the access cannot be recorded", async () => {
    const { app } = harness({ auditFails: true });
    const res = await app.inject({ url: "/v1/public/eastern" });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe("AUDIT_UNAVAILABLE");
  });
});
