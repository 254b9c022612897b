import type { ServiceError } from "@takitini/runtime";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { errors } from "./errors.js";
import { esc } from "./escape.js";
import { errorPage, page } from "./html.js";
import { verifyUnsubscribe, type UnsubscribeClaim } from "./tokens.js";

/**
 * The unsubscribe link of every digest email, `/unsubscribe?token=<signed token>`:
 * GET shows a confirmation page (a link scanner following it unsubscribes no
 * one); POST unsubscribes — the page's button, and the one-click POST of RFC 8058
 * (`List-Unsubscribe=One-Click`) that mail providers send. A token this service
 * did not sign is 403 UNSUBSCRIBE_TOKEN_INVALID, an expired one 403
 * UNSUBSCRIBE_TOKEN_EXPIRED, a damaged one 400 UNSUBSCRIBE_TOKEN_MALFORMED.
 * JSON for a client that accepts it, otherwise HTML. The token is a capability:
 * these routes log at warn level only, so fastify's request lines (which name the
 * URL) are not written for them.
 */

export interface UnsubscribeDeps {
  /** The mail secret the tokens are signed with. */
  secret: Uint8Array;
  /** Record the unsubscribe durably (the mail topic); rejects if it could not be. */
  unsubscribe: (claim: UnsubscribeClaim) => Promise<void>;
  now?: () => Date;
}

const wantsJson = (req: FastifyRequest) => /application\/json/.test(String(req.headers.accept ?? "")) && !/text\/html/.test(String(req.headers.accept ?? ""));

export function registerUnsubscribe(app: FastifyInstance, deps: UnsubscribeDeps): void {
  const now = deps.now ?? (() => new Date());
  // RFC 8058 lets the one-click POST be multipart/form-data; its body says nothing the URL does not.
  if (!app.hasContentTypeParser("multipart/form-data")) app.addContentTypeParser("multipart/form-data", { parseAs: "string", bodyLimit: 4096 }, (_req, _body, done) => done(null, {}));
  if (!app.hasContentTypeParser("application/x-www-form-urlencoded")) app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 4096 }, (_req, _body, done) => done(null, {}));

  const fail = (req: FastifyRequest, reply: FastifyReply, err: ServiceError) => {
    if (wantsJson(req)) return reply.code(err.statusCode).header("cache-control", "no-store").send(err.toBody());
    return reply.code(err.statusCode).type("text/html; charset=utf-8").header("cache-control", "no-store").send(errorPage({ status: err.statusCode, code: err.code, issues: err.issues.map((i) => ({ path: i.path, code: i.code })) }));
  };
  const claimOf = (req: FastifyRequest): UnsubscribeClaim | ServiceError => {
    const v = verifyUnsubscribe(deps.secret, (req.query as { token?: unknown }).token, now());
    return v.ok ? v.claim : errors[v.code]([{ path: "token", code: v.code.toLowerCase(), message: errors.specs[v.code].message }]);
  };

  // The request log would name the URL, token and all: these routes log warnings and errors only.
  const quiet = { logLevel: "warn" } as const;

  app.get("/unsubscribe", quiet, async (req, reply) => {
    const claim = claimOf(req);
    if (!("subscriber" in claim)) return fail(req, reply, claim);
    const token = String((req.query as { token: string }).token);
    if (wantsJson(req)) return reply.header("cache-control", "no-store").send({ subscriber: claim.subscriber, confirm: "POST this URL to unsubscribe" });
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header("referrer-policy", "no-referrer")
      .send(
        page("Unsubscribe — community briefings", {
          header: `<h1>Stop the weekly digest email?</h1>`,
          main:
            `<p>You will no longer receive the community leaders’ weekly briefing by email. You can still read it when you sign in.</p>` +
            `<form method="post" action="/unsubscribe?token=${esc(encodeURIComponent(token))}"><button type="submit">Unsubscribe</button></form>`,
        }),
      );
  });

  app.post("/unsubscribe", quiet, async (req, reply) => {
    const claim = claimOf(req);
    if (!("subscriber" in claim)) return fail(req, reply, claim);
    try {
      await deps.unsubscribe(claim);
    } catch {
      return fail(req, reply, errors.MAIL_UNAVAILABLE());
    }
    if (wantsJson(req)) return reply.header("cache-control", "no-store").send({ unsubscribed: true, subscriber: claim.subscriber });
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .send(
        page("Unsubscribed — community briefings", {
          header: `<h1>You are unsubscribed</h1>`,
          main: `<p>No more weekly digest emails will be sent to this address. Your sign-in and your briefings online are unchanged.</p><p><a href="/">Community briefings</a></p>`,
        }),
      );
  });
}
