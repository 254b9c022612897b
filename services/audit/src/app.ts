import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { bearer, commonErrors, cookie, createHttpServers, defineErrors, refusalError, sessionCookie, SignInThrottledError, UNMATCHED_ROUTE, zodIssues, type GateOutcome, type HttpServers, type HttpTls, type Logger, type RateLimitOptions, type ReadinessCheck, type Registry } from "@takitini/runtime";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { declareAccess } from "./access.js";
import type { Ledger, SqlDatabase } from "./ledger/index.js";
import type { SignedTreeHead } from "./merkle/index.js";
import { flagAnomalies } from "./oversight/anomaly.js";
import { resultCountOf } from "./oversight/links.js";
import { SESSION_COOKIE, type Asker, type OversightAccount, type OversightGate } from "./oversight/credentials.js";
import { anomaliesQuery, pageQuery, recordsQuery, statsQuery } from "./oversight/query.js";
import { openApiDocument } from "./oversight/openapi.js";
import { recordOversightQuery } from "./oversight/recording.js";
import { LedgerRefusals, type RefusalCounter } from "./oversight/refusals.js";
import { ADMINISTRATORS, permits, refusalMessage } from "./oversight/roles.js";
import { anomalySeries, disclosureStats, recordById, recordVersions, searchRecords, whoHasSeenAcross } from "./oversight/store.js";
import { registerReportRoutes } from "./reports/route.js";
import type { QuarterlyReports } from "./reports/service.js";

export const auditErrors = defineErrors({
  OVERSIGHT_CREDENTIAL_REQUIRED: { status: 401, message: "an oversight credential is required (Authorization: Bearer <token>, or log in at /console/login)" },
  /** The credential is accepted, but the account's role may not use this route or method (oversight/roles.ts). */
  ROLE_NOT_PERMITTED: { status: 403, message: "this account's role may not do this" },
  RECORD_NOT_FOUND: { status: 404, message: "no record with that id" },
  NO_SIGNED_HEAD: { status: 404, message: "no tree head has been signed yet" },
  TREE_SIZE_OUT_OF_RANGE: { status: 400, message: "tree size out of range" },
});

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  db: SqlDatabase;
  ledger: Ledger;
  /** Oversight accounts: bearer credentials, console sessions, throttling (runtime's AccountGate). */
  gate: OversightGate;
  readiness: ReadinessCheck[];
  /** Extra routes (the console) registered on the same server, before the app's own. */
  plugins?: ((app: FastifyInstance) => void | Promise<void>)[];
  /** Serve the console and the API over HTTPS (runtime's readHttpTls); the session cookie is then Secure. */
  tls?: HttpTls;
  /** Per client address, and per oversight account once its credential is accepted (429 RATE_LIMITED). */
  rateLimit?: Omit<RateLimitOptions, "principal">;
  /**
   * Where /v1 requests refused for their credential are counted (oversight/refusals.ts:
   * summaries per window in the ledger, not a record per request). Default: a
   * window of 60 s of the app's own, appended when the app closes if not before.
   */
  refusals?: RefusalCounter;
  /** Quarterly outcome reports (GET /v1/reports/quarterly; reports/): without them the route answers 503 REPORTS_UNAVAILABLE. */
  reports?: QuarterlyReports;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The account that asked (set by the /v1 scope's hook once its credential is accepted). */
    asker?: Asker;
    resultCount?: number;
    /** Set when the /v1 scope refused the request for its credential: counted in a refusal window, not recorded one by one. */
    refusedUnauthenticated?: boolean;
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw commonErrors.INVALID_QUERY(zodIssues(parsed.error));
  return parsed.data;
}

const badCursor = () => commonErrors.INVALID_QUERY([{ path: "cursor", code: "invalid_cursor", message: "cursor is not one this API issued" }]);

export function headJson(h: SignedTreeHead, publicKeyPem: string) {
  return {
    tree_size: h.treeSize,
    root_hash: h.rootHash.toString("hex"),
    issued_at: new Date(h.timestampMs).toISOString(),
    key_id: h.keyId.toString("hex"),
    public_key: publicKeyPem,
    signature: h.signature.toString("base64"),
  };
}

