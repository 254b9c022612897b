/** The quarterly outcome report of a region or the country, each figure beside the previous quarter's. */
import { getJson } from "../api.js";
import { byId, el, fill } from "../dom.js";
import { busy, clearError, showError, startPage } from "../layout.js";
import { REGIONS } from "../query.js";

/** @typedef {import("../types.js").QuarterlyReportAnswer} Answer */
/** @typedef {import("../types.js").ReportTable} ReportTable */
/** @typedef {import("../types.js").ReportRow} ReportRow */

const form = byId("reports-form", HTMLFormElement);
const quarterInput = byId("r-quarter", HTMLInputElement);
const regionSelect = byId("r-region", HTMLSelectElement);
const out = byId("report", HTMLElement);

const QUARTER = /^\d{4}-Q[1-4]$/;
const NUMBER = new Intl.NumberFormat("en-NZ", { maximumFractionDigits: 2 });
const MONEY = new Intl.NumberFormat("en-NZ", { style: "currency", currency: "NZD", maximumFractionDigits: 2 });

/** The last complete quarter on New Zealand's calendar. */
function lastQuarter() {
  const [y, m] = new Intl.DateTimeFormat("en-CA", { timeZone: "Pacific/Auckland", year: "numeric", month: "2-digit" }).format(new Date()).split("-").map(Number);
  const q = Math.floor(((m ?? 1) - 1) / 3) + 1;
  return q === 1 ? `${(y ?? 0) - 1}-Q4` : `${y}-Q${q - 1}`;
}

/** @param {number} v @param {string} unit */
const value = (v, unit) => (unit === "nzd" ? MONEY.format(v) : unit === "grams" ? `${NUMBER.format(v)} g` : NUMBER.format(v));

/** The change in words (an arrow only repeats them: nothing is told by colour alone). @param {ReportRow} r @param {string} unit */
function change(r, unit) {
  if (r.change === 0) return "no change";
  if (r.previous === 0) return `new (none the quarter before)`;
  const pct = r.changeRatio === null ? "" : ` (${r.changeRatio > 0 ? "+" : "−"}${NUMBER.format(Math.abs(r.changeRatio) * 100)}%)`;
  return `${r.change > 0 ? "▲ up" : "▼ down"} ${value(Math.abs(r.change), unit)}${pct}`;
}

/** @param {string} quarter @param {string} region @param {string} format @param {string} [table] */
const reportUrl = (quarter, region, format, table) => `/v1/reports/quarterly?${new URLSearchParams({ quarter, region, format, ...(table ? { table } : {}) })}`;

/** @param {Answer} a @param {ReportTable} t */
function tableView(a, t) {
  const { report } = a;
  const head = [...t.labelHeaders, `${report.quarter}`, `${report.previousQuarter} (previous)`, "Change"];
  const rows =
    t.rows.length === 0
      ? [el("tr", {}, el("td", { colspan: String(head.length) }, "No records in either quarter."))]
      : t.rows.map((r) => {
          const unit = r.unit ?? t.unit;
          return el(
            "tr",
            r.total ? { class: "total" } : {},
            ...r.labels.map((l, i) => (i === 0 ? el("th", { scope: "row" }, l) : el("td", {}, l))),
            el("td", { class: "num" }, value(r.current, unit)),
            el("td", { class: "num" }, value(r.previous, unit)),
            el("td", {}, change(r, unit)),
          );
        });
  return el(
    "section",
    { "aria-labelledby": `h-${t.id}` },
    el("h2", { id: `h-${t.id}` }, t.caption),
    el("p", { class: "lede" }, t.description, " ", el("a", { href: reportUrl(report.quarter, report.region, "csv", t.id) }, `CSV of this table`)),
    el(
      "table",
      { class: "records", id: `report-${t.id}` },
      el("caption", {}, `${t.caption} — ${report.regionName}, ${report.quarter} compared with ${report.previousQuarter}`),
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows),
    ),
  );
}

async function main() {
  if (!startPage()) return;
  fill(regionSelect, el("option", { value: "national" }, "New Zealand (all districts)"), ...REGIONS.map(([code, name]) => el("option", { value: code }, name)));
  const params = new URLSearchParams(location.search);
  const quarter = QUARTER.test(params.get("quarter") ?? "") ? /** @type {string} */ (params.get("quarter")) : lastQuarter();
  const region = params.get("region") ?? "national";
  quarterInput.value = quarter;
  regionSelect.value = region;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.assign(`/console/reports?${new URLSearchParams({ quarter: quarterInput.value.trim(), region: regionSelect.value })}`);
  });
  try {
    const a = /** @type {Answer} */ (await busy(() => getJson(reportUrl(quarter, region, "json"))));
    clearError();
    const { report, record } = a;
    fill(
      out,
      el("h2", { id: "report-title" }, `${report.regionName}: ${report.quarter}, compared with ${report.previousQuarter}`),
      el(
        "p",
        {},
        el("a", { href: reportUrl(quarter, region, "html") }, "Open the signed page"),
        " · ",
        a.pdf_available ? el("a", { href: reportUrl(quarter, region, "pdf") }, "PDF") : el("span", {}, `PDF unavailable${a.pdf_error ? `: ${a.pdf_error}` : ""}`),
        " · ",
        el("a", { href: `/console/record?id=${encodeURIComponent(`report:${record.report_id}`)}` }, `Ledger record (leaf ${a.ledger.index})`),
      ),
      el("p", { class: "hint" }, `Computed at tree size ${record.tree_size}; signed by key ${record.key_id.slice(0, 16)}…`),
      ...report.tables.map((t) => tableView(a, t)),
    );
  } catch (err) {
    showError(err);
  }
}

void main();
