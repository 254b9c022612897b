/**
 * The quarterly outcome report end to end on the real PostgreSQL server from
 * the global setup and Debian's Chromium: a seeded half-year of ledger records
 * (publishes through the same ingest function the Kafka shell uses, decisions,
 * refusals), the report asked for over the oversight API, every figure checked
 * against direct SQL over the ledger, the report leaf's signature and hashes
 * checked against what was served, and the PDF read back with poppler-utils
 * (pdftotext for its figures, pdftoppm for a page image).
 *
 * TAKITINI_WRITE_REPORT_PNG=1 also writes the first page to
 * services/audit/docs/quarterly-report.png (the committed image).
 */
import { execFileSync } from "node:child_process";
import { createPublicKey, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Agency,
  Commodity,
  Industry,
  IntelligenceEvent,
  OperationPhase,
  PoliceDistrict,
  RefusalRecord,
  RefusalSummary,
  ReportRecord,
  SupportService,
} from "@takitini/proto";
import { createLogger, createMetricsRegistry } from "@takitini/runtime";
import pg from "pg";
import { chromium } from "playwright-core";
import { afterAll, describe, expect, inject, it } from "vitest";
import { buildApp } from "../app.js";
import { registerConsole } from "../console/plugin.js";
import { appendRecords, ingestRecord } from "../ingest.js";
import { Ledger, pgDatabase } from "../ledger/index.js";
import { createSigner, decodeEntry } from "../merkle/index.js";
import { gateWithTokens } from "../oversight/accounts.fixture.js";
import { decision } from "../oversight/decisions.fixture.js";
import { fromDecision, fromRefusal, fromRefusalSummary, type Appendable } from "../oversight/records.js";
import { LedgerRefusals } from "../oversight/refusals.js";
import { checkStoredIndex } from "../indexcheck/index.js";
import { DISTRICTS, type QuarterlyReport, type ReportTable } from "./model.js";
import { chromiumPdf } from "./pdf.js";
import { parseQuarter } from "./quarter.js";
import { reportSigner, sha256, verifyReport } from "./record.js";
import { QuarterlyReports } from "./service.js";

const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const pools: pg.Pool[] = [];
const work = mkdtempSync(join(tmpdir(), "takitini-report-"));
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await admin.end();
  rmSync(work, { recursive: true, force: true });
});

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const TOKEN = "oversight-report-token-7d2e";
const privateKey = generateKeyPairSync("ed25519").privateKey;
const signer = createSigner(privateKey);
const Q3 = parseQuarter("2026-Q3")!;
const Q2 = parseQuarter("2026-Q2")!;

/** A small deterministic generator, so a failure can be reproduced. */
function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

const DISTRICT_ENUMS = [...DISTRICTS.keys()].map((d) => `POLICE_DISTRICT_${d.toUpperCase()}` as PoliceDistrict);
const TOPICS = { auditTopic: "takitini.audit.decisions.v1", accessTopics: ["takitini.audit.briefing-access.v1"], refusalTopics: ["takitini.audit.refusals.v1"] };
const PARTNERS: [string, string][] = [
  ["customs", "Customs and Excise Act 2018, s 316"],
  ["mbie", "Privacy Act 2020, IPP 11(e)(i): maintenance of the law"],
  ["msd", "Approved Information Sharing Agreement (Part 7)"],
];

