/** Partners whose recent activity departs from their own baseline. */
import { getJson } from "../api.js";
import { byId, el, fill, table } from "../dom.js";
import { formatTime } from "../format.js";
import { busy, clearError, showError, startPage } from "../layout.js";
import { searchPageUrl } from "../query.js";

/** @typedef {import("../types.js").Anomaly} Anomaly */

const out = byId("anomalies", HTMLElement);

const METRIC = { allow: "Disclosures allowed", deny: "Decisions denied", access: "Partner accesses" };

/** @param {Anomaly} a */
function recordsLink(a) {
  /** @type {import("../query.js").Filters} */
  const filters = { kind: a.metric === "access" ? "access" : "decision", subscriber_id: a.subscriber_id, from: a.window_start };
  if (a.metric !== "access") filters.outcome = a.metric;
  return el("a", { href: searchPageUrl(filters) }, "Records");
}

async function main() {
  if (!startPage()) return;
  try {
    const { anomalies } = /** @type {{ anomalies: Anomaly[] }} */ (await busy(() => getJson("/v1/anomalies")));
    clearError();
    if (anomalies.length === 0) {
      fill(out, el("p", { class: "empty", id: "no-anomalies" }, "No partner's activity departs from its baseline."));
      return;
    }
    const sorted = [...anomalies].sort((a, b) => b.ratio - a.ratio);
    fill(
      out,
      table(
        "Flagged windows, largest departure first",
        ["Partner", "Measure", "Window from (NZ time)", "Count", "Baseline (mean ± sd)", "Ratio to baseline", ""],
        sorted.map((a) => [
          el("strong", {}, a.subscriber_id),
          METRIC[a.metric] ?? a.metric,
          formatTime(a.window_start),
          a.count.toLocaleString("en-NZ"),
          `${a.baseline_mean.toFixed(1)} ± ${a.baseline_sd.toFixed(1)}`,
          el("span", { class: a.ratio >= 3 ? "ratio high" : "ratio" }, `${a.ratio.toFixed(1)}×`),
          recordsLink(a),
        ]),
        { id: "anomalies-table", class: "records" },
      ),
    );
  } catch (err) {
    showError(err);
  }
}

void main();
