import { Agency, Classification, HandlingCaveat, PoliceDistrict, WithdrawalReason, type IntelligenceEvent } from "@takitini/proto";
import { agencyOfEventId, correctionIdFor, isEventId, text, withdrawalIdFor, zodIssues, type EventIdKey, type FieldIssue } from "@takitini/runtime";
import { z } from "zod";
import { identifierIn } from "./assessment.js";
import type { ClaimedRevision } from "./claims.js";
import { CAVEATS, CLASSIFICATIONS, type AgencyDefaults } from "./fields.js";
import type { AgencyCode } from "./kind.js";

/**
 * Corrections and withdrawals, the pure part: which record an event id names,
 * its versions and whether it is withdrawn — all from the claim index — and the
 * events that correct or withdraw it.
 *
 * A record's first version is an ordinary event. Its correction is the event
 * `correctionIdFor(agency, v)` of the version `v` it corrects, so a record's
 * versions form one chain from its first version: v1, correctionIdFor(v1),
 * correctionIdFor(correctionIdFor(v1)), … — the latest is the last one claimed.
 * Its withdrawal is the event `withdrawalIdFor(agency, v1)`. Every id carries
 * its agency (`agencyOfEventId`), so another agency's record is refused without
 * looking it up, and without saying whether it exists.
 */

/** The event type of a withdrawal. */
export const WITHDRAWAL_EVENT_TYPE = "record.withdrawal";

/** Most versions a record's chain is walked through (a guard: no record is corrected this often). */
export const MAX_VERSIONS = 10_000;

/** What the chain logic needs of the claim index. */
export interface RevisionIndex {
  /** A claimed event's record (its first version) and type; undefined when not claimed. */
  revision(id: string): ClaimedRevision | undefined;
}

/** Stable codes of a correction or withdrawal that cannot be made, beyond the record's own. */
export const REVISION_ERRORS = {
  /** The event id names another agency's record (nothing is said of whether it exists). */
  RECORD_OF_ANOTHER_AGENCY: "RECORD_OF_ANOTHER_AGENCY",
  /** No record of this agency has a version with this event id. */
  RECORD_NOT_FOUND: "RECORD_NOT_FOUND",
  /** The corrected record is of another type than the record's first version. */
  CORRECTION_TYPE_MISMATCH: "CORRECTION_TYPE_MISMATCH",
  /** The record is withdrawn: it can no longer be corrected. */
  RECORD_WITHDRAWN: "RECORD_WITHDRAWN",
  /** The version named was already corrected, with other content: correct the latest. */
  RECORD_SUPERSEDED: "RECORD_SUPERSEDED",
} as const;

export type RevisionCode = (typeof REVISION_ERRORS)[keyof typeof REVISION_ERRORS];

/** A record found by one of its versions' event ids. */
export interface RecordChain {
  /** The version named. */
  named: string;
  /** Its first version's event id. */
  original: string;
  /** The record's event type (its first version's); undefined for a first version claimed before corrections existed. */
  eventType: string | undefined;
  /** Its latest version's event id. */
  latest: string;
  /** The event id its withdrawal has (whether or not it is withdrawn). */
  withdrawalId: string;
  withdrawn: boolean;
}

export type ChainAnswer = { ok: true; chain: RecordChain } | { ok: false; code: "VALIDATION_FAILED" | "RECORD_OF_ANOTHER_AGENCY" | "RECORD_NOT_FOUND"; issues: FieldIssue[] };

/**
 * The record an event id names, for `agency`'s adapter. `path` names the event
 * id in the caller's request (`eventId` for an HTTP path parameter,
 * `supersedes_event_id`, `withdraw` …). Refused: a string that is not an event
 * id (VALIDATION_FAILED), another agency's id (RECORD_OF_ANOTHER_AGENCY, before
 * any lookup), an id nobody claimed or a withdrawal's (RECORD_NOT_FOUND). Pure.
 */
export function findRecord(index: RevisionIndex, key: EventIdKey, agency: AgencyCode, eventId: string, path: string): ChainAnswer {
  if (!isEventId(eventId)) return { ok: false, code: "VALIDATION_FAILED", issues: [{ path, code: "invalid_event_id", message: "expected an event id (a lower-case UUID, version 8, as the publish answer gave it)" }] };
  const owner = agencyOfEventId(eventId);
  if (owner !== agency) return { ok: false, code: "RECORD_OF_ANOTHER_AGENCY", issues: [{ path, code: "another_agency", message: `this event id is not a ${agency} record's: an agency corrects and withdraws its own records only` }] };
  const named = index.revision(eventId);
  const notFound: ChainAnswer = { ok: false, code: "RECORD_NOT_FOUND", issues: [{ path, code: "not_found", message: "no record of this agency has a version with this event id" }] };
  if (!named || named.eventType === WITHDRAWAL_EVENT_TYPE) return notFound;
  const original = named.original;
  const first = original === eventId ? named : index.revision(original);
  let latest = original;
  for (let i = 0; i < MAX_VERSIONS; i++) {
    const next = correctionIdFor(key, agency, latest);
    if (!index.revision(next)) break;
    latest = next;
  }
  const withdrawalId = withdrawalIdFor(key, agency, original);
  return { ok: true, chain: { named: eventId, original, eventType: first?.eventType ?? named.eventType, latest, withdrawalId, withdrawn: index.revision(withdrawalId) !== undefined } };
}