/** One event of each outcome-bearing kind, at a time, in a district. */
function events(next: (n: number) => number, at: Date, region: PoliceDistrict): IntelligenceEvent[] {
  const base = (agency: Agency, eventType: string) => ({ id: randomUUID(), sourceAgency: agency, eventType, region, publishedAt: at, occurredAt: at });
  return [
    IntelligenceEvent.fromPartial({
      ...base(Agency.AGENCY_POLICE, "police.operation_update"),
      operationRef: "Operation Kōwhai",
      payload: {
        $case: "policeOperationUpdate",
        value: {
          codeName: "Kōwhai",
          phase: [OperationPhase.OPERATION_PHASE_ACTIVE, OperationPhase.OPERATION_PHASE_RESOLUTION, OperationPhase.OPERATION_PHASE_CONCLUDED][next(3)]!,
          arrests: next(40),
          charges: next(200),
          familiesAffected: next(12),
          childrenAffected: next(30),
          supportNeeded: next(2) ? [SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT] : [SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING],
          summary: "Hēmi Tāwhiri and others, Ōpōtiki",
          localities: ["Ōpōtiki"],
        },
      },
    }),
    IntelligenceEvent.fromPartial({
      ...base(Agency.AGENCY_POLICE, "police.wastewater_indicator"),
      payload: { $case: "policeWastewaterIndicator", value: { site: "Mātaura", drug: [Commodity.COMMODITY_METHAMPHETAMINE, Commodity.COMMODITY_COCAINE, Commodity.COMMODITY_MDMA][next(3)]!, sampleWeek: "2026-W30", estimatedWeeklyGrams: 20 + next(400) / 4, populationServed: 1740 } },
    }),
    IntelligenceEvent.fromPartial({
      ...base(Agency.AGENCY_MSD, "msd.community_resilience_report"),
      payload: {
        $case: "msdCommunityResilienceReport",
        value: { programme: "ROCC", provider: "Te Whānau Provider", fundingCents: String(100_000 * (1 + next(50))), services: [{ service: SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT, peopleServed: next(60), sessions: next(200) }, { service: SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING, peopleServed: next(20), sessions: next(50) }] },
      },
    }),
    IntelligenceEvent.fromPartial({
      ...base(Agency.AGENCY_MSD, "msd.whanau_support_referral"),
      payload: { $case: "msdWhanauSupportReferral", value: { referralBatchRef: "B-1", service: SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, whanauCount: 1 + next(5), childrenCount: next(9), referralWeek: "2026-W30", provider: "Te Whānau Provider" } },
    }),
    IntelligenceEvent.fromPartial({
      ...base(Agency.AGENCY_MBIE, "mbie.exploitation_complaint"),
      payload: { $case: "mbieExploitationComplaint", value: { complaintRef: "C-1", industry: [Industry.INDUSTRY_HORTICULTURE, Industry.INDUSTRY_CONSTRUCTION, Industry.INDUSTRY_HOSPITALITY][next(3)]!, workersAffected: 1 + next(12), locality: "Mātaura" } },
    }),
    IntelligenceEvent.fromPartial({
      ...base(Agency.AGENCY_CUSTOMS, "customs.border_seizure"),
      payload: { $case: "customsBorderSeizure", value: { commodity: Commodity.COMMODITY_METHAMPHETAMINE, weightGrams: 100 * (1 + next(30)), units: 0, originCountry: "XX", caseRef: "K-1" } },
    }),
  ];
}

const topicOf = (a: Agency) => `takitini.intel.${a.replace("AGENCY_", "").toLowerCase()}.v1`;

/** Seeds Q2 and Q3 2026 (and a little outside them): returns nothing — the test reads the ledger back with SQL. */
async function seed(ledger: Ledger): Promise<void> {
  const next = rng(20260705);
  const now = new Date();
  const records: Appendable[] = [];
  const span = (q: typeof Q3) => q.to.getTime() - q.from.getTime();
  // Dates: across each quarter, plus the first and last instants of Q3 and instants just outside it.
  const dates: Date[] = [];
  for (const q of [Q2, Q3]) for (let i = 0; i < 30; i++) dates.push(new Date(q.from.getTime() + Math.floor((span(q) * next(1000)) / 1000)));
  dates.push(Q3.from, new Date(Q3.to.getTime() - 1), new Date(Q3.to.getTime()), new Date(Q2.from.getTime() - 1));
  let offset = 0;
  for (const [i, at] of dates.entries()) {
    // Eastern gets more than its share, so its regional report has something in every table.
    const region = i % 3 === 0 ? PoliceDistrict.POLICE_DISTRICT_EASTERN : DISTRICT_ENUMS[next(DISTRICT_ENUMS.length)]!;
    for (const e of events(next, at, region)) {
      const r = ingestRecord(topicOf(e.sourceAgency), 0, { value: Buffer.from(IntelligenceEvent.encode(e).finish()), headers: {}, offset: String(offset++) }, TOPICS, now);
      if (!r.ok) throw new Error(r.reason);
      records.push(...r.records);
      for (const [partner, basis] of PARTNERS) {
        const allow = next(3) > 0;
        records.push(fromDecision(decision(e.id, partner, allow, { region, decidedAt: new Date(at.getTime() + 1000), legalBasis: allow ? basis : "" }), now));
      }
    }
    records.push(fromRefusal(RefusalRecord.fromPartial({ id: randomUUID(), service: "police-adapter", door: "http", code: next(2) ? "PUBLISHER_NOT_FOR_AGENCY" : "MARKING_DOWNGRADE", occurredAt: at }), now));
    records.push(fromRefusalSummary(RefusalSummary.fromPartial({ id: randomUUID(), service: "customs-adapter", door: "grpc", code: "PUBLISHER_CERTIFICATE_REQUIRED", route: "/v1/reports", windowStart: new Date(at.getTime() - 60_000), windowEnd: at, count: 1 + next(20), distinctAddresses: 1 }), now));
  }
  await appendRecords(ledger, records);
}

