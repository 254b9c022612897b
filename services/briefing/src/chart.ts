import type { Trend } from "./briefing.js";
import { esc } from "./escape.js";
import { ENGLISH, type Messages } from "./messages.js";

/**
 * A bar chart of a trend as server-side SVG: no client script, readable by a
 * screen reader (role="img" with a title and a description that states every
 * value), scaled to the width of a phone, and the same in print. Suppressed
 * points are drawn as an outlined stub marked "s", never as a zero. Its words
 * are the catalogue's (`m`). The page
 * puts a table of the same values beside it as the text alternative. Pure.
 */
export function barChart(trend: Trend, idPrefix: string, m: Messages = ENGLISH): string {
  const W = 360;
  const H = 180;
  const pad = { top: 16, right: 8, bottom: 34, left: 36 };
  const innerW = W - pad.left - pad.right;
  const innerH = H - pad.top - pad.bottom;
  const values = trend.points.map((p) => (p.value.suppressed ? null : p.value.value));
  const max = Math.max(3, ...values.map((v) => v ?? 0));
  const step = innerW / Math.max(1, trend.points.length);
  const barW = Math.max(4, step * 0.7);
  const y = (v: number) => pad.top + innerH - (v / max) * innerH;
  const titleId = `${idPrefix}-title`;
  const descId = `${idPrefix}-desc`;
  const desc = trend.points.map((p) => `${p.label}: ${p.value.suppressed ? m.t("chart.suppressed") : p.value.value}`).join("; ");
  const bars = trend.points
    .map((p, i) => {
      const x = pad.left + i * step + (step - barW) / 2;
      const v = values[i];
      const tick = `<text x="${(x + barW / 2).toFixed(1)}" y="${H - pad.bottom + 14}" class="tick" text-anchor="middle">${esc(p.label)}</text>`;
      if (v === null || v === undefined) {
        return `<rect x="${x.toFixed(1)}" y="${(y(0) - 10).toFixed(1)}" width="${barW.toFixed(1)}" height="10" class="bar-s"/><text x="${(x + barW / 2).toFixed(1)}" y="${(y(0) - 13).toFixed(1)}" class="val" text-anchor="middle">s</text>${tick}`;
      }
      return `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" class="bar"/><text x="${(x + barW / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" class="val" text-anchor="middle">${v}</text>${tick}`;
    })
    .join("");
  const axis = `<line x1="${pad.left}" y1="${y(0)}" x2="${W - pad.right}" y2="${y(0)}" class="axis"/><text x="${pad.left - 4}" y="${y(max) + 4}" class="tick" text-anchor="end">${max}</text><text x="${pad.left - 4}" y="${y(0) + 4}" class="tick" text-anchor="end">0</text>`;
  return (
    `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${titleId} ${descId}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${titleId}">${esc(trend.title)}</title><desc id="${descId}">${esc(m.t("chart.description", { unit: m.t(`unit.${trend.unit}`), values: desc }))}</desc>` +
    axis +
    bars +
    `</svg>`
  );
}
