/**
 * The audit's two listeners: the door (console and /v1, HTTPS when TLS is on)
 * serves neither /metrics nor /docs under any spelling — the admin listener
 * serves them; the session cookie is Secure whenever TLS is on; and an
 * oversight account is held to its own rate limit.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { adminPathsServed, createHttpServer, createLogger, createMetricsRegistry, readHttpTls } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type AppDeps } from "./app.js";
import { registerConsole } from "./console/plugin.js";
import { IN_MEMORY, Ledger, openPglite, type SqlDatabase } from "./ledger/index.js";
import { createSigner } from "./merkle/index.js";
import { gateWithTokens } from "./oversight/accounts.fixture.js";
import { openApiDocument } from "./oversight/openapi.js";

const TOKEN = "audit-admin-listener-test-token-0123456789";
const OTHER = "audit-admin-listener-other-token-0123456789";
let db: SqlDatabase;
let ledger: Ledger;
let pki: string;

beforeAll(async () => {
  db = await openPglite(IN_MEMORY);
  ledger = await Ledger.open(db, { signer: createSigner(generateKeyPairSync("ed25519").privateKey) });
  pki = join(mkdtempSync(join(tmpdir(), "takitini-audit-tls-")), "pki");
  execFileSync("bash", [fileURLToPath(new URL("../../../infra/pki/issue.sh", import.meta.url)), "--out", pki], { stdio: "ignore" });
}, 60_000);
afterAll(async () => {
  await db.close();
});

const deps = (extra: Partial<AppDeps> = {}): AppDeps => ({
  logger: createLogger("t", "silent"),
  metrics: createMetricsRegistry("t"),
  db,
  ledger,
  gate: gateWithTokens({ [TOKEN]: "Officer Aroha", [OTHER]: "Officer Hemi" }),
  readiness: [],
  plugins: [registerConsole],
  ...extra,
});

describe("the audit's door and admin listener", () => {
  it("serves /metrics and /docs on the admin listener only: never on the door, under any spelling", async () => {
    const { app, admin } = await buildApp(deps());
    expect(await adminPathsServed(app)).toEqual([]);
    expect((await admin.inject({ url: "/metrics" })).statusCode).toBe(200);
    expect((await admin.inject({ url: "/docs/json" })).json().openapi).toMatch(/^3\./);
    expect((await admin.inject({ url: "/docs/" })).body).toMatch(/swagger/i);
    expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await admin.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/readyz" })).statusCode).toBe(200);
    // The admin's /readyz also waits for the door to listen (here it is only injected into).
    expect((await admin.inject({ url: "/readyz" })).json().checks).toEqual([{ name: "http-listener", ready: false }]);
    await app.close();
    await admin.close();
  });

  it("the sweep fails against a door that serves them (the single-listener shell with the docs on it)", async () => {
    const door = createHttpServer({ service: "audit", logger: createLogger("t", "silent"), metrics: createMetricsRegistry("t"), readiness: [] });
    await door.register(swagger, { mode: "static", specification: { document: openApiDocument() as never } });
    await door.register(swaggerUi, { routePrefix: "/docs" });
    const served = await adminPathsServed(door);
    expect(served).toEqual(expect.arrayContaining(["/metrics", "/docs/json", "/%6Detrics", "/docs/%6Ason"]));
    await door.close();
  });

  it("marks the session cookie Secure whenever TLS is on, and only then", async () => {
    const tls = readHttpTls({ HTTP_TLS_CERT_FILE: join(pki, "service/audit.crt"), HTTP_TLS_KEY_FILE: join(pki, "service/audit.key") });
    for (const [withTls, secure] of [[tls, true], [undefined, false]] as const) {
      const { app, admin } = await buildApp(deps(withTls ? { tls: withTls } : {}));
      const login = await app.inject({ method: "POST", url: "/console/login", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: `token=${TOKEN}` });
      expect(login.statusCode).toBe(303);
      const set = String(login.headers["set-cookie"]);
      expect(set).toMatch(/^takitini_oversight=[^;]+; HttpOnly; SameSite=Strict/);
      expect(/; Secure/.test(set)).toBe(secure);
      const logout = await app.inject({ method: "POST", url: "/console/logout" });
      expect(/; Secure/.test(String(logout.headers["set-cookie"]))).toBe(secure);
      await app.close();
      await admin.close();
    }
  });

  it("counts /v1 requests cut off by the address limit in the refusal window, appending no row for them", async () => {
    const noted: { code: string; route: string }[] = [];
    const { app, admin } = await buildApp(deps({ rateLimit: { perAddressPerMinute: 2, perPrincipalPerMinute: 0 }, refusals: { note: (n) => void noted.push({ code: n.code, route: n.route }) } }));
    const rows = async () => Number((await db.query<{ n: string }>("select count(*) as n from audit_records where kind = 'oversight_query'")).rows[0]!.n);
    const before = await rows();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await app.inject({ url: "/v1/records?limit=1", headers: { authorization: `Bearer ${TOKEN}` }, remoteAddress: "10.9.9.9" })).statusCode);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    expect((await rows()) - before).toBe(2);
    expect(noted).toEqual(Array(3).fill({ code: "RATE_LIMITED", route: "/v1/records" }));
    await app.close();
    await admin.close();
  });

  it("counts failed console sign-ins in the refusal window (code, route), never the token, and no oversight_query row", async () => {
    const noted: { door: string; code: string; route: string }[] = [];
    const { app, admin } = await buildApp(deps({ refusals: { note: (n) => void noted.push({ door: n.door, code: n.code, route: n.route }) } }));
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const wrong = await app.inject({ method: "POST", url: "/console/login", headers: form, payload: "token=tkt.nobody.guessguessguessguess", remoteAddress: "10.8.8.8" });
    expect(wrong.statusCode).toBe(303);
    const ok = await app.inject({ method: "POST", url: "/console/login", headers: form, payload: `token=${TOKEN}` });
    expect(ok.statusCode).toBe(303);
    expect(noted).toEqual([{ door: "sign-in", code: "CREDENTIAL_INVALID", route: "/console/login" }]);
    expect(JSON.stringify(noted)).not.toContain("guess");
    await app.close();
    await admin.close();
  });

  it("holds each oversight account to its own rate limit (429 RATE_LIMITED, Retry-After)", async () => {
    const { app, admin } = await buildApp(deps({ rateLimit: { perAddressPerMinute: 0, perPrincipalPerMinute: 3 } }));
    const as = (token: string) => app.inject({ url: "/v1/records?limit=1", headers: { authorization: `Bearer ${token}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await as(TOKEN)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await as(TOKEN);
    expect(refused.json().error.code).toBe("RATE_LIMITED");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    // Another account from the same address is not held back.
    expect((await as(OTHER)).statusCode).toBe(200);
    await app.close();
    await admin.close();
  });
});
