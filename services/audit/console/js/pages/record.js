/** One record: what was decided, why, under which legal basis and policy revision, and its proof checked here. */
import { ApiError, getJson, postJson } from "../api.js";
import { byId, definitionList, el, fill, table } from "../dom.js";
import { formatTime, kindLabel } from "../format.js";
import { busy, clearError, showError, startPage } from "../layout.js";
import { checkRecordProof } from "../proof.js";
import { personPageUrl, recordApiUrl, recordPageUrl, searchPageUrl, versionsApiUrl } from "../query.js";
import { pinKey, trustedKeyIds, unpinKey } from "../trust.js";

/** @typedef {import("../types.js").RecordDetail} RecordDetail */
/** @typedef {import("../types.js").RecordVersions} RecordVersions */
/** @typedef {import("../types.js").RecordVersion} RecordVersion */
/** @typedef {import("../proof.js").ProofVerdict} ProofVerdict */

const content = byId("record", HTMLElement);
const proofSection = byId("proof", HTMLElement);

const STATUS_TEXT = { verified: "Verified", failed: "Failed", pending: "Pending", unchecked: "Not checked" };

/** @param {string[]} items */
function codeList(items) {
  return items.length ? el("ul", { class: "codes" }, ...items.map((p) => el("li", {}, el("code", {}, p)))) : el("p", {}, "None.");
}

/**
 * What a refusal, or a window's summary of unauthenticated refusals, says — from its own fields.
 * @param {RecordDetail["record"]} r
 */
function refusalSection(r) {
  const d = r.detail ?? {};
  const text = (/** @type {string} */ k) => (typeof d[k] === "string" ? /** @type {string} */ (d[k]) : "");
  const num = (/** @type {string} */ k) => (typeof d[k] === "number" ? /** @type {number} */ (d[k]) : 0);
  const paths = Array.isArray(d["field_paths"]) ? d["field_paths"].filter((p) => typeof p === "string") : [];
  const rows =
    r.kind === "refusal"
      ? [
          ["Refused by", el("code", { id: "refusal-service" }, text("service"))],
          ["Door", text("door")],
          ["Code", el("code", { id: "refusal-code" }, text("code"))],
          ["Who was refused", text("principal") ? el("code", { id: "refusal-principal" }, text("principal")) : "not identified"],
          ["Record type", text("record_type")],
          ["Route", text("route") ? el("code", {}, text("route")) : ""],
          ["Status answered", num("status") ? String(num("status")) : ""],
        ]
      : [
          ["Refused by", el("code", { id: "refusal-service" }, text("service"))],
          ["Door", text("door")],
          ["Code", el("code", { id: "refusal-code" }, text("code"))],
          ["Route", el("code", {}, text("route"))],
          ["Window", `${formatTime(text("window_start"))} – ${formatTime(text("window_end"))}`],
          ["Refusals", el("span", { id: "refusal-count" }, num("count").toLocaleString("en-NZ"))],
          ["Distinct client addresses", `${d["distinct_addresses_capped"] === true ? "at least " : ""}${num("distinct_addresses").toLocaleString("en-NZ")} (never the addresses themselves)`],
        ];
  return el(
    "section",
    { "aria-labelledby": "h-refusal" },
    el("h2", { id: "h-refusal" }, r.kind === "refusal" ? "The refusal" : "Unauthenticated refusals in one window"),
    definitionList(/** @type {[string, string | Node][]} */ (rows), { class: "facts" }),
    r.kind === "refusal" ? el("h3", {}, "Offending fields (paths only, never values)") : null,
    r.kind === "refusal" ? el("div", { id: "refusal-paths" }, codeList(paths)) : null,
  );
}

const REASON_TEXT = /** @type {Record<string, string>} */ ({
  entered_in_error: "entered in error",
  duplicate: "a duplicate",
  not_substantiated: "not substantiated",
  legal_direction: "legal direction",
  source_protection: "source protection",
  other: "other",
});

/**
 * What one version is, in words, with links to the versions it names.
 * @param {RecordVersion} v
 */
