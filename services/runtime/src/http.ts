import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { Histogram, type Registry } from "prom-client";
import secureJson from "secure-json-parse";
import { port } from "./config.js";
import { commonErrors, ServiceError } from "./errors.js";
import { httpsServerOptions, httpTlsShape, type HttpTls } from "./http-tls.js";
import type { Logger } from "./logger.js";
import { pathVariants } from "./path-variants.js";
import { installRateLimits, rateLimitedCounter, rateLimitShape, type PrincipalLimiter, type RateLimitOptions } from "./rate-limit.js";

export interface ReadinessCheck {
  name: string;
  check: () => boolean | Promise<boolean>;
}

export interface HttpServerOptions {
  service: string;
  logger: Logger;
  metrics: Registry;
  readiness: ReadinessCheck[];
  /** Largest accepted request body in bytes. */
  bodyLimit?: number;
  /**
   * A request must arrive whole within this long (Node's `requestTimeout`): a
   * client trickling a body or headers (slowloris) is cut off with 408. Default 30 s.
   */
  requestTimeoutMs?: number;
  /**
   * Serve HTTPS. `clientCertificates: "request"` asks each client for a
   * certificate (verified against `ca`) without refusing at the handshake, so
   * a route can answer a JSON 401/403 and the refusal can be counted
   * (`clientCertificate`, `verifiedClientCertificate`). See `readHttpTls`.
   */
  tls?: HttpTls;
  /** Rate limits per client address and per principal (429 RATE_LIMITED); none when absent. */
  rateLimit?: RateLimitOptions;
}

/** Deadlines of every service's HTTP door (Node's default lets a request take 300 s). Pure. */
export function httpDeadlines(opts: Pick<HttpServerOptions, "requestTimeoutMs">): { requestTimeout: number } {
  return { requestTimeout: opts.requestTimeoutMs ?? 30_000 };
}

/** Map fastify's own errors onto the stable codes of the common catalogue. */
export function toServiceError(err: FastifyError | Error): ServiceError {
  if (err instanceof ServiceError) return err;
  const code = (err as FastifyError).code;
  switch (code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return commonErrors.BODY_TOO_LARGE();
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return commonErrors.UNSUPPORTED_MEDIA_TYPE();
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return commonErrors.EMPTY_BODY();
  }
  const cause = err.cause instanceof Error ? err.cause.message : "";
  if (/forbidden prototype property|__proto__|constructor\.prototype/i.test(`${err.message} ${cause}`)) {
    return commonErrors.FORBIDDEN_KEY();
  }
  if (code === "FST_ERR_CTP_INVALID_JSON_BODY") return commonErrors.MALFORMED_JSON();
  if (err instanceof SyntaxError || (err as FastifyError).statusCode === 400) {
    return commonErrors.MALFORMED_JSON();
  }
  return commonErrors.INTERNAL();
}

/** HTTP methods a metric may be labelled with; any other is "OTHER". */
const METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * The labels of a request's duration: its method (a known one, else "OTHER"),
 * the route's pattern (never the URL asked for; "unmatched" when no route
 * matched) and the status — only values the service itself defines. Pure.
 */
export function requestLabels(req: Pick<FastifyRequest, "method" | "routeOptions">, reply: Pick<FastifyReply, "statusCode">): { method: string; route: string; status: string } {
  return { method: METHODS.has(req.method) ? req.method : "OTHER", route: req.routeOptions.url ?? "unmatched", status: String(reply.statusCode) };
}

/** The shell both listeners share: stable JSON errors, strict JSON bodies, /healthz and /readyz. */
function shell(opts: HttpServerOptions, readiness: ReadinessCheck[], tls: HttpTls | undefined): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    return503OnClosing: true,
    ...httpDeadlines(opts),
    ...(tls ? { https: httpsServerOptions(tls) } : {}),
  }) as unknown as FastifyInstance;

  // JSON only: a text/plain body is refused with 415 rather than handed to a route.
  // Our own JSON parser keeps apart what fastify's folds into one error: empty
  // bodies, malformed JSON and prototype-poisoning keys.
  app.removeContentTypeParser(["text/plain", "application/json"]);
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    if (typeof body !== "string" || body.trim() === "") return done(commonErrors.EMPTY_BODY(), undefined);
    try {
      done(null, secureJson.parse(body, undefined, { protoAction: "error", constructorAction: "error" }));
    } catch (err) {
      const poisoned = err instanceof Error && /forbidden prototype property/i.test(err.message);
      done(poisoned ? commonErrors.FORBIDDEN_KEY() : commonErrors.MALFORMED_JSON(), undefined);
    }
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const se = toServiceError(err);
    if (se.statusCode >= 500) req.log.error({ err }, "request failed");
    else req.log.info({ code: se.code, issues: se.issues.map((i) => i.path) }, "request rejected");
    return reply.code(se.statusCode).send(se.toBody());
  });
  app.setNotFoundHandler((_req, reply) => {
    const se = commonErrors.NOT_FOUND();
    return reply.code(se.statusCode).send(se.toBody());
  });

  app.get("/healthz", async () => ({ status: "ok", service: opts.service }));
  app.get("/readyz", async (_req, reply) => {
    const results = await Promise.all(
      readiness.map(async (r) => {
        try {
          return { name: r.name, ready: await r.check() };
        } catch {
          return { name: r.name, ready: false };
        }
      }),
    );
    const ready = results.every((r) => r.ready);
    return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not_ready", checks: results });
  });
  return app;
}

/** The rate limits in the app's root scope (none without `opts.rateLimit`); the principal limiter. */
function rateLimited(app: FastifyInstance, opts: HttpServerOptions): PrincipalLimiter {
  return opts.rateLimit ? installRateLimits(app, opts.rateLimit, rateLimitedCounter(opts.metrics)) : async () => {};
}