/**
 * The event a correction of `chain.named` publishes: the corrected record's
 * mapped event (`mapped`, its id from the native id) re-identified as the
 * correction — id `correctionIdFor(agency, named)`, `supersedes` the version
 * named, `original_event_id` the first version. Refused: a record of another
 * type than the record's (CORRECTION_TYPE_MISMATCH, naming `record_type`), a
 * withdrawn record (RECORD_WITHDRAWN). A version already corrected is left to the
 * publisher: the same correction again is a duplicate of its id, another one a
 * conflict (RECORD_SUPERSEDED). Pure.
 */
export function correctionEvent(
  chain: RecordChain,
  key: EventIdKey,
  agency: AgencyCode,
  mapped: IntelligenceEvent,
): { ok: true; event: IntelligenceEvent } | { ok: false; code: "CORRECTION_TYPE_MISMATCH" | "RECORD_WITHDRAWN"; issues: FieldIssue[] } {
  const mismatch = correctionTypeIssue(chain, mapped.eventType);
  if (mismatch) return { ok: false, code: "CORRECTION_TYPE_MISMATCH", issues: [mismatch] };
  if (chain.withdrawn) return { ok: false, code: "RECORD_WITHDRAWN", issues: withdrawnIssues() };
  return { ok: true, event: { ...mapped, id: correctionIdFor(key, agency, chain.named), supersedes: chain.named, originalEventId: chain.original } };
}

/** The issue of a correction of another event type than the record's; undefined when it matches (or the record's type is not known). */
export function correctionTypeIssue(chain: RecordChain, eventType: string): FieldIssue | undefined {
  if (chain.eventType === undefined || chain.eventType === eventType) return undefined;
  return { path: "record_type", code: "type_mismatch", message: `the record is a ${chain.eventType}; a correction is a record of the same type` };
}

export function withdrawnIssues(): FieldIssue[] {
  return [{ path: "", code: "withdrawn", message: "the record is withdrawn: it can no longer be corrected" }];
}

/** The issue of a correction of a version already corrected otherwise: the latest version is named (an id the caller's agency published). */
export function supersededIssues(latest: string): FieldIssue[] {
  return [{ path: "", code: "superseded", message: `this version was already corrected, with other content; correct the latest version, ${latest}` }];
}

/** Withdrawal reasons as the doors name them, and their protobuf values. */
export const WITHDRAWAL_REASONS = {
  entered_in_error: WithdrawalReason.WITHDRAWAL_REASON_ENTERED_IN_ERROR,
  duplicate: WithdrawalReason.WITHDRAWAL_REASON_DUPLICATE,
  not_substantiated: WithdrawalReason.WITHDRAWAL_REASON_NOT_SUBSTANTIATED,
  legal_direction: WithdrawalReason.WITHDRAWAL_REASON_LEGAL_DIRECTION,
  source_protection: WithdrawalReason.WITHDRAWAL_REASON_SOURCE_PROTECTION,
  other: WithdrawalReason.WITHDRAWAL_REASON_OTHER,
} as const;

export type WithdrawalReasonName = keyof typeof WITHDRAWAL_REASONS;

/** Longest explanation of a withdrawal, in characters. */
export const MAX_EXPLANATION_CHARS = 1000;

/** A withdrawal's request: its reason and optional explanation (plain language, no identifiers). */
export const withdrawalRequest = z.strictObject({
  reason: z.enum(Object.keys(WITHDRAWAL_REASONS) as [WithdrawalReasonName, ...WithdrawalReasonName[]]),
  explanation: text(MAX_EXPLANATION_CHARS, { multiline: true })
    .superRefine((s, ctx) => {
      const found = identifierIn(s);
      if (found) ctx.addIssue({ code: "custom", message: `looks like ${found}: an explanation goes to partners and carries no personal information or identifiers` });
    })
    .optional(),
});

export type WithdrawalRequest = z.infer<typeof withdrawalRequest>;

/** Validate a withdrawal's body; issues name `reason` / `explanation` (never their values). Pure. */
export function parseWithdrawal(raw: unknown): { ok: true; value: WithdrawalRequest } | { ok: false; issues: FieldIssue[] } {
  const r = withdrawalRequest.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: zodIssues(r.error) };
}

