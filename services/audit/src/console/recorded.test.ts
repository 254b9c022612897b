/**
 * The console's own reading of a leaf entry and of the records in it
 * (console/js/entry.js, wire.js, recorded.js), held to the writer's bytes
 * (merkle/entry.ts, the generated protobuf code) and to the API form the
 * service serves; and the record verdict built on them (proof.js
 * checkRecordProof): the bytes are hashed here, and a server copy that differs
 * from them fails.
 */
import { generateKeyPairSync } from "node:crypto";
import { DecisionRecord, IntelligenceEvent, OversightQueryRecord, PublishedRevision, PublishRecord } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { encodeEntry } from "../merkle/entry.js";
import { leafHash } from "../merkle/hash.js";
import { createSigner } from "../merkle/head.js";
import { indexRowOf } from "../oversight/derive.js";
import { CUSTOMS_SIDE, LINKAGE_TOPIC, linkAlert, POLICE_SIDE } from "../oversight/links.fixture.js";
import { fromPublish, KINDS, publishRecord, type Kind } from "../oversight/records.js";
import { correction, CUSTOMS_TOPIC, IDS, POLICE_TOPIC, withdrawal } from "../oversight/revisions.fixture.js";
import { sampleOf } from "../oversight/samples.fixture.js";
import { summary } from "../oversight/store.js";
import { sealAppendable, subjectIdsOf } from "../subjects/records.js";
import { newKey, newRef, type SubjectKey } from "../subjects/seal.js";
import { leafHashOf, parseEntry } from "../../console/js/entry.js";
import { checkRecordProof } from "../../console/js/proof.js";
import { differences, READ_KINDS, recordedFields } from "../../console/js/recorded.js";
import type { RecordDetail } from "../../console/js/types.js";

const APPENDED = Date.parse("2026-11-20T04:00:00.250Z");
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);

/** A leaf of `kind` as stored, and GET /v1/records/:id for it as the service builds it (one-leaf tree, signed head). */
function served(kind: Kind, change: (payload: Uint8Array) => Uint8Array = (p) => p, index = 0): { entry: Buffer; detail: RecordDetail } {
  const s = sampleOf(kind, 5).ledger;
  const leaf = { ...s, payload: change(s.payload), appendedAtMs: APPENDED };
  const entry = encodeEntry({ index, ...leaf });
  const row = indexRowOf(leaf);
  const doc = JSON.parse(JSON.stringify(row.doc)) as Record<string, unknown>;
  const list = (k: string) => (Array.isArray(doc[k]) ? (doc[k] as string[]) : []);
  const head = signer.sign({ treeSize: 1, timestampMs: APPENDED + 1000, rootHash: leafHash(entry) });
  const summed = summary({
    idx: String(index),
    record_id: row.recordId,
    kind: row.kind,
    occurred_at: row.occurredAt,
    agency: row.agency,
    subscriber_id: row.subscriberId,
    event_type: row.eventType,
    region: row.region,
    outcome: row.outcome,
    view: row.view,
    legal_basis: row.legalBasis,
    policy_revision: row.policyRevision,
    event_id: row.eventId,
    action: row.action,
    doc,
  });
  return {
    entry,
    detail: {
      record: {
        ...summed,
        reasons: list("reasons"),
        redacted_paths: list("redacted_paths"),
        delivery_topic: typeof doc["delivery_topic"] === "string" ? (doc["delivery_topic"] as string) : "",
        trace_id: typeof doc["trace_id"] === "string" ? (doc["trace_id"] as string) : "",
        detail: doc,
      },
      ledger: { index, leaf_hash: leafHash(entry).toString("hex"), appended_at: new Date(APPENDED).toISOString(), entry: entry.toString("base64") },
      proof: {
        tree_size: 1,
        root_hash: head.rootHash.toString("hex"),
        inclusion: [],
        head: { tree_size: 1, root_hash: head.rootHash.toString("hex"), issued_at: new Date(head.timestampMs).toISOString(), key_id: signer.keyId.toString("hex"), public_key: signer.publicKeyPem, signature: head.signature.toString("base64") },
      },
    },
  };
}

