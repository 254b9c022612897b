import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Counter, type Registry } from "prom-client";
import { z } from "zod";
import { commonErrors, type ServiceError } from "./errors.js";

/**
 * Rate limits of an HTTP door (@fastify/rate-limit, fixed one-minute windows,
 * in-process, bounded LRU tables): per client address on every route but the
 * health probes, and per principal once a route knows who is calling. Over a
 * limit: 429 RATE_LIMITED with Retry-After (seconds).
 */
export interface RateLimitOptions {
  /** Requests per minute from one client address (IPv6 by /64); 0: no address limit. */
  perAddressPerMinute: number;
  /** Requests per minute from one principal; 0: no principal limit. */
  perPrincipalPerMinute: number;
  /**
   * Who the caller is, once the route's own hooks have authenticated it (called
   * after every onRequest hook, before the body is parsed): a stable id, e.g.
   * `account:<name>` or a publisher's URI; undefined when not known (the address
   * limit still applies). A handler that authenticates inside itself calls
   * `HttpServers.limitPrincipal` instead.
   */
  principal?: (req: FastifyRequest) => string | undefined;
  /** Most addresses (and principals) remembered per table; the least recent go first. Default 10 000. */
  tableSize?: number;
}

/**
 * The limits' settings for a service's config (RATE_LIMIT_PER_MINUTE,
 * RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE), with that service's defaults; 0 turns a
 * limit off.
 */
export function rateLimitShape(defaults: { perAddressPerMinute: number; perPrincipalPerMinute: number }) {
  const perMinute = z.coerce.number().int().min(0).max(100_000_000);
  return {
    /** Requests per minute from one client address on every route but /healthz and /readyz; 0: off. */
    RATE_LIMIT_PER_MINUTE: perMinute.default(defaults.perAddressPerMinute),
    /** Requests per minute from one authenticated principal; 0: off. */
    RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE: perMinute.default(defaults.perPrincipalPerMinute),
  };
}

/** The options from the config's fields. Pure. */
export function rateLimitSettings(
  c: { RATE_LIMIT_PER_MINUTE: number; RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE: number },
  principal?: RateLimitOptions["principal"],
): RateLimitOptions {
  return { perAddressPerMinute: c.RATE_LIMIT_PER_MINUTE, perPrincipalPerMinute: c.RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE, ...(principal ? { principal } : {}) };
}

/** The runtime's probes: never limited (a supervisor polls them). Matched routes, never URL text. */
export const RATE_LIMIT_EXEMPT_ROUTES: ReadonlySet<string> = new Set(["/healthz", "/readyz"]);

const WINDOW_MS = 60_000;

/** 429 RATE_LIMITED, its Retry-After set on the reply. */
function limited(reply: FastifyReply, retryAfterSeconds: number): ServiceError {
  reply.header("retry-after", String(Math.max(1, retryAfterSeconds)));
  return commonErrors.RATE_LIMITED();
}

export type PrincipalLimiter = (req: FastifyRequest, reply: FastifyReply, principal: string) => Promise<void>;

/**
 * Install the limits on an app (its root scope): the address limit in an
 * onRequest hook added now — before any hook the service adds afterwards, so an
 * unauthenticated flood is cut before a credential is verified; the principal
 * limit after every onRequest hook (a scope's authentication included). The
 * plugin's tables are made when the app loads its plugins (before it serves).
 * Returns the principal limiter for handlers that authenticate inside
 * themselves (each request counted once).
 */
export function installRateLimits(app: FastifyInstance, opts: RateLimitOptions, counter: Counter<"limit">): PrincipalLimiter {
  type Limiter = ReturnType<FastifyInstance["createRateLimit"]>;
  let byAddress: Limiter | undefined;
  let byPrincipal: Limiter | undefined;
  const principals = new WeakMap<FastifyRequest, string>();
  const plugin = async (root: FastifyInstance) => {
    await root.register(rateLimit, { global: false });
    // `cache` (the LRU table's size) is read by the in-process store, though the type leaves it out.
    const limiter = (o: rateLimit.CreateRateLimitOptions) => root.createRateLimit({ timeWindow: WINDOW_MS, cache: opts.tableSize ?? 10_000, ...o } as rateLimit.CreateRateLimitOptions);
    if (opts.perAddressPerMinute > 0) byAddress = limiter({ max: opts.perAddressPerMinute });
    if (opts.perPrincipalPerMinute > 0) byPrincipal = limiter({ max: opts.perPrincipalPerMinute, keyGenerator: (req) => `principal:${principals.get(req) ?? ""}` });
  };
  // Not encapsulated: the plugin decorates the app itself.
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for("skip-override")] = true;
  void app.register(plugin);

  const exempt = (req: FastifyRequest) => RATE_LIMIT_EXEMPT_ROUTES.has(req.routeOptions.url ?? "");
  if (opts.perAddressPerMinute > 0) {
    app.addHook("onRequest", async (req, reply) => {
      if (!byAddress || exempt(req)) return;
      const r = await byAddress(req);
      if (!r.isAllowed && r.isExceeded) {
        counter.inc({ limit: "address" });
        throw limited(reply, r.ttlInSeconds);
      }
    });
  }
  const limitPrincipal: PrincipalLimiter = async (req, reply, principal) => {
    if (!byPrincipal || principals.has(req) || principal === "") return;
    principals.set(req, principal);
    const r = await byPrincipal(req);
    if (!r.isAllowed && r.isExceeded) {
      counter.inc({ limit: "principal" });
      throw limited(reply, r.ttlInSeconds);
    }
  };
  if (opts.perPrincipalPerMinute > 0 && opts.principal) {
    const principalOf = opts.principal;
    app.addHook("preParsing", async (req, reply, payload) => {
      if (exempt(req)) return payload;
      const who = principalOf(req);
      if (who !== undefined) await limitPrincipal(req, reply, who);
      return payload;
    });
  }
  return limitPrincipal;
}

/** Requests refused by a rate limit, by which limit ("address" or "principal"). */
export function rateLimitedCounter(metrics: Registry): Counter<"limit"> {
  const name = "http_rate_limited_total";
  const existing = metrics.getSingleMetric(name);
  if (existing) return existing as Counter<"limit">;
  return new Counter({ name, help: "HTTP requests refused 429 RATE_LIMITED, by limit (address or principal)", labelNames: ["limit"] as const, registers: [metrics] });
}
