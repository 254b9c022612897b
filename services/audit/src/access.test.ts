/**
 * Every door knows who is knocking: a sweep over EVERY route the app registers
 * (read from the app itself — the router's own table and an onRoute hook — so
 * a new route is swept without touching this file) and over other spellings
 * of each route's path: percent-encoded characters, %2F for a slash, double
 * slashes, dot segments, mixed case, a trailing slash. Whatever spelling the
 * router serves from a protected route must be refused without a credential
 * (401 OVERSIGHT_CREDENTIAL_REQUIRED for the oversight API, a redirect to
 * sign-in for a console page) — never answered, never recorded one row per
 * request but counted once in the refusal window (a refusal_summary per window)
 * — and, with one, recorded in the ledger exactly as the route's canonical path
 * is.
 *
 * The app is built as main.ts builds it (console included) on an in-memory
 * PGlite ledger, and driven with app.inject: no network, no server. (inject
 * resolves dot segments as a browser or curl does; the raw socket's router
 * answers 404 to them.)
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createLogger, createMetricsRegistry, routerTable } from "@takitini/runtime";
import Fastify, { type HTTPMethods, type RouteOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Access } from "./access.js";
import { buildApp } from "./app.js";
import { registerConsole } from "./console/plugin.js";
import { appendRecords } from "./ingest.js";
import { IN_MEMORY, Ledger, openPglite } from "./ledger/index.js";
import { createSigner } from "./merkle/index.js";
import { gateWithTokens } from "./oversight/accounts.fixture.js";
import { decision } from "./oversight/decisions.fixture.js";
import { fromDecision, revisionsOf } from "./oversight/records.js";
import { LedgerRefusals } from "./oversight/refusals.js";

const TOKEN = "sweep-test-token-5e0d";
const OFFICER = "Officer Sweep";
const CREDENTIAL = { authorization: `Bearer ${TOKEN}` };
const CREDENTIAL_CODE = "OVERSIGHT_CREDENTIAL_REQUIRED";

type Doc = Record<string, unknown>;
type Kind = Access | "open";
interface Route {
  method: string;
  url: string;
  /** What the route declares (config.access), read from the options its onRoute hooks saw; undefined when none saw it. */
  declared: Kind | undefined;
}
/** The route that answered a request, as the request itself saw it. */
interface Served {
  method: string;
  url: string | undefined;
  access: Access | undefined;
}

/** A concrete path for a route pattern: each parameter given `sample`, a wildcard `x`. */
export function concrete(pattern: string, sample: string): string {
  return pattern.replace(/:[A-Za-z0-9_]+/g, sample).replace(/\*$/, "x");
}

const hex = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;
const encodeAll = (s: string) => [...s].map(hex).join("");
const swapCase = (s: string) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");

/**
 * Other spellings of a route's path. Parameters keep their value (percent-
 * encoding aside, which the router decodes), so a spelling the router gives to
 * the same route asks the same question as the canonical path.
 */
