import { bearer, cookie, UNMATCHED_ROUTE, type Logger, type RefusalNote } from "@takitini/runtime";
import type { AccessRecord } from "@takitini/proto";
import { ServiceError } from "@takitini/runtime";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { briefingDenied, briefingViewed, CHANNELS, type AccessAccount } from "./access.js";
import { atomFeed, briefingTag, type AtomEntry } from "./atom.js";
import type { Audience } from "./audiences.js";
import { authenticate } from "./app.js";
import { COOKIE_NAME, type LeaderAccount, type LeaderGate } from "./auth.js";
import { assembleBriefing } from "./briefing.js";
import { briefingText } from "./email.js";
import { errors, RegionNotFound } from "./errors.js";
import { lastCompleted, shiftPeriod } from "./periods.js";
import { regionBySlug, type Region } from "./regions.js";
import type { AggregateStore } from "./store.js";
import { accountOfFeedKey, feedKey } from "./tokens.js";

/**
 * Atom feeds of briefings, one per region and tier, an entry per completed
 * period (leaders: the last FEED_WEEKS weeks; the public: the last
 * FEED_QUARTERS quarters), each entry the briefing's figures as published:
 * - `GET /public/:region/feed.atom`: open, like the public pages;
 * - `GET /briefings/:region/feed.atom`: a leader's, for the regions in their
 *   scope, opened by their feed key (a feed reader cannot sign in) given as
 *   `Authorization: Bearer <key>` or as the password of HTTP Basic
 *   (`https://feed:<key>@host/briefings/eastern/feed.atom`) — never in the URL,
 *   which is logged. 401 with a Basic challenge without a key that opens an
 *   account (removed, disabled, expired or rotated accounts' keys open nothing),
 *   counted in the refusal window like the pages' refusals;
 *   403 REGION_OUT_OF_SCOPE (audited) for another region;
 * - `GET /v1/feeds`: the signed-in leader's feed key and feed URLs.
 * Every feed served is audited first (channel briefing.feed), like a page.
 */

export const FEED_WEEKS = 8;
export const FEED_QUARTERS = 4;

export interface FeedDeps {
  audiences: { leaders: ReadonlyMap<string, Audience>; public: Audience };
  store: (subscriberId: string) => AggregateStore;
  caughtUp: () => boolean;
  /** The rounding secret (the same figures as the pages). */
  secret: Uint8Array;
  /** Keys leaders' feed keys; without it, only the public feeds are served. */
  feedSecret?: Uint8Array | undefined;
  /** The leader accounts now (the file may change). */
  accounts: () => readonly LeaderAccount[];
  gate: LeaderGate;
  recordAccess: (record: AccessRecord) => Promise<void>;
  /** Where a leader feed refused for want of a key is counted (the refusal window), never an access record each. */
  refusals?: { unauthenticated(n: RefusalNote): void } | undefined;
  /** Base of the absolute links in a feed (BRIEFING_PUBLIC_URL); else the request's own origin. */
  publicUrl?: string | undefined;
  logger: Logger;
  now?: () => Date;
}

const ATOM = "application/atom+xml; charset=utf-8";

/** The key a feed reader sent: a bearer, or the password of HTTP Basic. Pure. */
export function feedKeyOf(authorization: string | undefined): string | undefined {
  const b = bearer(authorization);
  if (b !== undefined) return b;
  const m = /^Basic ([A-Za-z0-9+/=]{1,700})$/.exec((authorization ?? "").trim());
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const at = decoded.indexOf(":");
  return at < 0 ? undefined : decoded.slice(at + 1);
}

