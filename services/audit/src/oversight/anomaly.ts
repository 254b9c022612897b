/**
 * Anomaly flags: a subscriber whose access or denial volume in the latest
 * window is far above its own baseline. Pure.
 *
 * Flagged when the count is at least `minCount`, at least `minRatio` times the
 * baseline mean, and more than `sigmas` standard deviations above it (with the
 * deviation floored at 1, so a flat baseline of zeros does not flag every
 * single event). A subscriber without enough history is judged against what it has.
 *
 * Conflicts (a record id that arrived again with different bytes, kept as a
 * `conflict` record) have no baseline to be judged against: any in the latest
 * window is flagged.
 */
export interface Series {
  subscriberId: string;
  metric: "allow" | "deny" | "access" | "conflict";
  /** Counts per window, oldest first; the last is the window judged. */
  counts: number[];
}

export interface Anomaly {
  subscriber_id: string;
  metric: Series["metric"];
  count: number;
  baseline_mean: number;
  baseline_sd: number;
  ratio: number;
}

export interface AnomalyRules {
  minCount: number;
  minRatio: number;
  sigmas: number;
}

export const DEFAULT_RULES: AnomalyRules = { minCount: 10, minRatio: 3, sigmas: 3 };

export function flagAnomalies(series: readonly Series[], rules: AnomalyRules = DEFAULT_RULES): Anomaly[] {
  const out: Anomaly[] = [];
  for (const s of series) {
    if (s.counts.length === 0) continue;
    const count = s.counts[s.counts.length - 1]!;
    const base = s.counts.slice(0, -1);
    const mean = base.length === 0 ? 0 : base.reduce((a, b) => a + b, 0) / base.length;
    const sd = base.length === 0 ? 0 : Math.sqrt(base.reduce((a, b) => a + (b - mean) ** 2, 0) / base.length);
    const ratio = count / Math.max(mean, 1);
    if (s.metric === "conflict" ? count > 0 : count >= rules.minCount && ratio >= rules.minRatio && count > mean + rules.sigmas * Math.max(sd, 1)) {
      out.push({ subscriber_id: s.subscriberId, metric: s.metric, count, baseline_mean: round(mean), baseline_sd: round(sd), ratio: round(ratio) });
    }
  }
  return out.sort((a, b) => b.ratio - a.ratio || a.subscriber_id.localeCompare(b.subscriber_id));
}

const round = (x: number) => Math.round(x * 100) / 100;
