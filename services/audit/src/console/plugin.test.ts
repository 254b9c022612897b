import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_DIR, CONTENT_SECURITY_POLICY, registerConsole } from "./plugin.js";

const PAGES = ["/console/", "/console/record", "/console/person", "/console/charts", "/console/anomalies"];
const session = { cookie: "other=1; takitini_oversight=abc.def" };
let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  registerConsole(app);
  await app.ready();
});
afterAll(() => app.close());

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: "GET", url, headers });

/** Every same-origin URL a page or module refers to: script src, link href, module imports. */
function references(from: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\b(?:src|href)="([^"#]+)"/g)) out.push(m[1]!);
  for (const m of text.matchAll(/\bfrom\s+"(\.{1,2}\/[^"]+)"/g)) out.push(new URL(m[1]!, `http://x${from}`).pathname);
  return out.filter((u) => u.startsWith("/console/") && !u.includes("?"));
}

describe("the console's pages", () => {
  it("redirect to sign-in without a session or credential, and serve with one", async () => {
    for (const page of PAGES) {
      const anon = await get(page);
      expect([anon.statusCode, anon.headers.location], page).toEqual([303, "/console/login"]);
      const withCookie = await get(page, session);
      expect(withCookie.statusCode, page).toBe(200);
      expect(withCookie.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(withCookie.headers["cache-control"]).toBe("no-store");
      expect((await get(page, { authorization: "Bearer t0ken" })).statusCode).toBe(200);
    }
    expect((await get("/console/", { cookie: "takitini_oversight=" })).statusCode).toBe(303);
    expect((await get("/console/", { cookie: "not_takitini_oversight=x" })).statusCode).toBe(303);
    expect((await get("/console/", { authorization: "Basic eDp5" })).statusCode).toBe(303);
  });

  it("serve the sign-in page without a session, posting the token to /console/login", async () => {
    const res = await get("/console/login");
    expect(res.statusCode).toBe(200);
    expect((await get("/console/login.html?failed=1")).body).toBe(res.body);
    expect(res.body).toMatch(/<form method="post" action="\/console\/login"/);
    expect(res.body).toMatch(/<input id="token" name="token" type="password"/);
  });

  it("send /console to /console/", async () => {
    const res = await get("/console");
    expect([res.statusCode, res.headers.location]).toEqual([308, "/console/"]);
  });

  it("carry a strict Content-Security-Policy and no inline script, style or handlers", async () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|https?:|data:|\*/);
    for (const page of [...PAGES, "/console/login"]) {
      const res = await get(page, session);
      expect(res.headers["content-security-policy"], page).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["x-frame-options"]).toBe("DENY");
      const scripts = [...res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length, page).toBe(1);
      for (const [, attrs, body] of scripts) {
        expect(attrs).toMatch(/type="module" src="\/console\/js\/pages\/[a-z]+\.js"/);
        expect(body!.trim()).toBe("");
      }
      expect(res.body).not.toMatch(/\son[a-z]+=|\sstyle=|<style|javascript:/i);
    }
  });
});

describe("the console's assets", () => {
  it("include everything the pages and modules refer to, with the same headers", async () => {
    const seen = new Set<string>();
    const queue = [...PAGES, "/console/login"];
    while (queue.length) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await get(url, session);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-security-policy"], url).toBe(CONTENT_SECURITY_POLICY);
      queue.push(...references(url, res.body));
    }
    expect([...seen]).toEqual(expect.arrayContaining(["/console/console.css", "/console/js/proof.js", "/console/js/head.js", "/console/js/merkle.js", "/console/js/chart-svg.js"]));
    const js = await get("/console/js/proof.js");
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("no-cache");
    expect((await get("/console/js/proof.js", { "if-none-match": js.headers.etag as string })).statusCode).toBe(304);
  });

  it("load nothing from the internet and never assign markup from strings", () => {
    const files = readdirSync(CONSOLE_DIR, { recursive: true, encoding: "utf8" }).filter((f) => /\.(html|css|js|svg)$/.test(f));
    expect(files.length).toBeGreaterThan(15);
    for (const f of files) {
      const text = readFileSync(join(CONSOLE_DIR, f), "utf8").replaceAll("http://www.w3.org/2000/svg", "");
      expect(text, f).not.toMatch(/https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
      expect(text, f).not.toMatch(/@import|url\(/);
      if (f.endsWith(".js")) expect(text, f).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    }
  });

  it("serve only the listed files: no type declarations, config, traversal or unknown paths", async () => {
    for (const url of [
      "/console/js/types.d.ts",
      "/console/tsconfig.json",
      "/console/index.html",
      "/console/js/../../package.json",
      "/console/js/%2e%2e/%2e%2e/package.json",
      "/console/nope",
      "/console/js/pages/../../../src/console/plugin.ts",
    ]) {
      expect((await get(url, session)).statusCode, url).toBe(404);
    }
  });
});
