/** Disclosure decisions over time, per partner, allow vs deny, with the numbers as a table. */
import { getJson } from "../api.js";
import { chartModel } from "../chart.js";
import { dataTable, legend, panelFigure } from "../chart-svg.js";
import { byId, el, fill, table } from "../dom.js";
import { busy, clearError, showError, startPage } from "../layout.js";
import { isoToLocalInput, localInputToIso, readParams, STATS_PARAMS, statsApiUrl, toQueryString } from "../query.js";

/** @typedef {import("../types.js").DisclosureStats} DisclosureStats */

const form = byId("charts-form", HTMLFormElement);
const from = byId("c-from", HTMLInputElement);
const to = byId("c-to", HTMLInputElement);
const bucketSelect = byId("c-bucket", HTMLSelectElement);
const out = byId("charts", HTMLElement);

const DEFAULT_SPAN_MS = { hour: 2 * 86_400_000, day: 14 * 86_400_000, week: 12 * 7 * 86_400_000 };

/** @param {string} v @returns {v is "hour" | "day" | "week"} */
const isBucket = (v) => v === "hour" || v === "day" || v === "week";

async function main() {
  if (!startPage()) return;
  const params = readParams(location.search, STATS_PARAMS);
  const bucket = isBucket(params.bucket ?? "") ? /** @type {"hour" | "day" | "week"} */ (params.bucket) : "day";
  const toIso = params.to ?? new Date().toISOString();
  const fromIso = params.from ?? new Date(Date.parse(toIso) - DEFAULT_SPAN_MS[bucket]).toISOString();
  from.value = isoToLocalInput(fromIso);
  to.value = isoToLocalInput(toIso);
  bucketSelect.value = bucket;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const qs = toQueryString({ from: localInputToIso(from.value) ?? "", to: localInputToIso(to.value) ?? "", bucket: bucketSelect.value }, STATS_PARAMS);
    location.assign(`/console/charts${qs ? `?${qs}` : ""}`);
  });
  try {
    const stats = /** @type {DisclosureStats} */ (await busy(() => getJson(statsApiUrl({ from: fromIso, to: toIso, bucket }))));
    clearError();
    const model = chartModel(stats.buckets, { bucket, width: 640, height: 170 });
    if (model.panels.length === 0) {
      fill(out, el("p", { class: "empty" }, "No sharing decisions in this period."));
      return;
    }
    const totals = table(
      "Totals per partner",
      ["Partner", "Allowed", "Denied"],
      stats.totals.map((t) => [t.subscriber_id, t.allow.toLocaleString("en-NZ"), t.deny.toLocaleString("en-NZ")]),
      { id: "totals", class: "data" },
    );
    fill(
      out,
      legend(),
      el("div", { class: "panels" }, ...model.panels.map((p) => panelFigure(model, p, bucket))),
      totals,
      el("details", { class: "data-alternative" }, el("summary", {}, "The numbers as a table"), dataTable(model)),
    );
  } catch (err) {
    showError(err);
  }
}

void main();
