/**
 * Which field of every event message may reach which view: the classification
 * the exchange's builders follow, as data. Every field of every message in
 * proto/takitini/intel/v1 (but the outputs, OUTPUT_MESSAGES) has a row here; `classification.test.ts` walks the build's
 * protobuf descriptors and fails when a field has none, so a field added to an
 * event later is a failing test, never a silent pass into a view.
 *
 * Views:
 * - `full` — the event as published (a partner's full agreement);
 * - `redacted` — the event less the field paths the policy names (`src/redaction.ts`);
 * - `aggregate` — an AggregateView (`src/aggregate.ts`): codes and numbers;
 * - `notice` — a community tier's SupportNotice (`src/notice.ts`) or CommunityAssessment (`src/assessment.ts`), or the
 *   SupportNotice a partner receives of a Police support advance notice (`advanceSupportNotice`), by allow-list;
 * - `alert` — a partner's LinkAlertView of a link alert (`src/link-alert.ts`), by allow-list: it carries
 *   nothing of any envelope (not even the alert's own), only the link and each linked record's ids.
 *
 * Passage:
 * - `pass` — reaches the view as is (for a message-typed field: its own fields are classified on their own rows);
 * - `policy` — reaches a redacted view unless the agreement's redaction categories remove it (the policy's
 *   category_paths in policies/sharing/decision.rego: people, addresses, phone_numbers, document_numbers,
 *   vehicles, victims_and_exploited_workers, children, subjects, narrative, operational_detail);
 * - `derived` — only a coarsened value reaches it (a timestamp as its ISO week, a count as its band or as a measure);
 * - `never` — nothing of it reaches the view.
 */

export const VIEWS = ["full", "redacted", "aggregate", "notice", "alert"] as const;
export type ClassifiedView = (typeof VIEWS)[number];
export type Passage = "pass" | "policy" | "derived" | "never";
export type FieldViews = Record<ClassifiedView, Passage>;
/** message name (in takitini.intel.v1) → proto field name → passage per view. */
export type FieldClassification = Record<string, Record<string, FieldViews>>;

/**
 * Messages in the package that are never part of an event, so not classified: the
 * exchange's outputs (views built by allow-list, and a submission's receipt) and the
 * briefing's own note of a submission. (The test checks none is reachable from an
 * IntelligenceEvent, so an event's field cannot be hidden by listing its message here.)
 * A LinkAlertView's fields are held to their sources instead (ALERT_VIEW_SOURCES).
 */
export const OUTPUT_MESSAGES: ReadonlySet<string> = new Set([
  "AggregateView",
  "AggregateMeasure",
  "SupportNotice",
  "CommunityAssessment",
  "SubmissionReceipt",
  "SubmissionNote",
  "LinkAlertView",
  "LinkAlertViewRecord",
  "WithdrawalNotice",
]);

/** A LinkAlertView field the exchange makes for the delivery rather than copies: the random delivery id, the agreements relied on. */
export const MADE_FOR_THE_DELIVERY = "made for the delivery";

/**
 * Where each field of a partner's LinkAlertView comes from (src/link-alert.ts): a
 * field of the alert (`Message.field`, which must be classified "pass" for the alert
 * view) or a value the exchange makes for the delivery. classificationProblems fails
 * on a view field with no source, on a source the table does not let the alert view
 * carry, and on an alert field the table lets through that no view field takes.
 */
export const ALERT_VIEW_SOURCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  LinkAlertView: {
    delivery_id: MADE_FOR_THE_DELIVERY,
    link_id: "LinkAlert.link_id",
    rule: "LinkAlert.rule",
    confidence: "LinkAlert.confidence",
    records: "LinkAlert.records",
    agreement_ids: MADE_FOR_THE_DELIVERY,
  },
  LinkAlertViewRecord: {
    event_id: "LinkedRecord.event_id",
    source_agency: "LinkedRecord.source_agency",
    event_type: "LinkedRecord.event_type",
    subject_id: "LinkedRecord.subject_id",
  },
};

const row = (full: Passage, redacted: Passage, aggregate: Passage, notice: Passage, alert: Passage): FieldViews => ({ full, redacted, aggregate, notice, alert });