export function pathVariants(pattern: string, sample: string): string[] {
  const segments = pattern.split("/").slice(1);
  const isParam = (s: string) => s.startsWith(":") || s === "*";
  const values = segments.map((s) => concrete(s, sample));
  const path = `/${values.join("/")}`;
  const build = (f: (value: string, i: number, param: boolean) => string) => `/${values.map((v, i) => f(v, i, isParam(segments[i]!))).join("/")}`;
  const out = new Set<string>();
  // Percent-encoded: each character of the first segment alone (upper- and lower-case hex), the whole first segment, each segment whole, every segment.
  const first = values[0] ?? "";
  for (let k = 0; k < first.length; k++) {
    for (const e of [hex(first[k]!), hex(first[k]!).toLowerCase()]) out.add(build((v, i) => (i === 0 ? v.slice(0, k) + e + v.slice(k + 1) : v)));
  }
  for (let j = 0; j < values.length; j++) out.add(build((v, i) => (i === j ? encodeAll(v) : v)));
  out.add(build((v) => encodeAll(v)));
  // %2F (and %2f) for each slash; a backslash for each slash but the first.
  for (let k = 0; k < path.length; k++) {
    if (path[k] !== "/") continue;
    out.add(`${path.slice(0, k)}%2F${path.slice(k + 1)}`);
    out.add(`${path.slice(0, k)}%2f${path.slice(k + 1)}`);
    if (k > 0) out.add(`${path.slice(0, k)}\\${path.slice(k + 1)}`);
  }
  // Double slashes: each, and all.
  for (let k = 0; k < path.length; k++) if (path[k] === "/") out.add(`${path.slice(0, k)}/${path.slice(k)}`);
  out.add(path.replaceAll("/", "//"));
  // Dot segments, plain and encoded.
  out.add(`/.${path}`);
  out.add(`/x/..${path}`);
  out.add(`/%2e${path}`);
  out.add(`/x/%2e%2e${path}`);
  out.add(`/x/%2E%2E${path}`);
  for (let j = 0; j < values.length - 1; j++) {
    out.add(build((v, i) => (i === j ? `${v}/.` : v)));
    out.add(build((v, i) => (i === j ? `${v}/x/..` : v)));
  }
  // Mixed case (static segments only: a parameter's case is its value).
  out.add(build((v, _i, param) => (param ? v : v.toUpperCase())));
  out.add(build((v, _i, param) => (param ? v : v.charAt(0).toUpperCase() + v.slice(1))));
  out.add(build((v, _i, param) => (param ? v : swapCase(v))));
  // Trailing slash, and the like.
  out.add(`${path}/`);
  out.add(`${path}//`);
  out.add(`${path}/.`);
  out.add(`${path}?`);
  out.add(`${path}#x`);
  out.delete(path);
  return [...out];
}

// ---- the app, as main.ts builds it, on an in-memory ledger ------------------------------

const db = await openPglite(IN_MEMORY);
const ledger = await Ledger.open(db, { signer: createSigner(generateKeyPairSync("ed25519").privateKey) });
const observed: RouteOptions[] = [];
let served: Served | undefined;
// Unauthenticated refusals are counted here; the sweep flushes the window itself (its timer is never started).
const refusals = new LedgerRefusals(ledger, { windowMs: 3_600_000, logger: createLogger("t", "silent") });
const { app, admin } = await buildApp({
  logger: createLogger("t", "silent"),
  metrics: createMetricsRegistry("t"),
  db,
  ledger,
  // The sweep presents a wrong token at every route from one address: throttling (oversight/accounts.test.ts) would answer 429 after a few.
  gate: gateWithTokens({ [TOKEN]: OFFICER }, { settings: { freeFailures: 100_000 } }),
  readiness: [],
  refusals,
  plugins: [
    // Instruments, not guards: which routes are registered, and which route answered each request.
    (a) => {
      a.addHook("onRoute", (r) => void observed.push(r));
      a.addHook("onSend", async (req, _reply, payload) => {
        served = { method: req.method, url: req.routeOptions.url, access: req.routeOptions.config.access };
        return payload;
      });
    },
    registerConsole,
  ],
});
await app.ready();

// More records than a page holds (so a search's result count stands still while the sweep adds its queries), and a signed head.
const decisions = Array.from({ length: 101 }, (_, k) => decision(randomUUID(), k % 2 ? "customs" : "mbie", k % 3 !== 0));
const at = new Date();
await appendRecords(ledger, [...decisions.map((d) => fromDecision(d, at)), ...revisionsOf(decisions, at)]);
await ledger.signHead();
/** The value every path parameter gets: a record that exists (a decision id, so a UUID). */
const SAMPLE = decisions[0]!.id;

afterAll(async () => {
  await app.close();
  await admin.close();
  await db.close();
});

const key = (r: { method: string; url: string | undefined }) => `${r.method} ${r.url}`;
/** fastify reports a prefix's `/` route (`/docs/`) as the prefix (`/docs`). */
const sameRoute = (served: { method: string; url: string | undefined } | undefined, r: { method: string; url: string }) =>
  served !== undefined && served.method === r.method && (served.url === r.url || `${served.url}/` === r.url);

