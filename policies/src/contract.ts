import { z } from "zod";

/**
 * The sharing policy's contract: what the exchange asks (DecisionInput) and what
 * the policy answers (Decision). The Rego in sharing/decision.rego and this file
 * describe the same shapes; the samples in sharing/samples/ hold them together.
 */

export const ENTRYPOINT = "takitini/sharing/decision";

/** The redaction categories agreements may name (the policy's vocabulary, read from the wasm). */
export const REDACTION_CATEGORIES_ENTRYPOINT = "takitini/sharing/vocabulary/redaction_categories";

/**
 * The publishing agencies, COMMUNITY (leaders' submissions, published by the briefing
 * service) and LINKAGE (link alerts, published by the linkage service).
 */
export const AGENCIES = ["POLICE", "CUSTOMS", "MBIE", "MSD", "COMMUNITY", "LINKAGE"] as const;
export type Agency = (typeof AGENCIES)[number];

/**
 * Agencies an agreement may release events of: every one but LINKAGE. A link alert is
 * released by the agreements of the two records it links, never by one of its own.
 */
export const AGREEMENT_AGENCIES = ["POLICE", "CUSTOMS", "MBIE", "MSD", "COMMUNITY"] as const satisfies readonly Agency[];

/** The event type of a link alert: decided on the records it links (DecisionInput.event.linked). */
export const LINK_ALERT_EVENT_TYPE = "linkage.link_alert";

/** The rules a link alert may be raised by (its `activity` for the policy). */
export const LINK_RULES = ["IDENTITY_DOCUMENT", "COMPANY_REGISTRATION", "VEHICLE_PLATE", "NAME_AND_DATE_OF_BIRTH"] as const;
export type LinkRuleCode = (typeof LINK_RULES)[number];

