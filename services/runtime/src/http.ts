import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import { Histogram, type Registry } from "prom-client";
import secureJson from "secure-json-parse";
import { commonErrors, ServiceError } from "./errors.js";
import type { Logger } from "./logger.js";

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

/**
 * The HTTP shell every service shares: /healthz (process alive), /readyz (all
 * dependencies ready), /metrics (Prometheus), stable JSON errors, and a
 * request-duration histogram. Services register their own routes on the result.
 */
export function createHttpServer(opts: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    return503OnClosing: true,
    ...httpDeadlines(opts),
  });

  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [opts.metrics],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  app.addHook("onResponse", async (req, reply) => {
    duration.observe(
      {
        method: req.method,
        route: req.routeOptions.url ?? "unmatched",
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

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
      opts.readiness.map(async (r) => {
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
  app.get("/metrics", async (_req, reply) => {
    const body = await opts.metrics.metrics();
    return reply.header("content-type", opts.metrics.contentType).send(body);
  });
  return app;
}