export function registerFeeds(app: FastifyInstance, deps: FeedDeps): void {
  const now = deps.now ?? (() => new Date());
  const origin = (req: FastifyRequest) => (deps.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, "");

  const send = (reply: FastifyReply, err: ServiceError) => reply.code(err.statusCode).header("cache-control", "no-store").send(err.toBody());
  const regionOf = (req: FastifyRequest): Region => {
    const slug = (req.params as { region: string }).region;
    const region = regionBySlug(slug);
    if (!region) throw new RegionNotFound(slug);
    return region;
  };
  const audit = async (record: AccessRecord) => {
    try {
      await deps.recordAccess(record);
    } catch (err) {
      deps.logger.error({ err: { message: (err as Error).message }, accessId: record.id }, "access record not written");
      throw errors.AUDIT_UNAVAILABLE();
    }
  };

  /** The feed of one audience and region: the last `count` completed periods, newest first. */
  const feed = (audience: Audience, region: Region, req: FastifyRequest, count: number) => {
    const kind = audience.rules.period;
    const base = origin(req);
    const page = audience.tier === "public" ? `/public/${region.slug}` : `/briefings/${region.slug}`;
    const who = audience.tier === "public" ? "public" : `leader.${audience.subscriberId}`;
    const last = lastCompleted(kind, now());
    const entries: AtomEntry[] = [];
    for (let i = 0; i < count; i++) {
      const period = shiftPeriod(kind, last, -i);
      const b = assembleBriefing({ store: deps.store(audience.subscriberId), region, periodId: period, rules: audience.rules, secret: deps.secret, received: audience.received });
      entries.push({
        id: briefingTag(who, region.slug, period),
        title: `${b.region.name}: ${b.period.label}`,
        link: `${base}${page}?${kind}=${period}`,
        // A briefing is of a completed period: dated the day after it ended.
        updated: new Date(Date.parse(`${b.period.to}T00:00:00Z`) + 86_400_000),
        content: briefingText(b).join("\n"),
      });
    }
    return atomFeed({
      id: briefingTag(who, region.slug, "feed"),
      title: `${audience.tier === "public" ? "Public briefings" : "Community leaders’ briefings"}: ${region.name}`,
      self: `${base}${page}/feed.atom`,
      alternate: `${base}${page}`,
      author: "Takitini community briefings",
      entries,
    });
  };

  const serve = async (req: FastifyRequest, reply: FastifyReply, fn: () => Promise<string>) => {
    try {
      if (!deps.caughtUp()) throw errors.NOT_READY();
      const body = await fn();
      return reply.type(ATOM).header("cache-control", "no-store").send(body);
    } catch (err) {
      if (err instanceof ServiceError) return send(reply, err);
      throw err;
    }
  };

  app.get("/public/:region/feed.atom", async (req, reply) =>
    serve(req, reply, async () => {
      const region = regionOf(req);
      const body = feed(deps.audiences.public, region, req, FEED_QUARTERS);
      await audit(briefingViewed({ subscriberId: deps.audiences.public.subscriberId, channel: CHANNELS.FEED, resource: `/public/${region.slug}/feed.atom`, regions: [region.code] }, now()));
      return body;
    }),
  );

  const feedSecret = deps.feedSecret;
  if (!feedSecret) return;

  app.get("/briefings/:region/feed.atom", async (req, reply) =>
    serve(req, reply, async () => {
      const region = regionOf(req);
      const at = now().getTime();
      const live = deps.accounts().filter((a) => !a.disabled && (a.expiresAt === undefined || a.expiresAt.getTime() > at));
      const account = accountOfFeedKey(feedSecret, live, feedKeyOf(req.headers.authorization));
      const audience = account && deps.audiences.leaders.get(account.subscriber);
      if (!account || !audience) {
        deps.refusals?.unauthenticated({ door: "http", code: "UNAUTHENTICATED", route: req.routeOptions.url ?? UNMATCHED_ROUTE, address: req.ip });
        reply.header("www-authenticate", 'Basic realm="Takitini briefing feeds", charset="UTF-8"');
        throw errors.UNAUTHENTICATED([{ path: "authorization", code: "feed_key_required", message: "give your feed key (GET /v1/feeds when signed in) as the Basic password or a bearer" }]);
      }
      const who: AccessAccount = { name: account.name, role: account.role };
      const resource = `/briefings/${region.slug}/feed.atom`;
      if (!audience.scope.some((r) => r.code === region.code)) {
        await audit(briefingDenied({ subscriberId: audience.subscriberId, account: who, channel: CHANNELS.FEED, resource, regions: [region.code] }, "REGION_OUT_OF_SCOPE", now()));
        throw errors.REGION_OUT_OF_SCOPE([{ path: "region", code: "out_of_scope", message: `your scope: ${audience.scope.map((r) => r.slug).join(", ")}` }]);
      }
      const body = feed(audience, region, req, FEED_WEEKS);
      await audit(briefingViewed({ subscriberId: audience.subscriberId, account: who, channel: CHANNELS.FEED, resource, regions: [region.code] }, now()));
      return body;
    }),
  );

  app.get("/v1/feeds", async (req, reply) => {
    const outcome = await authenticate(deps.gate, bearer(req.headers.authorization), cookie(req.headers.cookie, COOKIE_NAME), req.ip);
    const audience = outcome.ok ? deps.audiences.leaders.get(outcome.account.subscriber) : undefined;
    if (!outcome.ok || !audience) {
      deps.refusals?.unauthenticated({ door: "http", code: "UNAUTHENTICATED", route: req.routeOptions.url ?? UNMATCHED_ROUTE, address: req.ip });
      return send(reply, errors.UNAUTHENTICATED());
    }
    const base = origin(req);
    return reply.header("cache-control", "no-store").send({
      feed_key: feedKey(feedSecret, outcome.account),
      feeds: audience.scope.map((r) => ({ region: r.slug, url: `${base}/briefings/${r.slug}/feed.atom` })),
      public_feeds: audience.scope.map((r) => ({ region: r.slug, url: `${base}/public/${r.slug}/feed.atom` })),
      how: "give the feed key to your feed reader as the password (any user name), or as Authorization: Bearer <key>; it stops working when your token is rotated",
    });
  });
}
