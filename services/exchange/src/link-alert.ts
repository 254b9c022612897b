import { Agency, Classification, LinkAlertView, LinkRule, PoliceDistrict, type IntelligenceEvent, type LinkAlert } from "@takitini/proto";
import { LINK_ALERT_EVENT_TYPE, type Decision, type Subscriber } from "@takitini/policies";
import { enumCode } from "./projection.js";

/**
 * Link alerts: the linkage service's word that two agencies' records concern the
 * same person, company or vehicle. The policy decides an alert per subscriber on
 * the two records it links (policies/README.md, "Link alerts"); what an allowed
 * partner receives is a LinkAlertView built here by allow-list — never the
 * LinkAlert, never the facts the policy decided on.
 */

export { LINK_ALERT_EVENT_TYPE };

/** The event-type header of a LinkAlertView on a partner's delivery topic. */
export const LINK_ALERT_VIEW_EVENT_TYPE = "link_alert.view";

/** Event ids, as the envelope's are checked (decodeEvent). */
const EVENT_ID = /^[0-9a-f-]{36}$/;

const KNOWN_RULES: ReadonlySet<LinkRule> = new Set(Object.values(LinkRule).filter((r) => r !== LinkRule.LINK_RULE_UNSPECIFIED));

/** Whatever claims to be an alert: its publisher, its event type or its payload. */
export function isLinkAlert(event: Pick<IntelligenceEvent, "sourceAgency" | "eventType" | "payload">): boolean {
  return event.sourceAgency === Agency.AGENCY_LINKAGE || event.eventType === LINK_ALERT_EVENT_TYPE || event.payload?.$case === "linkAlert";
}

/**
 * What an alert lacks for the exchange to decide and deliver it, as field paths: an
 * alert is from LINKAGE, of type `linkage.link_alert`, with a LinkAlert payload that
 * has a link id, a known rule, a confidence from 0 to 1 and exactly two records of
 * different agencies (neither LINKAGE), each with its event id, agency, event type
 * (not an alert's), linked subject id and facts that agree with it and have the
 * position of that subject. Empty for a complete alert and for every other event. Pure.
 */
export function linkAlertProblems(event: IntelligenceEvent): string[] {
  if (!isLinkAlert(event)) return [];
  const problems: string[] = [];
  if (event.sourceAgency !== Agency.AGENCY_LINKAGE) problems.push("source_agency");
  if (event.eventType !== LINK_ALERT_EVENT_TYPE) problems.push("event_type");
  if (event.payload?.$case !== "linkAlert") return [...problems, "link_alert"];
  const alert = event.payload.value;
  if (alert.linkId.trim() === "") problems.push("link_alert.link_id");
  if (!KNOWN_RULES.has(alert.rule)) problems.push("link_alert.rule");
  if (!Number.isFinite(alert.confidence) || alert.confidence < 0 || alert.confidence > 1) problems.push("link_alert.confidence");
  if (alert.records.length !== 2) return [...problems, "link_alert.records"];
  alert.records.forEach((r, i) => {
    const at = `link_alert.records[${i}]`;
    if (!EVENT_ID.test(r.eventId)) problems.push(`${at}.event_id`);
    if (r.sourceAgency === Agency.AGENCY_UNSPECIFIED || r.sourceAgency === Agency.AGENCY_LINKAGE) problems.push(`${at}.source_agency`);
    if (r.eventType === "" || r.eventType === LINK_ALERT_EVENT_TYPE) problems.push(`${at}.event_type`);
    if (r.subjectId.trim() === "") problems.push(`${at}.subject_id`);
    const f = r.facts;
    if (!f) {
      problems.push(`${at}.facts`);
      return;
    }
    if (f.sourceAgency !== r.sourceAgency) problems.push(`${at}.facts.source_agency`);
    if (f.eventType !== r.eventType) problems.push(`${at}.facts.event_type`);
    if (f.classification === Classification.CLASSIFICATION_UNSPECIFIED) problems.push(`${at}.facts.classification`);
    if (f.region === PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED) problems.push(`${at}.facts.region`);
    if (r.subjectIndex >= f.subjects.length) problems.push(`${at}.subject_index`);
  });
  const [a, b] = alert.records;
  if (a!.sourceAgency === b!.sourceAgency && a!.sourceAgency !== Agency.AGENCY_UNSPECIFIED) problems.push("link_alert.records");
  return problems;
}

/** The alert an event carries, if it is one. */
export function linkAlertOf(event: IntelligenceEvent): LinkAlert | undefined {
  return event.payload?.$case === "linkAlert" ? event.payload.value : undefined;
}

/**
 * The pseudonymous subject ids an alert concerns: each record's linked subject. The
 * decision records carry them, so the oversight body's "who has seen this person"
 * finds every alert about them. Empty for other events. Pure.
 */
export function linkedSubjectIds(event: IntelligenceEvent): string[] {
  return (linkAlertOf(event)?.records ?? []).map((r) => r.subjectId).filter((id) => id !== "");
}

/**
 * The agreement each linked record was released to the subscriber under, in the
 * alert's order: the subscriber's agreement whose rule the decision relied on and
 * that covers that record's agency and event type; "" for the subscriber's own
 * agency's record (it holds it; no agreement releases it). Pure.
 */
export function alertAgreementIds(subscriber: Pick<Subscriber, "agency" | "agreements">, decision: Pick<Decision, "reasons">, alert: LinkAlert): string[] {
  return alert.records.map((r) => {
    const agency = enumCode(r.sourceAgency, "AGENCY_");
    if (subscriber.agency === agency) return "";
    return subscriber.agreements.find((a) => decision.reasons.includes(a.rule) && a.source_agency === agency && a.event_types.includes(r.eventType))?.id ?? "";
  });
}

/**
 * What a partner receives of an alert for one delivery, or null when the event is
 * not an alert. Built field by field from named fields — the link's id, rule and
 * confidence; each record's event id, agency, event type and linked subject id; the
 * agreements it was released under — with a random delivery id; never by copying
 * the LinkAlert, so the facts (markings, subject shapes), the subject's position,
 * the alert's own envelope and anything added to LinkAlert later stay out. Pure.
 */
export function linkAlertView(event: IntelligenceEvent, opts: { deliveryId: string; agreementIds: readonly string[] }): LinkAlertView | null {
  const alert = linkAlertOf(event);
  if (!alert) return null;
  return LinkAlertView.fromPartial({
    deliveryId: opts.deliveryId,
    linkId: alert.linkId,
    rule: alert.rule,
    confidence: alert.confidence,
    records: alert.records.map((r) => ({ eventId: r.eventId, sourceAgency: r.sourceAgency, eventType: r.eventType, subjectId: r.subjectId })),
    agreementIds: [...opts.agreementIds],
  });
}
