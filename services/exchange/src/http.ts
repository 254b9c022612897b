import { createHttpServers, type HttpServers, type HttpTls, type Logger, type RateLimitOptions, type ReadinessCheck, type Registry } from "@takitini/runtime";

/** The subscribers' view GET /v1/policy answers with. */
export interface PolicyView {
  revision: string;
  subscribers: { id: string; tier: string; delivery_topic: string }[];
}

export interface ExchangeHttpDeps {
  logger: Logger;
  metrics: Registry;
  readiness: ReadinessCheck[];
  /** The policy in force. */
  policy: () => PolicyView;
  /** HTTPS for the door (optional: the exchange's HTTP carries no personal information). */
  tls?: HttpTls;
  /** Per client address (the door knows no principal). */
  rateLimit?: Omit<RateLimitOptions, "principal">;
}

/**
 * The exchange's HTTP: its door (`app`: GET /v1/policy, /healthz, /readyz) and
 * the admin listener (`admin`: /metrics, /healthz, /readyz).
 */
export function buildExchangeHttp(deps: ExchangeHttpDeps): HttpServers {
  const servers = createHttpServers({
    service: "exchange",
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: deps.readiness,
    ...(deps.tls ? { tls: deps.tls } : {}),
    ...(deps.rateLimit ? { rateLimit: deps.rateLimit } : {}),
  });
  servers.app.get("/v1/policy", async () => deps.policy());
  return servers;
}
