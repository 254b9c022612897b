/**
 * Who may use an HTTP route is decided by the route, never by the request's URL.
 *
 * fastify's router decodes and matches the path (`/%761/records` is served by
 * `/v1/records`), so any test on the raw URL — a prefix, a regular expression —
 * can disagree with the route that actually answers. Instead, the routes that
 * need a credential are registered inside a plugin scope whose own hooks
 * authenticate (and, for the oversight API, record) every request the router
 * hands to them, and the scope marks each of its routes with `config.access`
 * so the declaration cannot drift from the enforcement. A route registered
 * outside such a scope is open (health, readiness, metrics, docs, the console's
 * static files and sign-in).
 */
import type { RouteOptions } from "fastify";

/** `oversight`: the /v1 API (credential checked, every request recorded); `console-session`: the console's pages (session or bearer present, else sent to sign in). */
export type Access = "oversight" | "console-session";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Set by the scope the route is registered in; absent on an open route. Read as `request.routeOptions.config.access`. */
    access?: Access;
  }
}

/** An onRoute hook for a scope: mark every route registered in it (its HEAD twin too) with the scope's access. */
export function declareAccess(access: Access): (route: RouteOptions) => void {
  return (route) => {
    route.config = { ...route.config, access };
  };
}