/**
 * The HTTP servers: the door (`app`, HTTPS with `tls`) with the runtime's shell
 * (/healthz, /readyz), the plugins (the console), the oversight API under /v1
 * and the console's sign-in; the admin listener (`admin`) with /metrics and the
 * OpenAPI document at /docs. Only the oversight API's scope and the
 * console's page scope need a credential; see access.ts for why that is decided
 * by the route the router picks, never by the request's URL.
 */
export async function buildApp(deps: AppDeps): Promise<HttpServers> {
  const servers = createHttpServers({
    service: "audit",
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: deps.readiness,
    ...(deps.tls ? { tls: deps.tls } : {}),
    // An oversight account's budget is its own, from whichever address it calls.
    ...(deps.rateLimit ? { rateLimit: { ...deps.rateLimit, principal: (req) => (req.asker ? `oversight:${req.asker.name.toLowerCase()}` : undefined) } } : {}),
  });
  const { app, admin } = servers;
  // Whenever the console is served over TLS, its cookie is never sent without it.
  const secure = deps.tls !== undefined;
  // The console's login form.
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  // First, so that a plugin's hooks (an onRoute hook, say) see every route registered below.
  for (const plugin of deps.plugins ?? []) await plugin(app);

  // The OpenAPI document of the /v1 routes, and swagger-ui: on the admin listener only.
  await admin.register(swagger, { mode: "static", specification: { document: openApiDocument() as never } });
  await admin.register(swaggerUi, { routePrefix: "/docs" });

  let refusals = deps.refusals;
  if (!refusals) {
    const own = new LedgerRefusals(deps.ledger, { windowMs: 60_000, logger: deps.logger }).start();
    app.addHook("onClose", () => own.close());
    refusals = own;
  }
  const counter = refusals;
  await app.register((v1) => oversightApi(v1, deps, counter), { prefix: "/v1" });

  // Console login: a token for a session cookie (HttpOnly, SameSite=Strict). Failures are
  // throttled per account and per client address: 429 with Retry-After while backing off.
  app.post("/console/login", async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const outcome = await deps.gate.signIn(typeof body["token"] === "string" ? body["token"] : undefined, req.ip);
    if (outcome.ok && outcome.session) {
      return reply
        .code(303)
        .header("set-cookie", sessionCookie(SESSION_COOKIE, outcome.session, Math.floor(deps.gate.sessions.ttlMs / 1000), secure))
        .header("location", "/console/")
        .send();
    }
    // A failed sign-in is a refusal for a credential: counted in the window, never a row each.
    if (!outcome.ok) counter.note({ door: "sign-in", code: outcome.code, route: "/console/login", address: req.ip });
    else if (!outcome.session) counter.note({ door: "sign-in", code: "NO_SESSION", route: "/console/login", address: req.ip });
    if (!outcome.ok && outcome.code === "SIGN_IN_THROTTLED") return throttled(req, reply, new SignInThrottledError(outcome.retryAfterSeconds ?? 1));
    const reason = !outcome.ok && outcome.code !== "CREDENTIAL_INVALID" ? `error=${outcome.code}` : "failed=1";
    return reply.code(303).header("location", `/console/login.html?${reason}`).send();
  });
  app.post("/console/logout", async (req, reply) => {
    deps.gate.signOut(cookie(req.headers.cookie, SESSION_COOKIE));
    return reply.code(303).header("set-cookie", sessionCookie(SESSION_COOKIE, "", 0, secure)).header("location", "/console/login.html").send();
  });
  return servers;
}

/**
 * The oversight API over the ledger, registered in its own scope (prefix /v1).
 * The scope's hooks apply to every route registered in it — whatever spelling
 * of the path the router matched to it — and to its not-found handler: each
 * request needs an oversight credential, and each with an accepted credential
 * — answered, refused or failed — is itself appended to the ledger (who asked,
 * what, the status and how many records) before the answer leaves: if that
 * append fails, the answer is withheld. A request refused for its credential
 * (none, unknown, expired, disabled, throttled) is counted instead — by code and
 * route pattern ("unmatched" for an unknown path), never its URL — and each
 * window's counts appended as `refusal_summary` records (oversight/refusals.ts),
 * so that nobody can grow the ledger one row per request. Each route is
 * marked `config.access = "oversight"`. A route that needs a role says so in
 * its own config (`config.roles`, see
 * oversight/roles.ts): the same hook refuses any other role with 403
 * ROLE_NOT_PERMITTED once the credential is accepted, and the refusal is
 * recorded like any other answer, naming who asked.
 */
