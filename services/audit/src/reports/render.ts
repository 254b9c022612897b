/**
 * The quarterly report's renderings: an accessible HTML page (also what the PDF
 * is printed from) and one CSV per table. Pure: the same report and provenance
 * give the same bytes.
 *
 * Accessibility: lang="en-NZ"; one h1, an h2 per table; each table has a
 * caption, column headers (scope="col") and row headers (scope="row"); a change
 * is written in words ("up 29", "down 80 (−50%)", "no change", "new") beside
 * its arrow, so nothing is told by colour alone; text and header colours are
 * well above WCAG AA contrast (≥ 7:1); no script.
 */
import { createHash } from "node:crypto";
import type { QuarterlyReport, ReportRow, ReportTable, Unit } from "./model.js";

/** Where the figures were computed from, printed on the page (not the signature: that is over the page's hash). */
export interface Provenance {
  treeSize: number;
  rootHash: string;
  keyId: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const NUMBER = new Intl.NumberFormat("en-NZ", { maximumFractionDigits: 2 });
const MONEY = new Intl.NumberFormat("en-NZ", { style: "currency", currency: "NZD", maximumFractionDigits: 2 });
const PERCENT = new Intl.NumberFormat("en-NZ", { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" });

export function formatValue(value: number, unit: Unit): string {
  if (unit === "nzd") return MONEY.format(value);
  if (unit === "grams") return `${NUMBER.format(value)} g`;
  return NUMBER.format(value);
}

/** The change in words, with an arrow that only repeats them. */
export function changeText(r: ReportRow, unit: Unit): string {
  if (r.change === 0) return "no change";
  if (r.previous === 0) return `new: ${formatValue(r.current, unit)} (none the quarter before)`;
  const word = r.change > 0 ? "▲ up" : "▼ down";
  const pct = r.changeRatio === null ? "" : ` (${PERCENT.format(r.changeRatio).replace("-", "−")})`;
  return `${word} ${formatValue(Math.abs(r.change), unit)}${pct}`;
}

export const REPORT_CSS = `
:root { color: #1a1a1a; background: #ffffff; font: 11pt/1.45 "DejaVu Sans", "Noto Sans", Arial, sans-serif; }
body { margin: 0 auto; max-width: 60rem; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; color: #0b2545; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .25rem; color: #0b2545; }
p.meta, p.note { color: #333333; margin: .25rem 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; break-inside: auto; }
caption { text-align: left; font-weight: 700; padding: .25rem 0; color: #0b2545; }
th, td { border: 1px solid #5c5c5c; padding: .3rem .5rem; vertical-align: top; }
thead th { background: #0b2545; color: #ffffff; text-align: left; }
tbody th { text-align: left; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total th, tr.total td { font-weight: 700; background: #eef1f5; }
td.up, td.down { font-weight: 600; }
code { font-size: .85em; word-break: break-all; }
a { color: #0b3d91; }
@page { size: A4; margin: 16mm 14mm; }
@media print { body { max-width: none; padding: 0; } tr { break-inside: avoid; } h2 { break-after: avoid; } }
`;

/** The page's style sheet's CSP hash: the page is served with no script and only this style. */
export const REPORT_CSP = `default-src 'none'; style-src 'sha256-${createHash("sha256").update(REPORT_CSS).digest("base64")}'; base-uri 'none'; form-action 'none'`;

function tableHtml(report: QuarterlyReport, t: ReportTable): string {
  const head = [...t.labelHeaders, report.quarter, report.previousQuarter, "Change"].map((h) => `<th scope="col">${esc(h)}</th>`).join("");
  const body =
    t.rows.length === 0
      ? `<tr><td colspan="${t.labelHeaders.length + 3}">No records in either quarter.</td></tr>`
      : t.rows
          .map((r) => {
            const unit = r.unit ?? t.unit;
            const labels = r.labels.map((l, i) => (i === 0 ? `<th scope="row">${esc(l)}</th>` : `<td>${esc(l)}</td>`)).join("");
            const dir = r.change > 0 ? "up" : r.change < 0 ? "down" : "same";
            return `<tr${r.total ? ' class="total"' : ""}>${labels}<td class="n">${esc(formatValue(r.current, unit))}</td><td class="n">${esc(formatValue(r.previous, unit))}</td><td class="${dir}">${esc(changeText(r, unit))}</td></tr>`;
          })
          .join("\n");
  return `<section aria-labelledby="h-${t.id}">
<h2 id="h-${t.id}">${esc(t.caption)}</h2>
<p class="note" id="d-${t.id}">${esc(t.description)}</p>
<table aria-describedby="d-${t.id}">
<caption>${esc(t.caption)} — ${esc(report.regionName)}, ${esc(report.quarter)} compared with ${esc(report.previousQuarter)}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
</section>`;
}

export function renderHtml(report: QuarterlyReport, period: string, p: Provenance): string {
  const title = `Quarterly outcome report — ${report.regionName} — ${report.quarter}`;
  return `<!doctype html>
<html lang="en-NZ">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
<p class="meta">${esc(period)}, New Zealand time (quarter ${esc(report.quarter)}: from ${esc(report.from)} up to ${esc(report.to)}), compared with the quarter before, ${esc(report.previousQuarter)}.</p>
<p class="meta">Every figure is a count or a sum over records in the Takitini audit ledger dated in the quarter, computed at tree size ${p.treeSize} (root <code>${esc(p.rootHash)}</code>). This page, its PDF and its CSV tables are signed with the ledger key <code>${esc(p.keyId)}</code> and recorded in the ledger as a report record.</p>
<nav aria-label="Tables"><ul>${report.tables.map((t) => `<li><a href="#h-${t.id}">${esc(t.caption)}</a></li>`).join("")}</ul></nav>
${report.tables.map((t) => tableHtml(report, t)).join("\n")}
</main>
</body>
</html>
`;
}

/** A CSV cell: quoted when needed; a leading =, +, −, @ (a spreadsheet formula) neutralised with an apostrophe. */
function csvCell(v: string | number): string {
  let s = typeof v === "number" ? String(v) : v;
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One table as CSV (RFC 4180, UTF-8, CRLF): label columns, the quarter, the previous quarter, change, change ratio, unit. */
export function renderCsv(report: QuarterlyReport, t: ReportTable): string {
  const header = [...t.labelHeaders, report.quarter, report.previousQuarter, "change", "change_ratio", "unit"];
  const lines = [header, ...t.rows.map((r) => [...r.labels, r.current, r.previous, r.change, r.changeRatio ?? "", r.unit ?? t.unit])];
  return lines.map((l) => l.map(csvCell).join(",")).join("\r\n") + "\r\n";
}
