/**
 * The exchange's door serves GET /v1/policy and the probes, never /metrics or
 * /docs under any spelling; the admin listener serves /metrics.
 */
import { adminPathsServed, createHttpServer, createLogger, createMetricsRegistry } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { buildExchangeHttp } from "./http.js";

const view = { revision: "r1", subscribers: [{ id: "customs", tier: "partner_agency", delivery_topic: "takitini.delivery.customs.v1" }] };

describe("the exchange's HTTP", () => {
  it("serves the policy on its door and /metrics on the admin listener only, under any spelling", async () => {
    const { app, admin } = buildExchangeHttp({ logger: createLogger("t", "silent"), metrics: createMetricsRegistry("exchange"), readiness: [], policy: () => view });
    expect((await app.inject({ url: "/v1/policy" })).json()).toEqual(view);
    expect(await adminPathsServed(app)).toEqual([]);
    expect((await admin.inject({ url: "/metrics" })).statusCode).toBe(200);
    expect((await admin.inject({ url: "/v1/policy" })).statusCode).toBe(404);
    // The same sweep finds /metrics on a single-listener door.
    const legacy = createHttpServer({ service: "exchange", logger: createLogger("t", "silent"), metrics: createMetricsRegistry("t"), readiness: [] });
    expect((await adminPathsServed(legacy)).length).toBeGreaterThan(10);
  });

  it("limits each client address (429 RATE_LIMITED), never the probes", async () => {
    const { app } = buildExchangeHttp({ logger: createLogger("t", "silent"), metrics: createMetricsRegistry("exchange"), readiness: [], policy: () => view, rateLimit: { perAddressPerMinute: 2, perPrincipalPerMinute: 0 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url: "/v1/policy" })).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
  });
});
