import { randomBytes, randomUUID } from "node:crypto";
import {
  Agency,
  Classification,
  HandlingCaveat,
  IntelligenceEvent,
  SubmissionKind,
  SubmissionNote,
  SubmissionTopic,
  type PoliceDistrict,
} from "@takitini/proto";
import { zodIssues, type FieldIssue as Issue } from "@takitini/runtime";
import { z } from "zod";
import { isWeek } from "../periods.js";
import type { Region } from "../regions.js";

/**
 * A community leader's submission — an observation of what they see in their
 * community, a support need, or feedback on a briefing — from the request body
 * to the event the exchange decides. Pure: validation, cleaning of the leader's
 * words, the reference they are given, and the three records written in one
 * transaction (the event, the briefing's own note for the leader's status page,
 * the access record).
 *
 * The leader's words are personal information by default (they may name
 * people): the event is IN-CONFIDENCE, NO COMMUNITY RELEASE, and the sharing
 * policy routes it to the agencies that act on it (Police, MBIE, MSD) only.
 */

export const SUBMISSION_KINDS = ["observation", "support_need", "briefing_feedback"] as const;
export type SubmissionKindName = (typeof SUBMISSION_KINDS)[number];
export const OBSERVATION_TOPICS = ["drug_supply", "firearms", "gang_activity", "exploitation", "financial_harm", "other"] as const;
export type ObservationTopic = (typeof OBSERVATION_TOPICS)[number];

/** The event type each kind is published as (the sharing policy's vocabulary). */
export const SUBMISSION_EVENT_TYPES: Record<SubmissionKindName, string> = {
  observation: "community.observation",
  support_need: "community.support_need",
  briefing_feedback: "community.briefing_feedback",
};

const KIND_ENUM: Record<SubmissionKindName, SubmissionKind> = {
  observation: SubmissionKind.SUBMISSION_KIND_OBSERVATION,
  support_need: SubmissionKind.SUBMISSION_KIND_SUPPORT_NEED,
  briefing_feedback: SubmissionKind.SUBMISSION_KIND_BRIEFING_FEEDBACK,
};
const TOPIC_ENUM: Record<ObservationTopic, SubmissionTopic> = {
  drug_supply: SubmissionTopic.SUBMISSION_TOPIC_DRUG_SUPPLY,
  firearms: SubmissionTopic.SUBMISSION_TOPIC_FIREARMS,
  gang_activity: SubmissionTopic.SUBMISSION_TOPIC_GANG_ACTIVITY,
  exploitation: SubmissionTopic.SUBMISSION_TOPIC_EXPLOITATION,
  financial_harm: SubmissionTopic.SUBMISSION_TOPIC_FINANCIAL_HARM,
  other: SubmissionTopic.SUBMISSION_TOPIC_OTHER,
};

/** The kind's and topic's names as the API speaks them, from the proto's enums. */
export const kindName = (k: SubmissionKind): SubmissionKindName | undefined => SUBMISSION_KINDS.find((n) => KIND_ENUM[n] === k);
export const topicName = (t: SubmissionTopic): ObservationTopic | undefined => OBSERVATION_TOPICS.find((n) => TOPIC_ENUM[n] === t);

/** Bounds, after cleaning. The request body itself is bounded by the door (SUBMISSION_BODY_LIMIT). */
export const LIMITS = { text: 4000, locality: 80 } as const;
/** Bytes a submission's body may have: 4,000 characters of te reo Māori or emoji, JSON-escaped, and the rest. */
export const SUBMISSION_BODY_LIMIT = 64 * 1024;

/** The legal basis the leader's submission travels with: their own authority to pass it on. */
export const SUBMISSION_LEGAL_BASIS = {
  instrument: "Privacy Act 2020",
  provision: "IPP 11(1)(a) and (c)",
  description:
    "Given by a community leader through the Takitini briefing service for the agencies that act on it (NZ Police, MBIE, MSD); disclosed for that purpose and with the leader's authority, never to a community tier",
} as const;

/** The publisher the event names: the briefing's door, on behalf of the leader's community. */
export const SUBMISSION_PUBLISHER = "spiffe://takitini.local/service/briefing/submissions";

// Tags and what is inside script, style and similar elements; then any tag left. Escaping at every output stays the real defence.
const ACTIVE_ELEMENTS = /<\s*(script|style|iframe|object|embed|template|noscript)\b[^>]*>[\s\S]*?<\s*\/\s*\1\s*>/gi;
const UNCLOSED_ACTIVE = /<\s*(script|style|iframe|object|embed|template|noscript)\b[\s\S]*$/i;
const TAG = /<\/?[a-zA-Z!][^<>]*>/g;
// C0 and C1 controls but tab and newline; bidirectional overrides and isolates (text that reads differently than it is stored); BOM.
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g;

/**
 * A leader's words as they are kept: Unicode NFC (macrons one way), line ends
 * "\n", controls and bidirectional overrides removed, HTML elements that run
 * code dropped with their content and other tags removed, at most two blank
 * lines in a row, trimmed. Idempotent. Pure.
 */