async function oversightApi(v1: FastifyInstance, deps: AppDeps, refusals: RefusalCounter): Promise<void> {
  const { db, ledger } = deps;
  v1.addHook("onRoute", declareAccess("oversight"));

  v1.addHook("onRequest", async (req, reply) => {
    const outcome = await authenticate(deps.gate, bearer(req.headers.authorization), cookie(req.headers.cookie, SESSION_COOKIE), req.ip);
    if (!outcome.ok) {
      const err = refusalError(outcome, () => auditErrors.OVERSIGHT_CREDENTIAL_REQUIRED());
      if (err instanceof SignInThrottledError) reply.header("retry-after", String(err.retryAfterSeconds));
      req.refusedUnauthenticated = true;
      refusals.note({ door: "http", code: err.code, route: req.routeOptions.url ?? UNMATCHED_ROUTE, address: req.ip });
      throw err;
    }
    req.asker = { name: outcome.account.name, role: outcome.account.role };
    // The roles the matched route needs (its own config, whatever spelling of its path was asked).
    const needed = req.routeOptions.config?.roles;
    if (!permits(needed, req.asker.role)) throw auditErrors.ROLE_NOT_PERMITTED([], refusalMessage(`${req.method} ${req.routeOptions.url ?? ""}`, needed!, req.asker.role));
  });

  v1.addHook("onSend", async (req: FastifyRequest, reply: FastifyReply, payload) => {
    // Refused for its credential: already counted in the refusal window.
    if (req.refusedUnauthenticated) return payload;
    // Cut off before its credential was asked for (the address rate limit, an onRequest hook of the
    // app's own): nobody is known to have asked, so counted like a refusal, never a row each.
    if (!req.asker) {
      refusals.note({ door: "http", code: reply.statusCode === 429 ? "RATE_LIMITED" : `HTTP_${reply.statusCode}`, route: req.routeOptions.url ?? UNMATCHED_ROUTE, address: req.ip });
      return payload;
    }
    await recordOversightQuery(ledger, {
      officer: req.asker?.name ?? "",
      role: req.asker?.role ?? "",
      channel: "http",
      method: req.method,
      // The route's pattern; a path no route matched (404) as it was asked.
      route: req.routeOptions.url ?? req.url.split("?")[0]!,
      parameters: { ...((req.params ?? {}) as Record<string, unknown>), ...((req.query ?? {}) as Record<string, unknown>) },
      status: reply.statusCode,
      resultCount: req.resultCount ?? 0,
    });
    return payload;
  });

  // An unknown path under /v1 goes through the same hooks: refused (and counted) without a credential, recorded with one.
  v1.setNotFoundHandler((_req, reply) => {
    const se = commonErrors.NOT_FOUND();
    return reply.code(se.statusCode).send(se.toBody());
  });

  v1.get("/records", async (req) => {
    const q = parse(recordsQuery, req.query);
    const page = await searchRecords(db, q);
    if ("badCursor" in page) throw badCursor();
    req.resultCount = page.records.length;
    return { records: page.records, next_cursor: page.nextCursor };
  });

  v1.get("/records/:id", async (req) => {
    const id = parse(z.strictObject({ id: z.string().min(1).max(200) }), req.params).id;
    const found = await recordById(db, id);
    if (!found) throw auditErrors.RECORD_NOT_FOUND();
    req.resultCount = 1;
    const head = await ledger.latestHead();
    const covered = head && head.treeSize > found.row.index;
    const proof = covered ? await ledger.inclusionProof(found.row.index, head.treeSize) : undefined;
    const doc = found.doc;
    const list = (k: string) => (Array.isArray(doc[k]) ? (doc[k] as unknown[]).filter((x): x is string => typeof x === "string") : []);
    return {
      record: {
        ...found.row,
        reasons: list("reasons"),
        redacted_paths: list("redacted_paths"),
        delivery_topic: typeof doc["delivery_topic"] === "string" ? doc["delivery_topic"] : "",
        trace_id: typeof doc["trace_id"] === "string" ? doc["trace_id"] : "",
        // As the signed bytes hold it (sealed subjects as refs and ciphertext): the console holds it to them. The subjects
        // opened by the server are subject_ids and erased_subject_refs above.
        detail: doc,
      },
      // The entry's own bytes: the console hashes them for the proof and shows the record decoded from them.
      ledger: { index: found.row.index, leaf_hash: found.leafHash.toString("hex"), appended_at: found.appendedAt.toISOString(), entry: (await ledger.leaf(found.row.index))?.entry.toString("base64") ?? null },
      proof:
        head && proof
          ? { tree_size: head.treeSize, root_hash: head.rootHash.toString("hex"), inclusion: proof.proof.map((p) => p.toString("hex")), head: headJson(head, ledger.signer.publicKeyPem) }
          : null,
    };
  });

  // A record's history, given any version's event id (the parameter keeps the name of /records/:id's: one router node):
  // every version (first, corrections, withdrawal) with its publish record and the decisions on it.
  v1.get("/records/:id/versions", async (req) => {
    const eventId = z.uuid().safeParse((req.params as { id: string }).id);
    if (!eventId.success) throw commonErrors.INVALID_QUERY([{ path: "id", code: "invalid_format", message: "expected an event id (a UUID)" }]);
    const found = await recordVersions(db, eventId.data);
    if (!found) throw auditErrors.RECORD_NOT_FOUND();
    req.resultCount = found.versions.length;
    return found;
  });

  v1.get("/subjects/:subjectId/disclosures", async (req) => {
    const subjectId = parse(z.strictObject({ subjectId: z.string().regex(/^[A-Za-z0-9._:/-]{1,200}$/, "expected a subject id") }), req.params).subjectId;
    const page = parse(pageQuery, req.query);
    const out = await whoHasSeenAcross(db, subjectId, page);
    if ("badCursor" in out) throw badCursor();
    req.resultCount = resultCountOf(out);
    // `links` is additive: the subject's links to other agencies' subjects, with theirs (first page only).
    return { subject_id: subjectId, disclosures: out.disclosures, denied: out.denied, next_cursor: out.nextCursor, links: out.links };
  });

  v1.get("/stats/disclosures", async (req) => {
    const q = parse(statsQuery, req.query);
    const out = await disclosureStats(db, q);
    req.resultCount = out.buckets.length;
    return out;
  });

  v1.get("/anomalies", async (req) => {
    const q = parse(anomaliesQuery, req.query);
    const at = q.at ?? new Date();
    const series = await anomalySeries(db, { windowSeconds: q.window === "hour" ? 3600 : 86_400, baseline: q.baseline, at });
    const anomalies = flagAnomalies(series).map((a) => ({ ...a, window_start: new Date(at.getTime() - (q.window === "hour" ? 3600 : 86_400) * 1000).toISOString() }));
    req.resultCount = anomalies.length;
    return { anomalies };
  });

  v1.get("/tree/head", async (req) => {
    const head = await ledger.latestHead();
    if (!head) throw auditErrors.NO_SIGNED_HEAD();
    req.resultCount = 1;
    return headJson(head, ledger.signer.publicKeyPem);
  });

  // Changes what the ledger attests: administrators only.
  v1.post("/tree/heads", { config: { roles: ADMINISTRATORS } }, async (req, reply) => {
    const head = await ledger.signHead();
    req.resultCount = 1;
    return reply.code(201).send(headJson(head, ledger.signer.publicKeyPem));
  });

  const size = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
  v1.get("/tree/inclusion", async (req) => {
    const q = parse(z.strictObject({ record_id: z.string().min(1).max(200), tree_size: size.optional() }), req.query);
    const leaf = await ledger.leafByRecord(q.record_id);
    if (!leaf) throw auditErrors.RECORD_NOT_FOUND();
    const current = (await ledger.state()).treeSize;
    const treeSize = q.tree_size ?? current;
    if (treeSize <= leaf.index || treeSize > current) throw auditErrors.TREE_SIZE_OUT_OF_RANGE([{ path: "tree_size", code: "out_of_range", message: `must be above ${leaf.index} and at most the tree size` }]);
    const p = await ledger.inclusionProof(leaf.index, treeSize);
    req.resultCount = 1;
    return { record_id: leaf.recordId, index: leaf.index, leaf_hash: leaf.leafHash.toString("hex"), tree_size: p.treeSize, inclusion: p.proof.map((x) => x.toString("hex")) };
  });

  v1.get("/tree/consistency", async (req) => {
    const q = parse(z.strictObject({ from: size, to: size.optional() }), req.query);
    const current = (await ledger.state()).treeSize;
    const to = q.to ?? current;
    if (q.from > to || to > current) throw auditErrors.TREE_SIZE_OUT_OF_RANGE([{ path: q.from > to ? "from" : "to", code: "out_of_range", message: "need from ≤ to ≤ the tree size" }]);
    const p = await ledger.consistencyProof(q.from, to);
    req.resultCount = 1;
    return { from: p.size1, to: p.size2, consistency: p.proof.map((x) => x.toString("hex")) };
  });

  registerReportRoutes(v1, deps.reports);

  // The first API's routes, kept for its clients: decisions only, by event, subscriber, outcome.
  v1.get("/decisions", async (req) => {
    const q = parse(
      z.strictObject({ event_id: z.uuid().optional(), subscriber_id: z.string().regex(/^[a-z0-9-]{1,40}$/, "expected a subscriber id").optional(), outcome: z.enum(["allow", "deny"]).optional(), limit: z.coerce.number().int().min(1).max(500).default(100), cursor: z.string().max(100).optional() }),
      req.query,
    );
    const page = await searchRecords(db, { ...q, kind: "decision" });
    if ("badCursor" in page) throw badCursor();
    req.resultCount = page.docs.length;
    return { decisions: page.docs, next_cursor: page.nextCursor };
  });

  v1.get("/decisions/:id", async (req) => {
    const id = z.uuid().safeParse((req.params as { id: string }).id);
    if (!id.success) throw commonErrors.INVALID_QUERY([{ path: "id", code: "invalid_format", message: "expected a UUID" }]);
    const found = await recordById(db, id.data);
    if (!found || found.row.kind !== "decision") throw auditErrors.RECORD_NOT_FOUND();
    req.resultCount = 1;
    return found.openedDoc;
  });
}