// Every route: those the onRoute hook saw (all the app registers from its plugins on), and from the
// router's table those registered before (the runtime's shell: /healthz, /readyz) and a prefix's
// `/` twin. printRoutes drops the static part of a wildcard's path, so a wildcard is taken from
// onRoute only. /metrics and /docs are the admin listener's, never the door's (admin.test.ts).
const declaredAccess = new Map<string, Kind>();
const ROUTES: Route[] = [];
for (const r of observed) {
  for (const method of [r.method].flat()) {
    if (declaredAccess.has(key({ method, url: r.url }))) continue;
    declaredAccess.set(key({ method, url: r.url }), r.config?.access ?? "open");
    ROUTES.push({ method, url: r.url, declared: r.config?.access ?? "open" });
  }
}
const table = routerTable(app.printRoutes({ commonPrefix: false }));
for (const r of table) if (!declaredAccess.has(key(r)) && !r.url.includes("*")) ROUTES.push({ ...r, declared: undefined });

interface Probe {
  status: number;
  code: string | undefined;
  location: string | undefined;
  served: Served | undefined;
  /** The oversight_query records this request appended to the ledger. */
  recorded: Doc[];
  /** How many refusals this request added to the open refusal window. */
  counted: number;
}

async function probe(method: string, url: string, headers: Record<string, string> = {}): Promise<Probe> {
  const before = (await ledger.state()).treeSize;
  const pending = refusals.pending;
  served = undefined;
  const res = await app.inject({ method: method as HTTPMethods, url, headers });
  let code: string | undefined;
  try {
    code = (res.json() as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined; // HEAD, HTML, a redirect
  }
  const rows = await db.query<{ doc: Doc }>("select doc from audit_records where kind = 'oversight_query' and idx >= $1 order by idx", [String(before)]);
  return { status: res.statusCode, code, location: res.headers.location as string | undefined, served, recorded: rows.rows.map((r) => unsealed(r.doc)), counted: refusals.pending - pending };
}

/** A sealed subject compared by its ref: the ciphertext's nonce is derived from the record's own (random) id, so two queries about one subject differ there only. */
function unsealed(doc: Doc): Doc {
  const sealed = doc["sealed_subjects"];
  return Array.isArray(sealed) ? { ...doc, sealed_subjects: sealed.map((x: { ref?: unknown }) => ({ ref: x.ref })) } : doc;
}

/** What the route's canonical path does without a credential: refuse (and how), or answer. */
function enforcedBy(p: Probe): Kind {
  if (p.status === 401) return "oversight";
  if (p.status === 303 && p.location === "/console/login") return "console-session";
  return "open";
}

/** Each route's guard as enforced on its canonical path (the sweep's reference, whatever the routes declare). */
const enforced = new Map<string, Kind>();
const anonymous = new Map<string, Probe>();
beforeAll(async () => {
  for (const r of ROUTES) {
    const p = await probe(r.method, concrete(r.url, SAMPLE));
    anonymous.set(key(r), p);
    enforced.set(key(r), enforcedBy(p));
  }
});

/** How a request answered by `route` must be treated: protected if the route declares it or its canonical path enforces it. */
function guardOf(route: { method: string; url: string | undefined }): Kind {
  const k = key(route);
  const declared = declaredAccess.get(k);
  if (declared && declared !== "open") return declared;
  return enforced.get(k) ?? "open";
}

describe("the route table", () => {
  it("holds every route the app registers, the runtime's shell included, and the oversight API and console pages among them", () => {
    const inTable = new Set(table.map(key));
    const swept = new Set(ROUTES.map(key));
    // What onRoute saw, the router holds (a wildcard under the prefix printRoutes shows it at); and the sweep takes the router's whole table.
    for (const k of declaredAccess.keys()) {
      const [method, url] = k.split(" ") as [string, string];
      if (url.endsWith("*")) expect(table.some((t) => t.method === method && t.url.endsWith("*") && url.startsWith(t.url.slice(0, -1))), k).toBe(true);
      else expect(inTable.has(k), k).toBe(true);
    }
    for (const t of table) if (!t.url.includes("*")) expect(swept.has(key(t)), key(t)).toBe(true);
    for (const k of ["GET /healthz", "GET /readyz", "GET /v1/records", "HEAD /v1/records", "POST /v1/tree/heads", "GET /console/record", "POST /console/login"]) expect(swept.has(k), k).toBe(true);
    expect(ROUTES.filter((r) => r.declared === "oversight").length).toBeGreaterThanOrEqual(21);
    expect(ROUTES.filter((r) => r.declared === "console-session").length).toBeGreaterThanOrEqual(10);
  });

  it("puts every /v1 route in the oversight API's scope, and nothing else", () => {
    for (const r of ROUTES) expect(r.declared === "oversight", key(r)).toBe(r.url === "/v1" || r.url.startsWith("/v1/"));
  });

  it("declares on each route (config.access) the guard its canonical path enforces", () => {
    for (const r of ROUTES) expect(`${key(r)}: ${enforced.get(key(r))}`).toBe(`${key(r)}: ${r.declared ?? "open"}`);
  });

  it("gives the path variants a sweep tries", () => {
    const v = pathVariants("/v1/records", "x");
    for (const s of ["/%761/records", "/%76%31/records", "/v1%2Frecords", "//v1//records", "/x/../v1/records", "/./v1/records", "/V1/Records", "/v1/records/"]) expect(v, s).toContain(s);
    expect(pathVariants("/v1/records/:id", "AbC")).toContain("/V1/RECORDS/AbC");
    expect(concrete("/v1/subjects/:subjectId/disclosures", "s")).toBe("/v1/subjects/s/disclosures");
  });
});

describe("every route, every spelling of its path", () => {
  for (const route of ROUTES) {
    it(`${route.method} ${route.url} (${route.declared ?? "registered before the app could observe it"})`, async () => {
      const problems: string[] = [];
      const k = key(route);
      const canonical = concrete(route.url, SAMPLE);
      const anon = anonymous.get(k)!;
      const guard = guardOf(route);

      // The canonical path: answered by this route, guarded as the route declares.
      // (A wildcard's handler may itself pass `x` on to the not-found handler: no such file.)
      const passedOn = route.url.endsWith("*") && anon.served?.url === undefined && anon.status === 404;
      expect(sameRoute(anon.served, route) || passedOn, `${canonical} answered by ${anon.served ? key(anon.served) : "no route"}`).toBe(true);
      let reference: Probe | undefined;
      if (guard === "oversight") {
        expect([anon.status, route.method === "HEAD" ? CREDENTIAL_CODE : anon.code]).toEqual([401, CREDENTIAL_CODE]);
        // Not a ledger row per unauthenticated request: one more in the refusal window.
        expect([anon.recorded, anon.counted]).toEqual([[], 1]);
        const wrong = await probe(route.method, canonical, { authorization: "Bearer not-the-token" });
        expect([wrong.status, wrong.recorded, wrong.counted]).toEqual([401, [], 1]);
        reference = await probe(route.method, canonical, CREDENTIAL);
        expect(reference.status).not.toBe(401);
        expect(reference.recorded).toHaveLength(1);
        expect(reference.recorded[0]).toMatchObject({ officer: OFFICER, channel: "http", method: route.method, route: route.url, status: reference.status });
      } else if (guard === "console-session") {
        expect([anon.status, anon.location]).toEqual([303, "/console/login"]);
        reference = await probe(route.method, canonical, CREDENTIAL);
        expect(reference.status).toBe(200);
      } else {
        expect(anon.status, `${k} stays open`).not.toBe(401);
        expect(anon.location ?? "", `${k} stays open`).not.toBe("/console/login");
        expect(anon.recorded).toEqual([]);
        // An open route counts nothing — but a sign-in without a token is a failed sign-in, counted in the window.
        expect(anon.counted).toBe(k === "POST /console/login" ? 1 : 0);
      }

      for (const variant of pathVariants(route.url, SAMPLE)) {
        // Without a credential: whatever route answers, its guard holds.
        const p = await probe(route.method, variant);
        const by = p.served?.url === undefined ? undefined : p.served;
        const byGuard = by ? guardOf(by) : "open";
        const what = `${route.method} ${variant} (no credential; answered by ${by ? key(by) : "no route"})`;
        if (byGuard === "oversight") {
          if (p.status !== 401 || (route.method !== "HEAD" && p.code !== CREDENTIAL_CODE)) problems.push(`${what}: ${p.status} ${p.code ?? ""}, expected 401 ${CREDENTIAL_CODE}`);
          if (p.recorded.length !== 0) problems.push(`${what}: ${p.recorded.length} oversight records, expected none (counted in the refusal window)`);
          if (p.counted !== 1) problems.push(`${what}: ${p.counted} refusals counted, expected 1`);
        } else if (byGuard === "console-session") {
          if (p.status !== 303 || p.location !== "/console/login") problems.push(`${what}: ${p.status} ${p.location ?? ""}, expected 303 to /console/login`);
        }
        if (by && byGuard !== "open" && p.status >= 200 && p.status < 300) problems.push(`${what}: answered ${p.status}`);

        // With a credential: a spelling the router gives to this route is recorded as the canonical path is.
        if (guard === "open" || !by || !sameRoute(by, route) || !reference) {
          if (guard !== "open" && by && byGuard === "oversight" && !sameRoute(by, route)) {
            const c = await probe(route.method, variant, CREDENTIAL);
            if (c.recorded.length !== 1) problems.push(`${route.method} ${variant} (credential; answered by ${key(by)}): ${c.recorded.length} oversight records, expected 1`);
          }
          continue;
        }
        const c = await probe(route.method, variant, CREDENTIAL);
        const cwhat = `${route.method} ${variant} (credential)`;
        if (c.status !== reference.status) problems.push(`${cwhat}: ${c.status}, the canonical path ${reference.status}`);
        if (guard === "oversight") {
          if (c.recorded.length !== 1) problems.push(`${cwhat}: ${c.recorded.length} oversight records, expected 1`);
          else if (JSON.stringify(c.recorded[0]) !== JSON.stringify(reference.recorded[0])) problems.push(`${cwhat}: recorded ${JSON.stringify(c.recorded[0])}, the canonical path ${JSON.stringify(reference.recorded[0])}`);
        }
      }
      expect(problems).toEqual([]);
    });
  }
});

/** The refusal_summary records appended since `from`, as the API gives them. */
async function summariesSince(from: number): Promise<Doc[]> {
  const rows = await db.query<{ doc: Doc }>("select doc from audit_records where kind = 'refusal_summary' and idx >= $1 order by idx", [String(from)]);
  return rows.rows.map((r) => r.doc);
}

describe("the sweep, against the old kind of check", () => {
  it("fails on every /v1 route of a door that checked the raw URL's prefix (as the audit did before route-attached auth)", async () => {
    // The old door: the same routes, each answering, and one onRequest hook testing the raw URL — as the audit's
    // app.ts did until 8728ea7 (`if (!req.url.startsWith("/v1/")) …`) while its router matched the decoded path.
    const old = Fastify({ exposeHeadRoutes: false });
    old.addHook("onRequest", async (req, reply) => {
      if (req.url.startsWith("/v1/") && req.headers.authorization !== CREDENTIAL.authorization) await reply.code(401).send({ error: { code: CREDENTIAL_CODE } });
    });
    const v1 = ROUTES.filter((r) => r.url.startsWith("/v1/") && guardOf(r) === "oversight");
    for (const r of v1) old.route({ method: r.method, url: r.url, handler: async () => ({ answered: true }) });
    await old.ready();
    const unguarded: string[] = [];
    for (const r of v1) {
      // The canonical path is refused by the old check too…
      expect((await old.inject({ method: r.method, url: concrete(r.url, SAMPLE) })).statusCode, `${r.method} ${r.url}`).toBe(401);
      // …but some spelling the router still gives to the route is answered without a credential.
      let leaked = 0;
      for (const variant of pathVariants(r.url, SAMPLE)) if ((await old.inject({ method: r.method, url: variant })).statusCode === 200) leaked++;
      if (leaked === 0) unguarded.push(`${r.method} ${r.url}`);
    }
    await old.close();
    expect(v1.length).toBeGreaterThan(10);
    // Every oversight route leaks through the old check: the sweep above would fail on each of them.
    expect(unguarded).toEqual([]);
  });
});

describe("the oversight API's own door", () => {
  it("refuses GET /%761/records without a credential, counts it as GET /v1/records would be, and records it with one", async () => {
    await refusals.flush();
    const p = await probe("GET", "/%761/records");
    expect([p.status, p.code]).toEqual([401, CREDENTIAL_CODE]);
    expect([p.recorded, p.counted]).toEqual([[], 1]);
    const c = await probe("GET", "/%761/records?kind=decision&limit=5", CREDENTIAL);
    expect(c.status).toBe(200);
    expect(c.counted).toBe(0);
    expect(c.recorded).toEqual([{ officer: OFFICER, officer_role: "reviewer", channel: "http", method: "GET", route: "/v1/records", parameters: { kind: "decision", limit: "5" }, status: 200, result_count: 5 }]);
  });

  it("refuses an unknown path under /v1 without a credential (counted as unmatched), and records it with one, as before", async () => {
    for (const path of ["/v1/nope", "/%761/nope"]) {
      const p = await probe("GET", path);
      expect([p.status, p.code], path).toEqual([401, CREDENTIAL_CODE]);
      expect([p.recorded, p.counted], path).toEqual([[], 1]);
      const c = await probe("GET", path, CREDENTIAL);
      expect([c.status, c.code], path).toEqual([404, "NOT_FOUND"]);
      expect(c.recorded, path).toEqual([expect.objectContaining({ officer: OFFICER, method: "GET", route: path, status: 404 })]);
    }
    // Outside /v1 an unknown path is the plain 404, neither recorded nor counted.
    const other = await probe("GET", "/v2/records");
    expect([other.status, other.code, other.recorded, other.counted]).toEqual([404, "NOT_FOUND", [], 0]);
  });

  it("summarises a window's unauthenticated refusals in the ledger: one record per code and route pattern, with the count and distinct addresses — never a URL or an address", async () => {
    await refusals.flush();
    const from = (await ledger.state()).treeSize;
    const attempts: [string, Record<string, string>, string][] = [
      ["/v1/records", {}, "203.0.113.1"],
      ["/%761/records?kind=access", {}, "203.0.113.2"],
      ["/v%31/records", { authorization: "Bearer not-the-token" }, "203.0.113.2"],
      ["/v1/nope/secret-looking-path", {}, "203.0.113.3"],
      ["/v1/records/some-id", {}, "203.0.113.1"],
    ];
    for (const [url, headers, remoteAddress] of attempts) {
      const res = await app.inject({ url, headers, remoteAddress });
      expect(res.statusCode, url).toBe(401);
    }
    // Nothing appended while the window is open.
    expect((await ledger.state()).treeSize).toBe(from);
    expect(await refusals.flush()).toBe(3);
    const summaries = await summariesSince(from);
    const byRoute = Object.fromEntries(summaries.map((s) => [s["route"], s]));
    expect(Object.keys(byRoute).sort()).toEqual(["/v1/records", "/v1/records/:id", "unmatched"]);
    expect(byRoute["/v1/records"]).toMatchObject({ service: "audit", door: "http", code: CREDENTIAL_CODE, count: 3, distinct_addresses: 2, distinct_addresses_capped: false });
    expect(byRoute["/v1/records/:id"]).toMatchObject({ count: 1, distinct_addresses: 1 });
    expect(byRoute["unmatched"]).toMatchObject({ count: 1, distinct_addresses: 1 });
    const text = JSON.stringify(summaries);
    for (const leak of ["secret-looking-path", "203.0.113", "%76", "kind=access"]) expect(text, leak).not.toContain(leak);
    // Searchable as a kind, readable by id.
    const listed = await app.inject({ url: "/v1/records?kind=refusal_summary&limit=500", headers: CREDENTIAL });
    const ids = (listed.json() as { records: { id: string; kind: string; action: string }[] }).records;
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(ids.every((r) => r.kind === "refusal_summary" && r.id.startsWith("refusal-summary:"))).toBe(true);
    expect(ids.map((r) => r.action)).toContain(`audit http ${CREDENTIAL_CODE} /v1/records ×3`);
    const one = await app.inject({ url: `/v1/records/${encodeURIComponent(ids[0]!.id)}`, headers: CREDENTIAL });
    expect(one.statusCode).toBe(200);
    expect((one.json() as { record: { detail: Doc } }).record.detail).toMatchObject({ service: "audit", door: "http" });
    // A quiet window summarises nothing.
    expect(await refusals.flush()).toBe(0);
  });
});
