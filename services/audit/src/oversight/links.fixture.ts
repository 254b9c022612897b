/** A link alert as the linkage service publishes one, for the tests of "who has seen this person, across agencies". */
import { Agency, IntelligenceEvent, LinkRule } from "@takitini/proto";

export const LINKAGE_TOPIC = "takitini.intel.linkage.v1";

export interface LinkSide {
  eventId: string;
  agency: Agency;
  eventType: string;
  subjectId: string;
}

/** An alert linking two records' subjects (id = link id, as the linkage service makes it). */
export function linkAlert(id: string, a: LinkSide, b: LinkSide, opts: { rule?: LinkRule; confidence?: number; sourceAgency?: Agency; publishedAt?: Date } = {}): IntelligenceEvent {
  return IntelligenceEvent.fromPartial({
    id,
    sourceAgency: opts.sourceAgency ?? Agency.AGENCY_LINKAGE,
    eventType: "linkage.link_alert",
    publishedAt: opts.publishedAt ?? new Date("2026-12-06T03:00:00Z"),
    subjects: [],
    payload: {
      $case: "linkAlert",
      value: {
        linkId: id,
        rule: opts.rule ?? LinkRule.LINK_RULE_IDENTITY_DOCUMENT,
        confidence: opts.confidence ?? 0.99,
        records: [a, b].map((s) => ({ eventId: s.eventId, sourceAgency: s.agency, eventType: s.eventType, subjectId: s.subjectId, subjectIndex: 0 })),
      },
    },
  });
}

export const POLICE_SIDE: LinkSide = { eventId: "0b4c3f1e-0000-8000-8000-000000000001", agency: Agency.AGENCY_POLICE, eventType: "police.organised_crime_noting", subjectId: "police/person/P1" };
export const CUSTOMS_SIDE: LinkSide = { eventId: "0b4c3f1e-0000-8000-8000-000000000002", agency: Agency.AGENCY_CUSTOMS, eventType: "customs.border_seizure", subjectId: "customs/person/C9" };