/** A code or a routing field every view of an event may carry (a link alert's view carries no envelope field). */
const CODE_EVERYWHERE = row("pass", "pass", "pass", "pass", "never");
/** A partner's field (codes, gradings, quantities) that no community output carries. */
const PARTNERS_ONLY = row("pass", "pass", "never", "never", "never");
/** Personal information, an identifier, a reference or free text: removable by the policy's categories, never in a community output. */
const PERSONAL = row("pass", "policy", "never", "never", "never");
/** A field an aggregate view counts, exactly as a measure or as its category code. */
const AGGREGATED = row("pass", "pass", "derived", "never", "never");
/** Written for a region's leaders (an approved agency assessment): every view but aggregates. */
const FOR_LEADERS = row("pass", "pass", "never", "pass", "never");
/** Removable by the policy's categories, and counted in aggregate. */
const PERSONAL_AGGREGATED = row("pass", "policy", "derived", "never", "never");
/** A link alert's field a partner's LinkAlertView carries: no other view (an alert is never delivered as the event). */
const ALERT_ONLY = row("never", "never", "never", "never", "pass");
/** For the policy's decision alone: no view carries it. */
const NOWHERE = row("never", "never", "never", "never", "never");

export const FIELD_CLASSIFICATION: FieldClassification = {
  IntelligenceEvent: {
    // An id derived from the native record id (keyed HMAC): community outputs carry a random delivery id instead.
    id: PARTNERS_ONLY,
    source_agency: CODE_EVERYWHERE,
    event_type: CODE_EVERYWHERE,
    // Only as the ISO week (New Zealand time) of when it happened.
    occurred_at: row("pass", "pass", "derived", "derived", "never"),
    published_at: row("pass", "pass", "derived", "derived", "never"),
    region: CODE_EVERYWHERE,
    classification: PARTNERS_ONLY,
    handling: PARTNERS_ONLY,
    grading: PARTNERS_ONLY,
    // A notice names the agreement it was released under instead of the event's own legal-basis text.
    legal_basis: PARTNERS_ONLY,
    operation_ref: PERSONAL,
    subjects: PERSONAL,
    source_record_id: PERSONAL,
    // Who sent it: for the oversight body's ledger only, never in any view (plan.ts clears it).
    publisher: row("never", "never", "never", "never", "never"),
    police_noting: row("pass", "pass", "never", "never", "never"),
    police_operation_update: row("pass", "pass", "never", "pass", "never"),
    police_firearms_seizure: row("pass", "pass", "pass", "never", "never"),
    police_wastewater_indicator: row("pass", "pass", "pass", "never", "never"),
    police_fiu_suspicious_activity: row("pass", "pass", "pass", "never", "never"),
    police_asset_restraint: row("pass", "pass", "pass", "never", "never"),
    police_scam_report: row("pass", "pass", "pass", "never", "never"),
    // Never delivered as the event, to anyone: an allowed partner (MSD, Oranga Tamariki) receives a SupportNotice
    // built by allow-list (notice.ts advanceSupportNotice); no aggregate, no community tier.
    police_support_advance_notice: row("never", "never", "never", "pass", "never"),
    customs_border_seizure: row("pass", "pass", "pass", "never", "never"),
    customs_suspicious_consignment: row("pass", "pass", "never", "never", "never"),
    mbie_exploitation_complaint: row("pass", "pass", "pass", "never", "never"),
    mbie_trafficking_indicator: row("pass", "pass", "never", "never", "never"),
    msd_whanau_support_referral: row("pass", "pass", "pass", "never", "never"),
    msd_community_resilience_report: row("pass", "pass", "pass", "never", "never"),
    // An agency's written assessment for a region's leaders: a community tier receives it as a CommunityAssessment
    // (src/assessment.ts), built by allow-list once the policy has checked the approval; never an aggregate.
    regional_assessment: row("pass", "pass", "never", "pass", "never"),
    // A request for information and its response: to one partner agency, in full (the policy's addressing);
    // never to a community tier, never in an aggregate.
    information_request: PARTNERS_ONLY,
    information_response: PARTNERS_ONLY,
    // A leader's submission: to the partner agencies that act on it only (the policy denies every community tier).
    community_submission: PARTNERS_ONLY,
    // A link alert: never delivered as the event, in any view; an allowed partner receives its LinkAlertView
    // (src/link-alert.ts), built from the link_alert fields classified "pass" for the alert view below.
    link_alert: row("never", "never", "never", "never", "pass"),
    // A correction's links to earlier versions (revision.ts): in a partner's view only the version that partner
    // received last (plan.ts sets both per partner); never to a community tier.
    supersedes: PARTNERS_ONLY,
    original_event_id: PARTNERS_ONLY,
    // A withdrawal is never delivered as the event: holders get a WithdrawalNotice built by allow-list (an output).
    record_withdrawal: NOWHERE,
  },
  Grading: { source_reliability: PARTNERS_ONLY, information_credibility: PARTNERS_ONLY },
  Handling: { caveats: PARTNERS_ONLY, releasable_to: PARTNERS_ONLY, releasable_to_countries: PARTNERS_ONLY },
  LegalBasis: { instrument: PARTNERS_ONLY, provision: PARTNERS_ONLY, description: PARTNERS_ONLY },
  Subject: { person: PERSONAL, organisation: PERSONAL, vehicle: PERSONAL },
  Person: {
    // The pseudonymous id the oversight body answers "who has seen this person" by.
    subject_id: PERSONAL,
    full_name: PERSONAL,
    aliases: PERSONAL,
    date_of_birth: PERSONAL,
    address: PERSONAL,
    phone_numbers: PERSONAL,
    documents: PERSONAL,
    role: PERSONAL,
    is_minor: PERSONAL,
  },
  IdentityDocument: { kind: PERSONAL, number: PERSONAL, issuing_country: PERSONAL },
  Organisation: { subject_id: PERSONAL, name: PERSONAL, kind: PERSONAL, registration_number: PERSONAL },
  Vehicle: { subject_id: PERSONAL, plate: PERSONAL, make: PERSONAL, model: PERSONAL, colour: PERSONAL },
  PoliceOrganisedCrimeNoting: {
    group_name: PERSONAL,
    activity: PARTNERS_ONLY,
    commodities: PARTNERS_ONLY,
    summary: PERSONAL,
    reporting_unit: PERSONAL,
    locality: PERSONAL,
  },
  PoliceOperationUpdate: {
    code_name: PERSONAL,
    phase: row("pass", "pass", "never", "pass", "never"),
    clear_hold_build: row("pass", "pass", "never", "pass", "never"),
    target_group: PERSONAL,
    arrests: PERSONAL,
    charges: PERSONAL,
    // Only as a CountBand (notice.ts COUNT_BANDS): never the exact number.
    families_affected: row("pass", "pass", "never", "derived", "never"),
    children_affected: row("pass", "pass", "never", "derived", "never"),
    support_needed: row("pass", "pass", "never", "pass", "never"),
    summary: PERSONAL,
    localities: PERSONAL,
  },
  // The agency addressed / that asked, codes and references: the addressee's in full, nobody else's.
  InformationRequest: { addressed_to: PARTNERS_ONLY, matter_ref: PARTNERS_ONLY, question: PARTNERS_ONLY, urgency: PARTNERS_ONLY },
  InformationResponse: { request_event_id: PARTNERS_ONLY, requested_by: PARTNERS_ONLY, outcome: PARTNERS_ONLY, refusal_reason: PARTNERS_ONLY, answer: PARTNERS_ONLY },
  PoliceSupportAdvanceNotice: {
    week: row("never", "never", "never", "pass", "never"),
    // Only as a CountBand (notice.ts COUNT_BANDS): never the exact number.
    children_likely_affected: row("never", "never", "never", "derived", "never"),
    families_likely_affected: row("never", "never", "never", "derived", "never"),
    support_needed: row("never", "never", "never", "pass", "never"),
  },
  PoliceFirearmsSeizure: {
    firearms_count: AGGREGATED,
    firearm_types: PARTNERS_ONLY,
    ammunition_rounds: PARTNERS_ONLY,
    // Removable by the policy's categories; an aggregate names it only as the locality table does (a town or
    // suburb registered for the event's district, by the table's spelling; aggregate.ts disclosableLocality).
    locality: PERSONAL_AGGREGATED,
    linked_group: PERSONAL,
    under_warrant: PARTNERS_ONLY,
  },
  PoliceWastewaterIndicator: {
    // A treatment site is a place, not a person: an aggregate names it only as the site registry
    // allows (registered, in the event's district, catchment large enough; sites.ts), by the registry's spelling.
    site: AGGREGATED,
    drug: AGGREGATED,
    sample_week: row("pass", "pass", "pass", "never", "never"),
    estimated_weekly_grams: AGGREGATED,
    population_served: PARTNERS_ONLY,
  },
  // Financial intelligence. An aggregate counts reports by sector and typology; the value band and the
  // period stay with partners (the briefing counts by the week the FIU issued the summary).
  PoliceFiuSuspiciousActivity: {
    reporting_sector: AGGREGATED,
    typologies: AGGREGATED,
    reports_summarised: AGGREGATED,
    total_value_band: PARTNERS_ONLY,
    period_start: PARTNERS_ONLY,
    period_end: PARTNERS_ONLY,
  },
  // An aggregate counts assets and their value by stage and class, each value rounded (aggregate.ts
  // ASSET_VALUE_STEP_NZD); the court file identifies a case ("operational_detail").
  PoliceAssetRestraint: { stage: AGGREGATED, assets: row("pass", "pass", "pass", "never", "never"), court_file_ref: PERSONAL },
  RestrainedAsset: { asset_class: AGGREGATED, value_nzd: AGGREGATED },
  // An aggregate counts reports by category and channel and sums the loss, rounded (aggregate.ts
  // SCAM_LOSS_STEP_NZD); the reporter's age band stays with partners (with a town, a week and a loss it
  // could point at one person); the locality only as the locality table names it.
  PoliceScamReport: {
    category: AGGREGATED,
    channel: AGGREGATED,
    reported_loss_nzd: AGGREGATED,
    victim_age_band: PARTNERS_ONLY,
    locality: PERSONAL_AGGREGATED,
  },
  CustomsBorderSeizure: {
    commodity: AGGREGATED,
    weight_grams: AGGREGATED,
    units: PARTNERS_ONLY,
    port_of_entry: PARTNERS_ONLY,
    origin_country: PARTNERS_ONLY,
    concealment: PARTNERS_ONLY,
    consignee_subject_id: PERSONAL,
    case_ref: PERSONAL,
  },
  CustomsSuspiciousConsignmentAlert: {
    consignment_ref: PERSONAL,
    indicators: PARTNERS_ONLY,
    risk_score: PARTNERS_ONLY,
    port_of_entry: PARTNERS_ONLY,
    expected_arrival: PARTNERS_ONLY,
    suspected_commodity: PARTNERS_ONLY,
    origin_country: PARTNERS_ONLY,
    consignee_subject_id: PERSONAL,
  },
  MbieMigrantExploitationComplaint: {
    complaint_ref: PERSONAL,
    industry: AGGREGATED,
    indicators: PARTNERS_ONLY,
    job_fee_location: PARTNERS_ONLY,
    job_fee_nzd: PARTNERS_ONLY,
    workers_affected: AGGREGATED,
    employer_subject_id: PERSONAL,
    // As for a firearms seizure: in an aggregate only a registered locality of the event's district, by the table's name.
    locality: PERSONAL_AGGREGATED,
  },
  MbieTraffickingIndicator: {
    case_ref: PERSONAL,
    indicators: PARTNERS_ONLY,
    visa_category: PARTNERS_ONLY,
    persons_affected: PARTNERS_ONLY,
    industry: PARTNERS_ONLY,
    related_complaint_ref: PERSONAL,
  },
  MsdWhanauSupportReferral: {
    referral_batch_ref: PERSONAL,
    service: AGGREGATED,
    whanau_count: AGGREGATED,
    children_count: AGGREGATED,
    referral_week: row("pass", "pass", "pass", "never", "never"),
    provider: PERSONAL,
  },
  ServiceDelivered: { service: AGGREGATED, people_served: AGGREGATED, sessions: AGGREGATED },
  MsdCommunityResilienceReport: {
    programme: PARTNERS_ONLY,
    provider: PARTNERS_ONLY,
    period_start: PARTNERS_ONLY,
    period_end: PARTNERS_ONLY,
    funding_cents: AGGREGATED,
    services: row("pass", "pass", "pass", "never", "never"),
  },
  // Written for leaders in plain language with no personal information (the adapters refuse identifiers in it).
  // The text is what the agency approved for the region's leaders: it reaches their CommunityAssessment as is.
  AgencyRegionalAssessment: {
    title: FOR_LEADERS,
    period_start: FOR_LEADERS,
    period_end: FOR_LEADERS,
    body: FOR_LEADERS,
    key_points: FOR_LEADERS,
    recommended_actions: FOR_LEADERS,
    approval: FOR_LEADERS,
  },
  // The approval is a role, a reference and a time, never a name; the community sees the role and reference, not the time.
  AssessmentApproval: { approver_role: FOR_LEADERS, approval_ref: FOR_LEADERS, approved_at: PARTNERS_ONLY },
  // A leader's submission reaches partners' raw views only: no aggregate counts it and no community output carries
  // any of it (the policy denies every community tier, sharing.community_submission_not_for_community). Its free text
  // is the "narrative" category, who sent it and its reference "operational_detail".
  // A link alert (services/linkage): the link, and for each record which event and which subject. The facts
  // are for the policy alone: no field of LinkedRecordFacts or LinkedSubjectShape reaches any view, nor the
  // subject's position.
  // Reach a partner that held the record only through its WithdrawalNotice (revision.ts withdrawalNotice), never as the event.
  RecordWithdrawal: { withdrawn_event_id: NOWHERE, reason: NOWHERE, explanation: NOWHERE },
  LinkAlert: { link_id: ALERT_ONLY, rule: ALERT_ONLY, confidence: ALERT_ONLY, records: ALERT_ONLY },
  LinkedRecord: { event_id: ALERT_ONLY, source_agency: ALERT_ONLY, event_type: ALERT_ONLY, subject_id: ALERT_ONLY, subject_index: NOWHERE, facts: NOWHERE },
  LinkedRecordFacts: {
    event_type: NOWHERE,
    source_agency: NOWHERE,
    region: NOWHERE,
    classification: NOWHERE,
    handling: NOWHERE,
    activity: NOWHERE,
    operation_phase: NOWHERE,
    has_operation_ref: NOWHERE,
    subjects: NOWHERE,
    has_personal_information: NOWHERE,
  },
  LinkedSubjectShape: { kind: NOWHERE, role: NOWHERE, minor: NOWHERE },
  CommunitySubmission: {
    kind: PARTNERS_ONLY,
    topic: PARTNERS_ONLY,
    text: PERSONAL,
    locality: PERSONAL,
    briefing_week: PARTNERS_ONLY,
    reference: PERSONAL,
    organisation: PERSONAL,
    subscriber_id: PERSONAL,
  },
};