function versionText(v) {
  const link = (/** @type {string} */ id) => el("a", { href: recordPageUrl(`publish:${id}`) }, el("code", {}, id));
  if (v.version === "correction") return ["Correction of ", link(v.supersedes_event_id ?? "")];
  if (v.version === "withdrawal") return ["Withdrawal of ", link(v.withdrawn_event_id ?? ""), `, reason: ${REASON_TEXT[v.reason ?? ""] ?? v.reason ?? "unspecified"}`];
  return ["First version"];
}

/**
 * "Versions of this record": every version (first, corrections, withdrawal) in a captioned
 * table, each linked to its publish record, with the decisions made on it, each linked too.
 * @param {RecordVersions} h
 * @param {string} eventId the event this page's record is about
 */
function versionsSection(h, eventId) {
  const rows = h.versions.map((v) => [
    v.event_id === eventId ? el("strong", {}, ...versionText(v), " (this record's event)") : el("span", {}, ...versionText(v)),
    el("a", { href: recordPageUrl(v.record.id), "data-event": v.event_id }, el("code", {}, v.event_id)),
    formatTime(v.record.occurred_at),
    v.decisions.length
      ? el(
          "ul",
          { class: "codes" },
          ...v.decisions.map((d) => el("li", {}, el("a", { href: recordPageUrl(d.decision_id) }, d.subscriber_id), `: ${d.outcome === "allow" ? `allowed, ${d.view} view` : "denied"}`)),
          ...(v.more_decisions ? [el("li", {}, "… and more")] : []),
        )
      : "None recorded.",
  ]);
  const status =
    h.versions.length === 1 && h.versions[0]?.version === "first"
      ? "The ledger holds no correction or withdrawal of this record."
      : `${h.versions.length} versions in the ledger; ${h.withdrawn ? "the record was withdrawn." : "the record stands (not withdrawn)."}`;
  return el(
    "section",
    { "aria-labelledby": "h-versions", id: "versions" },
    el("h2", { id: "h-versions" }, "Versions of this record"),
    el("p", { id: "versions-status" }, status, h.more_versions ? " Only the first versions are listed." : ""),
    table("Every version of the record, oldest first, with the sharing decisions made on each", ["Version", "Event id (publish record)", "Published", "Decisions"], rows, { id: "versions-table" }),
  );
}

/**
 * The record's versions, for a publication or a decision (they name an event): appended to the
 * record when the ledger links any; an event the ledger holds no publication of shows none.
 * @param {RecordDetail["record"]} r
 */
async function loadVersions(r) {
  if (!r.event_id || (r.kind !== "publish" && r.kind !== "decision")) return;
  try {
    const h = /** @type {RecordVersions} */ (await getJson(versionsApiUrl(r.event_id)));
    content.append(versionsSection(h, r.event_id));
  } catch (err) {
    if (!(err instanceof ApiError && (err.code === "RECORD_NOT_FOUND" || err.code === "INVALID_QUERY"))) showError(err);
  }
}

/**
 * The record as the page shows it: for a kind the console reads, every field from
 * the leaf entry's own bytes (the ones the proof covers), not the server's copy.
 * @param {RecordDetail} d
 * @param {ProofVerdict | undefined} v
 * @returns {RecordDetail}
 */
function fromSignedBytes(d, v) {
  const s = v?.signed;
  if (!s?.fields) return d;
  return { ...d, record: { ...d.record, ...s.fields.summary, id: s.entry.recordId, kind: s.entry.kind, index: s.entry.index, detail: s.fields.doc } };
}

/**
 * @param {RecordDetail} d
 * @param {ProofVerdict} [v]
 */
