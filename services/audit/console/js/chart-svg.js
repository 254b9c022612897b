/**
 * Draws a chart model (chart.js) as accessible SVG: each panel is an image with
 * a <title> and <desc> naming what it shows, and the same numbers are given as
 * a table for anyone who cannot see the bars.
 */
import { el, svg, table } from "./dom.js";
import { formatTick, formatTime, plural } from "./format.js";

/** @typedef {import("./chart.js").ChartModel} ChartModel */
/** @typedef {import("./chart.js").Panel} Panel */

let ids = 0;

/**
 * @param {ChartModel} m
 * @param {Panel} panel
 * @param {"hour" | "day" | "week"} bucket
 */
export function panelFigure(m, panel, bucket) {
  const n = ++ids;
  const titleId = `chart-${n}-title`;
  const descId = `chart-${n}-desc`;
  const busiest = panel.bars.reduce((a, b) => (b.allow + b.deny > a.allow + a.deny ? b : a), panel.bars[0] ?? { start: "", allow: 0, deny: 0 });
  const title = `Sharing decisions for ${panel.subscriberId} per ${bucket}`;
  const desc =
    `${plural(panel.allow, "disclosure")} allowed and ${plural(panel.deny, "decision")} denied` +
    (m.domain ? ` between ${formatTime(m.domain.fromMs)} and ${formatTime(m.domain.toMs)}` : "") +
    (busiest.start ? `; the busiest ${bucket} began ${formatTime(busiest.start)} with ${busiest.allow} allowed and ${busiest.deny} denied.` : ".");

  const image = svg(
    "svg",
    { viewBox: `0 0 ${m.width} ${m.height}`, role: "img", "aria-labelledby": `${titleId} ${descId}`, class: "chart", "data-subscriber": panel.subscriberId },
    svg("title", { id: titleId }, title),
    svg("desc", { id: descId }, desc),
  );
  const axes = svg("g", { class: "axes", "aria-hidden": "true" });
  for (const t of m.yTicks) {
    axes.append(
      svg("line", { x1: m.plot.left, x2: m.plot.right, y1: t.y, y2: t.y, class: t.value === 0 ? "baseline" : "grid" }),
      svg("text", { x: m.plot.left - 6, y: t.y, class: "tick y" }, t.value.toLocaleString("en-NZ")),
    );
  }
  m.xTicks.forEach((t, i) => {
    const edge = i === 0 ? " first" : i === m.xTicks.length - 1 ? " last" : "";
    axes.append(svg("text", { x: t.x, y: m.plot.bottom + 16, class: `tick x${edge}` }, formatTick(t.ms, bucket)));
  });
  const bars = svg("g", { class: "bars" });
  for (const b of panel.bars) {
    const label = `${formatTime(b.start)}: ${b.allow} allowed, ${b.deny} denied`;
    bars.append(
      svg(
        "g",
        { class: "bar" },
        svg("title", {}, label),
        b.allowHeight > 0 ? svg("rect", { x: b.x, y: b.allowY, width: b.width, height: b.allowHeight, class: "allow" }) : null,
        b.denyHeight > 0 ? svg("rect", { x: b.x, y: b.denyY, width: b.width, height: b.denyHeight, class: "deny" }) : null,
      ),
    );
  }
  image.append(axes, bars);
  return el(
    "figure",
    { class: "panel" },
    el("figcaption", {}, el("strong", {}, panel.subscriberId), ` — ${plural(panel.allow, "allowed", "allowed")}, ${plural(panel.deny, "denied", "denied")}`),
    image,
  );
}

/** The legend shared by every panel. */
export function legend() {
  return el(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    el("li", {}, el("span", { class: "swatch allow", "aria-hidden": "true" }), "Allowed (a view was disclosed)"),
    el("li", {}, el("span", { class: "swatch deny", "aria-hidden": "true" }), "Denied (nothing disclosed)"),
  );
}

/**
 * The numbers behind the charts, one row per partner and bucket.
 * @param {ChartModel} m
 */
export function dataTable(m) {
  const rows = m.panels.flatMap((p) => p.bars.map((b) => [p.subscriberId, formatTime(b.start), b.allow.toLocaleString("en-NZ"), b.deny.toLocaleString("en-NZ")]));
  return table("Sharing decisions per partner and period", ["Partner", "Period starting", "Allowed", "Denied"], rows, { class: "data", id: "chart-data" });
}
