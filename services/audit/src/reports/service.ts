/**
 * Quarterly outcome reports, made on request (the I/O shell around model.ts
 * and render.ts): read the quarter's and the previous quarter's rows from the
 * ledger's leaves, build the report, render the HTML, a CSV per table and the
 * PDF, sign them and append the `report` leaf — then hand back the rendering
 * asked for. A rendering is kept in memory per quarter and region while its
 * figures stay the same, so asking again for another format of it (or the
 * same one) neither renders nor records it again.
 */
import { Counter, type Registry } from "@takitini/runtime";
import type { SqlSession } from "../ledger/index.js";
import type { Ledger } from "../ledger/index.js";
import { appendRecords } from "../ingest.js";
import { buildReport, type QuarterlyReport } from "./model.js";
import { PdfUnavailableError, type PdfRenderer } from "./pdf.js";
import { previousQuarter, quarterLabel, type Quarter } from "./quarter.js";
import { fromReport, sha256, signReport, type ReportSigner } from "./record.js";
import { renderCsv, renderHtml } from "./render.js";
import { readQuarterRows } from "./source.js";
import type { ReportRecord } from "@takitini/proto";

export interface ReportBundle {
  report: QuarterlyReport;
  record: ReportRecord;
  /** The leaf the record is at. */
  index: number;
  html: string;
  csv: ReadonlyMap<string, string>;
  /** Null when no PDF could be printed (pdfError says why); the record's pdf_sha256 is then empty. */
  pdf: Buffer | null;
  pdfError?: string;
}

export interface ReportServiceDeps {
  db: SqlSession;
  ledger: Ledger;
  signer: ReportSigner;
  pdf?: PdfRenderer;
  clock?: () => Date;
  /** audit_reports_rendered_total{pdf="printed"|"unavailable"}: renderings made (and recorded). */
  metrics?: Registry;
}

/** Renderings kept in memory (per quarter and region), the least recently made dropped first. */
const CACHED = 32;

export class QuarterlyReports {
  private readonly cache = new Map<string, { figures: string; bundle: ReportBundle }>();
  private readonly inFlight = new Map<string, Promise<ReportBundle>>();
  private readonly rendered: Counter<"pdf">;

  constructor(private readonly deps: ReportServiceDeps) {
    this.rendered = new Counter({ name: "audit_reports_rendered_total", help: "Quarterly outcome reports rendered, signed and recorded, by whether the PDF could be printed", labelNames: ["pdf"], registers: deps.metrics ? [deps.metrics] : [] });
  }

  /** The report of a quarter for a district code or "national" (a RangeError for an unknown region). */
  get(quarter: Quarter, region: string): Promise<ReportBundle> {
    const key = `${quarter.id}:${region}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = this.make(quarter, region, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async make(quarter: Quarter, region: string, key: string): Promise<ReportBundle> {
    const { db, ledger, signer } = this.deps;
    const previous = previousQuarter(quarter);
    const state = await ledger.state();
    const [current, prior] = await Promise.all([readQuarterRows(db, quarter.from, quarter.to), readQuarterRows(db, previous.from, previous.to)]);
    const report = buildReport({ quarter, previous, region, current, prior });
    const figures = sha256(JSON.stringify(report));
    const cached = this.cache.get(key);
    if (cached && cached.figures === figures) return cached.bundle;

    const html = renderHtml(report, quarterLabel(quarter), { treeSize: state.treeSize, rootHash: state.rootHash.toString("hex"), keyId: signer.keyId });
    const csv = new Map(report.tables.map((t) => [t.id, renderCsv(report, t)]));
    let pdf: Buffer | null = null;
    let pdfError: string | undefined;
    if (!this.deps.pdf) pdfError = "no PDF renderer is configured";
    else {
      try {
        pdf = await this.deps.pdf.render(html);
      } catch (err) {
        if (!(err instanceof PdfUnavailableError)) throw err;
        pdfError = err.message;
      }
    }
    const record = signReport(
      { quarter: quarter.id, region, generatedAt: (this.deps.clock ?? (() => new Date()))(), treeSize: state.treeSize, rootHash: state.rootHash.toString("hex") },
      { html, pdf, csv },
      signer,
    );
    const appended = await appendRecords(ledger, [fromReport(record, new Date())]);
    const bundle: ReportBundle = { report, record, index: appended.outcomes[0]!.index, html, csv, pdf, ...(pdfError ? { pdfError } : {}) };
    this.rendered.inc({ pdf: pdf ? "printed" : "unavailable" });
    this.cache.delete(key);
    this.cache.set(key, { figures, bundle });
    while (this.cache.size > CACHED) this.cache.delete(this.cache.keys().next().value!);
    return bundle;
  }
}