function renderRecord(d, v) {
  const r = d.record;
  const fromIndex = v?.signed !== undefined && v.signed.fields === undefined;
  document.title = `${kindLabel(r.kind)} ${r.id} — Takitini oversight`;
  const people = (/** @type {string[]} */ ids) => ids.flatMap((s, i) => [i ? ", " : "", el("a", { href: personPageUrl(s) }, s)]);
  // Sealed subjects: the refs are in the signed bytes (detail, decoded here); the ids are opened by the server with keys the bytes do not hold.
  const sealed = Array.isArray(r.detail?.["sealed_subjects"]) ? /** @type {unknown[]} */ (r.detail["sealed_subjects"]) : [];
  const refs = sealed.flatMap((x) => (x !== null && typeof x === "object" && typeof (/** @type {{ ref?: unknown }} */ (x).ref) === "string" ? [/** @type {string} */ (/** @type {{ ref: string }} */ (x).ref)] : []));
  const erased = r.erased_subject_refs ?? [];
  const subjects = refs.length
    ? el(
        "span",
        { id: "subjects" },
        el("span", { id: "subjects-sealed" }, "Sealed in the signed bytes: ", ...refs.flatMap((x, i) => [i ? ", " : "", el("code", {}, x)])),
        el("br", {}),
        el(
          "span",
          { id: "subjects-opened" },
          "Opened by the server (not part of the signed bytes): ",
          ...(r.subject_ids.length ? people(r.subject_ids) : ["none"]),
          ...(erased.length ? ["; erased (key destroyed): ", ...erased.flatMap((x, i) => [i ? ", " : "", el("code", { class: "erased" }, x)])] : []),
        ),
      )
    : r.subject_ids.length
      ? el("span", { id: "subjects" }, ...people(r.subject_ids))
      : "";
  fill(
    content,
    el("h1", {}, kindLabel(r.kind), " ", el("span", { class: "record-id" }, r.id)),
    el("p", {}, el("a", { href: "#proof", id: "proof-chip", class: "proof-chip checking" }, "Proof: checking…")),
    r.outcome ? el("p", { class: `verdict ${r.outcome}` }, r.outcome === "allow" ? `Allowed: ${r.subscriber_id} received the ${r.view} view` : `Denied: nothing was disclosed to ${r.subscriber_id}`) : null,
    r.kind === "refusal" || r.kind === "refusal_summary" ? refusalSection(r) : null,
    el(
      "section",
      { "aria-labelledby": "h-basis" },
      el("h2", { id: "h-basis" }, "Legal basis and policy"),
      definitionList(
        [
          ["Legal basis", el("span", { id: "legal-basis" }, r.legal_basis)],
          ["Policy revision", el("code", { id: "policy-revision" }, r.policy_revision)],
        ],
        { class: "facts" },
      ),
      el("h3", {}, "Reasons (the rules that decided)"),
      r.reasons.length ? el("ol", { id: "reasons", class: "codes" }, ...r.reasons.map((x) => el("li", {}, el("code", {}, x)))) : el("p", { id: "reasons" }, "None recorded."),
      el("h3", {}, "Redacted paths"),
      el("div", { id: "redacted-paths" }, codeList(r.redacted_paths)),
    ),
    el(
      "section",
      { "aria-labelledby": "h-what" },
      el("h2", { id: "h-what" }, "What happened"),
      definitionList(
        [
          ["When", formatTime(r.occurred_at)],
          ["Kind", kindLabel(r.kind)],
          ["Partner (subscriber)", r.subscriber_id ? el("a", { href: searchPageUrl({ subscriber_id: r.subscriber_id }) }, r.subscriber_id) : ""],
          ["Publishing agency", r.agency],
          ["Event type", r.event_type],
          ["Event id", r.event_id ? el("code", {}, r.event_id) : ""],
          ["Police district", r.region],
          ["Outcome", r.outcome],
          ["View", r.view],
          ["Action", r.action],
          ["Delivery topic", r.delivery_topic ? el("code", { id: "delivery-topic" }, r.delivery_topic) : ""],
          ["Trace id", r.trace_id ? el("code", { id: "trace-id" }, r.trace_id) : ""],
          ["Subjects", subjects],
        ],
        { class: "facts" },
      ),
    ),
    fromIndex
      ? el("p", { class: "note", id: "content-source" }, `This console does not read a ${kindLabel(r.kind).toLowerCase()} record's own bytes: the fields above are the index's copy, and only the record's id, kind and position are checked against the signed entry.`)
      : v?.signed
        ? el("p", { class: "note", id: "content-source" }, "Every field above is decoded in this browser from the leaf entry's bytes — the bytes the proof below covers.")
        : null,
    Object.keys(r.detail ?? {}).length
      ? el("section", { "aria-labelledby": "h-detail" }, el("h2", { id: "h-detail" }, "Further detail"), el("pre", { class: "detail", tabindex: "0", role: "region", "aria-label": "The record's fields, as JSON" }, JSON.stringify(r.detail, null, 2)))
      : null,
    el(
      "section",
      { "aria-labelledby": "h-ledger" },
      el("h2", { id: "h-ledger" }, "Ledger entry"),
      definitionList(
        [
          ["Leaf index", String(d.ledger.index)],
          ["Leaf hash", el("code", { class: "hash" }, d.ledger.leaf_hash)],
          ["Appended", formatTime(d.ledger.appended_at)],
        ],
        { class: "facts" },
      ),
    ),
  );
}

