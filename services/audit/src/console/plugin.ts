/**
 * The oversight console: static pages, styles and browser modules from
 * services/audit/console/, served at /console/ by the audit service.
 *
 * - Only the files listed at start are served (read once into memory): no path
 *   from a request ever reaches the file system.
 * - Every response carries a strict Content-Security-Policy: same-origin only,
 *   no inline script or style, Trusted Types required (no string-to-markup
 *   sinks), no framing. Nothing loads from the internet.
 * - The pages need a session: a request with neither the session cookie nor a
 *   bearer credential is redirected to /console/login. That is a convenience —
 *   the credential itself is checked by the /v1 API the pages call, which
 *   answers 401 (and the page then sends the officer to sign in). The check is
 *   the onRequest hook of the scope the pages are registered in (each marked
 *   `config.access = "console-session"`), so it applies to whatever spelling of
 *   a page's path the router matched to it — never a test on the URL.
 *
 * POST /console/login and /console/logout, which set and clear the cookie, are
 * the API's (app.ts); GET /console/login (also /console/login.html) is the
 * sign-in page served here.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { declareAccess } from "../access.js";

/** Where the console's files live (the same from src/ and dist/). */
export const CONSOLE_DIR = fileURLToPath(new URL("../../console/", import.meta.url));

/** The cookie set by POST /console/login. */
export const SESSION_COOKIE = "takitini_oversight";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Pages by URL path; all but the sign-in page need a session. */
const PAGES: Record<string, string> = {
  "/console/": "index.html",
  "/console/record": "record.html",
  "/console/person": "person.html",
  "/console/charts": "charts.html",
  "/console/anomalies": "anomalies.html",
  "/console/reports": "reports.html",
  "/console/login": "login.html",
  // where the API's POST /console/login and /console/logout send the browser
  "/console/login.html": "login.html",
};
const PUBLIC_PAGES = new Set(["/console/login", "/console/login.html"]);

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function load(file: string): Asset {
  const body = readFileSync(file);
  const type = TYPES[extname(file)];
  if (!type) throw new Error(`the console does not serve ${file}`);
  return { body, type, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` };
}

/** Styles, icon and browser modules (not the type declarations or tsconfig) by URL path. */
function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const ext = extname(entry.name);
    if (ext === ".html" || !(ext in TYPES) || entry.name.endsWith(".d.ts")) continue;
    out.set(`/console/${relative(dir, file).split(sep).join("/")}`, load(file));
  }
  return out;
}

function hasCredential(req: FastifyRequest): boolean {
  if (/^Bearer\s+\S/i.test(req.headers.authorization ?? "")) return true;
  const cookies = req.headers.cookie ?? "";
  return cookies.split(";").some((c) => {
    const [name, ...value] = c.trim().split("=");
    return name === SESSION_COOKIE && value.join("=").length > 0;
  });
}

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset, cache: string) {
  reply.headers(SECURITY_HEADERS).header("cache-control", cache).header("etag", asset.etag);
  if (req.headers["if-none-match"] === asset.etag) return reply.code(304).send();
  return reply.type(asset.type).send(asset.body);
}

/** Serve the oversight console under /console/. */
export function registerConsole(app: FastifyInstance): void {
  const pages = new Map(Object.entries(PAGES).map(([path, file]) => [path, load(join(CONSOLE_DIR, file))]));
  const assets = loadAssets(CONSOLE_DIR);

  app.get("/console", (_req, reply) => reply.headers(SECURITY_HEADERS).redirect("/console/", 308));

  // The sign-in page: open.
  for (const [path, page] of pages) {
    if (PUBLIC_PAGES.has(path)) app.get(path, (req, reply) => send(req, reply, page, "no-store"));
  }
  // Every other page: in a scope that sends a request without a session or credential to sign in.
  void app.register(async (scope) => {
    scope.addHook("onRoute", declareAccess("console-session"));
    scope.addHook("onRequest", async (req, reply) => {
      if (hasCredential(req)) return;
      return reply.headers(SECURITY_HEADERS).header("cache-control", "no-store").redirect("/console/login", 303);
    });
    for (const [path, page] of pages) {
      if (!PUBLIC_PAGES.has(path)) scope.get(path, (req, reply) => send(req, reply, page, "no-store"));
    }
  });
  for (const [path, asset] of assets) {
    app.get(path, (req, reply) => send(req, reply, asset, "no-cache"));
  }
}