async function service(chromiumPath = CHROMIUM) {
  const schema = `reports_${randomBytes(6).toString("hex")}`;
  await admin.query(`create schema ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
  pools.push(pool);
  const db = pgDatabase(pool);
  const ledger = await Ledger.open(db, { signer });
  const metrics = createMetricsRegistry("t");
  const reports = new QuarterlyReports({ db, ledger, signer: reportSigner(privateKey, signer.publicKey, signer.keyId), pdf: chromiumPdf(chromiumPath), metrics });
  const servers = await buildApp({
    logger: createLogger("t", (process.env.LOG_LEVEL ?? "silent") as "silent"),
    metrics,
    db,
    ledger,
    gate: gateWithTokens({ [TOKEN]: "Officer Mere" }),
    readiness: [],
    refusals: new LedgerRefusals(ledger, { windowMs: 3_600_000, logger: createLogger("t", "silent") }),
    reports,
    plugins: [registerConsole],
  });
  const { app } = servers;
  const get = (path: string) => app.inject({ url: path, headers: { authorization: `Bearer ${TOKEN}` } });
  return { pool, ledger, app, get, servers, metrics };
}

/** Direct SQL over the ledger's index: the sum of one outcome measure over publish records in a quarter (and district). */
async function measureSum(pool: pg.Pool, q: typeof Q3, region: string, measure: string, category?: string): Promise<number> {
  const { rows } = await pool.query<{ n: string | null }>(
    `select sum((o->>'value')::numeric) as n from audit_records r cross join lateral jsonb_array_elements(r.doc->'outcome') o
     where r.kind = 'publish' and r.occurred_at >= $1 and r.occurred_at < $2 and ($3 = 'national' or r.region = $3)
       and o->>'measure' = $4 and ($5::text is null or o->>'category' = $5)`,
    [q.from, q.to, region, measure, category ?? null],
  );
  return Number(rows[0]?.n ?? 0);
}

async function decisionCounts(pool: pg.Pool, q: typeof Q3, region: string, outcome: "allow" | "deny"): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ k: string; n: string }>(
    `select subscriber_id || '|' || (case when $4 = 'allow' then legal_basis else '' end) as k, count(*) as n from audit_records
     where kind = 'decision' and outcome = $4 and occurred_at >= $1 and occurred_at < $2 and ($3 = 'national' or region = $3) group by 1`,
    [q.from, q.to, region, outcome],
  );
  return new Map(rows.map((r) => [r.k, Number(r.n)]));
}

const table = (r: QuarterlyReport, id: string): ReportTable => r.tables.find((t) => t.id === id)!;
const figure = (t: ReportTable, ...labels: string[]) => t.rows.find((r) => labels.every((l, i) => r.labels[i] === l));

const OPERATIONS: [string, string][] = [
  ["Operations resolved (arrests made)", "operations_resolved"],
  ["Operations concluded", "operations_concluded"],
  ["Arrests", "arrests"],
  ["Charges", "charges"],
  ["Families affected", "families_affected"],
  ["Children affected", "children_affected"],
  ["Support notices sent", "support_notices"],
];

describe("the quarterly outcome report on real PostgreSQL and Chromium", () => {
  it("reconciles every figure with the ledger, is signed and recorded, and prints a PDF with the same figures", async () => {
    const { pool, ledger, get, app, metrics } = await service();
    await seed(ledger);

    for (const region of ["eastern", "national"]) {
      const res = await get(`/v1/reports/quarterly?quarter=2026-Q3&region=${region}&format=json`);
      expect(res.statusCode, res.body).toBe(200);
      const { report, record, pdf_available } = res.json() as { report: QuarterlyReport; record: Record<string, unknown>; pdf_available: boolean };
      expect(pdf_available).toBe(true);
      expect(report.previousQuarter).toBe("2026-Q2");

      // Operations: each figure, this quarter and the one before, equals a SUM over the ledger.
      for (const [label, measure] of OPERATIONS) {
        const f = figure(table(report, "operations"), label)!;
        expect([label, f.current, f.previous]).toEqual([label, await measureSum(pool, Q3, region, measure), await measureSum(pool, Q2, region, measure)]);
        expect(f.change).toBe(f.current - f.previous);
      }
      expect(figure(table(report, "operations"), "Arrests")!.current).toBeGreaterThan(0);
      // People served by service, funding, referrals, complaints.
      for (const f of table(report, "services").rows.filter((r) => !r.total)) {
        const category = f.labels[0]!.toLowerCase().replace(/ /g, "_");
        expect(f.current).toBe(await measureSum(pool, Q3, region, "people_served", category));
      }
      expect(table(report, "services").rows.at(-1)!.current).toBe(await measureSum(pool, Q3, region, "people_served"));
      expect(figure(table(report, "funding"), "Funding reported (NZD)")!.current).toBeCloseTo((await measureSum(pool, Q3, region, "funding_cents")) / 100, 2);
      expect(figure(table(report, "referrals"), "All services", "Referrals")!.current).toBe(await measureSum(pool, Q3, region, "referrals"));
      expect(figure(table(report, "exploitation"), "All industries", "Complaints")!.current).toBe(await measureSum(pool, Q3, region, "exploitation_complaints"));
      expect(figure(table(report, "exploitation"), "All industries", "Complaints")!.previous).toBe(await measureSum(pool, Q2, region, "exploitation_complaints"));
      // Drug harm: the mean weekly grams per sample.
      const meth = figure(table(report, "drug_harm"), "Methamphetamine", "Mean estimated weekly grams");
      if (meth) expect(meth.current).toBeCloseTo((await measureSum(pool, Q3, region, "wastewater_grams", "methamphetamine")) / (await measureSum(pool, Q3, region, "wastewater_samples", "methamphetamine")), 2);

      // Disclosures by partner and legal basis, denials by partner: COUNTs over decision records.
      const allowed = await decisionCounts(pool, Q3, region, "allow");
      const disclosures = table(report, "disclosures").rows.filter((r) => !r.total);
      expect(new Map(disclosures.filter((r) => r.current > 0).map((r) => [`${r.labels[0]}|${r.labels[1]}`, r.current]))).toEqual(allowed);
      const denied = await decisionCounts(pool, Q3, region, "deny");
      const denials = table(report, "denials").rows.filter((r) => !r.total);
      expect(new Map(denials.filter((r) => r.current > 0).map((r) => [`${r.labels[0]}|`, r.current]))).toEqual(denied);
      expect(table(report, "denials").rows.at(-1)!.previous).toBe([...(await decisionCounts(pool, Q2, region, "deny")).values()].reduce((a, b) => a + b, 0));

      // Refusals: national only, refusal records counted once and summaries by their count.
      if (region === "national") {
        const { rows } = await pool.query<{ n: string }>(
          `select coalesce(sum(case when kind = 'refusal' then 1 else (doc->>'count')::int end), 0) as n from audit_records where kind in ('refusal', 'refusal_summary') and occurred_at >= $1 and occurred_at < $2`,
          [Q3.from, Q3.to],
        );
        expect(table(report, "refusals").rows.at(-1)!.current).toBe(Number(rows[0]!.n));
      } else expect(report.tables.some((t) => t.id === "refusals")).toBe(false);

      // The report leaf: in the ledger, signed by the ledger's key, naming the hashes of what is served.
      const leaf = await pool.query<{ entry: Buffer }>("select entry from ledger_leaves where record_id = $1", [`report:${record["report_id"]}`]);
      expect(leaf.rows).toHaveLength(1);
      const stored = ReportRecord.decode(decodeEntry(leaf.rows[0]!.entry).payload);
      expect(verifyReport(stored, createPublicKey(signer.publicKeyPem))).toBe(true);
      expect(verifyReport({ ...stored, htmlSha256: sha256("another page") }, createPublicKey(signer.publicKeyPem))).toBe(false);
      const html = await get(`/v1/reports/quarterly?quarter=2026-Q3&region=${region}`);
      expect(html.headers["content-type"]).toMatch(/^text\/html/);
      expect(sha256(html.rawPayload)).toBe(stored.htmlSha256);
      expect(html.headers["x-takitini-report-id"]).toBe(`report:${stored.id}`);
      expect(html.headers["content-security-policy"]).toMatch(/default-src 'none'/);
      const csv = await get(`/v1/reports/quarterly?quarter=2026-Q3&region=${region}&format=csv&table=disclosures`);
      expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
      expect(sha256(csv.rawPayload)).toBe(stored.csv.find((c) => c.table === "disclosures")!.sha256);
      expect(csv.body.split("\r\n")[0]).toBe("Partner,Legal basis,2026-Q3,2026-Q2,change,change_ratio,unit");
      expect(stored.csv.map((c) => c.table).sort()).toEqual(report.tables.map((t) => t.id).sort());

      // The PDF: printed by Chromium, its hash signed, its text carrying the same figures.
      const pdf = await get(`/v1/reports/quarterly?quarter=2026-Q3&region=${region}&format=pdf`);
      expect(pdf.statusCode).toBe(200);
      expect(pdf.rawPayload.subarray(0, 5).toString()).toBe("%PDF-");
      expect(sha256(pdf.rawPayload)).toBe(stored.pdfSha256);
      const file = join(work, `${region}.pdf`);
      writeFileSync(file, pdf.rawPayload);
      // Words as the page reads them, whitespace (line and column breaks) collapsed.
      const text = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" }).replace(/\s+/g, " ");
      expect(text).toContain(`Quarterly outcome report — ${report.regionName} — 2026-Q3`);
      const arrests = figure(table(report, "operations"), "Arrests")!;
      expect(text).toMatch(new RegExp(`Arrests\\s+${arrests.current.toLocaleString("en-NZ")}\\s+${arrests.previous.toLocaleString("en-NZ")}`));
      expect(text).toContain("Disclosures by partner and legal basis");

      if (region === "eastern") {
        // The first page as an image: what the oversight body would see.
        execFileSync("pdftoppm", ["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", file, join(work, "page")]);
        const png = join(work, "page.png");
        expect(readFileSync(png).subarray(1, 4).toString()).toBe("PNG");
        expect(statSync(png).size).toBeGreaterThan(20_000);
        if (process.env.TAKITINI_WRITE_REPORT_PNG === "1") copyFileSync(png, new URL("../../docs/quarterly-report.png", import.meta.url));
      }
    }
    // One report leaf per rendering: the JSON, HTML, CSV and PDF of a region are one rendering while its figures stand.
    const leaves = await pool.query<{ record_id: string }>("select record_id from ledger_leaves where kind = 'report' order by idx");
    expect(leaves.rows.map((r) => r.record_id.split(":").slice(1, 4).join(":"))).toEqual([expect.stringMatching(/^2026-Q3:eastern:/), expect.stringMatching(/^2026-Q3:national:/)]);
    expect(await metrics.metrics()).toMatch(/^audit_reports_rendered_total\{pdf="printed",service="t"\} 2$/m);
    // The report leaves' index rows are derivable from the leaves alone: the index check finds nothing.
    const client = await pool.connect();
    try {
      await client.query("begin isolation level repeatable read read only");
      const check = await checkStoredIndex(client);
      await client.query("commit");
      expect(check.problems).toEqual([]);
      expect(check).toMatchObject({ ok: true, problemCount: 0 });
      expect(check.leaves).toBeGreaterThan(1000);
    } finally {
      client.release();
    }
    await app.close();
  }, 180_000);

  it("the console's Outcome reports page shows each table with the previous quarter and the change, in headless Chromium", async () => {
    const { ledger, servers, get } = await service();
    await seed(ledger);
    const { url } = await servers.listen({ host: "127.0.0.1", port: 0, adminPort: 0 });
    const expected = (await get("/v1/reports/quarterly?quarter=2026-Q3&region=eastern&format=json")).json() as { report: QuarterlyReport };
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    try {
      // The console's pages and its /v1 calls take the bearer credential like a session.
      const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${url}/console/reports?quarter=2026-Q3&region=eastern`);
      await page.locator("#report-operations").waitFor({ timeout: 30_000 });
      expect(await page.locator("#report-title").textContent()).toBe("Eastern: 2026-Q3, compared with 2026-Q2");
      expect(await page.locator("#report-operations thead th").allTextContents()).toEqual(["Measure", "2026-Q3", "2026-Q2 (previous)", "Change"]);
      const arrests = figure(table(expected.report, "operations"), "Arrests")!;
      const row = page.locator("#report-operations tbody tr").filter({ has: page.locator("th", { hasText: /^Arrests$/ }) });
      const cells = await row.locator("th, td").allTextContents();
      expect(cells.slice(0, 3)).toEqual(["Arrests", arrests.current.toLocaleString("en-NZ"), arrests.previous.toLocaleString("en-NZ")]);
      expect(cells[3]).toMatch(arrests.change > 0 ? /^▲ up / : arrests.change < 0 ? /^▼ down / : /^no change$/);
      expect(await page.locator("section table").count()).toBe(expected.report.tables.length);
      expect(await page.locator('a[href*="format=pdf"]').count()).toBe(1);
      expect(await page.locator("#r-region").inputValue()).toBe("eastern");
      expect(errors).toEqual([]);
      // To look at the page: TAKITINI_REPORT_CONSOLE_PNG=<file>.
      if (process.env.TAKITINI_REPORT_CONSOLE_PNG) await page.screenshot({ path: process.env.TAKITINI_REPORT_CONSOLE_PNG, fullPage: true });
    } finally {
      await browser.close();
      await servers.close();
    }
  }, 180_000);

  it("without Chromium: the PDF is 503 REPORT_PDF_UNAVAILABLE, the page and tables are still served and recorded (pdf_sha256 empty)", async () => {
    const { get, app } = await service(join(work, "no-chromium-here"));
    const pdf = await get("/v1/reports/quarterly?quarter=2026-Q3&region=southern&format=pdf");
    expect(pdf.statusCode).toBe(503);
    expect(pdf.json()).toMatchObject({ error: { code: "REPORT_PDF_UNAVAILABLE" } });
    const json = (await get("/v1/reports/quarterly?quarter=2026-Q3&region=southern&format=json")).json() as { pdf_available: boolean; pdf_error: string; record: { pdf_sha256: string; html_sha256: string } };
    expect(json.pdf_available).toBe(false);
    expect(json.pdf_error).toMatch(/Chromium not found/);
    expect(json.record.pdf_sha256).toBe("");
    const html = await get("/v1/reports/quarterly?quarter=2026-Q3&region=southern");
    expect(html.statusCode).toBe(200);
    expect(sha256(html.rawPayload)).toBe(json.record.html_sha256);
    await app.close();
  }, 120_000);

  it("answers 400 naming the parameter for a bad quarter, region, format or a CSV without its table", async () => {
    const { get, app } = await service();
    const issue = async (query: string) => {
      const res = await get(`/v1/reports/quarterly?${query}`);
      expect(res.statusCode, query).toBe(400);
      const body = res.json() as { error: { code: string; issues: { path: string }[] } };
      expect(body.error.code).toBe("INVALID_QUERY");
      return body.error.issues.map((i) => i.path);
    };
    expect(await issue("quarter=2026-Q5")).toEqual(["quarter"]);
    expect(await issue("region=eastern")).toEqual(["quarter"]);
    expect(await issue("quarter=2026-Q3&region=atlantis")).toEqual(["region"]);
    expect(await issue("quarter=2026-Q3&format=docx")).toEqual(["format"]);
    expect(await issue("quarter=2026-Q3&format=csv")).toEqual(["table"]);
    expect(await issue("quarter=2026-Q3&region=eastern&format=csv&table=refusals")).toEqual(["table"]);
    expect(await issue("quarter=2026-Q3&colour=red")).toEqual(["colour"]);
    expect(await issue("quarter=9999-Q1")).toEqual(["quarter"]);
    await app.close();
  }, 120_000);
});
