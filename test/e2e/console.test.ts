import { createHash, generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./browser.js";
import { publish, PUBLISHER } from "./publishers.js";
import { auditEnv, OVERSIGHT_TOKEN, oversightHeaders, servicePki, startService, type RunningService } from "./stack.js";

/**
 * The oversight console in Debian's headless Chromium against the real audit
 * service (PostgreSQL ledger, Kafka ingest), fed by a real exchange and Police
 * adapter: sign-in, search by partner and by subject, a record whose proof the
 * browser itself verifies, who has seen a person, charts, anomaly flags, and
 * sign-out. Tampered proofs showing "failed" are unit-tested beside the
 * console's modules (services/audit/src/console/proof.test.ts).
 */

interface RecordSummary {
  id: string;
  kind: string;
  subscriber_id: string;
  event_id: string;
  outcome: string;
  legal_basis: string;
  policy_revision: string;
  subject_ids: string[];
}
interface RecordDetail {
  record: RecordSummary & { reasons: string[]; delivery_topic: string; redacted_paths: string[] };
  proof: { head: { key_id: string } } | null;
}

const brokers = inject("brokers");
const databaseUrl = inject("databaseUrl");
const run = `console-${randomUUID().slice(0, 8)}`;
const startedAt = new Date(Date.now() - 60_000).toISOString();
const example = JSON.parse(readFileSync(new URL("../../services/police-adapter/examples/noting.json", import.meta.url), "utf8")) as Record<string, any>;

// The ledger's signing key, kept by the test as the oversight body would keep the published key id.
const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const keyDir = mkdtempSync(join(tmpdir(), "takitini-e2e-console-"));
const keyFile = join(keyDir, "ledger-signing-key.pem");
writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
const keyId = createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex");

let audit: RunningService;
let services: RunningService[] = [];
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

let decision: RecordSummary; // the Customs decision on this run's noting
let subjectId: string;

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${audit.url}${path}`, { ...init, headers: { ...oversightHeaders, ...init.headers } });
  return { status: res.status, body: (await res.json()) as T };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const common = { KAFKA_BROKERS: brokers.join(",") };
  try {
    // Requests refused for their credential are summarised per second here (REFUSAL_WINDOW_MS), not one row each.
    audit = await startService("audit", { ...common, ...auditEnv(databaseUrl, run), GROUP_ID: `takitini-audit-e2e-${run}`, LEDGER_SIGNING_KEY_FILE: keyFile, HEAD_INTERVAL_MS: "500", REFUSAL_WINDOW_MS: "1000" });
    services.push(audit);
    const exchange = await startService("exchange", { ...common, GROUP_ID: `takitini-exchange-e2e-${run}`, INSTANCE_ID: `e2e-${run}` });
    services.push(exchange);
    const { subscribers } = (await (await fetch(`${exchange.url}/v1/policy`)).json()) as { subscribers: { id: string }[] };
    const adapter = await startService("police-adapter", common);
    services.push(adapter);

    // One noting about a person no other test uses.
    const noting = { ...example, noting_id: `NIC-E2E-${run}`, persons: [{ ...example.persons[0], person_id: `P-${run}` }] };
    const res = await publish(`${adapter.url}/v1/reports`, noting, { publisher: PUBLISHER.police });
    expect(res.status).toBe(202);
    const { event_id: eventId } = res.json() as { event_id: string };
    // Every subscriber's decision on it in the ledger, so what the console shows no longer changes.
    const decisions = await until("a decision per subscriber in the ledger", async () => {
      const { body } = await api<{ records: RecordSummary[] }>(`/v1/records?kind=decision&limit=200`);
      const ours = (body.records ?? []).filter((r) => r.event_id === eventId);
      return new Set(ours.map((r) => r.subscriber_id)).size === subscribers.length ? ours : undefined;
    });
    decision = decisions.find((r) => r.subscriber_id === "customs")!;
    expect(decision.outcome).toBe("allow");
    subjectId = decision.subject_ids[0]!;
    // A signed head covering it (the schedule signs every 500 ms; this test's officer is a reviewer, who may not ask for one: oversight-sign-in.test.ts).
    await until("a signed head covering the decision", async () => ((await api<RecordDetail>(`/v1/records/${decision.id}`)).body.proof ? true : undefined));

    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "en-NZ", timezoneId: "Pacific/Auckland" });
    page = await context.newPage();
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      // A refused API call logs a failed resource load; anything else (CSP or Trusted Types violations included) is a problem.
      if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
  } catch (err) {
    await Promise.all(services.map((s) => s.stop("SIGKILL")));
    services = [];
    throw err;
  }
});

afterAll(async () => {
  await browser?.close();
  const codes = await Promise.all(services.map((s) => s.stop("SIGTERM")));
  expect(codes.every((c) => c === 0)).toBe(true);
});

describe("the oversight console in Chromium", () => {
  it("is served over TLS only, with the local PKI's certificate; metrics and docs on the admin listener", async () => {
    expect(audit.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    // Plain HTTP to the door is not answered.
    await expect(fetch(`${audit.url.replace(/^https:/, "http:")}/console/login`)).rejects.toThrow();
    // Not a browser's own roots' certificate: verified against the suite's CA only (stack.ts trustSuiteCa).
    const peer = await new Promise<{ authorized: boolean; issuer: string }>((resolve, reject) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: Number(new URL(audit.url).port), servername: "localhost", ca: readFileSync(join(servicePki(), "ca.crt")) }, () => {
        resolve({ authorized: socket.authorized, issuer: String(socket.getPeerCertificate().issuer.CN ?? "") });
        socket.end();
      });
      socket.on("error", reject);
    });
    expect(peer).toEqual({ authorized: true, issuer: "Takitini local CA" });
    for (const path of ["/metrics", "/docs/json"]) {
      expect((await fetch(`${audit.url}${path}`)).status, path).toBe(404);
      expect((await fetch(`${audit.adminUrl}${path}`)).status, path).toBe(200);
    }
  });

  it("refuses the API without a credential and sends the console to sign-in", async () => {
    const res = await fetch(`${audit.url}/v1/records`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("OVERSIGHT_CREDENTIAL_REQUIRED");
    await page.goto(`${audit.url}/console/record?id=${decision.id}`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    await page.goto(`${audit.url}/console`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    const csp = (await page.request.get(`${audit.url}/console/login`)).headers()["content-security-policy"];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
  });

  it("signs in with the oversight credential for an HttpOnly, SameSite=Strict session", async () => {
    await page.fill("#token", "not-the-token");
    await page.click("#login-form button[type=submit]");
    await expect.poll(() => page.locator("#login-error").isVisible()).toBe(true);
    expect(await page.textContent("#login-error")).toMatch(/not accepted/);
    expect(await context.cookies()).toEqual([]);

    await page.fill("#token", OVERSIGHT_TOKEN);
    await Promise.all([page.waitForURL(`${audit.url}/console/`), page.click("#login-form button[type=submit]")]);
    const [cookie] = await context.cookies();
    // Secure: the console is served over TLS only.
    expect(cookie).toMatchObject({ name: "takitini_oversight", httpOnly: true, sameSite: "Strict", secure: true });
    await page.waitForSelector("#results-table");
  });

  it("searches by partner, with the search in a URL that can be shared", async () => {
    await page.selectOption("#f-kind", "decision");
    await page.fill("#f-subscriber_id", "customs");
    await Promise.all([page.waitForURL(/subscriber_id=customs/), page.click("#search-form button[type=submit]")]);
    await page.waitForSelector("#results-table");
    expect(new URL(page.url()).search).toBe("?kind=decision&subscriber_id=customs");
    const partners = await page.locator("#results-table tbody tr td:nth-child(4)").allTextContents();
    expect(partners.length).toBeGreaterThan(0);
    expect(new Set(partners)).toEqual(new Set(["customs"]));
    expect(await page.locator(`a.record-link[data-record-id="${decision.id}"]`).count()).toBe(1);

    // The same URL in another tab of the session shows the same search.
    const shared = await context.newPage();
    await shared.goto(page.url());
    await shared.waitForSelector("#results-table");
    expect(await shared.inputValue("#f-subscriber_id")).toBe("customs");
    expect(await shared.locator(`a.record-link[data-record-id="${decision.id}"]`).count()).toBe(1);
    await shared.close();
  });

  it("shows a field error for a query the API refuses", async () => {
    await page.goto(`${audit.url}/console/?subscriber_id=${encodeURIComponent("Not A Partner!")}`);
    await page.waitForSelector("#page-error:not([hidden])");
    expect(await page.textContent("#page-error")).toContain("INVALID_QUERY");
    expect(await page.getAttribute("#f-subscriber_id", "aria-invalid")).toBe("true");
  });

  it("searches by subject", async () => {
    await page.goto(`${audit.url}/console/`);
    await page.fill("#f-subject_id", subjectId);
    await Promise.all([page.waitForURL(/subject_id=/), page.click("#search-form button[type=submit]")]);
    await page.waitForSelector("#results-table");
    expect(new URLSearchParams(new URL(page.url()).search).get("subject_id")).toBe(subjectId);
    const ids = await page.locator("a.record-link").evaluateAll((as) => as.map((a) => a.getAttribute("data-record-id")));
    expect(ids).toContain(decision.id);
    // Every row is a record about the subject (the API's own answer, asked afterwards, may have grown: queries are recorded too).
    const { body } = await api<{ records: RecordSummary[] }>(`/v1/records?subject_id=${encodeURIComponent(subjectId)}&limit=500`);
    expect(body.records.map((r) => r.id)).toEqual(expect.arrayContaining(ids));
  });

  it("opens the record: reasons, legal basis, policy revision, and a proof verified in the browser", async () => {
    const { body: detail } = await api<RecordDetail>(`/v1/records/${decision.id}`);
    await page.goto(`${audit.url}/console/?kind=decision&subscriber_id=customs`);
    await Promise.all([page.waitForURL(/\/console\/record\?id=/), page.click(`a.record-link[data-record-id="${decision.id}"]`)]);
    await page.waitForSelector("#proof-status:not([data-status=checking])");
    expect(await page.getAttribute("#proof-status", "data-status")).toBe("verified");
    expect(await page.textContent("#proof-status")).toMatch(/^Verified/);
    expect(await page.locator("#proof-checks li.bad").count()).toBe(0);
    expect(await page.locator("#proof-checks li.ok").count()).toBeGreaterThanOrEqual(6);
    expect(await page.textContent("#key-id")).toBe(keyId);

    expect(await page.textContent("#legal-basis")).toBe(detail.record.legal_basis);
    expect(detail.record.legal_basis).not.toBe("");
    expect(await page.textContent("#policy-revision")).toBe(detail.record.policy_revision);
    expect(await page.locator("#reasons li").allTextContents()).toEqual(detail.record.reasons);
    expect(await page.textContent("#delivery-topic")).toBe(detail.record.delivery_topic);

    // Pinning the ledger's published key id: still verified, now against a trusted key.
    await page.click("#pin-key");
    await expect.poll(async () => page.textContent("#proof-status")).toMatch(/signed by a key you trust/);
    expect(await page.getAttribute("#proof-status", "data-status")).toBe("verified");
  });

  it("keeps no row per request refused for its credential, and shows the window's summary readably", async () => {
    const before = new Date().toISOString();
    for (let i = 0; i < 3; i++) expect((await fetch(`${audit.url}/%761/records?kind=decision&i=${i}`)).status).toBe(401);
    // No oversight_query for them: every one recorded since the start names an officer.
    const { body: queries } = await api<{ records: RecordSummary[] }>(`/v1/records?kind=oversight_query&from=${encodeURIComponent(startedAt)}&limit=500`);
    for (const q of queries.records) expect((await api<{ record: { detail: { officer: string } } }>(`/v1/records/${encodeURIComponent(q.id)}`)).body.record.detail.officer).not.toBe("");
    // Once their window closes (a second here): refusal summaries for GET /v1/records counting those three
    // (one, or two if the three straddled a window's end), dated by their window's end.
    const PREFIX = "audit http OVERSIGHT_CREDENTIAL_REQUIRED /v1/records ×";
    const summaries = await until("the refusal summaries of the three", async () => {
      const { body } = await api<{ records: (RecordSummary & { action: string })[] }>(`/v1/records?kind=refusal_summary&from=${encodeURIComponent(before)}&limit=500`);
      const ours = body.records.filter((r) => r.action.startsWith(PREFIX));
      return ours.reduce((n, r) => n + Number(r.action.slice(PREFIX.length)), 0) === 3 ? ours : undefined;
    });
    const summary = summaries[0]!;
    await page.goto(`${audit.url}/console/?kind=refusal_summary`);
    await page.waitForSelector("#results-table");
    const row = page.locator("#results-table tbody tr", { has: page.locator(`a[data-record-id="${summary.id}"]`) });
    expect(await row.locator("td").nth(1).textContent()).toBe("Refusals (window summary)");
    expect(await row.locator("td").nth(4).textContent()).toBe(summary.action);
    await Promise.all([page.waitForURL(/\/console\/record\?id=/), page.click(`a.record-link[data-record-id="${summary.id}"]`)]);
    await page.waitForSelector("#refusal-count");
    expect(await page.textContent("#refusal-count")).toBe(summary.action.slice(PREFIX.length));
    expect(await page.textContent("#refusal-code")).toBe("OVERSIGHT_CREDENTIAL_REQUIRED");
    expect(await page.textContent("#h-refusal")).toBe("Unauthenticated refusals in one window");
    // Never the URL asked, never an address.
    expect(await page.textContent("#record")).not.toMatch(/%76|127\.0\.0\.1|kind=decision/);
  });

  it("answers who has seen this person, with the legal basis of each disclosure", async () => {
    const { body } = await api<{ disclosures: { decision_id: string; subscriber_id: string; legal_basis: string }[]; denied: number }>(
      `/v1/subjects/${encodeURIComponent(subjectId)}/disclosures`,
    );
    const ours = body.disclosures.find((d) => d.decision_id === decision.id);
    expect(ours?.subscriber_id).toBe("customs");

    await page.goto(`${audit.url}/console/person`);
    await page.fill("#subject-id", subjectId);
    await Promise.all([page.waitForURL(/\/console\/person\?subject_id=/), page.click("#person-form button[type=submit]")]);
    await page.waitForSelector("#disclosure-summary");
    expect(await page.locator("#disclosures-table tbody tr").count()).toBe(body.disclosures.length);
    const row = page.locator("#disclosures-table tbody tr", { has: page.locator(`a[data-record-id="${decision.id}"]`) });
    expect(await row.locator("td").nth(1).textContent()).toBe("customs");
    expect(await row.locator("td").nth(3).textContent()).toBe(ours!.legal_basis);
    expect(await page.textContent("#denied-count")).toMatch(new RegExp(`^${body.denied} decisions?$`));
  });

  it("charts disclosures over time per partner, with a text alternative", async () => {
    const to = new Date(Date.now() + 3_600_000).toISOString();
    await page.goto(`${audit.url}/console/charts?from=${encodeURIComponent(startedAt)}&to=${encodeURIComponent(to)}&bucket=hour`);
    await page.waitForSelector("svg.chart");
    const customs = page.locator('svg.chart[data-subscriber="customs"]');
    expect(await customs.count()).toBe(1);
    expect(await customs.locator("rect.allow").count()).toBeGreaterThan(0);
    expect(await customs.locator("> title").textContent()).toMatch(/customs/);
    expect(await customs.locator("> desc").textContent()).toMatch(/allowed/);
    const labelledBy = (await customs.getAttribute("aria-labelledby"))!.split(" ");
    expect(labelledBy).toHaveLength(2);
    const dataRows = await page.locator("#chart-data tbody tr td:first-child").allTextContents();
    expect(dataRows).toContain("customs");
    expect(await page.locator("#totals tbody tr td:first-child").allTextContents()).toContain("customs");
  });

  it("lists anomaly flags", async () => {
    const { body } = await api<{ anomalies: unknown[] }>("/v1/anomalies");
    await page.goto(`${audit.url}/console/anomalies`);
    await page.waitForSelector("#anomalies-table, #no-anomalies");
    expect(await page.locator("#page-error").isHidden()).toBe(true);
    expect(await page.locator("#anomalies-table tbody tr").count()).toBe(body.anomalies.length);
  });

  it("has its own queries recorded in the ledger", async () => {
    const { body } = await api<{ records: RecordSummary[] }>(`/v1/records?kind=oversight_query&from=${encodeURIComponent(startedAt)}&limit=500`);
    // the searches, the record, the person, the charts and the anomalies above (refusals for a credential are summarised instead)
    expect(body.records.length).toBeGreaterThanOrEqual(8);
  });

  it("signs out: the session no longer opens the console or the API", async () => {
    const [cookie] = await context.cookies();
    await page.goto(`${audit.url}/console/`);
    await Promise.all([page.waitForURL(/\/console\/login/), page.click("form.signout button")]);
    await page.goto(`${audit.url}/console/`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    const res = await fetch(`${audit.url}/v1/records`, { headers: { cookie: `${cookie!.name}=${cookie!.value}` } });
    expect(res.status).toBe(401);
  });

  it("ran without script errors or policy violations", () => {
    expect(problems).toEqual([]);
  });
});
