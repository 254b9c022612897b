/** The search page: every filter of GET /v1/records, reflected in the address bar, paged by cursor. */
import { ApiError, getJson } from "../api.js";
import { byId, el, fill, table } from "../dom.js";
import { formatTime, kindLabel, plural } from "../format.js";
import { busy, clearError, showError, startPage } from "../layout.js";
import { isoToLocalInput, localInputToIso, readParams, RECORD_FILTERS, RECORD_PARAMS, recordPageUrl, recordsApiUrl, searchPageUrl, personPageUrl } from "../query.js";

/** @typedef {import("../types.js").RecordPage} RecordPage */
/** @typedef {import("../types.js").RecordSummary} RecordSummary */

const form = byId("search-form", HTMLFormElement);
const results = byId("results", HTMLElement);

/** @param {import("../query.js").Filters} current */
function buildForm(current) {
  const fields = RECORD_FILTERS.map((f) => {
    const id = `f-${f.name}`;
    const value = current[f.name] ?? "";
    /** @type {HTMLInputElement | HTMLSelectElement} */
    let input;
    if (f.type === "select") {
      input = el("select", { id, name: f.name }, el("option", { value: "" }, "Any"), ...(f.options ?? []).map(([v, label]) => el("option", { value: v, selected: v === value }, label)));
    } else if (f.type === "datetime") {
      input = el("input", { id, name: f.name, type: "datetime-local", value: value ? isoToLocalInput(value) : "" });
    } else if (f.type === "number") {
      input = el("input", { id, name: f.name, type: "number", min: 1, max: 500, inputmode: "numeric", placeholder: f.placeholder, value });
    } else {
      input = el("input", { id, name: f.name, type: "text", autocomplete: "off", spellcheck: "false", placeholder: f.placeholder, value });
    }
    input.setAttribute("aria-describedby", `${id}-error`);
    return el("div", { class: "field" }, el("label", { for: id }, f.name === "from" || f.name === "to" ? `${f.label} (your local time)` : f.label), input, el("span", { id: `${id}-error`, class: "field-error" }));
  });
  fill(
    form,
    el("fieldset", {}, el("legend", {}, "Filters"), ...fields),
    el("div", { class: "actions" }, el("button", { type: "submit" }, "Search"), el("a", { href: "/console/", class: "button secondary" }, "Clear")),
  );
}

/** @returns {import("../query.js").Filters} */
function readForm() {
  /** @type {import("../query.js").Filters} */
  const out = {};
  for (const f of RECORD_FILTERS) {
    const input = form.elements.namedItem(f.name);
    if (!(input instanceof HTMLInputElement || input instanceof HTMLSelectElement)) continue;
    const raw = input.value.trim();
    if (!raw) continue;
    out[f.name] = f.type === "datetime" ? (localInputToIso(raw) ?? raw) : raw;
  }
  return out;
}

/** @param {ApiError} err */
function markFields(err) {
  for (const issue of err.issues) {
    const name = issue.path.split(".")[0] ?? "";
    const input = form.elements.namedItem(name);
    const message = document.getElementById(`f-${name}-error`);
    if (input instanceof HTMLElement) input.setAttribute("aria-invalid", "true");
    if (message) message.textContent = issue.message;
  }
}

/** @param {RecordSummary} r */
function row(r) {
  const who = r.kind === "decision" || r.kind === "access" ? r.subscriber_id : "";
  return [
    el("a", { href: recordPageUrl(r.id), class: "record-link", "data-record-id": r.id }, formatTime(r.occurred_at)),
    kindLabel(r.kind),
    r.agency,
    who,
    // A refusal reads as who refused what at which door (and the record type submitted); a summary adds its route and count.
    r.kind === "refusal" || r.kind === "refusal_summary" ? [r.action, r.event_type].filter(Boolean).join(" · ") : r.event_type || r.action,
    r.region,
    r.outcome ? el("span", { class: `outcome ${r.outcome}` }, r.outcome) : "",
    r.view,
    r.legal_basis ? el("span", { class: "legal-basis", title: r.legal_basis }, r.legal_basis) : "",
    r.subject_ids.length ? el("span", {}, ...r.subject_ids.flatMap((s, i) => [i ? ", " : "", el("a", { href: personPageUrl(s) }, s)])) : "",
  ];
}

/**
 * @param {import("../query.js").Filters} filters
 * @param {string | undefined} cursor
 * @param {RecordPage} page
 */
function render(filters, cursor, page) {
  const t = table(
    `${plural(page.records.length, "record")}${cursor ? " on this page" : ""}, newest first`,
    ["When (NZ time)", "Kind", "Agency", "Partner", "Event type / action", "District", "Outcome", "View", "Legal basis", "Subjects"],
    page.records.map(row),
    { id: "results-table", class: "records" },
  );
  const paging = el(
    "nav",
    { class: "paging", "aria-label": "Result pages" },
    cursor ? el("a", { href: searchPageUrl(filters), rel: "first" }, "First page") : null,
    page.next_cursor ? el("a", { href: searchPageUrl(filters, page.next_cursor), rel: "next", id: "next-page" }, "Next page") : el("span", {}, "End of results"),
  );
  fill(results, page.records.length ? t : el("p", { class: "empty" }, "No records match these filters."), paging);
}

async function main() {
  if (!startPage()) return;
  const params = readParams(location.search, RECORD_PARAMS);
  const { cursor, ...filters } = params;
  buildForm(filters);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.assign(searchPageUrl(readForm()));
  });
  try {
    const page = await busy(() => getJson(/** @type {string} */ (recordsApiUrl(filters, cursor))));
    clearError();
    render(filters, cursor, /** @type {RecordPage} */ (page));
  } catch (err) {
    if (err instanceof ApiError) markFields(err);
    showError(err);
    fill(results);
  }
}

void main();