/** A field as the descriptors declare it (see @takitini/proto's declaredFields). */
export interface Declared {
  message: string;
  field: string;
}

/**
 * What is wrong with a classification against the declared fields: every
 * declared field of an event message without a passage for every view, and
 * every row naming a field no message declares. Empty when complete. Pure.
 */
export function classificationProblems(
  declared: readonly Declared[],
  table: FieldClassification = FIELD_CLASSIFICATION,
  alertSources: Readonly<Record<string, Readonly<Record<string, string>>>> = ALERT_VIEW_SOURCES,
): string[] {
  const problems: string[] = [];
  const known = new Set<string>();
  const sourced = new Set<string>();
  for (const { message, field } of declared) {
    if (message in alertSources) {
      const source = alertSources[message]?.[field];
      if (source === undefined) problems.push(`${message}.${field}: no source for the alert view`);
      else if (source !== MADE_FOR_THE_DELIVERY) {
        sourced.add(source);
        const [m, f] = source.split(".");
        if (table[m ?? ""]?.[f ?? ""]?.alert !== "pass") problems.push(`${message}.${field}: its source ${source} is not classified "pass" for the alert view`);
      }
    }
    if (OUTPUT_MESSAGES.has(message)) continue;
    known.add(`${message}.${field}`);
    const views = table[message]?.[field];
    for (const view of VIEWS) {
      const passage = views?.[view];
      if (passage !== "pass" && passage !== "policy" && passage !== "derived" && passage !== "never") problems.push(`${message}.${field}: not classified for the ${view} view`);
      else if (passage === "policy" && view !== "redacted") problems.push(`${message}.${field}: "policy" applies to the redacted view only, not ${view}`);
    }
  }
  for (const [message, fields] of Object.entries(table)) {
    for (const field of Object.keys(fields)) if (!known.has(`${message}.${field}`)) problems.push(`${message}.${field}: classified, but no event message declares it`);
    // What the alert view may carry is what it does carry: the one route in (the envelope's payload field) aside.
    for (const [field, views] of Object.entries(fields)) {
      const name = `${message}.${field}`;
      if ((views.alert === "pass" || views.alert === "derived") && name !== "IntelligenceEvent.link_alert" && !sourced.has(name)) problems.push(`${name}: classified for the alert view, but no LinkAlertView field takes it`);
    }
  }
  return problems;
}
