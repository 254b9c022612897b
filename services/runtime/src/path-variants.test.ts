import { describe, expect, it } from "vitest";
import { pathVariants, routerTable } from "./path-variants.js";

describe("pathVariants", () => {
  const v = pathVariants("/v1/records?limit=5");
  it("encodes each character of the leading segments, in both hex cases", () => {
    expect(v).toContain("/%761/records?limit=5");
    expect(v).toContain("/v%31/records?limit=5");
    expect(v).toContain("/v1/%72ecords?limit=5");
    expect(v).toContain("/%2e/v1/records?limit=5");
    expect(v).toContain("/%76%31/%72%65%63%6F%72%64%73?limit=5");
  });
  it("spells slashes, dots, case and a trailing slash otherwise", () => {
    for (const p of ["/v1%2Frecords", "/v1%2frecords", "//v1//records", "/./v1/records", "/x/../v1/records", "/x/%2e%2e/v1/records", "/V1/RECORDS", "/V1/Records", "/v1/records/"]) {
      expect(v).toContain(`${p}?limit=5`);
    }
  });
  it("never includes the canonical path itself", () => {
    expect(v).not.toContain("/v1/records?limit=5");
    expect(new Set(v).size).toBe(v.length);
  });
});

describe("routerTable", () => {
  it("reads every route and method from fastify's printed tree", async () => {
    const { default: Fastify } = await import("fastify");
    const app = Fastify();
    app.get("/v1/records", async () => "");
    app.get("/v1/records/:id", async () => "");
    app.post("/v1/tree/heads", async () => "");
    app.get("/healthz", async () => "");
    await app.ready();
    const table = routerTable(app.printRoutes({ commonPrefix: false }));
    for (const r of [
      { method: "GET", url: "/v1/records" },
      { method: "GET", url: "/v1/records/:id" },
      { method: "POST", url: "/v1/tree/heads" },
      { method: "GET", url: "/healthz" },
    ]) {
      expect(table).toContainEqual(r);
    }
    await app.close();
  });
});
