/**
 * Roles on the oversight doors: reviewers read, administrators may also sign a
 * tree head. The roles a route needs are its own config (`config.roles`),
 * checked by the /v1 scope's hook once the credential is accepted — so the
 * refusal follows the route the router picked, whatever spelling of its path
 * was asked — and gRPC's SignHead names its roles the same way. A refusal is
 * 403 ROLE_NOT_PERMITTED (gRPC PERMISSION_DENIED), signs nothing, and is
 * recorded in the ledger as an oversight query naming the account and its role.
 *
 * The app as main.ts builds it (the console included) on an in-memory PGlite
 * ledger, driven with app.inject; the gRPC door on a loopback port.
 */
import { generateKeyPairSync } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { GetSignedHeadRequest, OversightServiceClient, SignHeadRequest } from "@takitini/proto";
import { createLogger, createMetricsRegistry, pathVariants, type AccountsChange } from "@takitini/runtime";
import type { FastifyInstance, HTTPMethods, RouteOptions } from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp } from "./app.js";
import { registerConsole } from "./console/plugin.js";
import { appendRecords } from "./ingest.js";
import { IN_MEMORY, Ledger, openPglite } from "./ledger/index.js";
import { createSigner } from "./merkle/index.js";
import { gateWithTokens } from "./oversight/accounts.fixture.js";
import type { OversightAccount } from "./oversight/credentials.js";
import { decision } from "./oversight/decisions.fixture.js";
import { closeOversightGrpc, createOversightGrpcServer, GRPC_ERROR_CODE_KEY, listenOversightGrpc, SERVICE_PATH } from "./oversight/grpc.js";
import { documentedRoutes } from "./oversight/openapi.js";
import { fromDecision } from "./oversight/records.js";

const REVIEWER = { token: "roles-test-reviewer-token-81c2", name: "Rewi Reviewer" };
const ADMIN = { token: "roles-test-administrator-token-3f9e", name: "Hine Administrator" };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
type Doc = Record<string, unknown>;

const db = await openPglite(IN_MEMORY);
const ledger = await Ledger.open(db, { signer: createSigner(generateKeyPairSync("ed25519").privateKey) });
const logger = createLogger("t", "silent");
const gate = gateWithTokens({ [REVIEWER.token]: REVIEWER.name, [ADMIN.token]: ADMIN.name }, { roles: { [ADMIN.name]: "administrator" } });
const observed: RouteOptions[] = [];
let served: string | undefined;
const built = await buildApp({
  logger,
  metrics: createMetricsRegistry("t"),
  db,
  ledger,
  gate,
  readiness: [],
  plugins: [
    // Instruments: the routes registered, and the route that answered each request.
    (a) => {
      a.addHook("onRoute", (r) => void observed.push(r));
      a.addHook("onSend", async (req, _reply, payload) => {
        served = `${req.method} ${req.routeOptions.url}`;
        return payload;
      });
    },
    registerConsole,
  ],
});
// The door the /v1 routes and the console are served on (buildApp's `app`, beside its admin listener, once it has one).
const app = ((built as unknown as { app?: FastifyInstance }).app ?? built) as FastifyInstance;
await app.ready();
const decisions = Array.from({ length: 5 }, (_, k) => decision(`0b8a4f4e-6f0e-5c1a-9d0e-1f2a3b4c5d${String(k).padStart(2, "0")}`, "customs", true));
await appendRecords(ledger, decisions.map((d) => fromDecision(d, new Date())));

const grpcServer = createOversightGrpcServer({ logger, db, ledger, gate });
const grpcPort = await listenOversightGrpc(grpcServer, { host: "127.0.0.1", port: 0 });
const client = new OversightServiceClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());

afterAll(async () => {
  client.close();
  await closeOversightGrpc(grpcServer, 1000);
  await app.close();
  await (built as unknown as { admin?: FastifyInstance }).admin?.close();
  await db.close();
});

/** A request, what it answered, and the oversight_query records it appended. */
async function probe(method: string, url: string, headers: Record<string, string> = {}) {
  const before = (await ledger.state()).treeSize;
  const heads = (await ledger.latestHead())?.treeSize;
  served = undefined;
  const res = await app.inject({ method: method as HTTPMethods, url, headers });
  let body: { error?: { code?: string; message?: string } } = {};
  try {
    body = res.json();
  } catch {
    /* HTML, a redirect, HEAD */
  }
  const rows = await db.query<{ doc: Doc }>("select doc from audit_records where kind = 'oversight_query' and idx >= $1 order by idx", [String(before)]);
  return { status: res.statusCode, code: body.error?.code, message: body.error?.message, served, recorded: rows.rows.map((r) => r.doc), signed: (await ledger.latestHead())?.treeSize !== heads, headers: res.headers };
}