/**
 * Who a /v1 request is: a bearer credential (verified, remembered for a short
 * while, throttled on failure), else the console's session. A bearer that is
 * refused for a reason of its own (expired, disabled, throttled) is answered
 * with that reason unless a live session stands in for it.
 */
async function authenticate(gate: OversightGate, token: string | undefined, session: string | undefined, address: string): Promise<GateOutcome<OversightAccount>> {
  const byToken = token ? await gate.authenticate(token, address) : undefined;
  if (byToken?.ok) return byToken;
  const bySession = gate.session(session);
  if (bySession) return { ok: true, account: bySession };
  return byToken ?? { ok: false, code: "CREDENTIAL_INVALID" };
}

/** 429 with Retry-After: JSON for an API client, a short page (no script) for a browser's sign-in form. */
function throttled(req: FastifyRequest, reply: FastifyReply, err: SignInThrottledError) {
  reply.code(429).header("retry-after", String(err.retryAfterSeconds)).header("cache-control", "no-store");
  if (!/text\/html/.test(req.headers.accept ?? "")) return reply.send(err.toBody());
  return reply
    .header("content-security-policy", "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    .type("text/html; charset=utf-8")
    .send(
      `<!doctype html><html lang="en-NZ"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Too many attempts — Takitini oversight</title><link rel="stylesheet" href="/console/console.css"></head>` +
        `<body class="login"><main id="main"><h1>Too many sign-in attempts</h1><p class="error" role="alert" data-code="SIGN_IN_THROTTLED">Sign-in is paused after several failed attempts. Try again in ${err.retryAfterSeconds} seconds.</p><p><a href="/console/login">Back to sign-in</a></p></main></body></html>`,
    );
}
