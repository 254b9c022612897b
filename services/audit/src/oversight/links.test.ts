import { Agency, IntelligenceEvent, LinkRule, PublishRecord } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { sealAppendable } from "../subjects/records.js";
import { newKey, newRef, type SubjectKey } from "../subjects/seal.js";
import { indexRowOf } from "./derive.js";
import { distinctLinks, linkFacing, MAX_LINKED_DISCLOSURES, MAX_LINKS, resultCountOf, withDisclosures, type LinkFound } from "./links.js";
import { CUSTOMS_SIDE, LINKAGE_TOPIC, linkAlert, POLICE_SIDE } from "./links.fixture.js";
import { fromPublish, publishRecord } from "./records.js";
import type { Disclosure } from "./store.js";

const ALERT_ID = "5d1e0c9a-1111-8000-8000-000000000003";
const at = new Date("2026-12-06T03:00:00Z");

/** The alert as the ledger holds it: published on `topic`, sealed under `keys`, and its index row derived from the leaf alone. */
function derived(event: IntelligenceEvent, keys: ReadonlyMap<string, SubjectKey>, topic = LINKAGE_TOPIC) {
  const record = publishRecord(event, IntelligenceEvent.encode(event).finish(), { topic, partition: 0, offset: "7" });
  const sealed = sealAppendable(fromPublish(record, at), keys);
  return { record, sealed: PublishRecord.decode(sealed.ledger.payload), row: indexRowOf({ ...sealed.ledger, appendedAtMs: at.getTime() }) };
}

const keysFor = (...ids: string[]) => new Map(ids.map((id) => [id, { ref: newRef(), key: newKey() }]));
const byRef = (keys: ReadonlyMap<string, SubjectKey>) => new Map([...keys.values()].map((k) => [k.ref, k.key]));

describe("a link alert's publish record", () => {
  it("carries the rule, the confidence and each linked record in the clear, and each subject only as a position among its sealed subjects", () => {
    const keys = keysFor(POLICE_SIDE.subjectId, CUSTOMS_SIDE.subjectId);
    const { record, sealed, row } = derived(linkAlert(ALERT_ID, POLICE_SIDE, CUSTOMS_SIDE, { confidence: 0.97 }), keys);
    expect(record.link).toEqual({
      linkId: ALERT_ID,
      rule: LinkRule.LINK_RULE_IDENTITY_DOCUMENT,
      confidence: 0.97,
      records: [
        { eventId: POLICE_SIDE.eventId, sourceAgency: Agency.AGENCY_POLICE, eventType: POLICE_SIDE.eventType, subjectPosition: 0 },
        { eventId: CUSTOMS_SIDE.eventId, sourceAgency: Agency.AGENCY_CUSTOMS, eventType: CUSTOMS_SIDE.eventType, subjectPosition: 1 },
      ],
    });
    // Sealed, the leaf names no subject id anywhere: the link's sides point at the sealed subjects' refs.
    const bytes = Buffer.from(PublishRecord.encode(sealed).finish());
    expect(bytes.includes(Buffer.from(POLICE_SIDE.subjectId))).toBe(false);
    expect(bytes.includes(Buffer.from(CUSTOMS_SIDE.subjectId))).toBe(false);
    expect(row.doc["link"]).toEqual({
      link_id: ALERT_ID,
      rule: "identity_document",
      confidence: 0.97,
      records: [
        { event_id: POLICE_SIDE.eventId, agency: "police", event_type: POLICE_SIDE.eventType, subject_ref: keys.get(POLICE_SIDE.subjectId)!.ref },
        { event_id: CUSTOMS_SIDE.eventId, agency: "customs", event_type: CUSTOMS_SIDE.eventType, subject_ref: keys.get(CUSTOMS_SIDE.subjectId)!.ref },
      ],
    });
  });

  it("carries no link when the alert did not come from the linkage service on its topic, nor for any other event", () => {
    const keys = keysFor(POLICE_SIDE.subjectId, CUSTOMS_SIDE.subjectId);
    const alert = linkAlert(ALERT_ID, POLICE_SIDE, CUSTOMS_SIDE);
    expect(derived(alert, keys, "takitini.intel.police.v1").record.link).toBeUndefined();
    expect(derived(linkAlert(ALERT_ID, POLICE_SIDE, CUSTOMS_SIDE, { sourceAgency: Agency.AGENCY_POLICE }), keys).record.link).toBeUndefined();
    // A leaf whose bytes carry a link but whose topic is not the linkage service's derives none either.
    const forged = fromPublish({ ...derived(alert, keys).sealed, sourceTopic: "takitini.intel.police.v1" }, at);
    expect(forged.index.doc).not.toHaveProperty("link");
    const noting = IntelligenceEvent.fromPartial({ id: POLICE_SIDE.eventId, sourceAgency: Agency.AGENCY_POLICE, subjects: [{ entity: { $case: "person", value: { subjectId: "police/person/P1" } } }] });
    expect(derived(noting, keys, "takitini.intel.police.v1").row.doc).not.toHaveProperty("link");
  });
});

