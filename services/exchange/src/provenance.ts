import { Agency, type IntelligenceEvent } from "@takitini/proto";
import { intelTopicAgency } from "@takitini/runtime";

/**
 * Provenance: which agency an event came from. Each agency publishes on its own
 * topic, and who may write a topic is the broker's to enforce (its ACLs), so the
 * topic is evidence; the event's `source_agency` is only the publisher's word. The
 * policy decides by that word, so an event whose claim disagrees with its topic is
 * never decided (plan.ts dead-letters it): otherwise one agency's feed could have
 * its records shared under another agency's rules.
 */


/** The topic name's agency segment → the agency. A Map, not an object: `intel.constructor.v1` names no agency. */
const AGENCY_SEGMENTS: ReadonlyMap<string, Agency> = new Map([
  ["police", Agency.AGENCY_POLICE],
  ["customs", Agency.AGENCY_CUSTOMS],
  ["mbie", Agency.AGENCY_MBIE],
  ["msd", Agency.AGENCY_MSD],
  // Leaders' submissions: the briefing service is the only writer of takitini.intel.community.v1.
  ["community", Agency.AGENCY_COMMUNITY],
  // Link alerts: the linkage service is the only writer of takitini.intel.linkage.v1.
  ["linkage", Agency.AGENCY_LINKAGE],
]);

/** The agency whose topic this is by its name, or undefined if the name follows no agency's convention. Pure. */
export function topicAgency(topic: string): Agency | undefined {
  // The same naming convention the Kafka ACLs are derived from (runtime's intelTopicAgency):
  // `[<prefix>.]intel.<agency>.v<N>`.
  const segment = intelTopicAgency(topic);
  return segment === undefined ? undefined : AGENCY_SEGMENTS.get(segment);
}

/** An event claiming another agency than the one whose topic carried it. Agencies only: never event content. */
export interface ProvenanceMismatch {
  topic: string;
  /** Undefined for a topic that names no agency: its provenance cannot be checked, so nothing on it is trusted. */
  topicAgency: Agency | undefined;
  eventAgency: Agency;
}

/** The mismatch, if the event's claimed agency is not its topic's. Pure. */
export function checkProvenance(topic: string, event: Pick<IntelligenceEvent, "sourceAgency">): ProvenanceMismatch | undefined {
  const expected = topicAgency(topic);
  return expected === event.sourceAgency ? undefined : { topic, topicAgency: expected, eventAgency: event.sourceAgency };
}

/** An agency as named in reasons and logs: `POLICE`, not `AGENCY_POLICE`; `NONE` for a topic that names none. */
export function agencyName(agency: Agency | undefined): string {
  return agency === undefined ? "NONE" : agency.replace(/^AGENCY_/, "");
}
