/**
 * The console's record page in real Chromium (Debian's chromium, driven by
 * playwright-core), served by the audit app on the real PostgreSQL server from
 * the global setup. The page verifies the leaf entry's bytes itself; when the
 * index rows the server answers from are changed in PostgreSQL (as the tables'
 * owner could: triggers off), the page must not call the record verified, and
 * what it shows comes from the signed bytes, not the altered copy. Throws —
 * never skips — when Chromium cannot be launched.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { createLogger, createMetricsRegistry } from "@takitini/runtime";
import pg from "pg";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildApp } from "../app.js";
import { registerConsole } from "./plugin.js";
import { appendRecords } from "../ingest.js";
import { Ledger, pgDatabase } from "../ledger/index.js";
import { createSigner } from "../merkle/index.js";
import { gateWithTokens } from "../oversight/accounts.fixture.js";
import { LedgerRefusals } from "../oversight/refusals.js";
import { IDS, MISPLACED, seedHistory } from "../oversight/revisions.fixture.js";
import { sampleOf } from "../oversight/samples.fixture.js";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const url = inject("databaseUrl");
const TOKEN = "console-browser-test-token-7c2e";
const admin = new pg.Pool({ connectionString: url, max: 2 });
const closers: (() => Promise<unknown>)[] = [];
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium package (npm test does) or set CHROMIUM_PATH`);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const close of closers.reverse()) await close();
  await admin.end();
});

/** The audit app on a free port with one decision and one access record (and whatever `seed` appends) under a signed head. */
async function console_(seed?: (ledger: Ledger) => Promise<void>) {
  const schema = `console_${randomBytes(6).toString("hex")}`;
  await admin.query(`create schema ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
  closers.push(() => pool.end());
  const db = pgDatabase(pool);
  const ledger = await Ledger.open(db, { signer: createSigner(generateKeyPairSync("ed25519").privateKey) });
  const decision = sampleOf("decision", 2); // an allowed decision
  const access = sampleOf("access", 2);
  await appendRecords(ledger, [decision, access]);
  await seed?.(ledger);
  await ledger.signHead();
  const { app } = await buildApp({
    logger: createLogger("t", "silent"),
    metrics: createMetricsRegistry("t"),
    db,
    ledger,
    gate: gateWithTokens({ [TOKEN]: "Officer Aroha" }, { roles: { "Officer Aroha": "reviewer" } }),
    readiness: [],
    refusals: new LedgerRefusals(ledger, { windowMs: 3_600_000, logger: createLogger("t", "silent") }),
    plugins: [registerConsole],
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  closers.push(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const tamper = async (sql: string, params: unknown[]) => {
    const c = await pool.connect();
    try {
      await c.query("set session_replication_role = replica"); // the owner's way past the append-only triggers
      await c.query(sql, params);
    } finally {
      await c.query("reset session_replication_role");
      c.release();
    }
  };
  return { base, decision, access, tamper };
}

async function openRecord(base: string, id: string, opts: { bypassCSP?: boolean } = {}) {
  const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` }, ...opts });
  const page = await context.newPage();
  const logs: string[] = [];
  page.on("console", (m) => logs.push(m.text()));
  page.on("pageerror", (e) => logs.push(e.message));
  await page.goto(`${base}/console/record?id=${encodeURIComponent(id)}`);
  try {
    await page.waitForSelector("#proof-status:not([data-status=checking])", { timeout: 20_000 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${page.url()}\n${logs.join("\n")}\n${(await page.content()).slice(0, 3000)}`);
  }
  return { page, close: () => context.close() };
}

describe("the console's record page, in Chromium", () => {
  it("verifies the entry bytes it shows, and fails when the server's index copy was altered in PostgreSQL", async () => {
    const { base, decision, tamper } = await console_();
    const id = decision.ledger.recordId;
    const legalBasis = decision.index.legalBasis;
    expect(legalBasis).not.toBe("");

    const before = await openRecord(base, id);
    expect(await before.page.getAttribute("#proof-status", "data-status")).toBe("verified");
    expect(await before.page.locator("#proof-checks li.bad").count()).toBe(0);
    expect(await before.page.getAttribute("#proof-checks li[data-check=content]", "class")).toBe("ok");
    expect(await before.page.textContent("#legal-basis")).toBe(legalBasis);
    expect(await before.page.textContent("#content-source")).toMatch(/decoded in this browser from the leaf entry's bytes/);
    await before.close();

    // The index row the API answers from, rewritten: the legal basis column and the doc's reasons.
    await tamper(
      `update audit_records set legal_basis = 'Consent of the individual', doc = jsonb_set(doc, '{reasons}', '["sharing.consent_given"]') where record_id = $1`,
      [id],
    );
    const after = await openRecord(base, id);
    expect(await after.page.getAttribute("#proof-status", "data-status")).toBe("failed");
    expect(await after.page.textContent("#proof-status")).toMatch(/differs from the signed record in legal_basis.*reasons.*detail/);
    expect(await after.page.getAttribute("#proof-checks li[data-check=content]", "class")).toBe("bad");
    // The inclusion proof itself still holds: the leaf is intact, only the server's copy was changed.
    expect(await after.page.getAttribute("#proof-checks li[data-check=inclusion]", "class")).toBe("ok");
    // What the page shows is what the signed bytes say, never the altered copy.
    expect(await after.page.textContent("#legal-basis")).toBe(legalBasis);
    expect(await after.page.textContent("#reasons")).not.toContain("sharing.consent_given");
    expect(await after.page.textContent("#main")).not.toContain("Consent of the individual");
    await after.close();
  }, 60_000);

  it("fails when the stored entry was changed: the hash the browser computes no longer reaches the signed root", async () => {
    const { base, access, tamper } = await console_();
    // The entry column itself changed (leaf hash left alone): the browser's own hash no longer reaches the signed root.
    await tamper(`update ledger_leaves set entry = set_byte(entry, octet_length(entry) - 2, get_byte(entry, octet_length(entry) - 2) # 1) where record_id = $1`, [access.ledger.recordId]);
    const p = await openRecord(base, access.ledger.recordId);
    expect(await p.page.getAttribute("#proof-status", "data-status")).toBe("failed");
    await p.close();
  }, 60_000);
});

