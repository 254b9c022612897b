import { Agency, IntelligenceEvent, LinkRule, PublishRecord } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { indexRowOf } from "./derive.js";
import { fromPublish, publishRecord, subjectIdsOf } from "./records.js";

/**
 * A link alert names no subject of its own, but whoever is told of a link is told
 * something about both linked people: its publish record names both subjects, so
 * "who has seen this person" finds every disclosure of the alert under each.
 */
const alert = IntelligenceEvent.fromPartial({
  id: "5d1e0c9a-1111-8000-8000-000000000003",
  sourceAgency: Agency.AGENCY_LINKAGE,
  eventType: "linkage.link_alert",
  subjects: [],
  payload: {
    $case: "linkAlert",
    value: {
      linkId: "5d1e0c9a-1111-8000-8000-000000000003",
      rule: LinkRule.LINK_RULE_IDENTITY_DOCUMENT,
      confidence: 0.99,
      records: [
        { eventId: "0b4c3f1e-0000-8000-8000-000000000001", sourceAgency: Agency.AGENCY_POLICE, eventType: "police.organised_crime_noting", subjectId: "police/person/P1", subjectIndex: 0 },
        { eventId: "0b4c3f1e-0000-8000-8000-000000000002", sourceAgency: Agency.AGENCY_CUSTOMS, eventType: "customs.border_seizure", subjectId: "customs/person/C9", subjectIndex: 0 },
      ],
    },
  },
});

describe("a link alert in the ledger", () => {
  it("names both linked subjects, once each, and an ordinary event only its own", () => {
    expect(subjectIdsOf(alert)).toEqual(["police/person/P1", "customs/person/C9"]);
    const event = IntelligenceEvent.fromPartial({ id: "x", subjects: [{ entity: { $case: "person", value: { subjectId: "police/person/P1" } } }, { entity: { $case: "person", value: { subjectId: "police/person/P1" } } }] });
    expect(subjectIdsOf(event)).toEqual(["police/person/P1"]);
  });

  it("is indexed under both, from its leaf alone (as audit:verify derives it)", () => {
    const bytes = IntelligenceEvent.encode(alert).finish();
    const record = publishRecord(alert, bytes, { topic: "takitini.intel.linkage.v1", partition: 0, offset: "7" });
    expect(PublishRecord.decode(PublishRecord.encode(record).finish()).subjectIds).toEqual(["police/person/P1", "customs/person/C9"]);
    const appended = fromPublish(record, new Date("2026-12-06T03:00:00Z"));
    const row = indexRowOf({ ...appended.ledger, appendedAtMs: Date.parse("2026-12-06T03:00:00Z") });
    expect(row.subjectIds).toEqual(["police/person/P1", "customs/person/C9"]);
  });
});
