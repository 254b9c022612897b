/**
 * GET /v1/reports/quarterly — the quarterly outcome report, registered in the
 * oversight API's /v1 scope (app.ts), so it is authenticated, role-checked and
 * recorded like every other /v1 route. Open to every oversight role.
 *
 *   quarter  YYYY-Qn (n 1–4), New Zealand calendar quarters       required
 *   region   a Police district code (eastern, bay_of_plenty, …)   default national
 *            or "national"
 *   format   html | pdf | csv | json                              default html
 *   table    with format=csv: the table's id (operations, …)     required for csv
 *
 * Bad input is 400 INVALID_QUERY naming the parameter (quarter=2026-Q5 →
 * path "quarter"; so is a quarter that has not begun). A PDF that cannot be printed (no Chromium) is 503
 * REPORT_PDF_UNAVAILABLE; the other formats still work and the record's
 * pdf_sha256 is then empty. Every answer names its record: headers
 * x-takitini-report-id (the ledger record id), x-takitini-report-leaf (its leaf
 * index) and x-takitini-report-sha256 (the hash of the body, as signed).
 */
import { commonErrors, defineErrors, zodIssues } from "@takitini/runtime";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { DISTRICTS, NATIONAL, TABLE_IDS } from "./model.js";
import { parseQuarter, QUARTER_PATTERN } from "./quarter.js";
import { reportToApi, sha256 } from "./record.js";
import { REPORT_CSP } from "./render.js";
import type { QuarterlyReports } from "./service.js";

export const reportErrors = defineErrors({
  REPORT_PDF_UNAVAILABLE: { status: 503, message: "the PDF could not be printed (headless Chromium is not available); the HTML and CSV renderings are" },
  REPORTS_UNAVAILABLE: { status: 503, message: "outcome reports are not configured on this instance" },
});

const REGIONS = [NATIONAL, ...DISTRICTS.keys()] as [string, ...string[]];

export const reportQuery = z
  .strictObject({
    quarter: z.string().regex(QUARTER_PATTERN, "expected a quarter as YYYY-Qn, n from 1 to 4 (e.g. 2026-Q3)"),
    region: z.enum(REGIONS, { error: `expected national or a Police district: ${[...DISTRICTS.keys()].join(", ")}` }).default(NATIONAL),
    format: z.enum(["html", "pdf", "csv", "json"]).default("html"),
    table: z.enum(TABLE_IDS).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.format === "csv" && q.table === undefined) ctx.addIssue({ code: "custom", path: ["table"], message: `format=csv needs a table: ${TABLE_IDS.join(", ")}` });
  });

export function registerReportRoutes(v1: FastifyInstance, reports: QuarterlyReports | undefined): void {
  v1.get("/reports/quarterly", async (req, reply) => {
    const parsed = reportQuery.safeParse(req.query ?? {});
    if (!parsed.success) throw commonErrors.INVALID_QUERY(zodIssues(parsed.error));
    const q = parsed.data;
    const quarter = parseQuarter(q.quarter)!;
    // A quarter not yet begun has no records: refused, so nobody can fill the ledger with reports of the future.
    if (quarter.from.getTime() > Date.now()) throw commonErrors.INVALID_QUERY([{ path: "quarter", code: "too_big", message: `${q.quarter} has not begun` }]);
    if (!reports) throw reportErrors.REPORTS_UNAVAILABLE();
    const bundle = await reports.get(quarter, q.region);
    const { record } = bundle;
    const ids = () => reply.header("x-takitini-report-id", `report:${record.id}`).header("x-takitini-report-leaf", String(bundle.index)).header("cache-control", "no-store");
    const name = `takitini-outcomes-${q.quarter}-${q.region}`;
    switch (q.format) {
      case "html":
        req.resultCount = 1;
        return ids().header("x-takitini-report-sha256", record.htmlSha256).header("content-security-policy", REPORT_CSP).type("text/html; charset=utf-8").send(bundle.html);
      case "pdf":
        if (!bundle.pdf) throw reportErrors.REPORT_PDF_UNAVAILABLE();
        req.resultCount = 1;
        return ids().header("x-takitini-report-sha256", record.pdfSha256).header("content-disposition", `inline; filename="${name}.pdf"`).type("application/pdf").send(bundle.pdf);
      case "csv": {
        const text = bundle.csv.get(q.table!);
        // A table not in this report (refusals are national only): nothing to give.
        if (text === undefined) throw commonErrors.INVALID_QUERY([{ path: "table", code: "invalid_value", message: `the ${q.region} report has no ${q.table} table (refusals are national only)` }]);
        req.resultCount = 1;
        return ids().header("x-takitini-report-sha256", sha256(text)).header("content-disposition", `attachment; filename="${name}-${q.table}.csv"`).type("text/csv; charset=utf-8").send(text);
      }
      case "json":
        req.resultCount = bundle.report.tables.length;
        return ids().send({ report: bundle.report, record: reportToApi(record), ledger: { index: bundle.index }, pdf_available: bundle.pdf !== null, ...(bundle.pdfError ? { pdf_error: bundle.pdfError } : {}) });
    }
  });
}
