import type { AccessRecord } from "@takitini/proto";
import { bearer, commonErrors, cookie, Counter, createHttpServers, refusalError, ServiceError, sessionCookie, SignInThrottledError, UNMATCHED_ROUTE, zodIssues, type GateOutcome, type HttpServers, type HttpTls, type Logger, type RateLimitOptions, type ReadinessCheck, type RefusalNote, type Registry } from "@takitini/runtime";
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { briefingDenied, briefingViewed, CHANNELS, type AccessAccount } from "./access.js";
import type { Audience } from "./audiences.js";
import { COOKIE_NAME, type LeaderAccount, type LeaderGate } from "./auth.js";
import { assembleBriefing, type Briefing } from "./briefing.js";
import { errors, RegionNotFound } from "./errors.js";
import { briefingPage, errorPage, indexPage, loginPage, type View } from "./html.js";
import { DEFAULT_LANG, isLang, LANG_COOKIE, LANGS, messages, negotiateLang, withLang, type Lang } from "./messages.js";
import { isCompleted, isQuarter, isWeek, lastCompleted, shiftPeriod } from "./periods.js";
import { REGION_SLUGS, regionBySlug, type Region } from "./regions.js";
import type { AggregateStore } from "./store.js";
import { registerSubmissions, type SubmissionDeps } from "./submissions/routes.js";

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  readiness: ReadinessCheck[];
  audiences: { leaders: ReadonlyMap<string, Audience>; public: Audience };
  /** The aggregates of one subscriber's topic. */
  store: (subscriberId: string) => AggregateStore;
  /** Whether the aggregates have caught up with the topics. */
  caughtUp: () => boolean;
  secret: Uint8Array;
  /** Leader accounts: bearer credentials, sign-in sessions, throttling (runtime's AccountGate). */
  gate: LeaderGate;
  /** Mark the sign-in cookie Secure (behind a TLS-terminating proxy); it always is when `tls` is given. */
  cookieSecure: boolean;
  /** Serve the pages and the JSON API over HTTPS (runtime's readHttpTls). */
  tls?: HttpTls;
  /** Per client address, and per leader account once signed in (429 RATE_LIMITED). */
  rateLimit?: Omit<RateLimitOptions, "principal">;
  /** Write an access record to the access topic (acks = all); resolves once it is durable. */
  recordAccess: (record: AccessRecord) => Promise<void>;
  /**
   * Where a leader's request refused for its credential (none, unknown, expired,
   * disabled, throttled; a browser sent to sign in) is counted: runtime's
   * RefusalReporter, whose window's summaries go to the refusals topic — never an
   * access record per request. Returns at once; never throws.
   */
  refusals?: { unauthenticated(n: RefusalNote): void };
  now?: () => Date;
  /** Leaders talk back (submissions/routes.ts): without it the submission door is not served. */
  submissions?: SubmissionDeps;
}

const lang = z.enum(LANGS).optional();
const weekQuery = z.strictObject({ week: z.string().refine(isWeek, "expected an ISO week that exists, e.g. 2026-W47").optional(), lang });
const quarterQuery = z.strictObject({ quarter: z.string().refine(isQuarter, "expected a quarter, e.g. 2026-Q3").optional(), lang });
const loginForm = z.strictObject({ token: z.string().min(1).max(512), next: z.string().max(200).optional() });

type Kind = "html" | "json";

/**
 * The briefing service's HTTP: its door (`app`; pages and JSON for both tiers,
 * sign-in, every view audited; HTTPS with `tls`) and the admin listener
 * (`admin`: /metrics).
 */
