/**
 * A ledger record's own fields, read in the browser from the payload bytes of
 * its leaf entry — the bytes whose hash the inclusion proof and the signed head
 * cover — in the oversight API's JSON form, so the page can show them and hold
 * the server's copy (the index's columns and `doc`) to them.
 *
 * Field numbers and enum names are the console's own copy of the .proto
 * (proto/takitini/audit/v1/decision.proto, access.proto, ledger.proto, refusal.proto, subjects.proto, intel/v1/common.proto, intel/v1/linkage.proto, intel/v1/revision.proto);
 * src/console/recorded.test.ts holds them to the generated code's bytes and to
 * the service's API form (a conflict's new version by its own kind). Kinds not read here are shown from the index, marked
 * as not checked. Pure: no DOM.
 */
import { readFields, reader } from "./wire.js";

/** Enum names by number, as the API spells them (prefix dropped, lower case). */
const AGENCY = ["unspecified", "police", "customs", "mbie", "msd", "community", "linkage"];
const LINK_RULE = ["unspecified", "identity_document", "company_registration", "vehicle_plate", "name_and_date_of_birth"];
const DISTRICT = ["unspecified", "northland", "waitemata", "auckland_city", "counties_manukau", "waikato", "bay_of_plenty", "eastern", "central", "wellington", "tasman", "canterbury", "southern"];
const OUTCOME = ["unspecified", "allow", "deny"];
const WITHDRAWAL_REASON = ["unspecified", "entered_in_error", "duplicate", "not_substantiated", "legal_direction", "source_protection", "other"];
const VIEW = ["unspecified", "full", "redacted", "aggregate_only", "none"];
const CLASSIFICATION = ["unspecified", "unclassified", "in_confidence", "sensitive", "restricted", "confidential", "secret", "top_secret"];
const ACCESS_ACTION = ["unspecified", "subscribe_granted", "subscribe_denied", "delivered", "briefing_viewed", "briefing_denied", "submission_received", "submission_denied", "collection_denied"];

/**
 * @param {string[]} names
 * @param {number} n
 */
const name = (names, n) => names[n] ?? "unrecognized";

/** @param {number | undefined} ms */
const iso = (ms) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * @typedef {{
 *   summary: Record<string, unknown>,
 *   doc: Record<string, unknown>,
 * }} RecordedFields
 */

/** Standard base64 of bytes, as the service writes bytes into the API form. @param {Uint8Array} b */
const base64 = (b) => btoa(Array.from(b, (c) => String.fromCharCode(c)).join(""));

/**
 * A record's sealed subjects (SealedSubject: 1 ref, 2 ciphertext) in the API form,
 * as the service derives it (oversight/records.ts sealedDoc): nothing for a record
 * that seals none.
 * @param {string[]} clear subject ids in the clear (a record appended before sealing)
 * @param {ReturnType<typeof reader>[]} sealed
 * @returns {Record<string, unknown>}
 */
function sealedDoc(clear, sealed) {
  if (sealed.length === 0) return {};
  return { subject_ids: [...clear, ...sealed.map((m) => m.string(1))], sealed_subjects: sealed.map((m) => ({ ref: m.string(1), ciphertext: base64(m.bytes(2)) })) };
}

/**
 * The subject ids a summary holds the server to: those in the clear; none for a
 * record with sealed subjects (the server opens those with keys the bytes do not
 * hold — shown apart, as opened by the server).
 * @param {string[]} clear
 * @param {unknown[]} sealed
 */
const clearSubjects = (clear, sealed) => (sealed.length === 0 ? { subject_ids: clear } : {});

const PURGE_REASON = ["unspecified", "retention", "erasure"];

/** The index's searchable columns a kind leaves empty. */
const BLANK = { agency: "", subscriber_id: "", event_type: "", region: "", outcome: "", view: "", legal_basis: "", policy_revision: "", event_id: "", action: "" };

/** The agency whose adapter a service is ("police-adapter" → "police"), as the index says; "" for any other. @param {string} service */
const adapterAgency = (service) => /^(police|customs|mbie|msd)-adapter$/.exec(service)?.[1] ?? "";

/**
 * A link alert's link (PublishedLink: 1 link id, 2 rule, 3 confidence, 4 records — 1 event id,
 * 2 agency, 3 event type, 4 subject position) in the API form, as the service derives it
 * (oversight/records.ts linkDoc): only for an alert of the linkage agency on a link-alert
 * topic (`[<prefix>.]intel.linkage.v<N>`); each side's subject as its ref.
 * @param {ReturnType<typeof reader>[]} links
 * @param {string} agency
 * @param {string} topic
 * @param {string[]} subjects the record's subjects: in the clear, then sealed refs
 * @returns {Record<string, unknown>}
 */