/** axe-core's WCAG 2.2 AA violations on the page as it stands (as test/e2e/browser.ts runs it). */
async function axeViolations(page: import("playwright-core").Page): Promise<string[]> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve("axe-core/axe.min.js") });
  return page.evaluate(async () => {
    type Result = { violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] };
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<Result> } }).axe;
    const r = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] }, resultTypes: ["violations"] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`);
  });
}

describe("the record page's versions of a record, in Chromium", () => {
  it("shows every version of a corrected and withdrawn record, linked to each publish record and decision, and stays axe-clean", async () => {
    const { base } = await console_(seedHistory);
    // axe-core is injected as a script, which the console's Trusted Types policy refuses: the same page, its CSP bypassed.
    const { page, close } = await openRecord(base, `publish:${IDS.third}`, { bypassCSP: true });
    try {
      await page.waitForSelector("#versions-table", { timeout: 20_000 });
      expect(await page.getAttribute("#proof-status", "data-status")).toBe("verified");
      expect(await page.textContent("#h-versions")).toBe("Versions of this record");
      expect(await page.textContent("#versions-status")).toBe("4 versions in the ledger; the record was withdrawn.");
      const rows = await page.locator("#versions-table tbody tr").allTextContents();
      expect(rows).toHaveLength(4);
      expect(rows[0]).toMatch(/^First version/);
      expect(rows[2]).toContain(`Correction of ${IDS.second} (this record's event)`);
      expect(rows[3]).toContain(`Withdrawal of ${IDS.third}, reason: not substantiated`);
      expect(rows[0]).toMatch(/customs: allowed, redacted view.*public: allowed, aggregate_only view.*mbie: denied/);
      const links = await page.locator("#versions-table a[data-event]").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      expect(links).toEqual([IDS.first, IDS.second, IDS.third, IDS.withdrawal].map((id) => `/console/record?id=${encodeURIComponent(`publish:${id}`)}`));
      expect(await axeViolations(page)).toEqual([]);
      // A link followed: the withdrawal's own page lists the same history.
      await page.click(`#versions-table a[data-event="${IDS.withdrawal}"]`);
      await page.waitForSelector("#versions-table", { timeout: 20_000 });
      expect(await page.textContent("#versions-table tbody tr:nth-child(4)")).toContain("(this record's event)");
    } finally {
      await close();
    }
  }, 60_000);

  it("says a record with no correction has none; shows no versions for an event the ledger holds no publication of, nor for a kind that names no event", async () => {
    const { base, decision, access } = await console_(seedHistory);
    const alone = await openRecord(base, `publish:${MISPLACED}`);
    try {
      await alone.page.waitForSelector("#versions-table", { timeout: 20_000 });
      expect(await alone.page.textContent("#versions-status")).toBe("The ledger holds no correction or withdrawal of this record.");
      expect(await alone.page.locator("#versions-table tbody tr").count()).toBe(1);
    } finally {
      await alone.close();
    }
    const d = await openRecord(base, decision.ledger.recordId);
    try {
      // The sample decision's event has no publication in this ledger: no section.
      await d.page.waitForLoadState("networkidle");
      expect(await d.page.locator("#versions").count()).toBe(0);
      expect(await d.page.locator("#page-error:not([hidden])").count()).toBe(0);
    } finally {
      await d.close();
    }
    const a = await openRecord(base, access.ledger.recordId);
    try {
      await a.page.waitForLoadState("networkidle");
      expect(await a.page.locator("#versions").count()).toBe(0);
    } finally {
      await a.close();
    }
  }, 60_000);
});
