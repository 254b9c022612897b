/** "Who has seen information about this person, and under what legal basis?" */
import { getJson } from "../api.js";
import { byId, el, fill, table } from "../dom.js";
import { formatTime, plural } from "../format.js";
import { busy, clearError, showError, startPage } from "../layout.js";
import { disclosuresApiUrl, personPageUrl, recordPageUrl, searchPageUrl } from "../query.js";

/** @typedef {import("../types.js").SubjectDisclosures} SubjectDisclosures */
/** @typedef {import("../types.js").Disclosure} Disclosure */
/** @typedef {import("../types.js").SubjectLink} SubjectLink */

/** The linkage service's rules, as a reader would say them. */
const RULES = /** @type {Record<string, string>} */ ({
  identity_document: "the same identity document",
  company_registration: "the same company registration",
  vehicle_plate: "the same vehicle plate",
  name_and_date_of_birth: "the same name and date of birth",
});

const AGENCIES = /** @type {Record<string, string>} */ ({ police: "Police", customs: "Customs", mbie: "MBIE", msd: "MSD" });
const agencyName = (/** @type {string} */ a) => AGENCIES[a] ?? a;

const DISCLOSURE_HEADERS = ["Decided (NZ time)", "Seen by", "View", "Legal basis", "Policy revision", "Published by", "Event type", "Delivered on"];

/** One table row per disclosure, each naming the record (event) it came from. @param {Disclosure[]} list */
function disclosureRows(list) {
  return list.map((x) => [
    el("a", { href: recordPageUrl(x.decision_id), class: "record-link", "data-record-id": x.decision_id }, formatTime(x.decided_at)),
    el("strong", {}, x.subscriber_id),
    x.view,
    el("span", { class: "legal-basis" }, x.legal_basis),
    el("code", {}, x.policy_revision),
    x.agency,
    x.event_type,
    el("code", {}, x.delivery_topic),
  ]);
}

/**
 * The subject's links to other agencies' subjects, each with who has seen that subject.
 * @param {SubjectDisclosures} d
 * @param {string | null} cursor
 */
function linksSection(d, cursor) {
  const heading = el("h2", { id: "links-heading" }, "Across agencies: the same person in other agencies' records");
  if (cursor) return el("section", { id: "links", "aria-labelledby": "links-heading" }, heading, el("p", {}, el("a", { href: personPageUrl(d.subject_id) }, "The first page"), " lists this subject's links."));
  const links = d.links ?? [];
  return el(
    "section",
    { id: "links", "aria-labelledby": "links-heading" },
    heading,
    links.length === 0
      ? el("p", { class: "empty", id: "no-links" }, "No link to a subject in another agency's records.")
      : el(
          "p",
          { class: "summary" },
          `${plural(links.length, "link")} found by the linkage service; each lists who has seen the linked subject (one step only: their own links are not followed).`,
        ),
    ...links.map((l, i) => linkBlock(l, i)),
  );
}

/** @param {SubjectLink} l @param {number} i */
function linkBlock(l, i) {
  const confidence = `${Math.round(l.confidence * 100)}%`;
  const rule = RULES[l.rule] ?? l.rule;
  const id = `link-${i}`;
  return el(
    "article",
    { class: "link", id, "data-link-id": l.link_id, "aria-labelledby": `${id}-heading` },
    el("h3", { id: `${id}-heading` }, el("a", { href: personPageUrl(l.linked_subject_id) }, el("code", { class: "linked-subject" }, l.linked_subject_id)), ` in ${agencyName(l.linked_record.agency)}'s records`),
    el(
      "p",
      { class: "summary" },
      "Linked by ",
      el("strong", { class: "link-rule" }, rule),
      ", confidence ",
      el("strong", { class: "link-confidence" }, confidence),
      `, ${formatTime(l.linked_at)}: ${agencyName(l.record.agency)} record `,
      el("a", { href: recordPageUrl(`publish:${l.record.event_id}`) }, el("code", {}, l.record.event_id)),
      ` and ${agencyName(l.linked_record.agency)} record `,
      el("a", { href: recordPageUrl(`publish:${l.linked_record.event_id}`) }, el("code", {}, l.linked_record.event_id)),
      `. ${plural(l.denied, "decision")} about the linked subject denied.`,
    ),
    l.disclosures.length
      ? table(`Who received information about the linked subject ${l.linked_subject_id} (${rule}, confidence ${confidence}), newest first`, DISCLOSURE_HEADERS, disclosureRows(l.disclosures), { class: "records linked-disclosures" })
      : el("p", { class: "empty" }, "No partner has received information about the linked subject."),
    l.more ? el("p", {}, "More disclosures than shown: ", el("a", { href: personPageUrl(l.linked_subject_id) }, "see the linked subject's page"), ".") : null,
  );
}

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
  const rows = disclosureRows(d.disclosures);
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
      ? table("Who received information about this person, newest first", DISCLOSURE_HEADERS, rows, { id: "disclosures-table", class: "records" })
      : el("p", { class: "empty" }, "No partner has received information about this subject."),
    el(
      "nav",
      { class: "paging", "aria-label": "Result pages" },
      cursor ? el("a", { href: personPageUrl(d.subject_id), rel: "first" }, "First page") : null,
      d.next_cursor ? el("a", { href: pageUrl(d.subject_id, d.next_cursor), rel: "next" }, "Next page") : null,
    ),
    linksSection(d, cursor),
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