const routeKey = (method: string, url: string) => `${method} ${url}`;
/** Every route's declared roles, as the routes themselves carry them (config.roles). */
const rolesOf = new Map<string, readonly string[] | undefined>();
for (const r of observed) for (const m of [r.method].flat()) rolesOf.set(routeKey(m, r.url), r.config?.roles);
const v1Routes = observed.filter((r) => r.config?.access === "oversight").flatMap((r) => [r.method].flat().map((method) => ({ method, url: r.url, roles: r.config?.roles })));

describe("roles as route config", () => {
  it("are declared on the routes themselves: only POST /v1/tree/heads needs one (administrator), and only inside the oversight scope", () => {
    const restricted = [...rolesOf].filter(([, roles]) => roles !== undefined);
    expect(restricted).toEqual([["POST /v1/tree/heads", ["administrator"]]]);
    for (const r of observed) if (r.config?.roles) expect(r.config.access, r.url).toBe("oversight");
    expect(v1Routes.length).toBeGreaterThanOrEqual(21);
  });

  it("are what the OpenAPI document publishes (x-takitini-roles)", () => {
    for (const d of documentedRoutes()) expect(`${routeKey(d.method, d.url)}: ${JSON.stringify(d.roles ?? null)}`).toBe(`${routeKey(d.method, d.url)}: ${JSON.stringify(rolesOf.get(routeKey(d.method, d.url)) ?? null)}`);
  });
});

describe("a reviewer", () => {
  it("reads every /v1 route that needs no role", async () => {
    const open = v1Routes.filter((r) => r.roles === undefined);
    for (const r of open) {
      const p = await probe(r.method, r.url.replace(/:[A-Za-z]+/g, decisions[0]!.id), bearer(REVIEWER.token));
      expect([routeKey(r.method, r.url), p.status]).not.toEqual([routeKey(r.method, r.url), 403]);
      expect(p.status, routeKey(r.method, r.url)).not.toBe(401);
      expect(p.recorded, routeKey(r.method, r.url)).toEqual([expect.objectContaining({ officer: REVIEWER.name, officer_role: "reviewer", status: p.status })]);
    }
  });

  it("may not sign a tree head: 403 ROLE_NOT_PERMITTED, nothing signed, the refusal recorded with who asked", async () => {
    const p = await probe("POST", "/v1/tree/heads", bearer(REVIEWER.token));
    expect([p.status, p.code]).toEqual([403, "ROLE_NOT_PERMITTED"]);
    expect(p.message).toBe("POST /v1/tree/heads is for an administrator; this account is a reviewer");
    expect(p.signed).toBe(false);
    expect(await ledger.latestHead()).toBeUndefined();
    expect(p.recorded).toEqual([{ officer: REVIEWER.name, officer_role: "reviewer", channel: "http", method: "POST", route: "/v1/tree/heads", parameters: {}, status: 403, result_count: 0 }]);
  });

  it("is refused under every spelling of the path the router gives to that route, each refusal recorded as the canonical one", async () => {
    const reference = await probe("POST", "/v1/tree/heads", bearer(REVIEWER.token));
    let routed = 0;
    for (const variant of pathVariants("/v1/tree/heads")) {
      const p = await probe("POST", variant, bearer(REVIEWER.token));
      expect(p.signed, variant).toBe(false);
      if (p.served !== "POST /v1/tree/heads") continue;
      routed++;
      expect([variant, p.status, p.code]).toEqual([variant, 403, "ROLE_NOT_PERMITTED"]);
      expect(p.recorded, variant).toEqual(reference.recorded);
    }
    // The router decodes percent-encoded spellings: some do reach the route (and are refused).
    expect(routed).toBeGreaterThan(5);
    expect(await ledger.latestHead()).toBeUndefined();
  });

  it("without a credential is still 401 (the credential is checked before the role)", async () => {
    const p = await probe("POST", "/v1/tree/heads");
    expect([p.status, p.code, p.signed]).toEqual([401, "OVERSIGHT_CREDENTIAL_REQUIRED", false]);
  });

  it("signed in to the console is refused the same way through the session cookie", async () => {
    const login = await app.inject({ method: "POST", url: "/console/login", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: `token=${REVIEWER.token}` });
    expect(login.statusCode).toBe(303);
    const cookie = String(login.headers["set-cookie"]).split(";")[0]!;
    expect((await probe("GET", "/v1/tree/head", { cookie })).status).toBe(404); // reads: none signed yet
    const p = await probe("POST", "/v1/tree/heads", { cookie });
    expect([p.status, p.code, p.signed]).toEqual([403, "ROLE_NOT_PERMITTED", false]);
    expect(p.recorded).toEqual([expect.objectContaining({ officer: REVIEWER.name, officer_role: "reviewer", status: 403 })]);
  });
});

