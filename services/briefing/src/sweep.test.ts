/**
 * Every door knows who is knocking: the leaders' briefings are refused without a
 * credential however their path is spelled — percent-encoded characters, %2F,
 * doubled slashes, dot segments, mixed case, a trailing slash (runtime's
 * pathVariants). Authentication is the route's own (its handler asks for the
 * leader), never a test of the URL's text, so whatever spelling the router
 * serves from a leader's route is refused, and nothing is served or audited as
 * a view; each such refusal is counted once in the refusal window, under the
 * route's pattern. Protected routes are read from the app itself, so a new one
 * is swept. A last test shows the same sweep catches a door that decided by the
 * URL's prefix instead.
 */
import { AccessAction } from "@takitini/proto";
import { pathVariants, routerTable } from "@takitini/runtime";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { leaderGateWithTokens } from "./accounts.fixture.js";
import { briefingAppForTests } from "./app.fixture.js";
import { SubmissionQuota } from "./submissions/quota.js";
import { SubmissionIndex } from "./submissions/status.js";
import type { TopicMessages } from "./submissions/writer.js";

const TOKEN = "eastern-leaders-sweep-token-0123456789";
/** Routes open to anyone (the public tier, sign-in, health); every other GET route is a leader's. */
const OPEN = new Set(["/", "/v1/regions", "/public/:region", "/v1/public/:region", "/login", "/healthz", "/readyz"]);

async function harness() {
  const written: TopicMessages[][] = [];
  const h = briefingAppForTests({
    gate: leaderGateWithTokens({ [TOKEN]: "community-eastern" }),
    // The submission door too, so its routes are swept like the briefings'.
    deps: {
      submissions: {
        index: new SubmissionIndex(),
        write: async (records) => void written.push(records),
        quota: new SubmissionQuota({ max: 100_000, windowMs: 60_000 }),
        topics: { intel: "intel", notes: "notes", access: "access" },
        organisation: () => "Eastern community leaders",
        ready: () => true,
      },
    },
  });
  await h.app.ready();
  // One submission of the leader's own, so the status route has a reference to answer.
  const first = await h.app.inject({ method: "POST", url: "/v1/submissions", headers: { authorization: `Bearer ${TOKEN}` }, payload: { region: "eastern", kind: "support_need", text: "A youth worker" } });
  return { ...h, written, reference: first.json().reference as string };
}

/** The app's GET routes, from its own router table. */
const getRoutes = (printed: string) => routerTable(printed).filter((r) => r.method === "GET").map((r) => r.url);

describe("the leaders' briefings, under every spelling of their paths", () => {
  it("finds the leaders' routes in the app's own router", async () => {
    const { app } = await harness();
    const leaders = getRoutes(app.printRoutes({ commonPrefix: false })).filter((u) => !OPEN.has(u));
    expect(leaders.sort()).toEqual(["/briefings/:region", "/submissions", "/submit", "/v1/briefings/:region", "/v1/submissions", "/v1/submissions/:reference"]);
  });

  it("serves a leader's briefing only with a credential, however the path is spelled", async () => {
    const { app, records, refusals, reference } = await harness();
    const leaders = getRoutes(app.printRoutes({ commonPrefix: false })).filter((u) => !OPEN.has(u));
    const problems: string[] = [];
    for (const route of leaders) {
      const canonical = route.includes(":region") ? `${route.replace(":region", "eastern")}?week=2026-W47` : route.replace(":reference", reference);
      const authed = await app.inject({ url: canonical, headers: { authorization: `Bearer ${TOKEN}` } });
      if (authed.statusCode !== 200) problems.push(`${canonical} with a credential: ${authed.statusCode}`);
      for (const url of [canonical, ...pathVariants(canonical)]) {
        const before = records.length;
        const counted = refusals.length;
        const res = await app.inject({ url });
        // Never served: a 401, a redirect to sign-in, or a router 404 — never the briefing.
        if (res.statusCode < 300 || !(res.statusCode === 401 || res.statusCode === 303 || res.statusCode === 302 || res.statusCode === 404)) problems.push(`${url}: ${res.statusCode}`);
        if (res.body.includes("takitini.briefing.v1") || res.body.includes("methamphetamine")) problems.push(`${url}: briefing content in the answer`);
        if (records.slice(before).some((r) => r.action === AccessAction.ACCESS_ACTION_BRIEFING_VIEWED)) problems.push(`${url}: audited as a view`);
        // Refused by a leader's route: counted once under its pattern, with no access record; a router 404 counts nothing.
        const noted = refusals.slice(counted);
        if (records.length !== before) problems.push(`${url}: ${records.length - before} access records for an unauthenticated request`);
        if (res.statusCode === 404 ? noted.length !== 0 : noted.length !== 1 || !leaders.includes(noted[0]!.route)) problems.push(`${url}: counted ${JSON.stringify(noted)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("takes a submission only with a credential, however the path is spelled: never written, never acknowledged", async () => {
    const { app, written, refusals } = await harness();
    const before = written.length;
    const problems: string[] = [];
    const body = { region: "eastern", kind: "support_need", text: "A youth worker" };
    for (const [path, payload, headers] of [
      ["/v1/submissions", body, {}],
      ["/submit", "region=eastern&kind=support_need&text=x", { "content-type": "application/x-www-form-urlencoded" }],
    ] as const) {
      for (const url of [path, ...pathVariants(path)]) {
        const counted = refusals.length;
        const res = await app.inject({ method: "POST", url, payload, headers });
        if (res.statusCode < 400) problems.push(`POST ${url}: ${res.statusCode}`);
        if (res.statusCode !== 404 && refusals.length - counted !== 1) problems.push(`POST ${url}: counted ${refusals.length - counted}`);
      }
    }
    expect(problems).toEqual([]);
    expect(written.length).toBe(before);
  });
});

describe("the sweep, against the old kind of check", () => {
  it("fails on every leader's route of a door that checked the raw URL's prefix instead of asking for the leader in the route", async () => {
    const { app, reference } = await harness();
    const leaders = getRoutes(app.printRoutes({ commonPrefix: false })).filter((u) => !OPEN.has(u));
    // The same routes, each answering, behind one onRequest hook that tests the raw URL's text — the kind
    // of check the audit's oversight door had (services/audit/src/access.test.ts) — while the router
    // matches the decoded, normalised path.
    const PREFIXES = ["/briefings/", "/v1/briefings/", "/v1/submissions", "/submissions", "/submit"];
    const old = Fastify({ exposeHeadRoutes: false });
    old.addHook("onRequest", async (req, reply) => {
      if (PREFIXES.some((p) => req.url.startsWith(p)) && req.headers.authorization !== `Bearer ${TOKEN}`) await reply.code(401).send({ error: { code: "LEADER_CREDENTIAL_REQUIRED" } });
    });
    for (const url of leaders) old.get(url, async () => ({ answered: true }));
    await old.ready();
    const unguarded: string[] = [];
    for (const route of leaders) {
      const canonical = route.replace(":region", "eastern").replace(":reference", reference);
      // The canonical path is refused by the prefix check…
      expect((await old.inject({ url: canonical })).statusCode, route).toBe(401);
      // …but some spelling the router still gives to the route is answered without a credential.
      let leaked = 0;
      for (const url of pathVariants(canonical)) if ((await old.inject({ url })).statusCode === 200) leaked++;
      if (leaked === 0) unguarded.push(route);
    }
    await old.close();
    expect(leaders.length).toBe(6);
    // Every leader's route leaks through the prefix check: the sweep above would fail on each of them.
    expect(unguarded).toEqual([]);
  });
});
