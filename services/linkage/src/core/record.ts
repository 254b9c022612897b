import type { Agency, IntelligenceEvent, LinkRule } from "@takitini/proto";
import type { NormaliseIssue } from "./issues.js";
import { normaliseSubjects, type SubjectKind } from "./normalise.js";
import { matchKeysOf } from "./rules.js";
import { matchToken, type MatchKey } from "./tokens.js";

/** One keyed token of a subject and the rule it is for. */
export interface SubjectMatchToken {
  readonly rule: LinkRule;
  /** TOKEN_BYTES opaque bytes. */
  readonly token: Buffer;
}

/** A subject of a record and its match tokens (the shape of the index entry's LinkageIndexedSubject). */
export interface SubjectTokens {
  readonly subjectId: string;
  readonly subjectIndex: number;
  readonly kind: SubjectKind;
  readonly tokens: readonly SubjectMatchToken[];
}

/**
 * What the index keeps of a record: who it is from and its subjects' tokens —
 * no identifier and no normalised value. Structurally the index topic's
 * LinkageIndexEntry without its policy facts, so an entry read back from the
 * topic is added as it is.
 */
export interface RecordTokens {
  readonly eventId: string;
  readonly sourceAgency: Agency;
  readonly eventType: string;
  readonly subjects: readonly SubjectTokens[];
}

/**
 * A record's own day in New Zealand (yyyy-mm-dd), from when it was published, else
 * when it happened: the "today" its dates of birth are checked against, so the
 * result does not depend on when it is computed (a rebuild a year later gives
 * the same tokens). NZ time, because a child born this morning in Auckland was
 * born "tomorrow" in UTC. Pure (the time-zone rules are Node's ICU data).
 */
export function recordDay(event: Pick<IntelligenceEvent, "publishedAt" | "occurredAt">): string | undefined {
  const at = event.publishedAt ?? event.occurredAt;
  return at === undefined || Number.isNaN(at.getTime()) ? undefined : nzDay(at);
}

const NZ_DATE = new Intl.DateTimeFormat("en-CA", { timeZone: "Pacific/Auckland", year: "numeric", month: "2-digit", day: "2-digit" });

/** The last hour asked about and its day: records arrive roughly in time order, and ICU's formatting is slow. */
let memoHour = Number.NaN;
let memoDay = "";

/** A moment's calendar day in New Zealand, yyyy-mm-dd. */
export function nzDay(at: Date): string {
  // New Zealand's offsets (+12, +13) are whole hours: every moment of a UTC hour has the same NZ day.
  const hour = Math.floor(at.getTime() / 3_600_000);
  if (hour === memoHour) return memoDay;
  const parts = NZ_DATE.formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  memoHour = hour;
  memoDay = `${part("year")}-${part("month")}-${part("day")}`;
  return memoDay;
}

/**
 * A record's subjects' match tokens under `key`, and every issue met normalising
 * its identifiers (field paths and codes, no values). Subjects with nothing to
 * match on are left out. `today` bounds dates of birth: the record's own day
 * (recordDay) unless the caller has none. Pure. Normalised values stay inside
 * this function: what it returns is tokens.
 */
export function tokeniseRecord(event: IntelligenceEvent, key: MatchKey, today: string): { record: RecordTokens; issues: NormaliseIssue[] } {
  const { subjects, issues } = normaliseSubjects(event, recordDay(event) ?? today);
  const withTokens: SubjectTokens[] = [];
  for (const s of subjects) {
    const tokens = matchKeysOf(s).map((k) => ({ rule: k.rule, token: matchToken(key, k.rule, k.values) }));
    if (tokens.length > 0) withTokens.push({ subjectId: s.subjectId, subjectIndex: s.subjectIndex, kind: s.kind, tokens });
  }
  return { record: { eventId: event.id, sourceAgency: event.sourceAgency, eventType: event.eventType, subjects: withTokens }, issues };
}