function linkDoc(links, agency, topic, subjects) {
  const link = links.at(-1);
  if (!link || agency !== "linkage" || !/(?:^|\.)intel\.linkage\.v\d+$/.test(topic)) return {};
  return {
    link: {
      link_id: link.string(1),
      rule: name(LINK_RULE, link.number(2)),
      confidence: link.double(3),
      records: link.messages(4).map((x) => ({ event_id: x.string(1), agency: name(AGENCY, x.number(2)), event_type: x.string(3), subject_ref: subjects[x.number(4)] ?? "" })),
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A correction's or a withdrawal's revision (PublishedRevision: 1 original event id,
 * 2 supersedes, 3 withdrawn, 4 reason) in the API form, as the service derives it
 * (oversight/records.ts believedRevision, revisionDoc): only from the agency's own topic
 * (`[<prefix>.]intel.<agency>.v<N>`), naming the first version and either the version
 * corrected or the version withdrawn, each a UUID other than the event's own id.
 * @param {ReturnType<typeof reader>[]} revisions
 * @param {string} eventId
 * @param {string} agency
 * @param {string} topic
 * @returns {Record<string, unknown>}
 */
function revisionDoc(revisions, eventId, agency, topic) {
  const r = revisions.at(-1);
  if (!r || agency === "unspecified" || /(?:^|\.)intel\.([a-z][a-z0-9-]*)\.v\d+$/.exec(topic)?.[1] !== agency) return {};
  const [original, supersedes, withdrawn] = [r.string(1), r.string(2), r.string(3)];
  const well = (/** @type {string} */ id) => UUID.test(id) && id !== eventId;
  if (!well(original)) return {};
  if (supersedes !== "" && withdrawn === "" && well(supersedes)) return { revision: { kind: "correction", original_event_id: original, supersedes_event_id: supersedes } };
  if (withdrawn !== "" && supersedes === "" && well(withdrawn)) return { revision: { kind: "withdrawal", original_event_id: original, withdrawn_event_id: withdrawn, reason: name(WITHDRAWAL_REASON, r.number(4)) } };
  return {};
}

/** @type {Record<string, (r: ReturnType<typeof reader>, appendedAtMs: number) => RecordedFields>} */
const KINDS = {
  publish: (r, appendedAtMs) => {
    const publishedAt = r.timestampMs(6);
    const outcome = r.messages(13).map((o) => ({ measure: o.string(1), category: o.string(2), value: o.double(3) }));
    const sealed = r.messages(14);
    const doc = {
      event_id: r.string(1),
      source_agency: name(AGENCY, r.number(2)),
      event_type: r.string(3),
      region: name(DISTRICT, r.number(4)),
      classification: name(CLASSIFICATION, r.number(5)),
      published_at: iso(publishedAt),
      subject_ids: r.strings(7),
      content_sha256: r.string(8),
      source: { topic: r.string(9), partition: r.number(10), offset: r.string(11) },
      publisher: r.string(12),
      // Only when there is one, as the service's API form has it.
      ...(outcome.length > 0 ? { outcome } : {}),
      ...sealedDoc(r.strings(7), sealed),
      ...linkDoc(r.messages(15), name(AGENCY, r.number(2)), r.string(9), [...r.strings(7), ...sealed.map((m) => m.string(1))]),
      ...revisionDoc(r.messages(16), r.string(1), name(AGENCY, r.number(2)), r.string(9)),
    };
    return {
      doc,
      summary: { ...BLANK, occurred_at: iso(publishedAt ?? appendedAtMs), agency: doc.source_agency, event_type: doc.event_type, region: doc.region, event_id: doc.event_id, ...clearSubjects(r.strings(7), sealed) },
    };
  },
  refusal: (r, appendedAtMs) => {
    const occurredAt = r.timestampMs(10);
    const doc = {
      id: r.string(1),
      service: r.string(2),
      door: r.string(3),
      code: r.string(4),
      principal: r.string(5),
      record_type: r.string(6),
      route: r.string(7),
      event_id: r.string(8),
      field_paths: r.strings(9),
      status: r.number(12),
      occurred_at: iso(occurredAt),
      trace_id: r.string(11),
    };
    return {
      doc,
      summary: { ...BLANK, occurred_at: iso(occurredAt ?? appendedAtMs), agency: adapterAgency(doc.service), event_type: doc.record_type, event_id: doc.event_id, action: `${doc.service} ${doc.door} ${doc.code}` },
    };
  },
  refusal_summary: (r, appendedAtMs) => {
    const windowEnd = r.timestampMs(7);
    const doc = {
      id: r.string(1),
      service: r.string(2),
      door: r.string(3),
      code: r.string(4),
      route: r.string(5),
      window_start: iso(r.timestampMs(6)),
      window_end: iso(windowEnd),
      count: r.number(8),
      distinct_addresses: r.number(9),
      distinct_addresses_capped: r.number(10) !== 0,
    };
    return {
      doc,
      summary: { ...BLANK, occurred_at: iso(windowEnd ?? appendedAtMs), agency: adapterAgency(doc.service), action: `${doc.service} ${doc.door} ${doc.code} ${doc.route} ×${doc.count}` },
    };
  },
  policy_revision: (r, appendedAtMs) => {
    const firstSeen = r.timestampMs(2);
    const doc = { revision: r.string(1), first_seen_at: iso(firstSeen), first_decision_id: r.string(3) };
    return { doc, summary: { ...BLANK, occurred_at: iso(firstSeen ?? appendedAtMs), policy_revision: doc.revision } };
  },
  oversight_query: (r, appendedAtMs) => {
    const parameters = r.messages(6).map((p) => /** @type {[string, string]} */ ([p.string(1), p.string(2)]));
    const doc = {
      officer: r.string(2),
      officer_role: r.string(10),
      channel: r.string(3),
      method: r.string(4),
      route: r.string(5),
      parameters: Object.fromEntries(parameters),
      status: r.number(7),
      result_count: r.number(8),
      ...sealedDoc([], r.messages(11)),
    };
    return { doc, summary: { ...BLANK, occurred_at: iso(r.timestampMs(9) ?? appendedAtMs), action: `${doc.method} ${doc.route}` } };
  },
  decision: (r, appendedAtMs) => {
    const decidedAt = r.timestampMs(13);
    const sealed = r.messages(20);
    const doc = {
      id: r.string(1),
      event_id: r.string(2),
      subscriber_id: r.string(3),
      source_agency: name(AGENCY, r.number(4)),
      event_type: r.string(5),
      region: name(DISTRICT, r.number(6)),
      outcome: name(OUTCOME, r.number(7)),
      view: name(VIEW, r.number(8)),
      redacted_paths: r.strings(9),
      reasons: r.strings(10),
      legal_basis: r.string(11),
      policy_revision: r.string(12),
      decided_at: iso(decidedAt),
      delivery_topic: r.string(14),
      trace_id: r.string(15),
      subject_ids: r.strings(16),
      source: { topic: r.string(17), partition: r.number(18), offset: r.string(19) },
      ...sealedDoc(r.strings(16), sealed),
    };
    return {
      doc,
      summary: {
        occurred_at: iso(decidedAt ?? appendedAtMs),
        agency: doc.source_agency,
        subscriber_id: doc.subscriber_id,
        event_type: doc.event_type,
        region: doc.region,
        outcome: doc.outcome,
        view: doc.view,
        legal_basis: doc.legal_basis,
        policy_revision: doc.policy_revision,
        event_id: doc.event_id,
        action: "",
        ...clearSubjects(r.strings(16), sealed),
        reasons: doc.reasons,
        redacted_paths: doc.redacted_paths,
        delivery_topic: doc.delivery_topic,
        trace_id: doc.trace_id,
      },
    };
  },
  purge: (r, appendedAtMs) => {
    const occurredAt = r.timestampMs(6);
    const reason = name(PURGE_REASON, r.number(2));
    const doc = {
      id: r.string(1),
      reason,
      refs: r.strings(3),
      authority: r.string(4),
      requested_by: r.string(5),
      occurred_at: iso(occurredAt),
      retention_policy_sha256: r.string(7),
    };
    return { doc, summary: { ...BLANK, occurred_at: iso(occurredAt ?? appendedAtMs), legal_basis: doc.authority, action: `purge ${reason} ×${doc.refs.length}` } };
  },
  report: (r, appendedAtMs) => {
    const generatedAt = r.timestampMs(4);
    const region = r.string(3);
    const doc = {
      report_id: r.string(1),
      quarter: r.string(2),
      region,
      generated_at: iso(generatedAt),
      tree_size: r.number(5),
      root_hash: r.string(6),
      html_sha256: r.string(7),
      pdf_sha256: r.string(8),
      csv: Object.fromEntries(r.messages(9).map((c) => [c.string(1), c.string(2)])),
      key_id: r.string(10),
      signature: r.string(11),
    };
    return { doc, summary: { ...BLANK, occurred_at: iso(generatedAt ?? appendedAtMs), region: region === "national" ? "" : region, action: `quarterly ${doc.quarter}` } };
  },
  // A record id that came again with other bytes (ConflictRecord): the new version is read
  // from the bytes it carries, by its own kind, and the row is searchable as that version.
  conflict: (r, appendedAtMs) => {
    const newKind = r.string(4);
    const newer = readNewVersion(newKind, r.bytes(7), appendedAtMs);
    const doc = {
      original_record_id: r.string(1),
      original_index: r.number(2),
      original_kind: r.string(3),
      new_kind: newKind,
      original_sha256: r.string(5),
      new_sha256: r.string(6),
      new_record: newer?.doc ?? null,
    };
    // The row holds the new version's index columns (not its other top-level fields), dated by the append.
    const columns = Object.fromEntries(Object.keys(BLANK).map((k) => [k, newer?.summary[k] ?? ""]));
    return { doc, summary: { ...columns, occurred_at: iso(appendedAtMs) } };
  },
  access: (r, appendedAtMs) => {
    const occurredAt = r.timestampMs(14);
    const deliveryTopic = r.string(10);
    const doc = {
      id: r.string(1),
      action: name(ACCESS_ACTION, r.number(2)),
      subscriber_id: r.string(3),
      requested_subscriber_id: r.string(4),
      channel: r.string(5),
      certificate_sha256: r.string(6),
      reason: r.string(7),
      event_id: r.string(8),
      decision_id: r.string(9),
      delivery: deliveryTopic === "" ? null : { topic: deliveryTopic, partition: r.number(11), offset: r.string(12) },
      session_id: r.string(13),
      occurred_at: iso(occurredAt),
      trace_id: r.string(15),
      resource: r.string(16),
      regions: r.strings(17),
      legal_basis: r.string(20),
      stix_object_ids: r.strings(21),
    };
    return {
      doc,
      summary: {
        occurred_at: iso(occurredAt ?? appendedAtMs),
        agency: "",
        subscriber_id: doc.subscriber_id !== "" ? doc.subscriber_id : doc.requested_subscriber_id,
        event_type: "",
        region: "",
        outcome: "",
        view: "",
        legal_basis: doc.legal_basis,
        policy_revision: "",
        event_id: doc.event_id,
        action: doc.action,
        trace_id: doc.trace_id,
      },
    };
  },
};

/**
 * A conflict's new version read by its own kind, as the service derives it; undefined when
 * its kind is not one read here or its bytes do not decode (the service then shows it by its hash).
 * @param {string} kind
 * @param {Uint8Array} payload
 * @param {number} appendedAtMs
 * @returns {RecordedFields | undefined}
 */
function readNewVersion(kind, payload, appendedAtMs) {
  try {
    return recordedFields(kind, payload, appendedAtMs);
  } catch {
    return undefined;
  }
}

/** The kinds whose fields the console reads from the bytes. */
export const READ_KINDS = Object.freeze(Object.keys(KINDS));

/**
 * A record's fields from its kind and payload bytes: undefined for a kind not
 * read here; throws when the bytes do not decode.
 * @param {string} kind
 * @param {Uint8Array} payload
 * @param {number} appendedAtMs dates a record that carries no time of its own, as the service does
 * @returns {RecordedFields | undefined}
 */
export function recordedFields(kind, payload, appendedAtMs) {
  const read = KINDS[kind];
  if (!read) return undefined;
  const fields = readFields(payload);
  if (!fields) throw new Error(`the ${kind} record's bytes are not a protobuf message`);
  return read(reader(fields), appendedAtMs);
}

/** JSON with object keys sorted, for comparing by content. @param {unknown} value */
export function canonical(value) {
  return JSON.stringify(value, (_k, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * The fields in which the server's copy differs from the signed bytes: each
 * summary field the bytes give, and the whole `detail` (the index's doc).
 * @param {RecordedFields} signed
 * @param {Record<string, unknown>} served the record as GET /v1/records/:id returned it
 */
export function differences(signed, served) {
  const out = Object.entries(signed.summary)
    .filter(([k, v]) => canonical(v) !== canonical(served[k] ?? null))
    .map(([k]) => k);
  if (canonical(signed.doc) !== canonical(served["detail"] ?? null)) out.push("detail");
  return out;
}