export function buildApp(deps: AppDeps): HttpServers {
  const servers = createHttpServers({
    service: "briefing",
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: deps.readiness,
    bodyLimit: 8 * 1024,
    ...(deps.tls ? { tls: deps.tls } : {}),
    ...(deps.rateLimit ? { rateLimit: deps.rateLimit } : {}),
  });
  const { app } = servers;
  // Whenever the pages are served over TLS, the sign-in cookie is never sent without it.
  const secure = deps.cookieSecure || deps.tls !== undefined;
  const now = deps.now ?? (() => new Date());
  const gate = deps.gate;
  const served = new Counter({ name: "briefing_views_total", help: "Briefings served, by tier, channel and format", labelNames: ["tier", "format"], registers: [deps.metrics] });
  const denied = new Counter({ name: "briefing_denied_total", help: "Briefing requests refused, by code", labelNames: ["code"], registers: [deps.metrics] });
  const unauthenticated = new Counter({ name: "briefing_unauthenticated_total", help: "Leaders' requests refused for their credential (counted into refusal summaries, not an access record each), by code", labelNames: ["code"], registers: [deps.metrics] });

  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === "string" ? body : body.toString("utf8"))));
  });

  /**
   * The reader's language (`?lang=`, the `lang` cookie, Accept-Language; see messages.ts) and where they are.
   * Links carry `lang=` once a language was chosen, or when it is not the default.
   */
  const viewOf = (req: FastifyRequest): View => {
    const asked = (req.query as Record<string, unknown> | undefined)?.lang;
    const kept = cookie(req.headers.cookie, LANG_COOKIE);
    const chosen = negotiateLang({ query: asked, cookie: kept, acceptLanguage: req.headers["accept-language"] });
    return { m: messages(chosen), here: req.url, keepLang: isLang(asked) || isLang(kept) || chosen !== DEFAULT_LANG };
  };
  /** Links keep the reader's language: `path` with `lang=` when they chose one. */
  const keep = (v: View, path: string) => (v.keepLang ? withLang(path, v.m.lang) : path);
  // A language chosen with ?lang= is remembered for the next pages (not a credential: readable by the page, Lax).
  app.addHook("onRequest", async (req, reply) => {
    const asked = (req.query as Record<string, unknown> | undefined)?.lang;
    if (isLang(asked)) reply.header("set-cookie", `${LANG_COOKIE}=${asked}; Path=/; Max-Age=31536000; SameSite=Lax${secure ? "; Secure" : ""}`);
  });
  // A page's language may come from the cookie or Accept-Language: caches must keep them apart.
  app.addHook("onSend", async (_req, reply, payload) => {
    if (String(reply.getHeader("content-type") ?? "").startsWith("text/html")) reply.header("vary", "Accept-Language, Cookie");
    return payload;
  });

  const sendError = (kind: Kind, req: FastifyRequest, reply: FastifyReply, err: ServiceError) => {
    denied.inc({ code: err.code });
    if (kind === "json") return reply.code(err.statusCode).send(err.toBody());
    const page = errorPage({ status: err.statusCode, code: err.code, issues: err.issues, ...(err instanceof RegionNotFound ? { validRegions: REGION_SLUGS } : {}) }, viewOf(req));
    return reply.code(err.statusCode).type("text/html; charset=utf-8").send(page);
  };

  const regionOf = (req: FastifyRequest): Region => {
    const slug = (req.params as { region: string }).region;
    const region = regionBySlug(slug);
    if (!region) throw new RegionNotFound(slug);
    return region;
  };

  const periodFrom = (audience: Audience, query: unknown): string => {
    if (audience.rules.period === "week") {
      const q = weekQuery.safeParse(query);
      if (!q.success) throw commonErrors.INVALID_QUERY(zodIssues(q.error));
      const week = q.data.week ?? lastCompleted("week", now());
      if (!isCompleted("week", week, now())) throw commonErrors.INVALID_QUERY([{ path: "week", code: "period_not_completed", message: "briefings cover completed weeks only" }]);
      return week;
    }
    const q = quarterQuery.safeParse(query);
    if (!q.success) throw commonErrors.INVALID_QUERY(zodIssues(q.error));
    const quarter = q.data.quarter ?? lastCompleted("quarter", now());
    if (!isCompleted("quarter", quarter, now())) throw commonErrors.INVALID_QUERY([{ path: "quarter", code: "period_not_completed", message: "public briefings cover completed quarters only" }]);
    return quarter;
  };

  const audit = async (record: AccessRecord, account?: AccessAccount) => {
    try {
      await deps.recordAccess(record);
    } catch (err) {
      deps.logger.error({ err: { message: (err as Error).message }, accessId: record.id }, "access record not written");
      throw errors.AUDIT_UNAVAILABLE();
    }
  };

  const resource = (req: FastifyRequest) => req.url.slice(0, 200);

  /** Build, audit (before anything is sent), then hand over. */
  const serve = async (audience: Audience, region: Region, period: string, req: FastifyRequest, account?: AccessAccount, lang?: Lang): Promise<Briefing> => {
    if (!deps.caughtUp()) throw errors.NOT_READY();
    const briefing = assembleBriefing({ store: deps.store(audience.subscriberId), region, periodId: period, rules: audience.rules, secret: deps.secret, received: audience.received, ...(lang ? { lang } : {}) });
    await audit(briefingViewed({ subscriberId: audience.subscriberId, account, channel: CHANNELS.HTTP, resource: resource(req), regions: [region.code] }, now()), account);
    return briefing;
  };

  /**
   * The signed-in leader: a bearer credential, else the sign-in session; a browser without one is sent to sign in.
   * A request without a credential that opens anything is counted into the refusal window (by code and route
   * pattern, never its URL) — not an access record each, so nobody can grow the ledger one row per request.
   */
  const leader = async (req: FastifyRequest, kind: Kind, reply: FastifyReply): Promise<{ audience: Audience; account: AccessAccount } | null> => {
    const outcome = await authenticate(gate, bearer(req.headers.authorization), cookie(req.headers.cookie, COOKIE_NAME), req.ip);
    const audience = outcome.ok ? deps.audiences.leaders.get(outcome.account.subscriber) : undefined;
    if (outcome.ok && audience) {
      // A leader's budget is their own, from whichever address (429 RATE_LIMITED over it).
      await servers.limitPrincipal(req, reply, `leader:${outcome.account.name.toLowerCase()}`);
      return { audience, account: { name: outcome.account.name, role: outcome.account.role } };
    }
    const err = outcome.ok ? errors.UNAUTHENTICATED() : refusalError(outcome, () => errors.UNAUTHENTICATED());
    unauthenticated.inc({ code: err.code });
    deps.refusals?.unauthenticated({ door: "http", code: err.code, route: req.routeOptions.url ?? UNMATCHED_ROUTE, address: req.ip });
    if (kind === "html" && req.method === "GET" && (outcome.ok || outcome.code === "CREDENTIAL_INVALID")) {
      // A session cookie that no longer opens anything (ended: idle, lifetime, account changed): cleared, and the sign-in page says why.
      const ended = !outcome.ok && cookie(req.headers.cookie, COOKIE_NAME);
      if (ended) reply.header("set-cookie", sessionCookie(COOKIE_NAME, "", 0, secure));
      const v = viewOf(req);
      await reply.code(303).header("location", `/login?next=${encodeURIComponent(req.url.slice(0, 150))}${ended ? "&session=ended" : ""}${v.keepLang ? `&lang=${v.m.lang}` : ""}`).send();
      return null;
    }
    if (err instanceof SignInThrottledError) reply.header("retry-after", String(err.retryAfterSeconds));
    throw err;
  };

  const inScope = async (audience: Audience, region: Region, req: FastifyRequest, account: AccessAccount) => {
    if (audience.scope.some((r) => r.code === region.code)) return;
    await audit(briefingDenied({ subscriberId: audience.subscriberId, account, channel: CHANNELS.HTTP, resource: resource(req), regions: [region.code] }, "REGION_OUT_OF_SCOPE", now()), account);
    throw errors.REGION_OUT_OF_SCOPE([{ path: "region", code: "out_of_scope", message: `your scope: ${audience.scope.map((r) => r.slug).join(", ")}` }]);
  };

  const handle = (kind: Kind, fn: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      return await fn(req, reply);
    } catch (err) {
      if (err instanceof ServiceError) return sendError(kind, req, reply, err);
      throw err;
    }
  };

  const links = (base: string, kind: "week" | "quarter", period: string, jsonBase: string) => {
    const param = kind === "week" ? "week" : "quarter";
    const next = shiftPeriod(kind, period, 1);
    return {
      previous: `${base}?${param}=${shiftPeriod(kind, period, -1)}`,
      ...(isCompleted(kind, next, now()) ? { next: `${base}?${param}=${next}` } : {}),
      json: `${jsonBase}?${param}=${period}`,
    };
  };

  app.get("/", async (req, reply) => reply.type("text/html; charset=utf-8").send(indexPage(viewOf(req))));
  app.get("/v1/regions", async () => ({ regions: REGION_SLUGS }));

  // Community leaders: weekly briefings for the regions in their scope.
  app.get(
    "/briefings/:region",
    handle("html", async (req, reply) => {
      const region = regionOf(req);
      const signedIn = await leader(req, "html", reply);
      if (!signedIn) return reply;
      const { audience, account } = signedIn;
      await inScope(audience, region, req, account);
      const week = periodFrom(audience, req.query);
      const v = viewOf(req);
      const b = await serve(audience, region, week, req, account, v.m.lang);
      served.inc({ tier: audience.tier, format: "html" });
      return reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(briefingPage(b, { ...links(`/briefings/${region.slug}`, "week", week, `/v1/briefings/${region.slug}`), signedIn: true }, v));
    }),
  );
  app.get(
    "/v1/briefings/:region",
    handle("json", async (req, reply) => {
      const region = regionOf(req);
      const { audience, account } = (await leader(req, "json", reply))!;
      await inScope(audience, region, req, account);
      const week = periodFrom(audience, req.query);
      const b = await serve(audience, region, week, req, account, (req.query as { lang?: Lang }).lang);
      served.inc({ tier: audience.tier, format: "json" });
      return reply.header("cache-control", "no-store").send(b);
    }),
  );

  // The public tier: quarterly, coarser, no credential.
  app.get(
    "/public/:region",
    handle("html", async (req, reply) => {
      const region = regionOf(req);
      const audience = deps.audiences.public;
      const quarter = periodFrom(audience, req.query);
      const v = viewOf(req);
      const b = await serve(audience, region, quarter, req, undefined, v.m.lang);
      served.inc({ tier: audience.tier, format: "html" });
      return reply.type("text/html; charset=utf-8").send(briefingPage(b, links(`/public/${region.slug}`, "quarter", quarter, `/v1/public/${region.slug}`), v));
    }),
  );
  app.get(
    "/v1/public/:region",
    handle("json", async (req, reply) => {
      const region = regionOf(req);
      const audience = deps.audiences.public;
      const quarter = periodFrom(audience, req.query);
      const b = await serve(audience, region, quarter, req, undefined, (req.query as { lang?: Lang }).lang);
      served.inc({ tier: audience.tier, format: "json" });
      return reply.send(b);
    }),
  );

  app.get("/login", async (req, reply) => {
    const query = req.query as { next?: unknown; session?: unknown };
    const next = typeof query.next === "string" ? query.next : "";
    const v = viewOf(req);
    const notice = query.session === "ended" ? v.m.t("login.sessionEnded") : undefined;
    return reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(loginPage(notice, safeNext(next), v));
  });
  app.post(
    "/login",
    handle("html", async (req, reply) => {
      const form = loginForm.safeParse(req.body ?? {});
      if (!form.success) throw commonErrors.INVALID_QUERY(zodIssues(form.error));
      const v = viewOf(req);
      const again = (status: number, message: string) => reply.code(status).type("text/html; charset=utf-8").header("cache-control", "no-store").send(loginPage(message, safeNext(form.data.next ?? ""), v));
      // Failures are throttled per account and per client address.
      const outcome = await gate.signIn(form.data.token, req.ip);
      if (!outcome.ok) {
        // A failed sign-in is a refusal for a credential: counted in the window, never a record each.
        deps.refusals?.unauthenticated({ door: "sign-in", code: outcome.code, route: "/login", address: req.ip });
        if (outcome.code === "SIGN_IN_THROTTLED") {
          const wait = outcome.retryAfterSeconds ?? 1;
          reply.header("retry-after", String(wait));
          return again(429, v.m.t("login.throttled", { seconds: wait }));
        }
        if (outcome.code === "CREDENTIAL_EXPIRED") return again(401, v.m.t("login.expired"));
        if (outcome.code === "CREDENTIAL_DISABLED") return again(401, v.m.t("login.disabled"));
        return again(401, v.m.t("login.unrecognised"));
      }
      const audience = deps.audiences.leaders.get(outcome.account.subscriber);
      if (!audience) {
        gate.signOut(outcome.session);
        return again(401, v.m.t("login.unrecognised"));
      }
      const next = keep(v, safeNext(form.data.next ?? "") || `/briefings/${audience.scope[0]?.slug ?? "eastern"}`);
      // The browser keeps a session id, never the token.
      return reply.code(303).header("set-cookie", sessionCookie(COOKIE_NAME, outcome.session!, Math.floor(gate.sessions.ttlMs / 1000), secure)).header("location", next).send();
    }),
  );
  app.post("/logout", async (req, reply) => {
    gate.signOut(cookie(req.headers.cookie, COOKIE_NAME));
    return reply.code(303).header("set-cookie", sessionCookie(COOKIE_NAME, "", 0, secure)).header("location", keep(viewOf(req), "/")).send();
  });

  if (deps.submissions) {
    registerSubmissions(app, { leader, handle, audit: (r) => audit(r), viewOf, keep, now }, deps.submissions);
  }

  return servers;

  /** Where to go after signing in: a leader's briefing page, with at most a week and a language. */
  function safeNext(next: string): string {
    const [path = "", query, more] = next.split("?");
    if (more !== undefined || !/^\/briefings\/[a-z-]{1,40}$/.test(path)) return "";
    if (query === undefined) return next;
    const params = [...new URLSearchParams(query)];
    const ok = (k: string, v: string) => (k === "week" ? /^\d{4}-W\d{2}$/.test(v) : k === "lang" && isLang(v));
    const keys = params.map(([k]) => k);
    return params.every(([k, v]) => ok(k, v)) && new Set(keys).size === keys.length && /^[a-zA-Z0-9=&-]*$/.test(query) ? next : "";
  }
}

/**
 * Who a leader's request is: a bearer credential (verified, remembered for a
 * short while, throttled on failure), else the sign-in session. A bearer
 * refused for a reason of its own (expired, disabled, throttled) is answered
 * with that reason unless a live session stands in for it.
 */
export async function authenticate(gate: LeaderGate, token: string | undefined, session: string | undefined, address: string): Promise<GateOutcome<LeaderAccount>> {
  const byToken = token ? await gate.authenticate(token, address) : undefined;
  if (byToken?.ok) return byToken;
  const bySession = gate.session(session);
  if (bySession) return { ok: true, account: bySession };
  return byToken ?? { ok: false, code: "CREDENTIAL_INVALID" };
}
