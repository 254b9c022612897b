/**
 * Every door knows who is knocking: an adapter publishes nothing for a caller
 * without a publisher certificate, however the record route's path is spelled —
 * percent-encoded characters (`/%761/…`), %2F, doubled slashes, dot segments,
 * mixed case, a trailing slash (runtime's pathVariants). The publisher check is
 * the door's own onRequest hook and asks the identity of every request but the
 * probes (matched routes, never URL text), so a spelling the router serves from
 * a record route is refused like the route itself. The routes are read from the
 * app's own router, so a new record kind is swept. A last test shows the same
 * sweep catches a door that decided by the URL's prefix.
 */
import { commonErrors, pathVariants, routerTable } from "@takitini/runtime";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { identifyPublisher } from "./identity.js";
import { httpDoorForTests, RecordingRefusals, testPublisher } from "./testing.js";
import type { AgencyAdapter } from "./kind.js";
import { z } from "zod";

const kind = {
  recordType: "sighting",
  eventType: "police.organised_crime_noting",
  httpPath: "/v1/sightings",
  summary: "A sighting",
  schema: z.strictObject({ ref: z.string().min(1), district: z.string() }),
  nativeId: (r: { ref: string }) => r.ref,
  example: { ref: "S-1", district: "Eastern" },
  synthesize: () => ({ ref: "S-2", district: "Eastern" }),
  map: () => {
    throw new Error("never reached without a publisher");
  },
};
const adapter = { service: "police-adapter", agency: "POLICE", topic: "t", httpPort: 0, grpcPort: 0, kinds: [kind], defaults: { classification: "RESTRICTED", caveats: [], legalBasis: { instrument: "t", provision: "t", description: "" } } } as unknown as AgencyAdapter;

/** The real identity check on a request without TLS: no certificate, ever. */
const noCertificate = () => identifyPublisher(undefined, false, "POLICE");

/** The app's routes, each once (the in-process harness is one listener: /metrics is on it too). */
const routes = (app: FastifyInstance) => [...new Set(routerTable(app.printRoutes({ commonPrefix: false })).map((r) => r.url))];

describe("an adapter's door, under every spelling of its paths", () => {
  it("finds its routes in the app's own router: the record routes, the record types, the probes", async () => {
    const { app } = await httpDoorForTests(adapter, { identify: noCertificate });
    await app.ready();
    expect(routes(app).filter((u) => !u.startsWith("/docs")).sort()).toEqual(["/healthz", "/metrics", "/readyz", "/v1/record-types", "/v1/records/:eventId/corrections", "/v1/records/:eventId/withdrawal", "/v1/sightings"]);
    await app.close();
  });

  it("publishes nothing and answers 401 PUBLISHER_CERTIFICATE_REQUIRED to every spelling of every route but the probes, each counted once in the refusal window", async () => {
    const refusals = new RecordingRefusals();
    const { app, publisher } = await httpDoorForTests(adapter, { identify: noCertificate, refusals });
    await app.ready();
    const guarded = routes(app).filter((u) => u !== "/healthz" && u !== "/readyz" && !u.startsWith("/docs"));
    let sent = 0;
    for (const route of guarded) {
      for (const url of pathVariants(route)) {
        for (const method of ["GET", "POST"] as const) {
          // A withdrawal's body on its route, a record on the others: each would be taken, but for the check.
          const res = await app.inject({ method, url, ...(method === "POST" ? { payload: url.includes("withdrawal") ? { reason: "other" } : kind.example } : {}) });
          sent++;
          expect([method, url, res.statusCode, res.json().error?.code]).toEqual([method, url, 401, "PUBLISHER_CERTIFICATE_REQUIRED"]);
        }
      }
    }
    expect(publisher.published).toEqual([]);
    expect(refusals.unauthenticatedCalls).toHaveLength(sent);
    expect(new Set(refusals.unauthenticatedCalls.map((c) => c.route)).size).toBeLessThanOrEqual(guarded.length + 1); // route patterns (or "unmatched"), never the raw URL
    await app.close();
  });

  it("still serves the probes without a certificate (a supervisor's)", async () => {
    const { app } = await httpDoorForTests(adapter, { identify: noCertificate });
    expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
    await app.close();
  });

  it("with a publisher, the encoded spelling the router serves reaches the route (so the sweep above is not vacuous)", async () => {
    const { app, publisher } = await httpDoorForTests(adapter, { identify: () => ({ ok: true, publisher: testPublisher("POLICE") }) });
    const served = await app.inject({ method: "GET", url: "/%761/record-types" });
    expect(served.statusCode).toBe(200);
    expect(publisher.published).toEqual([]);
    await app.close();
  });

  it("catches a door that checked the URL's prefix instead (the old kind of check), on every route the sweep covers", async () => {
    const { app } = await httpDoorForTests(adapter, { identify: () => ({ ok: true, publisher: testPublisher("POLICE") }) });
    // A prefix check in front of the real door: "/v1/" needs a certificate, anything else passes — the kind of
    // check the audit's oversight door had (services/audit/src/access.test.ts shows it on that door).
    app.addHook("onRequest", async (req: FastifyRequest) => {
      if (req.url.startsWith("/v1/")) throw Object.assign(commonErrors.NOT_FOUND(), { statusCode: 401 });
    });
    await app.ready();
    const guarded = routes(app).filter((u) => u.startsWith("/v1/"));
    expect(guarded.sort()).toEqual(["/v1/record-types", "/v1/records/:eventId/corrections", "/v1/records/:eventId/withdrawal", "/v1/sightings"]);
    const unguarded: string[] = [];
    for (const route of guarded) {
      const method = route === "/v1/record-types" ? "GET" : "POST";
      const payload = route === kind.httpPath ? kind.example : route.endsWith("/withdrawal") ? { reason: "other" } : route.endsWith("/corrections") ? { record_type: kind.recordType, record: kind.example } : undefined;
      // The canonical path is refused by the prefix check…
      expect((await app.inject({ method, url: route, payload })).statusCode, route).toBe(401);
      // …but some spelling the router still gives to the route gets past it to the route's handler.
      let leaked = 0;
      for (const url of pathVariants(route)) if (![401, 404].includes((await app.inject({ method, url, payload })).statusCode)) leaked++;
      if (leaked === 0) unguarded.push(`${method} ${route}`);
    }
    // Every route leaks through the prefix check: the sweep above would fail on each of them.
    expect(unguarded).toEqual([]);
    await app.close();
  });
});