describe("the console's reading of a leaf entry", () => {
  it.each(KINDS)("%s: reads the entry the writer encodes, and hashes it as RFC 6962 does", async (kind) => {
    const { entry } = served(kind, undefined, 12345);
    const got = parseEntry(new Uint8Array(entry));
    const s = sampleOf(kind, 5).ledger;
    expect(got).toMatchObject({ index: 12345, appendedAtMs: APPENDED, kind, recordId: s.recordId });
    expect(Buffer.from(got!.payload).equals(Buffer.from(s.payload))).toBe(true);
    expect(Buffer.from(await leafHashOf(new Uint8Array(entry))).equals(leafHash(entry))).toBe(true);
  });

  it("refuses bytes that are not exactly one entry", () => {
    const { entry } = served("decision");
    expect(parseEntry(new Uint8Array([...entry, 0]))).toBeUndefined();
    expect(parseEntry(new Uint8Array(entry.subarray(0, entry.length - 1)))).toBeUndefined();
    expect(parseEntry(new Uint8Array([2, ...entry.subarray(1)]))).toBeUndefined();
  });

  it.each(READ_KINDS)("%s: the fields decoded from the bytes are the service's API form of the record", (kind) => {
    const { entry, detail } = served(kind as Kind);
    const e = parseEntry(new Uint8Array(entry))!;
    const fields = recordedFields(e.kind, e.payload, e.appendedAtMs)!;
    expect(fields.doc).toEqual(detail.record.detail);
    expect(differences(fields, detail.record as unknown as Record<string, unknown>)).toEqual([]);
  });

  it("reads a publish record's outcome measures (doubles in nested messages)", () => {
    const { entry, detail } = served("publish", (p) => {
      const r = PublishRecord.decode(p);
      r.outcome = [
        { measure: "seizure_kg", category: "methamphetamine", value: 2.75 },
        { measure: "people_served", category: "", value: -3 },
      ] as PublishRecord["outcome"];
      return PublishRecord.encode(r).finish();
    });
    const e = parseEntry(new Uint8Array(entry))!;
    const fields = recordedFields(e.kind, e.payload, e.appendedAtMs)!;
    expect(fields.doc["outcome"]).toEqual([
      { measure: "seizure_kg", category: "methamphetamine", value: 2.75 },
      { measure: "people_served", category: "", value: -3 },
    ]);
    expect(differences(fields, detail.record as unknown as Record<string, unknown>)).toEqual([]);
    (detail.record.detail as { outcome: { value: number }[] }).outcome[0]!.value = 27.5;
    expect(differences(fields, detail.record as unknown as Record<string, unknown>)).toEqual(["detail"]);
  });

  it.each(["decision", "publish", "oversight_query"] as const)("%s with sealed subjects: the refs and ciphertext read from the bytes are the service's form; the ids the server opened are not held to the bytes", (kind) => {
    const keys = new Map<string, SubjectKey>();
    const keyOf = (id: string) => keys.get(id) ?? keys.set(id, { ref: newRef(), key: newKey() }).get(id)!;
    const { entry, detail } = served(kind, (p) => {
      const a = { ...sampleOf(kind, 5), ledger: { ...sampleOf(kind, 5).ledger, payload: p } };
      const withSubject = kind === "oversight_query" ? { ...a, ledger: { ...a.ledger, payload: OversightQueryRecord.encode({ ...OversightQueryRecord.decode(p), parameters: [{ name: "subject_id", value: "police/person/P5" }] }).finish() } } : a;
      for (const id of subjectIdsOf(withSubject)) keyOf(id);
      return sealAppendable(withSubject, keys).ledger.payload;
    });
    const e = parseEntry(new Uint8Array(entry))!;
    const fields = recordedFields(e.kind, e.payload, e.appendedAtMs)!;
    expect(fields.doc).toEqual(detail.record.detail);
    expect((fields.doc["sealed_subjects"] as unknown[]).length).toBeGreaterThan(0);
    expect(fields.summary).not.toHaveProperty("subject_ids");
    const opened = { ...detail.record, subject_ids: [...keys.keys()], erased_subject_refs: [] };
    expect(differences(fields, opened as unknown as Record<string, unknown>)).toEqual([]);
    // A ref changed in the server's copy of the signed form is caught.
    const sealedCopy = JSON.parse(JSON.stringify(detail.record.detail)) as { sealed_subjects: { ref: string }[] };
    sealedCopy.sealed_subjects[0]!.ref = newRef();
    expect(differences(fields, { ...opened, detail: sealedCopy } as unknown as Record<string, unknown>)).toEqual(["detail"]);
  });

  it.each([LINKAGE_TOPIC, "takitini.intel.police.v1"])("a link alert's publish record on %s: the link read from the sealed bytes is the service's form (none off the linkage topic)", (topic) => {
    const keys = new Map([POLICE_SIDE.subjectId, CUSTOMS_SIDE.subjectId].map((id) => [id, { ref: newRef(), key: newKey() }]));
    const alert = linkAlert("5d1e0c9a-1111-8000-8000-000000000003", POLICE_SIDE, CUSTOMS_SIDE, { confidence: 0.97 });
    const record = publishRecord(alert, IntelligenceEvent.encode(alert).finish(), { topic, partition: 0, offset: "1" });
    // On a Police topic the writer carries no link; bytes that carry one all the same (a forged or older writer) derive none either.
    const payload = sealAppendable(fromPublish({ ...record, link: record.link ?? publishRecord(alert, new Uint8Array(), { topic: LINKAGE_TOPIC, partition: 0, offset: "1" }).link }, new Date(APPENDED)), keys).ledger.payload;
    const { entry, detail } = served("publish", () => payload);
    const e = parseEntry(new Uint8Array(entry))!;
    const fields = recordedFields(e.kind, e.payload, e.appendedAtMs)!;
    expect(fields.doc).toEqual(detail.record.detail);
    if (topic === LINKAGE_TOPIC) {
      expect(fields.doc["link"]).toMatchObject({ rule: "identity_document", confidence: 0.97, records: [{ agency: "police", subject_ref: keys.get(POLICE_SIDE.subjectId)!.ref }, { agency: "customs", subject_ref: keys.get(CUSTOMS_SIDE.subjectId)!.ref }] });
      const altered = JSON.parse(JSON.stringify(detail.record.detail)) as { link: { confidence: number } };
      altered.link.confidence = 0.5;
      expect(differences(fields, { ...detail.record, detail: altered } as unknown as Record<string, unknown>)).toEqual(["detail"]);
    } else {
      expect(fields.doc).not.toHaveProperty("link");
    }
  });

  it.each([
    ["a correction", () => correction(IDS.third, IDS.second), POLICE_TOPIC],
    ["a withdrawal", () => withdrawal(IDS.third), POLICE_TOPIC],
    ["a correction on another agency's topic", () => correction(IDS.third, IDS.second), CUSTOMS_TOPIC],
    ["a withdrawal with an id that is no UUID", () => withdrawal("not-a-uuid"), POLICE_TOPIC],
  ] as const)("%s: the revision read from the bytes is the service's form (none where the service believes none)", (_, event, topic) => {
    const e0 = event();
    const record = publishRecord(e0, IntelligenceEvent.encode(e0).finish(), { topic, partition: 0, offset: "1" });
    // Bytes that carry a revision the service would not believe (a forged or an older writer) derive none in either.
    const carried = record.revision ?? PublishedRevision.fromPartial({ originalEventId: e0.originalEventId, supersedesEventId: e0.supersedes, withdrawnEventId: e0.payload?.$case === "recordWithdrawal" ? e0.payload.value.withdrawnEventId : "" });
    const keys = new Map([["police/person/P77", { ref: newRef(), key: newKey() }]]);
    const payload = sealAppendable(fromPublish({ ...record, revision: carried }, new Date(APPENDED)), keys).ledger.payload;
    const { entry, detail } = served("publish", () => payload);
    const e = parseEntry(new Uint8Array(entry))!;
    const fields = recordedFields(e.kind, e.payload, e.appendedAtMs)!;
    expect(fields.doc).toEqual(detail.record.detail);
    if (record.revision) {
      expect(fields.doc["revision"]).toMatchObject({ original_event_id: IDS.first });
      const altered = JSON.parse(JSON.stringify(detail.record.detail)) as { revision: { original_event_id: string } };
      altered.revision.original_event_id = IDS.second;
      expect(differences(fields, { ...detail.record, detail: altered } as unknown as Record<string, unknown>)).toEqual(["detail"]);
    } else {
      expect(fields.doc).not.toHaveProperty("revision");
    }
  });

  it("dates a decision without a time of its own by its append time, as the service does", () => {
    const { entry, detail } = served("decision", (p) => {
      const r = DecisionRecord.decode(p);
      r.decidedAt = undefined;
      return DecisionRecord.encode(r).finish();
    });
    const e = parseEntry(new Uint8Array(entry))!;
    const fields = recordedFields(e.kind, e.payload, e.appendedAtMs)!;
    expect(fields.summary["occurred_at"]).toBe(new Date(APPENDED).toISOString());
    expect(differences(fields, detail.record as unknown as Record<string, unknown>)).toEqual([]);
  });
});