describe("a link facing the subject asked about", () => {
  const keys = keysFor(POLICE_SIDE.subjectId, CUSTOMS_SIDE.subjectId);
  const { row } = derived(linkAlert(ALERT_ID, POLICE_SIDE, CUSTOMS_SIDE, { rule: LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH, confidence: 0.9 }), keys);

  it("names the subject's own record and the other agency's record and subject, from either side", () => {
    expect(linkFacing(POLICE_SIDE.subjectId, row.doc, at, byRef(keys))).toEqual({
      link_id: ALERT_ID,
      rule: "name_and_date_of_birth",
      confidence: 0.9,
      linked_at: at.toISOString(),
      record: { event_id: POLICE_SIDE.eventId, agency: "police", event_type: POLICE_SIDE.eventType },
      linked_record: { event_id: CUSTOMS_SIDE.eventId, agency: "customs", event_type: CUSTOMS_SIDE.eventType },
      linked_subject_id: CUSTOMS_SIDE.subjectId,
    });
    expect(linkFacing(CUSTOMS_SIDE.subjectId, row.doc, at, byRef(keys))).toMatchObject({ record: { agency: "customs" }, linked_record: { agency: "police" }, linked_subject_id: POLICE_SIDE.subjectId });
  });

  it("is nothing when the other subject's key was destroyed, when the subject is on neither side, or when the record holds no link", () => {
    const withoutCustoms = byRef(new Map([...keys].filter(([id]) => id !== CUSTOMS_SIDE.subjectId)));
    expect(linkFacing(POLICE_SIDE.subjectId, row.doc, at, withoutCustoms)).toBeUndefined();
    // A key that does not open the ciphertext is never guessed at.
    const wrong = new Map(byRef(keys)).set(keys.get(CUSTOMS_SIDE.subjectId)!.ref, newKey());
    expect(linkFacing(POLICE_SIDE.subjectId, row.doc, at, wrong)).toBeUndefined();
    expect(linkFacing("police/person/P2", row.doc, at, byRef(keys))).toBeUndefined();
    expect(linkFacing(POLICE_SIDE.subjectId, { ...row.doc, link: undefined }, at, byRef(keys))).toBeUndefined();
  });

  it("opens a link appended before sealing (its subjects in the clear)", () => {
    const alert = linkAlert(ALERT_ID, POLICE_SIDE, CUSTOMS_SIDE);
    const clear = fromPublish(publishRecord(alert, IntelligenceEvent.encode(alert).finish(), { topic: LINKAGE_TOPIC, partition: 0, offset: "1" }), at);
    expect(linkFacing(POLICE_SIDE.subjectId, clear.index.doc, at, new Map())).toMatchObject({ linked_subject_id: CUSTOMS_SIDE.subjectId });
  });
});

const found = (linkId: string): LinkFound => ({
  link_id: linkId,
  rule: "identity_document",
  confidence: 0.99,
  linked_at: at.toISOString(),
  record: { event_id: "a", agency: "police", event_type: "t" },
  linked_record: { event_id: "b", agency: "customs", event_type: "t" },
  linked_subject_id: "customs/person/C9",
});

const disclosure = (n: number): Disclosure => ({
  event_id: `e${n}`,
  event_type: "customs.border_seizure",
  agency: "customs",
  subscriber_id: "police",
  view: "redacted",
  legal_basis: "Customs and Excise Act 2018, s 7",
  policy_revision: "rev-1",
  decided_at: at.toISOString(),
  decision_id: `d${n}`,
  delivery_topic: "",
});

describe("the links answered", () => {
  it("holds each link once, the newest alert standing, and at most MAX_LINKS", () => {
    const newer = { ...found("L1"), linked_at: "2026-12-07T00:00:00.000Z" };
    expect(distinctLinks([newer, undefined, found("L2"), found("L1")])).toEqual([newer, found("L2")]);
    expect(distinctLinks(Array.from({ length: MAX_LINKS + 5 }, (_, i) => found(`L${i}`)))).toHaveLength(MAX_LINKS);
  });

  it("lists at most MAX_LINKED_DISCLOSURES of the linked subject's disclosures and says when there are more", () => {
    const some = withDisclosures(found("L1"), { disclosures: [disclosure(1)], denied: 2, more: false });
    expect(some).toMatchObject({ disclosures: [disclosure(1)], denied: 2, more: false });
    const many = withDisclosures(found("L1"), { disclosures: Array.from({ length: MAX_LINKED_DISCLOSURES + 1 }, (_, i) => disclosure(i)), denied: 0, more: false });
    expect(many.disclosures).toHaveLength(MAX_LINKED_DISCLOSURES);
    expect(many.more).toBe(true);
    expect(withDisclosures(found("L1"), { disclosures: [], denied: 0, more: true }).more).toBe(true);
  });

  it("counts the subject's disclosures and every linked subject's as the records the answer held", () => {
    expect(resultCountOf({ disclosures: [disclosure(1)], links: [] })).toBe(1);
    expect(resultCountOf({ disclosures: [disclosure(1)], links: [{ disclosures: [disclosure(2), disclosure(3)] }, { disclosures: [] }] })).toBe(3);
  });
});