function observeDurations(app: FastifyInstance, metrics: Registry): void {
  const duration = (metrics.getSingleMetric("http_request_duration_seconds") as Histogram<"method" | "route" | "status"> | undefined) ??
    new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration by route and status",
      labelNames: ["method", "route", "status"] as const,
      registers: [metrics],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
  app.addHook("onResponse", async (req, reply) => {
    duration.observe(requestLabels(req, reply), reply.elapsedTime / 1000);
  });
}

function serveMetrics(app: FastifyInstance, metrics: Registry): void {
  app.get("/metrics", async (_req, reply) => {
    const body = await metrics.metrics();
    return reply.header("content-type", metrics.contentType).send(body);
  });
}

/**
 * One listener with /metrics on it: the HTTP shell of a service not yet on
 * `createHttpServers` — /healthz, /readyz, /metrics, stable JSON errors, a
 * request-duration histogram, and `tls` / `rateLimit` when given. Prefer
 * `createHttpServers`, which keeps /metrics and /docs off the service's door.
 */
export function createHttpServer(opts: HttpServerOptions): FastifyInstance {
  const app = shell(opts, opts.readiness, opts.tls);
  rateLimited(app, opts);
  observeDurations(app, opts.metrics);
  serveMetrics(app, opts.metrics);
  return app;
}

/** A service's two listeners. */
export interface HttpServers {
  /**
   * The service's door (HTTPS when `tls` is given): /healthz, /readyz and the
   * service's own routes. Never /metrics, never /docs.
   */
  app: FastifyInstance;
  /**
   * The admin listener, plain HTTP on the same host and its own port:
   * /healthz, /readyz (which also waits for the door to be listening),
   * /metrics, and what the service registers here — its OpenAPI document and
   * swagger-ui under /docs.
   */
  admin: FastifyInstance;
  /**
   * Count a request against its principal's limit, for a handler that learns
   * who is calling inside itself; throws 429 RATE_LIMITED (Retry-After set)
   * over the limit. At most once per request; nothing without `rateLimit`.
   */
  limitPrincipal: PrincipalLimiter;
  /** Listen: the door first, then the admin listener. Resolves to their URLs. */
  listen(at: { host: string; port: number; adminPort: number }): Promise<{ url: string; adminUrl: string }>;
  /** Close both (the door first); what is in flight finishes. */
  close(): Promise<void>;
}

/**
 * A service's HTTP: its door (`app`) and an admin listener (`admin`) for
 * /metrics and the docs, each with /healthz and /readyz, stable JSON errors
 * and the same rate limits per address (the probes exempt). The door's request
 * durations are observed in `http_request_duration_seconds` (route pattern or
 * "unmatched", never the URL).
 */
export function createHttpServers(opts: HttpServerOptions): HttpServers {
  const app = shell(opts, opts.readiness, opts.tls);
  const limitPrincipal = rateLimited(app, opts);
  observeDurations(app, opts.metrics);
  // Plain HTTP, small bodies, the address limit only; ready once the door listens too.
  const admin = shell({ ...opts, bodyLimit: 64 * 1024 }, [...opts.readiness, { name: "http-listener", check: () => app.server.listening }], undefined);
  if (opts.rateLimit) rateLimited(admin, { ...opts, rateLimit: { perAddressPerMinute: opts.rateLimit.perAddressPerMinute, perPrincipalPerMinute: 0 } });
  serveMetrics(admin, opts.metrics);
  const host = (h: string) => (h.includes(":") ? `[${h}]` : h);
  const portOf = (i: FastifyInstance) => (i.server.address() as { port: number }).port;
  return {
    app,
    admin,
    limitPrincipal,
    async listen(at) {
      await app.listen({ host: at.host, port: at.port });
      await admin.listen({ host: at.host, port: at.adminPort });
      return { url: `${opts.tls ? "https" : "http"}://${host(at.host)}:${portOf(app)}`, adminUrl: `http://${host(at.host)}:${portOf(admin)}` };
    },
    async close() {
      try {
        await app.close();
      } finally {
        await admin.close();
      }
    },
  };
}

/**
 * The HTTP settings of a service's config: its door's PORT, the admin
 * listener's ADMIN_PORT (default: the door's + 100), the door's TLS files
 * (`httpTlsShape`) and its rate limits (`rateLimitShape`).
 */
export function httpServersShape(defaults: { port: number; perAddressPerMinute: number; perPrincipalPerMinute: number }) {
  return {
    /** The service's door. */
    PORT: port.default(defaults.port),
    /** The admin listener (plain HTTP on HOST): /metrics, /docs, /healthz, /readyz. */
    ADMIN_PORT: port.default(defaults.port + 100),
    ...httpTlsShape,
    ...rateLimitShape(defaults),
  };
}

/** What only the admin listener serves: metrics, and the OpenAPI document and swagger-ui. */
export const ADMIN_ONLY_PATHS: readonly string[] = ["/metrics", "/docs", "/docs/", "/docs/json", "/docs/static/index.html"];

/**
 * A sweep of a door: every spelling (`pathVariants`) of the admin-only paths
 * that `app` answers with a 2xx. Empty for a door built by `createHttpServers`.
 */
export async function adminPathsServed(app: FastifyInstance, paths: readonly string[] = ADMIN_ONLY_PATHS): Promise<string[]> {
  const served: string[] = [];
  for (const path of paths) {
    for (const url of [path, ...pathVariants(path)]) {
      const res = await app.inject({ url });
      if (res.statusCode >= 200 && res.statusCode < 300) served.push(url);
    }
  }
  return served;
}