describe("an administrator", () => {
  it("signs a tree head (201), recorded with the role", async () => {
    const p = await probe("POST", "/v1/tree/heads", bearer(ADMIN.token));
    expect(p.status).toBe(201);
    expect(p.signed).toBe(true);
    expect(p.recorded).toEqual([{ officer: ADMIN.name, officer_role: "administrator", channel: "http", method: "POST", route: "/v1/tree/heads", parameters: {}, status: 201, result_count: 1 }]);
  });

  it("signs under another spelling the router gives to the route", async () => {
    const p = await probe("POST", "/%761/tree/heads", bearer(ADMIN.token));
    expect([p.served, p.status, p.signed]).toEqual(["POST /v1/tree/heads", 201, true]);
  });

  it("whose role the accounts file takes away is refused at once, without a restart", async () => {
    const before = gate.accounts.list;
    let change: AccountsChange<OversightAccount> | undefined;
    try {
      change = gate.accounts.replace(before.map((a) => (a.name === ADMIN.name ? { ...a, role: "reviewer" as const } : a)));
      expect(change.ended.map((a) => a.name)).toEqual([ADMIN.name]);
      const p = await probe("POST", "/v1/tree/heads", bearer(ADMIN.token));
      expect([p.status, p.code, p.signed]).toEqual([403, "ROLE_NOT_PERMITTED", false]);
      expect(p.recorded).toEqual([expect.objectContaining({ officer: ADMIN.name, officer_role: "reviewer", status: 403 })]);
    } finally {
      gate.accounts.replace(before);
    }
    expect((await probe("POST", "/v1/tree/heads", bearer(ADMIN.token))).status).toBe(201);
  });
});

describe("the gRPC door", () => {
  const call = (rpc: "signHead" | "getSignedHead", token: string): Promise<{ ok: true } | { ok: false; error: grpc.ServiceError }> => {
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${token}`);
    const request = rpc === "signHead" ? SignHeadRequest.fromPartial({}) : GetSignedHeadRequest.fromPartial({});
    return new Promise((resolve) => {
      const method = (client as unknown as Record<string, (req: object, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null) => void) => void>)[rpc]!;
      method.call(client, request, metadata, { deadline: Date.now() + 10_000 }, (err) => resolve(err ? { ok: false, error: err } : { ok: true }));
    });
  };
  const grpcQueries = async (from: number) =>
    (await db.query<{ doc: Doc }>("select doc from audit_records where kind = 'oversight_query' and idx >= $1 order by idx", [String(from)])).rows.map((r) => r.doc).filter((d) => d["channel"] === "grpc");

  it("refuses a reviewer's SignHead with PERMISSION_DENIED (ROLE_NOT_PERMITTED), signs nothing, records it; lets the reviewer read and the administrator sign", async () => {
    const from = (await ledger.state()).treeSize;
    const head = (await ledger.latestHead())?.treeSize;
    const refused = await call("signHead", REVIEWER.token);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(refused.error.metadata.get(GRPC_ERROR_CODE_KEY)).toEqual(["ROLE_NOT_PERMITTED"]);
      expect(refused.error.details).toBe("ROLE_NOT_PERMITTED: SignHead is for an administrator; this account is a reviewer");
    }
    expect((await ledger.latestHead())?.treeSize).toBe(head);
    expect((await call("getSignedHead", REVIEWER.token)).ok).toBe(true);
    expect((await call("signHead", ADMIN.token)).ok).toBe(true);
    expect((await grpcQueries(from)).map((q) => [q["method"], q["officer"], q["officer_role"], q["status"], q["route"]])).toEqual([
      ["SignHead", REVIEWER.name, "reviewer", grpc.status.PERMISSION_DENIED, `${SERVICE_PATH}/SignHead`],
      ["GetSignedHead", REVIEWER.name, "reviewer", grpc.status.OK, `${SERVICE_PATH}/GetSignedHead`],
      ["SignHead", ADMIN.name, "administrator", grpc.status.OK, `${SERVICE_PATH}/SignHead`],
    ]);
  });
});
