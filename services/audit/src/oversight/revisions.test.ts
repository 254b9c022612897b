/**
 * The ledger links every version of a record to its first (oversight/records.ts
 * publishedRevisionOf, believedRevision): a correction's and a withdrawal's
 * publish record carries its revision, believed only from the agency's own
 * topic and only with well-formed ids, and derived again from the leaf alone.
 */
import { Agency, IntelligenceEvent, PublishRecord, WithdrawalReason } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { sealAppendable } from "../subjects/records.js";
import { newKey, newRef } from "../subjects/seal.js";
import { indexRowOf } from "./derive.js";
import { believedRevision, fromPublish, publishedRevisionOf, publishRecord, samePublish } from "./records.js";
import { correction, CUSTOMS_TOPIC, firstVersion, IDS, POLICE_TOPIC, withdrawal } from "./revisions.fixture.js";

const at = new Date("2026-12-06T05:00:00Z");

/** As the ledger holds it: published on `topic`, sealed, and its row derived from the leaf alone. */
function derived(event: IntelligenceEvent, topic = POLICE_TOPIC) {
  const record = publishRecord(event, IntelligenceEvent.encode(event).finish(), { topic, partition: 2, offset: "11" });
  const keys = new Map(["police/person/P77"].map((id) => [id, { ref: newRef(), key: newKey() }]));
  const sealed = sealAppendable(fromPublish(record, at), keys);
  return { record, written: sealed.index, row: indexRowOf({ ...sealed.ledger, appendedAtMs: at.getTime() }), payload: sealed.ledger.payload };
}

describe("a publish record's revision", () => {
  it("a correction names the record's first version and the version it corrects", () => {
    const { record, written, row } = derived(correction(IDS.third, IDS.second));
    expect(record.revision).toEqual({ originalEventId: IDS.first, supersedesEventId: IDS.second, withdrawnEventId: "", reason: WithdrawalReason.WITHDRAWAL_REASON_UNSPECIFIED });
    expect(row.doc["revision"]).toEqual({ kind: "correction", original_event_id: IDS.first, supersedes_event_id: IDS.second });
    expect(row).toEqual(written);
  });

  it("a withdrawal names the first version, the version withdrawn and the reason — never the explanation", () => {
    const { record, row, payload } = derived(withdrawal(IDS.third));
    expect(record.revision).toEqual({ originalEventId: IDS.first, supersedesEventId: "", withdrawnEventId: IDS.third, reason: WithdrawalReason.WITHDRAWAL_REASON_NOT_SUBSTANTIATED });
    expect(row.doc["revision"]).toEqual({ kind: "withdrawal", original_event_id: IDS.first, withdrawn_event_id: IDS.third, reason: "not_substantiated" });
    expect(row).toMatchObject({ eventId: IDS.withdrawal, eventType: "record.withdrawal", region: "unspecified", agency: "police" });
    expect(Buffer.from(payload).includes(Buffer.from("vehicle was not involved"))).toBe(false);
    expect(JSON.stringify(row.doc)).not.toContain("vehicle was not involved");
  });

  it("a record's first version carries none, and its leaf derives the row it was indexed with before revisions existed", () => {
    const { record, row, written } = derived(firstVersion());
    expect(record.revision).toBeUndefined();
    expect(row.doc).not.toHaveProperty("revision");
    expect(row).toEqual(written);
    // A correction's leaf written before revisions existed (no field 16): no revision, the same row as then.
    const old = { ...derived(correction(IDS.second, IDS.first)).record, revision: undefined };
    expect(indexRowOf({ ...fromPublish(old, at).ledger, appendedAtMs: at.getTime() }).doc).not.toHaveProperty("revision");
  });

  it("a forged revision on another agency's topic gives none, nor one claiming no agency, nor one off an agency topic", () => {
    // Police's correction read on Customs' topic (the exchange dead-letters it; the audit records it as published).
    expect(derived(correction(IDS.third, IDS.second), CUSTOMS_TOPIC).record.revision).toBeUndefined();
    expect(derived(withdrawal(IDS.third), CUSTOMS_TOPIC).record.revision).toBeUndefined();
    expect(derived(correction(IDS.third, IDS.second, undefined, { sourceAgency: Agency.AGENCY_CUSTOMS })).record.revision).toBeUndefined();
    expect(derived(correction(IDS.third, IDS.second, undefined, { sourceAgency: Agency.AGENCY_UNSPECIFIED }), "takitini.intel.unspecified.v1").record.revision).toBeUndefined();
    expect(derived(correction(IDS.third, IDS.second), "takitini.deliver.customs.v1").record.revision).toBeUndefined();
    expect(derived(correction(IDS.third, IDS.second), "takitini.e2e.ab12.intel.police.v1").record.revision).toBeDefined(); // a prefixed agency topic is one
  });

  it("bytes that carry a revision all the same (a forged or an older writer) derive none off the agency's own topic", () => {
    const { record } = derived(correction(IDS.third, IDS.second));
    const forged = fromPublish({ ...record, sourceTopic: CUSTOMS_TOPIC }, at);
    expect(forged.index.doc).not.toHaveProperty("revision");
    expect(indexRowOf({ ...forged.ledger, appendedAtMs: at.getTime() }).doc).not.toHaveProperty("revision");
  });

  it.each([
    ["a first version id that is no UUID", { originalEventId: "not-a-uuid" }],
    ["an upper-case first version id", { originalEventId: IDS.first.toUpperCase() }],
    ["a superseded id that is no UUID", { supersedes: `${IDS.second}x` }],
    ["no first version", { originalEventId: "" }],
    ["a first version that is itself", { originalEventId: IDS.third }],
    ["a version it supersedes that is itself", { supersedes: IDS.third }],
  ] as const)("a correction with %s carries none", (_, fields) => {
    expect(derived(correction(IDS.third, IDS.second, undefined, fields)).record.revision).toBeUndefined();
  });

  it("a withdrawal with malformed ids, or naming a superseded version too, carries none", () => {
    expect(derived(withdrawal("withdrawn")).record.revision).toBeUndefined();
    expect(derived(withdrawal(IDS.third, { originalEventId: "" })).record.revision).toBeUndefined();
    expect(derived(withdrawal(IDS.withdrawal)).record.revision).toBeUndefined();
    expect(believedRevision({ originalEventId: IDS.first, supersedesEventId: IDS.second, withdrawnEventId: IDS.third, reason: WithdrawalReason.WITHDRAWAL_REASON_OTHER }, IDS.withdrawal, Agency.AGENCY_POLICE, POLICE_TOPIC)).toBeUndefined();
    // An envelope naming a first version but no superseded version, and no withdrawal: neither.
    expect(publishedRevisionOf(IntelligenceEvent.fromPartial({ ...firstVersion(), id: IDS.second, originalEventId: IDS.first }), POLICE_TOPIC)).toBeUndefined();
  });

  it("is part of the publish record a redelivery is compared by: the same event read again with another revision is no redelivery", () => {
    const { record } = derived(correction(IDS.third, IDS.second));
    const held = PublishRecord.encode(record).finish();
    expect(samePublish(held, { ...record, sourceOffset: "12" })).toBe(true);
    expect(samePublish(held, { ...record, revision: undefined })).toBe(false);
  });
});
