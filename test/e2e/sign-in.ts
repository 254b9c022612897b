import { execFile } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { createAccount, type NewAccount } from "@takitini/runtime";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ROOT, type RunningService } from "./stack.js";

/**
 * What the sign-in tests of the people's doors share (oversight-sign-in.test.ts,
 * leader-sign-in.test.ts): named accounts and their accounts files, the services'
 * own account tools, requests that do not follow redirects (so a refusal is seen
 * as the service answered it), and polling instead of sleeping.
 *
 * Every request goes to `svc.url`, whatever scheme stack.ts starts the service with.
 */

export type Entry = Record<string, unknown>;
export interface Account {
  name: string;
  token: string;
  entry: Entry;
}

/** An account (token and the accounts-file entry holding only its scrypt hash), as the account tools make them. */
export async function account(a: NewAccount): Promise<Account> {
  const { token, entry } = await createAccount(a);
  return { name: a.name, token, entry };
}

/** Write an accounts file as the tools do: beside it, then renamed over it (mode 0600), so the service never reads half a file. */
export function writeAccounts(path: string, entries: Entry[]): void {
  const tmp = join(dirname(path), `.${basename(path)}.test.tmp`);
  writeFileSync(tmp, `${JSON.stringify({ accounts: entries }, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Change an accounts file's entries (as an administrator editing it would). */
export function editAccounts(path: string, edit: (entries: Entry[]) => Entry[]): void {
  const { accounts } = JSON.parse(readFileSync(path, "utf8")) as { accounts: Entry[] };
  writeAccounts(path, edit(accounts));
}

/**
 * Run a service's account tool (`services/<service>/dist/tools/account.js`) with
 * `args`; returns the token it prints (with --file: its only line on stdout).
 */
export async function runAccountTool(service: "audit" | "briefing", args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [`${ROOT}services/${service}/dist/tools/account.js`, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
  const lines = stdout.trim().split("\n");
  const token = lines[lines.length - 1]!;
  if (!/^tkt\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/.test(token)) throw new Error(`the ${service} account tool printed no token:\n${stdout}`);
  return token;
}

/** A token with the same id as `token` (so it names the same account) and another secret. */
export function wrongSecret(token: string): string {
  const [prefix, id, secret] = token.split(".") as [string, string, string];
  const other = secret.startsWith("A") ? "B" : "A";
  return `${prefix}.${id}.${other.repeat(secret.length)}`;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, when it is JSON. */
  json: any;
  /** When the request was sent and its answer read (ms since the epoch). */
  sentAt: number;
  receivedAt: number;
}

/** One request to a service, redirects not followed. */
export async function request(svc: RunningService, path: string, init: RequestInit = {}): Promise<Answer> {
  const sentAt = Date.now();
  const res = await fetch(`${svc.url}${path}`, { redirect: "manual", ...init });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, sentAt, receivedAt: Date.now() };
}

/** Post a sign-in form as a browser would (urlencoded), without following the redirect. */
export function postForm(svc: RunningService, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  return request(svc, path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(fields).toString() });
}

/** `name=value` of the cookie `name` an answer sets, with its attributes; undefined when it sets none. */
export function setCookie(a: Answer, name: string): { pair: string; attributes: string } | undefined {
  for (const c of a.headers.getSetCookie()) {
    const [pair, ...attributes] = c.split(";").map((s) => s.trim());
    if (pair!.startsWith(`${name}=`)) return { pair: pair!, attributes: attributes.join("; ") };
  }
  return undefined;
}

/** Poll `probe` (every `everyMs`) until it gives a value; throws after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Wait until the clock reaches `t` (ms since the epoch); for timeouts that only the passing of time can show. */
export async function waitUntil(t: number): Promise<void> {
  const ms = t - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** A fresh browser profile (no cookies) and a page in it; script errors are collected in `problems`. */
export async function freshPage(browser: Browser, problems: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: "en-NZ", timezoneId: "Pacific/Auckland" });
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // A refused request logs a failed resource load; anything else is a problem.
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return { context, page };
}

export const pathOf = (page: Page) => new URL(page.url()).pathname;