/** NZ Protective Security Requirements classifications, lowest first. */
export const CLASSIFICATIONS = ["UNCLASSIFIED", "IN_CONFIDENCE", "SENSITIVE", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP_SECRET"] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export const CAVEATS = ["ORIGINATOR_CONTROL", "LAW_ENFORCEMENT_ONLY", "NO_COMMUNITY_RELEASE", "EMBARGO_UNTIL_CONCLUDED", "RELEASABLE_TO"] as const;
export type Caveat = (typeof CAVEATS)[number];

export const VIEWS = ["full", "redacted", "aggregate_only", "none"] as const;
export type View = (typeof VIEWS)[number];

/** Reason the package itself gives when the compiled policy's answer cannot be trusted. */
export const POLICY_OUTPUT_INVALID = "sharing.policy_output_invalid";

/**
 * What the exchange tells the policy about one event for one subscriber. Only
 * what the policy decides on: no names, numbers or narrative.
 */
export interface DecisionInput {
  subscriber_id: string;
  event: EventProjection & {
    /**
     * An agency assessment's release approval (a role, a reference, an RFC 3339
     * time), absent or null when the agency has not approved it: without one the
     * policy releases no assessment to a community tier.
     */
    release_approval?: ReleaseApproval | null;
    /**
     * A request for information (`<agency>.information_request`) or its response
     * (`<agency>.information_response`) only, and always for those: the agency it is
     * addressed to, or the agency that asked (`POLICE | CUSTOMS | MBIE | MSD`, never the
     * source agency), and the legal basis the event states (its instrument, provision
     * and description as one line). The policy releases it to that agency only, on that basis.
     */
    information_exchange?: InformationExchange | null;
    /**
     * A link alert's two records (event type `linkage.link_alert` only, exactly two,
     * of different agencies, neither a link alert): each as this projection of an
     * event, built from the alert's LinkedRecordFacts, with the position of the linked
     * subject. The policy judges each as a record of its type and allows the alert
     * only where the subscriber may see both at record level with that subject.
     */
    linked?: LinkedRecordProjection[];
  };
}

/** Who a request for information or its response is for, and the basis it relies on. */
export interface InformationExchange {
  counterpart: string;
  legal_basis: string;
}

/** A link alert's record: its projection, and which of its subjects is linked. */
export interface LinkedRecordProjection extends EventProjection {
  /** Position of the linked subject in `subjects`. */
  subject_index: number;
}

/** The policy-relevant projection of one event (or of a link alert's record): markings and shape only. */
export interface EventProjection {
  id: string;
  source_agency: Agency;
  /** Stable dotted name, e.g. "police.organised_crime_noting". */
  event_type: string;
  classification: Classification;
  /** Handling caveats (see CAVEATS); an unknown one is denied with a reason. */
  caveats: string[];
  /** Subscriber ids or agency codes; meaningful with the RELEASABLE_TO caveat. */
  releasable_to: string[];
  /**
   * "RELEASABLE TO …": ISO 3166-1 alpha-3 codes of the countries outside New Zealand
   * the agency releases the event to. Empty: it never leaves New Zealand.
   */
  releasable_to_countries: string[];
  /**
   * Police district code, e.g. "EASTERN", "COUNTIES_MANUKAU"; a link alert whose
   * records lie in two districts names none ("UNSPECIFIED").
   */
  region: string;
  /**
   * The crime activity of a noting (DRUG_SUPPLY | VIOLENCE_STANDOVER | FIREARMS |
   * MONEY_LAUNDERING), the commodity of a border seizure, suspicious consignment or
   * wastewater reading (e.g. METHAMPHETAMINE), the topic of a leader's observation
   * (DRUG_SUPPLY | FIREARMS | GANG_ACTIVITY | EXPLOITATION | FINANCIAL_HARM | OTHER),
   * the rule a link alert was raised by (LINK_RULES); "" otherwise.
   */
  activity: string;
  /**
   * The operation the event concerns (code name or file reference); "" for none. A
   * linked record's is a placeholder when it has one: the policy reads only whether it is "".
   */
  operation_ref: string;
  /** An operation update's phase: PLANNING | ACTIVE | RESOLUTION | CONCLUDED; "" for every other event type. */
  operation_phase: string;
  /** e.g. ["PERSON", "ORGANISATION", "VEHICLE"]. */
  subject_kinds: string[];
  /**
   * The subjects in envelope order, so the policy can name exact redaction paths
   * (`subjects[2].person.full_name`): kind, a person's role ("UNSPECIFIED" when none
   * is recorded; "" for organisations and vehicles) and whether they are a minor.
   * Never a name, number or id.
   */
  subjects: SubjectShape[];
  has_personal_information: boolean;
}

/** The originating agency's recorded approval to release an assessment to a community tier. */
export interface ReleaseApproval {
  approver_role: string;
  approval_ref: string;
  approved_at: string;
}

/** What the policy knows of one subject: never who it is. */
export interface SubjectShape {
  kind: "PERSON" | "ORGANISATION" | "VEHICLE" | (string & {});
  role: string;
  minor: boolean;
}

/** The policy's answer for one (event, subscriber), and the policy revision that gave it. */
export interface Decision {
  allow: boolean;
  view: View;
  /** Field paths to remove before delivery, e.g. "subjects[*].person.full_name". */
  redact: string[];
  /**
   * Stable rule ids: the agreement rule that allowed, or every rule that denied. A
   * link alert's allow: `sharing.link_alert_records_visible`, then the rule each linked
   * record is seen under, in the alert's order; its deny names each record's reasons
   * as `sharing.linked.<agency>.<rule>` (e.g. `sharing.linked.police.default_deny`).
   */
  reasons: string[];
  /**
   * The legal basis relied on; "" when denied. A link alert's names each record's,
   * in order: "[POLICE police.organised_crime_noting] <basis>; [CUSTOMS …] <basis>".
   */
  legal_basis: string;
  /** sha256 (hex) of the wasm and data that made the decision. */
  policy_revision: string;
}

const reasonId = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/);

/** The entrypoint's value, checked for the contract's shape and its invariants. */
export const policyOutput = z
  .strictObject({
    allow: z.boolean(),
    view: z.enum(VIEWS),
    redact: z.array(z.string().min(1)),
    reasons: z.array(reasonId).min(1),
    legal_basis: z.string(),
  })
  .refine((d) => (d.allow ? d.view !== "none" && d.legal_basis !== "" : d.view === "none" && d.legal_basis === ""), {
    message: "an allow needs a view and a legal basis; a deny has neither",
  })
  .refine((d) => d.view === "redacted" || d.redact.length === 0, { message: "only a redacted view carries redactions" });

export function denial(reasons: string[], revision: string): Decision {
  return { allow: false, view: "none", redact: [], reasons, legal_basis: "", policy_revision: revision };
}

/**
 * Read the wasm's result set ([{ result: <entrypoint value> }]). Anything but
 * exactly one well-formed, consistent decision is a deny: fail closed. Pure.
 */
export function interpretResult(resultSet: unknown, revision: string): Decision {
  if (!Array.isArray(resultSet) || resultSet.length !== 1) return denial([POLICY_OUTPUT_INVALID], revision);
  const only: unknown = resultSet[0];
  const value = typeof only === "object" && only !== null && "result" in only ? only.result : undefined;
  const parsed = policyOutput.safeParse(value);
  if (!parsed.success) return denial([POLICY_OUTPUT_INVALID], revision);
  return { ...parsed.data, policy_revision: revision };
}
