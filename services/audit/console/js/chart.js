/**
 * Geometry of the disclosure charts: one panel per partner (subscriber), bars
 * per time bucket stacked allow (bottom) and deny (top), on a shared y scale so
 * partners can be compared. x is linear in time, so gaps in the data show as
 * gaps. Pure: no DOM; chart-svg.js draws what this computes.
 */

/** @typedef {import("./types.js").StatsBucket} StatsBucket */

export const BUCKET_MS = /** @type {const} */ ({ hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 });

/**
 * @typedef {{ start: string, startMs: number, allow: number, deny: number, x: number, width: number, allowY: number, allowHeight: number, denyY: number, denyHeight: number }} Bar
 * @typedef {{ subscriberId: string, allow: number, deny: number, bars: Bar[] }} Panel
 * @typedef {{ value: number, y: number }} Tick
 * @typedef {{ ms: number, x: number }} TimeTick
 * @typedef {{
 *   width: number, height: number,
 *   plot: { left: number, top: number, right: number, bottom: number },
 *   yMax: number, yTicks: Tick[], xTicks: TimeTick[],
 *   domain: { fromMs: number, toMs: number } | null,
 *   panels: Panel[],
 * }} ChartModel
 */

/**
 * Round axis ticks from 0 to at least `max`: steps of 1, 2 or 5 × 10^k, at
 * most `count` + 1 ticks, integers only (counts).
 * @param {number} max
 * @param {number} [count]
 * @returns {number[]}
 */
export function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag);
  const top = Math.ceil(max / step) * step;
  /** @type {number[]} */
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Math.round(v));
  return ticks;
}

/**
 * @param {readonly StatsBucket[]} buckets
 * @param {{ bucket: keyof typeof BUCKET_MS, width?: number, height?: number, timeTicks?: number }} options
 * @returns {ChartModel}
 */
export function chartModel(buckets, options) {
  const width = options.width ?? 640;
  const height = options.height ?? 160;
  const plot = { left: 48, top: 8, right: width - 8, bottom: height - 24 };
  const span = BUCKET_MS[options.bucket];
  const valid = buckets.filter((b) => Number.isFinite(Date.parse(b.start)) && b.allow >= 0 && b.deny >= 0);
  const starts = valid.map((b) => Date.parse(b.start));
  if (valid.length === 0) return { width, height, plot, yMax: 1, yTicks: ticks([0, 1], 1, plot), xTicks: [], domain: null, panels: [] };

  const fromMs = Math.min(...starts);
  const toMs = Math.max(...starts) + span;
  const plotWidth = plot.right - plot.left;
  /** @param {number} ms */
  const xOf = (ms) => plot.left + ((ms - fromMs) / (toMs - fromMs)) * plotWidth;
  const barWidth = Math.max(1, (span / (toMs - fromMs)) * plotWidth - 1);

  const yValues = niceTicks(Math.max(...valid.map((b) => b.allow + b.deny)));
  const yMax = yValues[yValues.length - 1] ?? 1;
  /** @param {number} v */
  const hOf = (v) => (v / yMax) * (plot.bottom - plot.top);

  /** @type {Map<string, Panel>} */
  const panels = new Map();
  for (const b of [...valid].sort((p, q) => Date.parse(p.start) - Date.parse(q.start))) {
    let panel = panels.get(b.subscriber_id);
    if (!panel) panels.set(b.subscriber_id, (panel = { subscriberId: b.subscriber_id, allow: 0, deny: 0, bars: [] }));
    panel.allow += b.allow;
    panel.deny += b.deny;
    const startMs = Date.parse(b.start);
    const allowHeight = hOf(b.allow);
    const denyHeight = hOf(b.deny);
    panel.bars.push({
      start: b.start,
      startMs,
      allow: b.allow,
      deny: b.deny,
      x: xOf(startMs),
      width: barWidth,
      allowY: plot.bottom - allowHeight,
      allowHeight,
      denyY: plot.bottom - allowHeight - denyHeight,
      denyHeight,
    });
  }
  const n = Math.max(1, options.timeTicks ?? 4);
  /** @type {TimeTick[]} */
  const xTicks = [];
  for (let i = 0; i <= n; i++) {
    const ms = fromMs + ((toMs - fromMs) * i) / n;
    xTicks.push({ ms, x: xOf(ms) });
  }
  return {
    width,
    height,
    plot,
    yMax,
    yTicks: ticks(yValues, yMax, plot),
    xTicks,
    domain: { fromMs, toMs },
    panels: [...panels.values()].sort((a, b) => b.allow + b.deny - (a.allow + a.deny) || a.subscriberId.localeCompare(b.subscriberId)),
  };
}

/**
 * @param {number[]} values
 * @param {number} yMax
 * @param {{ top: number, bottom: number }} plot
 * @returns {Tick[]}
 */
function ticks(values, yMax, plot) {
  return values.map((value) => ({ value, y: plot.bottom - (value / yMax) * (plot.bottom - plot.top) }));
}