/**
 * The withdrawal event of a record: id `chain.withdrawalId`, type
 * "record.withdrawal", the agency's default markings and legal basis, no
 * region, `original_event_id` the first version, withdrawing the latest version.
 * Occurred and published `now`; the intake stamps the publisher. Pure.
 */
export function withdrawalEvent(chain: RecordChain, agency: AgencyCode, defaults: AgencyDefaults, request: WithdrawalRequest, now: Date): IntelligenceEvent {
  return {
    id: chain.withdrawalId,
    sourceAgency: Agency[`AGENCY_${agency}`],
    eventType: WITHDRAWAL_EVENT_TYPE,
    occurredAt: now,
    publishedAt: now,
    region: PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED,
    classification: Classification[`CLASSIFICATION_${CLASSIFICATIONS[defaults.classification]}`],
    handling: { caveats: defaults.caveats.map((c) => HandlingCaveat[`HANDLING_CAVEAT_${CAVEATS[c]}`]), releasableTo: [], releasableToCountries: [] },
    legalBasis: { instrument: defaults.legalBasis.instrument, provision: defaults.legalBasis.provision, description: defaults.legalBasis.description ?? "" },
    operationRef: "",
    subjects: [],
    sourceRecordId: "",
    publisher: "",
    supersedes: "",
    originalEventId: chain.original,
    payload: { $case: "recordWithdrawal", value: { withdrawnEventId: chain.latest, reason: WITHDRAWAL_REASONS[request.reason], explanation: request.explanation ?? "" } },
  };
}

/** A correction's body: the record type and the corrected record, in full. Issues name `record_type` / `record`. Pure. */
export function parseCorrectionBody(body: unknown, defaultRecordType?: string): { ok: true; recordType: string; record: unknown } | { ok: false; issues: FieldIssue[] } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return { ok: false, issues: [{ path: "", code: "invalid_type", message: 'expected an object {"record_type": "…", "record": {…}}' }] };
  const b = body as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  const recordType = b.record_type === undefined ? defaultRecordType : b.record_type;
  if (typeof recordType !== "string" || recordType === "") issues.push({ path: "record_type", code: "invalid_type", message: "expected the record type (a string)" });
  if (b.record === null || typeof b.record !== "object" || Array.isArray(b.record)) issues.push({ path: "record", code: "invalid_type", message: "expected the corrected record in full (an object)" });
  for (const k of Object.keys(b)) if (k !== "record_type" && k !== "record") issues.push({ path: k, code: "unrecognized_keys", message: "unknown field" });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, recordType: recordType as string, record: b.record };
}

/** What one line of an NDJSON import holds: a record, a correction or a withdrawal (see bulk.ts). */
export type ImportLine =
  | { kind: "record"; record: unknown }
  | { kind: "correction"; eventId: string; recordType: string; record: unknown }
  | { kind: "withdrawal"; eventId: string; request: unknown }
  | { kind: "invalid"; issues: FieldIssue[] };

/**
 * Tell an import line's kind: an object with `supersedes` is a correction
 * (`{"supersedes": "<event id>", "record_type"?: …, "record": {…}}`, the type
 * defaulting to the import's), one with `withdraw` a withdrawal
 * (`{"withdraw": "<event id>", "reason": …, "explanation"?: …}`), anything
 * else a record of the import's type. Pure.
 */
export function importLine(value: unknown, recordType: string): ImportLine {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { kind: "record", record: value };
  const v = value as Record<string, unknown>;
  const correction = Object.hasOwn(v, "supersedes");
  const withdrawal = Object.hasOwn(v, "withdraw");
  if (correction && withdrawal) return { kind: "invalid", issues: [{ path: "", code: "invalid_line", message: "a line is a correction (supersedes) or a withdrawal (withdraw), not both" }] };
  if (correction) {
    const { supersedes, ...rest } = v;
    if (typeof supersedes !== "string") return { kind: "invalid", issues: [{ path: "supersedes", code: "invalid_type", message: "expected the event id of the version corrected" }] };
    const body = parseCorrectionBody({ ...rest }, recordType);
    return body.ok ? { kind: "correction", eventId: supersedes, recordType: body.recordType, record: body.record } : { kind: "invalid", issues: body.issues };
  }
  if (withdrawal) {
    const { withdraw, ...request } = v;
    if (typeof withdraw !== "string") return { kind: "invalid", issues: [{ path: "withdraw", code: "invalid_type", message: "expected the event id of a version of the record withdrawn" }] };
    return { kind: "withdrawal", eventId: withdraw, request };
  }
  return { kind: "record", record: value };
}
