import { createLogger, createMetricsRegistry } from "@takitini/runtime";
import type { FastifyInstance, RouteOptions } from "fastify";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildApp } from "../app.js";
import type { Ledger, SqlDatabase } from "../ledger/index.js";
import { gateWithTokens } from "./accounts.fixture.js";
import { documentedRoutes, openApiDocument, parametersOf } from "./openapi.js";
import { withDisclosures } from "./links.js";
import { anomaliesQuery, recordsQuery, statsQuery } from "./query.js";

type Json = Record<string, any>;

/** The app as main.ts builds it, with every route it registers collected (no database: only /docs and routing are exercised). */
async function appWithRoutes(): Promise<{ app: FastifyInstance; admin: FastifyInstance; routes: { method: string; url: string }[] }> {
  const routes: { method: string; url: string }[] = [];
  const unused = new Proxy({}, { get: () => { throw new Error("the ledger is not used by these tests"); } });
  const { app, admin } = await buildApp({
    logger: createLogger("t", "silent"),
    metrics: createMetricsRegistry("t"),
    db: unused as SqlDatabase,
    ledger: unused as Ledger,
    gate: gateWithTokens({}),
    readiness: [],
    plugins: [
      (a) => {
        a.addHook("onRoute", (r: RouteOptions) => {
          for (const method of [r.method].flat()) if (method !== "HEAD") routes.push({ method, url: r.url });
        });
      },
    ],
  });
  await app.ready();
  await admin.ready();
  return { app, admin, routes };
}

const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

describe("the oversight API's OpenAPI document", () => {
  it("documents exactly the /v1 routes the app registers", async () => {
    const { app, routes } = await appWithRoutes();
    const v1 = routes.filter((r) => r.url.startsWith("/v1/")).map(key).sort();
    expect(v1.length).toBeGreaterThanOrEqual(11);
    expect(documentedRoutes().map(key).sort()).toEqual(v1);
    // And the document's paths say the same, as OpenAPI spells them.
    const doc = openApiDocument() as Json;
    const inDoc = Object.entries(doc["paths"] as Json).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ":$1")}`));
    expect(inDoc.sort()).toEqual(v1);
    // printRoutes agrees that each documented route exists.
    for (const r of documentedRoutes()) expect(app.hasRoute({ method: r.method as "GET", url: r.url }), key(r)).toBe(true);
    await app.close();
  });

  it("generates each route's query parameters from the zod schema it validates with", () => {
    const doc = openApiDocument() as Json;
    const names = (path: string) => (doc["paths"][path].get.parameters as Json[]).filter((p) => p["in"] === "query").map((p) => p["name"]).sort();
    expect(names("/v1/records")).toEqual(Object.keys(recordsQuery.shape).sort());
    expect(names("/v1/stats/disclosures")).toEqual(Object.keys(statsQuery.shape).sort());
    expect(names("/v1/anomalies")).toEqual(Object.keys(anomaliesQuery.shape).sort());
    expect(names("/v1/subjects/{subjectId}/disclosures")).toEqual(["cursor", "limit"]);
    const records = doc["paths"]["/v1/records"].get.parameters as Json[];
    expect(records.find((p) => p["name"] === "kind")).toMatchObject({ in: "query", required: false, schema: { type: "string", enum: ["publish", "decision", "access", "oversight_query", "policy_revision", "refusal", "refusal_summary", "conflict", "report", "purge"] } });
    expect(records.find((p) => p["name"] === "limit")).toMatchObject({ schema: { type: "integer", minimum: 1, maximum: 500, default: 100 } });
    expect(records.find((p) => p["name"] === "from")!["schema"]).toEqual({ type: "string", format: "date-time" });
    const path = doc["paths"]["/v1/records/{id}"].get.parameters as Json[];
    expect(path).toEqual([expect.objectContaining({ name: "id", in: "path", required: true })]);
  });

  it("describes the bearer credential, the error shape and every response", () => {
    const doc = openApiDocument() as Json;
    expect(doc["openapi"]).toBe("3.1.0");
    expect(doc["components"].securitySchemes.bearer).toEqual(expect.objectContaining({ type: "http", scheme: "bearer" }));
    expect(doc["security"]).toContainEqual({ bearer: [] });
    expect(doc["components"].schemas.Error.properties.error.required).toEqual(["code", "message", "issues"]);
    const refs = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) k === "$ref" ? refs.add(String(x)) : walk(x);
    };
    walk(doc);
    for (const ref of refs) expect(doc["components"].schemas[ref.replace("#/components/schemas/", "")], ref).toBeDefined();
    for (const [path, ops] of Object.entries(doc["paths"] as Json)) {
      for (const [method, op] of Object.entries(ops as Json)) {
        const codes = Object.keys(op.responses);
        expect(codes.some((c) => c.startsWith("2")), `${method} ${path}`).toBe(true);
        expect(codes, `${method} ${path}`).toContain("401");
        for (const code of codes) expect(op.responses[code].content["application/json"].schema, `${method} ${path} ${code}`).toBeDefined();
      }
    }
  });

  it("documents who-has-seen's links, every field the API answers for a link", () => {
    const doc = openApiDocument() as Json;
    const body = doc["paths"]["/v1/subjects/{subjectId}/disclosures"].get.responses["200"].content["application/json"].schema;
    expect(Object.keys(body.properties).sort()).toEqual(["denied", "disclosures", "links", "next_cursor", "subject_id"]);
    const side = { event_id: "e", agency: "police", event_type: "t" };
    const link = withDisclosures({ link_id: "l", rule: "identity_document", confidence: 1, linked_at: "", record: side, linked_record: side, linked_subject_id: "s" }, { disclosures: [], denied: 0, more: false });
    expect(Object.keys(body.properties.links.items.properties).sort()).toEqual(Object.keys(link).sort());
    expect(Object.keys(body.properties.links.items.properties.disclosures.items.properties).sort()).toEqual(Object.keys(body.properties.disclosures.items.properties).sort());
  });

  it("lists a path parameter as required and drops the draft marker", () => {
    const [p] = parametersOf(z.strictObject({ region: z.string().regex(/^[a-z_]{2,40}$/) }), "path");
    expect(p).toEqual({ name: "region", in: "path", required: true, schema: { type: "string", pattern: "^[a-z_]{2,40}$" } });
  });

  it("is served at /docs/json and /docs without a credential, on the admin listener only", async () => {
    const { app, admin } = await appWithRoutes();
    expect((await app.inject({ url: "/docs/json" })).statusCode).toBe(404);
    const json = await admin.inject({ url: "/docs/json" });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    const ui = await admin.inject({ url: "/docs/" });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers["content-type"]).toMatch(/text\/html/);
    expect(ui.body).toMatch(/swagger/i);
    await app.close();
    await admin.close();
  });
});
