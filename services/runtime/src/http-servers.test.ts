/**
 * A service's two listeners (createHttpServers): the door, over real TLS when
 * asked (with or without client certificates), the admin listener with
 * /metrics; rate limits per address and per principal; metric labels from
 * known values only; and the TLS files read at start, each error naming its
 * variable.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyRequest } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminPathsServed,
  baseConfig,
  clientCertificate,
  ConfigError,
  createHttpServer,
  createHttpServers,
  createLogger,
  createMetricsRegistry,
  httpServersShape,
  HttpTlsError,
  loadConfig,
  pathVariants,
  rateLimitSettings,
  readHttpTls,
  requestLabels,
  verifiedClientCertificate,
  type HttpServerOptions,
  type HttpServers,
} from "./index.js";

const ISSUE = fileURLToPath(new URL("../../../infra/pki/issue.sh", import.meta.url));
let pki: string;
const file = (p: string) => join(pki, p);

beforeAll(() => {
  pki = join(mkdtempSync(join(tmpdir(), "takitini-http-tls-")), "pki");
  execFileSync("bash", [ISSUE, "--out", pki, "--publisher", "police/test", "--rogue-ca"], { stdio: "ignore" });
}, 60_000);

const base = (extra: Partial<HttpServerOptions> = {}): HttpServerOptions => ({ service: "t", logger: createLogger("t", "silent"), metrics: createMetricsRegistry("t"), readiness: [], ...extra });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET over HTTPS, trusting only the test CA (and presenting a client certificate when given). */
function httpsGet(url: string, opts: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: opts.ca ?? readFileSync(file("ca.crt")), ...(opts.cert ? { cert: opts.cert, key: opts.key } : {}), agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const open: HttpServers[] = [];
async function listening(servers: HttpServers) {
  open.push(servers);
  return servers.listen({ host: "127.0.0.1", port: 0, adminPort: 0 });
}
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
});

