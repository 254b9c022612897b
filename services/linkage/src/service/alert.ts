import {
  Agency,
  Classification,
  HandlingCaveat,
  IntelligenceEvent,
  INTEL_SCHEMA_VERSION,
  LinkAlert,
  LinkedRecordFacts,
  PoliceDistrict,
  type LinkRule,
} from "@takitini/proto";
import { linkedRecordFacts } from "@takitini/exchange/dist/projection.js";
import { HEADERS, PROTOBUF_CONTENT_TYPE } from "@takitini/runtime";

/** The event type of every alert (the policy's `linkage.link_alert`). */
export const LINK_ALERT_EVENT_TYPE = "linkage.link_alert";

/** Who publishes alerts, in the envelope's `publisher` (an adapter's system is named the same way). */
export const LINKAGE_PUBLISHER = "spiffe://takitini.local/service/linkage";

/**
 * What the policy decides a linked record on, kept with the record's index entry so
 * a later record's alert can carry it: the exchange's own projection for the policy
 * (one projection), markings and shape only. Pure.
 */
export const factsOf: (event: IntelligenceEvent) => LinkedRecordFacts = linkedRecordFacts;

/** One side of a link, as the core reports it. */
export interface LinkSide {
  eventId: string;
  sourceAgency: Agency;
  eventType: string;
  subjectId: string;
  subjectIndex: number;
}

/** A link the core found between two records of different agencies. */
export interface FoundLink {
  linkId: string;
  rule: LinkRule;
  confidence: number;
  records: readonly [LinkSide, LinkSide];
}

const CLASSIFICATION_ORDER: readonly Classification[] = [
  Classification.CLASSIFICATION_UNSPECIFIED,
  Classification.CLASSIFICATION_UNCLASSIFIED,
  Classification.CLASSIFICATION_IN_CONFIDENCE,
  Classification.CLASSIFICATION_SENSITIVE,
  Classification.CLASSIFICATION_RESTRICTED,
  Classification.CLASSIFICATION_CONFIDENTIAL,
  Classification.CLASSIFICATION_SECRET,
  Classification.CLASSIFICATION_TOP_SECRET,
];

/** The higher of two classifications. Pure. */
export function higherClassification(a: Classification, b: Classification): Classification {
  return CLASSIFICATION_ORDER.indexOf(a) >= CLASSIFICATION_ORDER.indexOf(b) ? a : b;
}

/**
 * The alert event for a link: an IntelligenceEvent from AGENCY_LINKAGE whose
 * envelope is as guarded as the more guarded record (the higher classification,
 * every caveat of both, releasable only where both are), and whose region is the
 * records' when they share one. It names no subject in the envelope and carries
 * no identifier: the subjects are the records' pseudonymous subject ids, and the
 * facts are for the policy alone (the exchange delivers a LinkAlertView built by
 * allow-list). The event id is the link id, so a link raised again (after a
 * rebuild) is the same event. Pure.
 */
export function linkAlertEvent(link: FoundLink, facts: (eventId: string) => LinkedRecordFacts, now: Date): IntelligenceEvent {
  const [a, b] = link.records;
  const fa = facts(a.eventId);
  const fb = facts(b.eventId);
  const caveats = [...new Set([...(fa.handling?.caveats ?? []), ...(fb.handling?.caveats ?? [])])].sort() as HandlingCaveat[];
  const releasableTo = (fa.handling?.releasableTo ?? []).filter((r) => (fb.handling?.releasableTo ?? []).includes(r)).sort();
  return IntelligenceEvent.fromPartial({
    id: link.linkId,
    sourceAgency: Agency.AGENCY_LINKAGE,
    eventType: LINK_ALERT_EVENT_TYPE,
    occurredAt: now,
    publishedAt: now,
    region: fa.region === fb.region ? fa.region : PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED,
    classification: higherClassification(fa.classification, fb.classification),
    // A country either record withholds, the alert withholds too.
    handling: { caveats, releasableTo, releasableToCountries: (fa.handling?.releasableToCountries ?? []).filter((c) => (fb.handling?.releasableToCountries ?? []).includes(c)).sort() },
    sourceRecordId: link.linkId,
    publisher: LINKAGE_PUBLISHER,
    subjects: [],
    payload: {
      $case: "linkAlert",
      value: LinkAlert.fromPartial({
        linkId: link.linkId,
        rule: link.rule,
        confidence: link.confidence,
        records: [a, b].map((r) => ({
          eventId: r.eventId,
          sourceAgency: r.sourceAgency,
          eventType: r.eventType,
          subjectId: r.subjectId,
          subjectIndex: r.subjectIndex,
          facts: facts(r.eventId),
        })),
      }),
    },
  });
}

/** The Kafka message of an alert: keyed by its id, with the headers every intelligence event carries. Pure. */
export function alertMessage(event: IntelligenceEvent): { key: string; value: Buffer; headers: Record<string, string> } {
  return {
    key: event.id,
    value: Buffer.from(IntelligenceEvent.encode(event).finish()),
    headers: {
      [HEADERS.EVENT_TYPE]: event.eventType,
      [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION,
      [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
    },
  };
}