describe("a record's verdict from the entry bytes", () => {
  it.each(KINDS)("%s: verified when the bytes, the proof and the head agree", async (kind) => {
    const v = await checkRecordProof(served(kind).detail);
    expect(v.status, JSON.stringify(v.checks)).toBe("verified");
    expect(v.checks.map((c) => c.id)).toEqual(["entry", "form", "index", "head", "inclusion", "key-id", "signature", "record", ...(READ_KINDS.includes(kind) ? ["content"] : [])]);
    expect(v.signed?.entry.kind).toBe(kind);
  });

  it.each([
    ["a column of the index (legal basis)", (d: RecordDetail) => (d.record.legal_basis = "consent")],
    ["the outcome", (d: RecordDetail) => (d.record.outcome = d.record.outcome === "deny" ? "allow" : "deny")],
    ["the doc (reasons)", (d: RecordDetail) => ((d.record.detail as { reasons: string[] }).reasons = ["sharing.anything"])],
    ["the doc (a field the page shows only in the detail)", (d: RecordDetail) => ((d.record.detail as { source: { topic: string } }).source.topic = "elsewhere")],
    ["the subjects", (d: RecordDetail) => (d.record.subject_ids = [])],
  ])("fails when the server's copy differs from the signed bytes: %s", async (_what, mutate) => {
    const d = served("decision").detail;
    mutate(d);
    const v = await checkRecordProof(d);
    expect(v.status).toBe("failed");
    expect(v.checks.find((c) => c.id === "content")).toMatchObject({ ok: false });
    expect(v.checks.find((c) => c.id === "inclusion")).toMatchObject({ ok: true }); // the proof itself holds: only the copy is wrong
  });

  it("fails without the entry bytes, for another record's entry, and for bytes the proof does not cover", async () => {
    const none = served("decision").detail;
    none.ledger.entry = "";
    expect(await checkRecordProof(none)).toMatchObject({ status: "failed", checks: [{ id: "entry", ok: false }] });

    const other = served("decision").detail;
    other.ledger.entry = served("access").detail.ledger.entry;
    const v = await checkRecordProof(other);
    expect(v.status).toBe("failed");
    expect(v.checks.find((c) => c.id === "record")?.ok).toBe(false);

    const flipped = served("decision").detail;
    const bytes = Buffer.from(flipped.ledger.entry, "base64");
    bytes[bytes.length - 3]! ^= 0x01; // inside a string: still decodes, no longer hashes to the signed leaf
    flipped.ledger.entry = bytes.toString("base64");
    const f = await checkRecordProof(flipped);
    expect(f.status).toBe("failed");
    expect(f.checks.find((c) => c.id === "inclusion")?.ok).toBe(false);
  });
});