describe("the door and the admin listener", () => {
  it("serve /metrics on the admin listener only, /healthz and /readyz on both", async () => {
    const servers = createHttpServers(base());
    servers.app.get("/v1/thing", async () => ({ ok: true }));
    const { url, adminUrl } = await listening(servers);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(adminUrl).not.toBe(url);
    for (const u of [url, adminUrl]) {
      expect((await fetch(`${u}/healthz`)).status).toBe(200);
      expect((await fetch(`${u}/readyz`)).status).toBe(200);
    }
    const metrics = await fetch(`${adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("process_cpu_user_seconds_total");
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    expect((await fetch(`${adminUrl}/v1/thing`)).status).toBe(404);
  });

  it("has the admin's /readyz wait for the door to listen, and closes both", async () => {
    const servers = createHttpServers(base());
    await servers.admin.listen({ host: "127.0.0.1", port: 0 });
    const admin = `http://127.0.0.1:${(servers.admin.server.address() as { port: number }).port}`;
    const before = await (await fetch(`${admin}/readyz`)).json();
    expect(before).toMatchObject({ status: "not_ready", checks: [{ name: "http-listener", ready: false }] });
    await servers.app.listen({ host: "127.0.0.1", port: 0 });
    expect((await fetch(`${admin}/readyz`)).status).toBe(200);
    await servers.close();
    expect(servers.app.server.listening).toBe(false);
    expect(servers.admin.server.listening).toBe(false);
  });

  it("never serves /metrics or docs on the door, under any spelling — and the sweep finds them on a door that does", async () => {
    const servers = createHttpServers(base());
    servers.admin.get("/docs/json", async () => ({ openapi: "3.1.0" }));
    expect(await adminPathsServed(servers.app)).toEqual([]);
    expect((await servers.admin.inject({ url: "/metrics" })).statusCode).toBe(200);
    expect((await servers.admin.inject({ url: "/docs/json" })).statusCode).toBe(200);
    // The single-listener shell serves /metrics on its door: the sweep says so, spellings included.
    const legacy = createHttpServer(base());
    legacy.get("/docs/json", async () => ({ openapi: "3.1.0" }));
    const found = await adminPathsServed(legacy);
    expect(found).toContain("/metrics");
    expect(found).toContain("/docs/json");
    expect(found.length).toBeGreaterThan(2);
    expect(pathVariants("/metrics").length).toBeGreaterThan(10);
  });

  it("labels request durations with known values only: the route's pattern or unmatched, never the URL", async () => {
    const metrics = createMetricsRegistry("t");
    const servers = createHttpServers(base({ metrics }));
    servers.app.get("/v1/items/:id", async () => ({ ok: true }));
    for (const url of ["/v1/items/1", "/v1/items/secret-subject-42", "/%76%31/items/x", "/nope/aroha-ngata", "//v1//items//1", "/V1/ITEMS/1"]) await servers.app.inject({ url });
    await servers.app.inject({ url: "/v1/items/1", method: "OPTIONS" });
    const text = await metrics.metrics();
    const routes = new Set([...text.matchAll(/http_request_duration_seconds_count\{[^}]*route="([^"]*)"/g)].map((m) => m[1]));
    expect([...routes].sort()).toEqual(["/v1/items/:id", "unmatched"]);
    expect(text).not.toMatch(/secret-subject|aroha|%76/);
    expect(requestLabels({ method: "PROPFIND", routeOptions: { url: undefined } } as never, { statusCode: 404 } as never)).toEqual({ method: "OTHER", route: "unmatched", status: "404" });
  });
});

describe("the door over TLS", () => {
  it("serves HTTPS with the local PKI's certificate, and refuses plain HTTP", async () => {
    const tls = readHttpTls({ HTTP_TLS_CERT_FILE: file("service/audit.crt"), HTTP_TLS_KEY_FILE: file("service/audit.key") })!;
    const servers = createHttpServers(base({ tls }));
    const { url, adminUrl } = await listening(servers);
    expect(url).toMatch(/^https:\/\//);
    expect(adminUrl).toMatch(/^http:\/\//);
    expect((await httpsGet(`${url}/healthz`)).status).toBe(200);
    await expect(fetch(`${url.replace("https:", "http:")}/healthz`)).rejects.toThrow();
    // Another CA's trust does not reach it.
    await expect(httpsGet(`${url}/healthz`, { ca: readFileSync(file("rogue/ca.crt")) })).rejects.toThrow();
    expect((await fetch(`${adminUrl}/metrics`)).status).toBe(200);
  });

  it('with clientCertificates "request": a route sees a verified certificate, an unverified one, or none — and answers itself', async () => {
    const tls = readHttpTls({ HTTP_TLS_CERT_FILE: file("service/police-adapter.crt"), HTTP_TLS_KEY_FILE: file("service/police-adapter.key"), HTTP_TLS_CA_FILE: file("ca.crt") }, { clientCertificates: "request" })!;
    const servers = createHttpServers(base({ tls }));
    servers.app.get("/whoami", async (req: FastifyRequest, reply) => {
      const verified = verifiedClientCertificate(req);
      if (verified) return { uri: verified.subjectaltname };
      const { cert, authorizationError } = clientCertificate(req);
      return reply.code(cert ? 403 : 401).send({ error: { code: cert ? "CERTIFICATE_UNTRUSTED" : "CERTIFICATE_REQUIRED", message: authorizationError ?? "none", issues: [] } });
    });
    const { url } = await listening(servers);
    const none = await httpsGet(`${url}/whoami`);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.code).toBe("CERTIFICATE_REQUIRED");
    const good = await httpsGet(`${url}/whoami`, { cert: readFileSync(file("publisher/police/test.crt")), key: readFileSync(file("publisher/police/test.key")) });
    expect(good.status).toBe(200);
    expect(JSON.parse(good.body).uri).toContain("spiffe://takitini.local/publisher/police/test");
    const rogue = await httpsGet(`${url}/whoami`, { cert: readFileSync(file("rogue/publisher/police/test.crt")), key: readFileSync(file("rogue/publisher/police/test.key")) });
    expect(rogue.status).toBe(403);
    expect(JSON.parse(rogue.body).error.code).toBe("CERTIFICATE_UNTRUSTED");
  });

  it("is read from HTTP_TLS_* at start: both files or neither, readable, a certificate and its own key; errors name the variable", () => {
    expect(readHttpTls({})).toBeUndefined();
    const fails = (s: Parameters<typeof readHttpTls>[0], variable: string, message: RegExp, opts?: Parameters<typeof readHttpTls>[1]) => {
      let err: unknown;
      try {
        readHttpTls(s, opts);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HttpTlsError);
      expect((err as HttpTlsError).path).toBe(variable);
      expect((err as HttpTlsError).message).toMatch(message);
    };
    fails({ HTTP_TLS_CERT_FILE: file("service/audit.crt") }, "HTTP_TLS_KEY_FILE", /required with HTTP_TLS_CERT_FILE/);
    fails({ HTTP_TLS_KEY_FILE: file("service/audit.key") }, "HTTP_TLS_CERT_FILE", /required with HTTP_TLS_KEY_FILE/);
    fails({ HTTP_TLS_CA_FILE: file("ca.crt") }, "HTTP_TLS_CA_FILE", /only with/);
    fails({ HTTP_TLS_CERT_FILE: file("service/nope.crt"), HTTP_TLS_KEY_FILE: file("service/audit.key") }, "HTTP_TLS_CERT_FILE", /cannot read .*ENOENT/);
    fails({ HTTP_TLS_CERT_FILE: file("service/audit.crt"), HTTP_TLS_KEY_FILE: file("service/nope.key") }, "HTTP_TLS_KEY_FILE", /cannot read .*ENOENT/);
    fails({ HTTP_TLS_CERT_FILE: file("service/audit.key"), HTTP_TLS_KEY_FILE: file("service/audit.key") }, "HTTP_TLS_CERT_FILE", /not a PEM certificate/);
    fails({ HTTP_TLS_CERT_FILE: file("service/audit.crt"), HTTP_TLS_KEY_FILE: file("service/audit.crt") }, "HTTP_TLS_KEY_FILE", /not a PEM private key/);
    fails({ HTTP_TLS_CERT_FILE: file("service/audit.crt"), HTTP_TLS_KEY_FILE: file("service/briefing.key") }, "HTTP_TLS_KEY_FILE", /not the key of the certificate/);
    fails({ HTTP_TLS_CERT_FILE: file("service/audit.crt"), HTTP_TLS_KEY_FILE: file("service/audit.key"), HTTP_TLS_CA_FILE: file("ca.key") }, "HTTP_TLS_CA_FILE", /not a PEM certificate/);
    fails({ HTTP_TLS_CERT_FILE: file("service/audit.crt"), HTTP_TLS_KEY_FILE: file("service/audit.key") }, "HTTP_TLS_CA_FILE", /required/, { clientCertificates: "request" });
    const ok = readHttpTls({ HTTP_TLS_CERT_FILE: file("service/audit.crt"), HTTP_TLS_KEY_FILE: file("service/audit.key"), HTTP_TLS_CA_FILE: file("ca.crt") }, { clientCertificates: "request" });
    expect(ok?.clientCertificates).toBe("request");
    expect(ok?.ca).toBeDefined();
  });

  it("is configured through httpServersShape: ADMIN_PORT defaults to PORT + 100 and must differ from it; the TLS pair is checked by loadConfig", () => {
    const schema = baseConfig.extend(httpServersShape({ port: 8083, perAddressPerMinute: 1200, perPrincipalPerMinute: 600 }));
    const c = loadConfig(schema, { TAKITINI_INSECURE_KAFKA: "true" });
    expect(c).toMatchObject({ PORT: 8083, ADMIN_PORT: 8183, RATE_LIMIT_PER_MINUTE: 1200, RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE: 600 });
    expect(loadConfig(schema, { TAKITINI_INSECURE_KAFKA: "true", PORT: "9000", ADMIN_PORT: "9100", RATE_LIMIT_PER_MINUTE: "0" })).toMatchObject({ PORT: 9000, ADMIN_PORT: 9100, RATE_LIMIT_PER_MINUTE: 0 });
    const issues = (env: Record<string, string>) => {
      try {
        loadConfig(schema, { TAKITINI_INSECURE_KAFKA: "true", ...env });
        return [];
      } catch (err) {
        return (err as ConfigError).issues.map((i) => i.path);
      }
    };
    expect(issues({ PORT: "9000", ADMIN_PORT: "9000" })).toEqual(["ADMIN_PORT"]);
    expect(issues({ PORT: "0", ADMIN_PORT: "0" })).toEqual([]);
    expect(issues({ HTTP_TLS_CERT_FILE: "/x.crt" })).toEqual(["HTTP_TLS_KEY_FILE"]);
    expect(issues({ RATE_LIMIT_PER_MINUTE: "-1" })).toEqual(["RATE_LIMIT_PER_MINUTE"]);
  });
});

describe("rate limits", () => {
  const limited = (extra: Partial<HttpServerOptions["rateLimit"]> = {}) => {
    const metrics = createMetricsRegistry("t");
    const servers = createHttpServers(base({ metrics, rateLimit: { perAddressPerMinute: 5, perPrincipalPerMinute: 3, principal: (req) => (typeof req.headers["x-who"] === "string" ? `who:${req.headers["x-who"]}` : undefined), ...extra } }));
    servers.app.get("/v1/thing", async () => ({ ok: true }));
    servers.app.get("/v1/inside", async (req, reply) => {
      await servers.limitPrincipal(req, reply, "account:inside");
      return { ok: true };
    });
    return { servers, metrics };
  };
  const from = (remoteAddress: string, headers: Record<string, string> = {}) => ({ remoteAddress, headers });

  it("answer 429 RATE_LIMITED with Retry-After once an address is over its limit; other addresses and the probes go on", async () => {
    const { servers, metrics } = limited();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await servers.app.inject({ url: "/v1/thing", ...from("10.1.1.1") })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const refused = await servers.app.inject({ url: "/v1/thing", ...from("10.1.1.1") });
    expect(refused.json()).toEqual({ error: { code: "RATE_LIMITED", message: expect.any(String), issues: [] } });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers["retry-after"])).toBeLessThanOrEqual(60);
    // Unmatched paths count too; the probes never.
    expect((await servers.app.inject({ url: "/nope", ...from("10.1.1.1") })).statusCode).toBe(429);
    for (let i = 0; i < 20; i++) {
      expect((await servers.app.inject({ url: "/healthz", ...from("10.1.1.1") })).statusCode).toBe(200);
      expect((await servers.app.inject({ url: "/readyz", ...from("10.1.1.1") })).statusCode).toBe(200);
    }
    expect((await servers.app.inject({ url: "/v1/thing", ...from("10.1.1.2") })).statusCode).toBe(200);
    // The admin listener has its own address limit.
    expect((await servers.admin.inject({ url: "/metrics", ...from("10.1.1.1") })).statusCode).toBe(200);
    expect(await metrics.metrics()).toMatch(/http_rate_limited_total\{limit="address",service="t"\} 4/);
  });

  it("hold each principal to its own limit, from a hook or inside a handler, counted once per request", async () => {
    const { servers, metrics } = limited({ perAddressPerMinute: 0 });
    const aroha: number[] = [];
    for (let i = 0; i < 5; i++) aroha.push((await servers.app.inject({ url: "/v1/thing", ...from("10.2.0.1", { "x-who": "aroha" }) })).statusCode);
    expect(aroha).toEqual([200, 200, 200, 429, 429]);
    // Another principal from the same address, and callers with none, are not held back by Aroha.
    expect((await servers.app.inject({ url: "/v1/thing", ...from("10.2.0.1", { "x-who": "hemi" }) })).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) expect((await servers.app.inject({ url: "/v1/thing", ...from("10.2.0.1") })).statusCode).toBe(200);
    const inside: number[] = [];
    for (let i = 0; i < 4; i++) inside.push((await servers.app.inject({ url: "/v1/inside", ...from(`10.3.0.${i}`) })).statusCode);
    expect(inside).toEqual([200, 200, 200, 429]);
    const refused = await servers.app.inject({ url: "/v1/inside" });
    expect(refused.json().error.code).toBe("RATE_LIMITED");
    expect(refused.headers["retry-after"]).toBeDefined();
    // A request whose principal the hook counted is not counted again inside.
    const both = limited({ perAddressPerMinute: 0, principal: () => "account:inside" });
    const twice: number[] = [];
    for (let i = 0; i < 4; i++) twice.push((await both.servers.app.inject({ url: "/v1/inside" })).statusCode);
    expect(twice).toEqual([200, 200, 200, 429]);
    expect(await metrics.metrics()).toMatch(/http_rate_limited_total\{limit="principal",service="t"\} 4/);
  });

  it("cut an address off before any hook the service adds (a credential check is never reached over the limit)", async () => {
    const servers = createHttpServers(base({ rateLimit: { perAddressPerMinute: 2, perPrincipalPerMinute: 0 } }));
    let checked = 0;
    // A root hook added at once, before any await: the limit's hook still runs first.
    servers.app.addHook("onRequest", async () => void checked++);
    servers.app.get("/v1/thing", async () => ({ ok: true }));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await servers.app.inject({ url: "/v1/thing" })).statusCode);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    expect(checked).toBe(2);
  });

  it("are off at 0, and read from the config's fields", async () => {
    const servers = createHttpServers(base({ rateLimit: rateLimitSettings({ RATE_LIMIT_PER_MINUTE: 0, RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE: 0 }) }));
    servers.app.get("/v1/thing", async () => ({ ok: true }));
    for (let i = 0; i < 50; i++) expect((await servers.app.inject({ url: "/v1/thing" })).statusCode).toBe(200);
  });

  it("also apply to the single-listener shell (createHttpServer) a service not yet on two listeners uses", async () => {
    const app = createHttpServer(base({ rateLimit: { perAddressPerMinute: 2, perPrincipalPerMinute: 0 } }));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url: "/metrics" })).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
  });
});
