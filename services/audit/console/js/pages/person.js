/** "Who has seen information about this person, and under what legal basis?" */
import { getJson } from "../api.js";
import { byId, el, fill, table } from "../dom.js";
import { formatTime, plural } from "../format.js";
import { busy, clearError, showError, startPage } from "../layout.js";
import { disclosuresApiUrl, personPageUrl, recordPageUrl, searchPageUrl } from "../query.js";

/** @typedef {import("../types.js").SubjectDisclosures} SubjectDisclosures */

const form = byId("person-form", HTMLFormElement);
const input = byId("subject-id", HTMLInputElement);
const results = byId("disclosures", HTMLElement);

/**
 * @param {string} subjectId
 * @param {string | null} cursor
 */
function pageUrl(subjectId, cursor) {
  return cursor ? `${personPageUrl(subjectId)}&${new URLSearchParams({ cursor })}` : personPageUrl(subjectId);
}

/**
 * @param {SubjectDisclosures} d
 * @param {string | null} cursor
 */
function render(d, cursor) {
  const rows = d.disclosures.map((x) => [
    el("a", { href: recordPageUrl(x.decision_id), class: "record-link", "data-record-id": x.decision_id }, formatTime(x.decided_at)),
    el("strong", {}, x.subscriber_id),
    x.view,
    el("span", { class: "legal-basis" }, x.legal_basis),
    el("code", {}, x.policy_revision),
    x.agency,
    x.event_type,
    el("code", {}, x.delivery_topic),
  ]);
  fill(
    results,
    el("h2", {}, "Disclosures about ", el("code", { id: "subject-shown" }, d.subject_id)),
    el(
      "p",
      { class: "summary", id: "disclosure-summary" },
      `${plural(d.disclosures.length, "disclosure")} ${cursor ? "on this page" : "shown"}; `,
      el("strong", { id: "denied-count" }, plural(d.denied, "decision")),
      " denied (nothing disclosed). ",
      el("a", { href: searchPageUrl({ subject_id: d.subject_id }) }, "All records about this subject"),
    ),
    d.disclosures.length
      ? table("Who received information about this person, newest first", ["Decided (NZ time)", "Seen by", "View", "Legal basis", "Policy revision", "Published by", "Event type", "Delivered on"], rows, { id: "disclosures-table", class: "records" })
      : el("p", { class: "empty" }, "No partner has received information about this subject."),
    el(
      "nav",
      { class: "paging", "aria-label": "Result pages" },
      cursor ? el("a", { href: personPageUrl(d.subject_id), rel: "first" }, "First page") : null,
      d.next_cursor ? el("a", { href: pageUrl(d.subject_id, d.next_cursor), rel: "next" }, "Next page") : null,
    ),
  );
}

async function main() {
  if (!startPage()) return;
  const params = new URLSearchParams(location.search);
  const subjectId = params.get("subject_id")?.trim() ?? "";
  const cursor = params.get("cursor");
  input.value = subjectId;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const id = input.value.trim();
    if (id) location.assign(personPageUrl(id));
  });
  if (!subjectId) return;
  try {
    const d = /** @type {SubjectDisclosures} */ (await busy(() => getJson(disclosuresApiUrl(subjectId, cursor))));
    clearError();
    render(d, cursor);
  } catch (err) {
    showError(err);
  }
}

void main();
