/**
 * The search's filters and the query strings built from them — one order and
 * one spelling for the page's own URL (bookmarkable, shareable) and the API's.
 * Pure: no DOM.
 */

/**
 * @typedef {{ name: string, label: string, type: "select" | "text" | "datetime" | "number", options?: readonly (readonly [string, string])[], placeholder?: string }} FilterSpec
 * @typedef {Record<string, string>} Filters
 */

/** The Police districts by their lower-case code (the API's `region`). */
export const REGIONS = /** @type {const} */ ([
  ["northland", "Northland"],
  ["waitemata", "Waitematā"],
  ["auckland_city", "Auckland City (Tāmaki Makaurau)"],
  ["counties_manukau", "Counties Manukau"],
  ["waikato", "Waikato"],
  ["bay_of_plenty", "Bay of Plenty"],
  ["eastern", "Eastern"],
  ["central", "Central"],
  ["wellington", "Wellington"],
  ["tasman", "Tasman"],
  ["canterbury", "Canterbury"],
  ["southern", "Southern"],
]);

/** @type {readonly FilterSpec[]} */
export const RECORD_FILTERS = [
  {
    name: "kind",
    label: "Record kind",
    type: "select",
    options: [
      ["decision", "Sharing decision"],
      ["access", "Partner access"],
      ["publish", "Publication"],
      ["oversight_query", "Oversight query"],
      ["policy_revision", "Policy revision"],
      ["refusal", "Refusal"],
      ["refusal_summary", "Refusals (window summary)"],
      ["conflict", "Conflict (an id again with other bytes)"],
      ["report", "Outcome report (signed rendering)"],
      ["purge", "Purge (subjects' keys destroyed)"],
    ],
  },
  {
    name: "agency",
    label: "Publishing agency",
    type: "select",
    options: [
      ["police", "NZ Police"],
      ["customs", "NZ Customs Service"],
      ["mbie", "MBIE"],
      ["msd", "MSD"],
    ],
  },
  { name: "subscriber_id", label: "Subscriber (partner)", type: "text", placeholder: "e.g. customs" },
  { name: "event_type", label: "Event type", type: "text", placeholder: "e.g. police.organised_crime_noting" },
  { name: "region", label: "Police district", type: "select", options: REGIONS },
  { name: "subject_id", label: "Subject id", type: "text" },
  {
    name: "outcome",
    label: "Outcome",
    type: "select",
    options: [
      ["allow", "Allowed"],
      ["deny", "Denied"],
    ],
  },
  { name: "legal_basis", label: "Legal basis", type: "text" },
  { name: "from", label: "From", type: "datetime" },
  { name: "to", label: "To", type: "datetime" },
  { name: "limit", label: "Per page", type: "number", placeholder: "50" },
];

/** Page state that is not a filter but belongs in the shareable URL. */
export const PAGING = ["cursor"];

/**
 * The known, non-empty parameters of a query string, in the canonical order;
 * unknown parameters are dropped.
 * @param {URLSearchParams | string} search
 * @param {readonly string[]} names
 * @returns {Filters}
 */
export function readParams(search, names) {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  /** @type {Filters} */
  const out = {};
  for (const name of names) {
    const value = params.get(name)?.trim();
    if (value) out[name] = value;
  }
  return out;
}

/**
 * A query string (no leading "?") of the non-empty values, in the order of
 * `names`; "" when there are none.
 * @param {Filters} values
 * @param {readonly string[]} names
 */
export function toQueryString(values, names) {
  const params = new URLSearchParams();
  for (const name of names) {
    const value = values[name]?.trim();
    if (value) params.set(name, value);
  }
  return params.toString();
}

export const RECORD_PARAMS = [...RECORD_FILTERS.map((f) => f.name), ...PAGING];

/**
 * @param {Filters} filters
 * @param {string | null} [cursor]
 */
export function recordsApiUrl(filters, cursor) {
  const qs = toQueryString({ ...filters, cursor: cursor ?? "" }, RECORD_PARAMS);
  return qs ? `/v1/records?${qs}` : "/v1/records";
}

/**
 * The console's own URL for a search (and page), for the address bar and links.
 * @param {Filters} filters
 * @param {string | null} [cursor]
 */
export function searchPageUrl(filters, cursor) {
  const qs = toQueryString({ ...filters, cursor: cursor ?? "" }, RECORD_PARAMS);
  return qs ? `/console/?${qs}` : "/console/";
}

/**
 * @param {string} subjectId
 * @param {string | null} [cursor]
 */
export function disclosuresApiUrl(subjectId, cursor) {
  const qs = toQueryString({ cursor: cursor ?? "" }, ["cursor"]);
  return `/v1/subjects/${encodeURIComponent(subjectId)}/disclosures${qs ? `?${qs}` : ""}`;
}

/** @param {string} id */
export function recordApiUrl(id) {
  return `/v1/records/${encodeURIComponent(id)}`;
}

/** A record's history, given any version's event id. @param {string} eventId */
export function versionsApiUrl(eventId) {
  return `/v1/records/${encodeURIComponent(eventId)}/versions`;
}

/** @param {string} id */
export function recordPageUrl(id) {
  return `/console/record?${new URLSearchParams({ id })}`;
}

/** @param {string} subjectId */
export function personPageUrl(subjectId) {
  return `/console/person?${new URLSearchParams({ subject_id: subjectId })}`;
}

export const STATS_PARAMS = ["from", "to", "bucket"];

/** @param {Filters} values */
export function statsApiUrl(values) {
  const qs = toQueryString(values, STATS_PARAMS);
  return qs ? `/v1/stats/disclosures?${qs}` : "/v1/stats/disclosures";
}

/**
 * An <input type="datetime-local"> value (the browser's local time) as an ISO
 * 8601 instant; undefined when it is not one.
 * @param {string} value
 */
export function localInputToIso(value) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?$/.test(value)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * An ISO 8601 instant as an <input type="datetime-local"> value in the
 * browser's local time (minute precision); "" when it is not one.
 * @param {string} iso
 */
export function isoToLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  /** @param {number} n */
  const two = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

/**
 * A path the console may return to after signing in: one of its own pages,
 * never another origin or route.
 * @param {unknown} next
 */
export function safeNext(next) {
  if (typeof next !== "string" || next.length > 2000) return undefined;
  if (!/^\/console\/(?:[a-z]+)?(?:\?[^#\s]*)?$/.test(next)) return undefined;
  if (next.startsWith("/console/login")) return undefined;
  return next;
}
