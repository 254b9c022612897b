import type { OversightRole } from "./credentials.js";

/**
 * What each oversight role may do. A reviewer reads: every query of the
 * oversight API and console. An administrator may also change what the ledger
 * attests — sign a new tree head (`POST /v1/tree/heads`, gRPC `SignHead`).
 *
 * A route that needs a role says so itself, as route config
 * (`{ config: { roles: ADMINISTRATORS } }`), and the /v1 scope's onRequest hook
 * checks it once the credential is accepted; the gRPC door names the roles of
 * each method it serves. A route or method without `roles` is open to every
 * role. Never decided from the request's URL: whatever spelling of a path the
 * router matched, it is the matched route's config that is read.
 *
 * A refusal is `403 ROLE_NOT_PERMITTED` (gRPC `PERMISSION_DENIED`, trailing
 * metadata `takitini-error-code: ROLE_NOT_PERMITTED`), and is recorded in the
 * ledger as an oversight query like any other answer, naming the account and
 * its role.
 */

declare module "fastify" {
  interface FastifyContextConfig {
    /** The roles allowed to use the route (absent: every role). Read as `request.routeOptions.config.roles`. */
    roles?: readonly OversightRole[];
  }
}

/** Administrators only: signing tree heads. */
export const ADMINISTRATORS: readonly OversightRole[] = Object.freeze(["administrator"] as const);

/** Whether `role` may use something that needs `needed` (undefined: every role may). */
export function permits(needed: readonly OversightRole[] | undefined, role: OversightRole): boolean {
  return needed === undefined || needed.includes(role);
}

/** The message of a refusal: what was needed, and the role presented. */
export function refusalMessage(what: string, needed: readonly OversightRole[], role: OversightRole): string {
  const list = needed.length === 1 ? article(needed[0]!) : `one of ${needed.join(", ")}`;
  return `${what} is for ${list}; this account is ${article(role)}`;
}

const article = (role: string) => `${/^[aeiou]/.test(role) ? "an" : "a"} ${role}`;