/**
 * @param {RecordDetail} d
 * @param {ProofVerdict} v
 */
function renderProof(d, v) {
  const head = d.proof?.head;
  const chip = document.getElementById("proof-chip");
  if (chip) {
    chip.className = `proof-chip ${v.status}`;
    chip.textContent = `Proof: ${STATUS_TEXT[v.status].toLowerCase()}`;
  }
  const actions = el("div", { class: "actions no-print" });
  if (v.status === "pending") {
    const sign = el("button", { type: "button", id: "sign-head" }, "Sign a tree head now");
    sign.addEventListener("click", () => {
      sign.disabled = true;
      void postJson("/v1/tree/heads").then(() => load(), (err) => {
        sign.disabled = false;
        showError(err);
      });
    });
    actions.append(sign);
  }
  if (v.keyId && v.status !== "failed") {
    const pinned = v.keyPinned;
    const toggle = el("button", { type: "button", id: "pin-key", class: "secondary" }, pinned ? "Stop trusting this key" : "Pin this key as trusted");
    toggle.addEventListener("click", () => {
      const id = /** @type {string} */ (v.keyId);
      if (pinned) unpinKey(id);
      else pinKey(id);
      void load();
    });
    actions.append(toggle);
  }
  const print = el("button", { type: "button", class: "secondary" }, "Print");
  print.addEventListener("click", () => window.print());
  actions.append(print);

  fill(
    proofSection,
    el("h2", { id: "h-proof" }, "Proof verification"),
    el(
      "p",
      { class: `proof-status ${v.status}`, id: "proof-status", "data-status": v.status, role: "status" },
      el("span", { class: "badge" }, STATUS_TEXT[v.status]),
      " ",
      v.summary,
    ),
    v.checks.length
      ? el(
          "ul",
          { class: "checks", id: "proof-checks" },
          ...v.checks.map((c) => el("li", { class: c.ok ? "ok" : "bad", "data-check": c.id }, el("span", { class: "mark", "aria-hidden": "true" }, c.ok ? "✓" : "✗"), el("strong", {}, c.label), `: ${c.detail}`, el("span", { class: "visually-hidden" }, c.ok ? " (passed)" : " (failed)"))),
        )
      : null,
    head
      ? definitionList(
          [
            ["Tree size", head.tree_size.toLocaleString("en-NZ")],
            ["Signed root", el("code", { class: "hash" }, head.root_hash)],
            ["Head issued", formatTime(head.issued_at)],
            ["Signing key id", el("code", { class: "hash", id: "key-id" }, head.key_id)],
            ["Key trust", v.keyPinned ? "pinned by you in this browser" : trustedKeyIds().length ? "not one of the keys you pinned" : "no keys pinned in this browser"],
          ],
          { class: "facts" },
        )
      : null,
    el("p", { class: "note" }, "Checked in this browser with WebCrypto: the inclusion path is recomputed to the signed root (RFC 9162) and the head's Ed25519 signature verified over its canonical encoding. The service's own opinion is not consulted."),
    actions,
  );
}

async function load() {
  const id = new URLSearchParams(location.search).get("id")?.trim();
  if (!id) {
    showError(new Error("No record id in the address; open a record from the search."));
    return;
  }
  try {
    const d = /** @type {RecordDetail} */ (await busy(() => getJson(recordApiUrl(id))));
    clearError();
    fill(proofSection, el("h2", {}, "Proof verification"), el("p", { class: "proof-status checking", "data-status": "checking", role: "status" }, "Checking…"));
    const v = await checkRecordProof(d, { trustedKeyIds: trustedKeyIds() });
    const shown = fromSignedBytes(d, v);
    renderRecord(shown, v);
    renderProof(d, v);
    await loadVersions(shown.record);
  } catch (err) {
    if (err instanceof ApiError && err.code === "RECORD_NOT_FOUND") fill(content, el("h1", {}, "Record not found"), el("p", {}, "No record has the id ", el("code", {}, id), "."));
    showError(err);
  }
}

if (startPage()) void load();