export function cleanText(raw: string): string {
  let s = raw.normalize("NFC").replace(/\r\n?/g, "\n");
  s = s.replace(ACTIVE_ELEMENTS, " ").replace(UNCLOSED_ACTIVE, " ");
  let prev: string;
  do {
    prev = s;
    s = s.replace(TAG, " ");
  } while (s !== prev);
  s = s.replace(CONTROLS, "");
  s = s
    .split("\n")
    .map((line) => line.replace(/[ \t]+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
  return s.trim();
}

/** A single-line value (a place name): cleaned, every whitespace run one space. Pure. */
export function cleanLine(raw: string): string {
  return cleanText(raw).replace(/\s+/g, " ");
}

/** What a leader sends: JSON to /v1/submissions, or the form's fields. */
export const submissionBody = z.strictObject({
  region: z.string().min(1).max(60),
  kind: z.enum(SUBMISSION_KINDS),
  topic: z.enum(OBSERVATION_TOPICS).optional(),
  text: z.string().max(LIMITS.text * 4),
  locality: z.string().max(LIMITS.locality * 4).optional(),
  week: z.string().max(20).optional(),
});
export type SubmissionBody = z.infer<typeof submissionBody>;

/** A submission as accepted: cleaned, within bounds, consistent. */
export interface Submission {
  region: string;
  kind: SubmissionKindName;
  topic?: ObservationTopic;
  text: string;
  locality: string;
  week: string;
}

/**
 * Check and clean a body: every problem with its field path (never the value),
 * or the submission. An observation says what it concerns (`topic`); feedback
 * names the briefing week; a topic or week where it does not belong is refused
 * rather than ignored. Pure.
 */
export function parseSubmission(body: unknown): { ok: true; submission: Submission } | { ok: false; issues: Issue[] } {
  const parsed = submissionBody.safeParse(body ?? {});
  if (!parsed.success) {
    return { ok: false, issues: zodIssues(parsed.error) };
  }
  const b = parsed.data;
  const issues: Issue[] = [];
  const text = cleanText(b.text);
  if (text === "") issues.push({ path: "text", code: "empty", message: "say what you want to tell the agencies" });
  else if ([...text].length > LIMITS.text) issues.push({ path: "text", code: "too_long", message: `at most ${LIMITS.text} characters` });
  const locality = cleanLine(b.locality ?? "");
  if ([...locality].length > LIMITS.locality) issues.push({ path: "locality", code: "too_long", message: `at most ${LIMITS.locality} characters` });
  if (b.kind === "observation" && b.topic === undefined) issues.push({ path: "topic", code: "required", message: `an observation says what it concerns: ${OBSERVATION_TOPICS.join(", ")}` });
  if (b.kind !== "observation" && b.topic !== undefined) issues.push({ path: "topic", code: "not_allowed", message: "only an observation has a topic" });
  const week = b.week ?? "";
  if (b.kind === "briefing_feedback") {
    if (week === "") issues.push({ path: "week", code: "required", message: "feedback names the briefing week it is about, e.g. 2026-W47" });
    else if (!isWeek(week)) issues.push({ path: "week", code: "invalid_week", message: "expected an ISO week that exists, e.g. 2026-W47" });
  } else if (week !== "") issues.push({ path: "week", code: "not_allowed", message: "only feedback names a briefing week" });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, submission: { region: b.region, kind: b.kind, ...(b.topic ? { topic: b.topic } : {}), text, locality, week } };
}

// Crockford's base32: no I, L, O or U, so a reference read out over the phone is not misheard.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A reference for the leader, e.g. "TK-7Q4M-2WXC": 40 random bits, never derived from them or their words. */
export function newReference(random: (n: number) => Uint8Array = randomBytes): string {
  const bytes = random(5);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let s = "";
  for (let i = 0; i < 8; i++) s = ALPHABET[Number(bits & 31n)]! + s, (bits >>= 5n);
  return `TK-${s.slice(0, 4)}-${s.slice(4)}`;
}

export const REFERENCE = /^TK-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

export interface SubmissionContext {
  reference: string;
  /** Random (UUIDv4): a submission has no native record id an agency could guess from. */
  eventId?: string;
  region: Region;
  subscriberId: string;
  /** The leader's organisation as registered (the subscriber's name), never the person. */
  organisation: string;
  account: string;
  now: Date;
}

const district = (r: Region) => `POLICE_DISTRICT_${r.code}` as PoliceDistrict;

/** The event the exchange decides: the leader's district, their words, the markings that keep it from any community. Pure. */
export function submissionEvent(s: Submission, ctx: SubmissionContext): IntelligenceEvent {
  return IntelligenceEvent.fromPartial({
    id: ctx.eventId ?? randomUUID(),
    sourceAgency: Agency.AGENCY_COMMUNITY,
    eventType: SUBMISSION_EVENT_TYPES[s.kind],
    occurredAt: ctx.now,
    publishedAt: ctx.now,
    region: district(ctx.region),
    classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
    handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_NO_COMMUNITY_RELEASE], releasableTo: [], releasableToCountries: [] },
    legalBasis: { ...SUBMISSION_LEGAL_BASIS },
    sourceRecordId: ctx.reference,
    publisher: SUBMISSION_PUBLISHER,
    payload: {
      $case: "communitySubmission",
      value: {
        kind: KIND_ENUM[s.kind],
        topic: s.topic ? TOPIC_ENUM[s.topic] : SubmissionTopic.SUBMISSION_TOPIC_UNSPECIFIED,
        text: s.text,
        locality: s.locality,
        briefingWeek: s.week,
        reference: ctx.reference,
        organisation: ctx.organisation,
        subscriberId: ctx.subscriberId,
      },
    },
  });
}

/** The briefing's own note of it, for the leader's status page: who, what kind, when — never the words. Pure. */
export function submissionNote(s: Submission, ctx: SubmissionContext): SubmissionNote {
  return SubmissionNote.fromPartial({
    reference: ctx.reference,
    account: ctx.account,
    subscriberId: ctx.subscriberId,
    kind: KIND_ENUM[s.kind],
    topic: s.topic ? TOPIC_ENUM[s.topic] : SubmissionTopic.SUBMISSION_TOPIC_UNSPECIFIED,
    submittedAt: ctx.now,
    region: district(ctx.region),
    briefingWeek: s.week,
  });
}
