/** How the console writes times and codes for people. Pure: no DOM. */

const NZ = "Pacific/Auckland";
const dateTime = new Intl.DateTimeFormat("en-NZ", { timeZone: NZ, dateStyle: "medium", timeStyle: "medium", hour12: false });
const dayOnly = new Intl.DateTimeFormat("en-NZ", { timeZone: NZ, day: "numeric", month: "short" });
const dayHour = new Intl.DateTimeFormat("en-NZ", { timeZone: NZ, day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false });
const zone = new Intl.DateTimeFormat("en-NZ", { timeZone: NZ, timeZoneName: "short" });

/**
 * An instant in New Zealand time with its zone (NZDT/NZST); the input unchanged
 * when it is not a date, "" when empty.
 * @param {string | number} value ISO 8601 text or ms since epoch
 */
export function formatTime(value) {
  if (value === "") return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const tz = zone.formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "";
  return `${dateTime.format(d)} ${tz}`.trim();
}

/**
 * A short label for a time-axis tick.
 * @param {number} ms
 * @param {"hour" | "day" | "week"} bucket
 */
export function formatTick(ms, bucket) {
  const d = new Date(ms);
  return bucket === "hour" ? dayHour.format(d) : dayOnly.format(d);
}

/** @type {Record<string, string>} */
export const KIND_LABELS = {
  decision: "Sharing decision",
  access: "Partner access",
  publish: "Publication",
  oversight_query: "Oversight query",
  policy_revision: "Policy revision",
  refusal: "Refusal",
  refusal_summary: "Refusals (window summary)",
  conflict: "Conflict (an id again with other bytes)",
  report: "Outcome report (signed rendering)",
  purge: "Purge (subjects' keys destroyed)",
};

/** @param {string} kind */
export function kindLabel(kind) {
  return KIND_LABELS[kind] ?? kind;
}

/**
 * A hash shortened for tables, the full value kept for titles.
 * @param {string} hex
 */
export function shortHash(hex) {
  return hex.length > 20 ? `${hex.slice(0, 12)}…${hex.slice(-6)}` : hex;
}

/**
 * @param {number} n
 * @param {string} one
 * @param {string} [many]
 */
export function plural(n, one, many = `${one}s`) {
  return `${n.toLocaleString("en-NZ")} ${n === 1 ? one : many}`;
}
