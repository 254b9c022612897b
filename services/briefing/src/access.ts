import { randomUUID } from "node:crypto";
import { AccessAction, AccessRecord, AUDIT_SCHEMA_VERSION } from "@takitini/proto";
import { HEADERS, PROTOBUF_CONTENT_TYPE } from "@takitini/runtime";

/**
 * Access records for briefings: every briefing served (page, JSON, digest) and
 * every refusal, written to the briefing's access topic (ACCESS_TOPIC, ingested
 * by the audit service) before anything is handed over.
 * Pure builders; each id is fresh (a second view is a second disclosure).
 */

export const CHANNELS = { HTTP: "briefing.http", DIGEST: "briefing.digest", EMAIL: "briefing.email", FEED: "briefing.feed" } as const;
export const ACCESS_EVENT_TYPE = "audit.access";
const MAX_ECHO = 200;

/** The account a leader came in with: who viewed (or was refused) a briefing. */
export interface AccessAccount {
  name: string;
  role: string;
}

export interface BriefingAccess {
  subscriberId: string;
  /** The signed-in account (leaders); absent for the public tier and the digest. */
  account?: AccessAccount | undefined;
  channel: (typeof CHANNELS)[keyof typeof CHANNELS];
  /** What was asked for, e.g. "/v1/briefings/eastern?week=2026-W47". */
  resource: string;
  /** Region codes the briefing covers. */
  regions: string[];
}

function withAccount(record: AccessRecord, account: AccessAccount | undefined): AccessRecord {
  if (account) {
    record.accountName = account.name.slice(0, MAX_ECHO);
    record.accountRole = account.role.slice(0, MAX_ECHO);
  }
  return record;
}

/** One access at the briefing's doors: who, through which door, what was asked for, which regions. */
function accessRecord(action: AccessAction, a: BriefingAccess, now: Date, id: string, extra: Partial<AccessRecord> = {}): AccessRecord {
  const record = AccessRecord.fromPartial({
    id,
    action,
    subscriberId: a.subscriberId,
    requestedSubscriberId: a.subscriberId,
    channel: a.channel,
    sessionId: id,
    occurredAt: now,
    resource: a.resource.slice(0, MAX_ECHO),
    regions: a.regions,
    ...extra,
  });
  return withAccount(record, a.account);
}

export function briefingViewed(a: BriefingAccess, now: Date, id: string = randomUUID()): AccessRecord {
  return accessRecord(AccessAction.ACCESS_ACTION_BRIEFING_VIEWED, a, now, id);
}

export function briefingDenied(a: BriefingAccess, reason: string, now: Date, id: string = randomUUID()): AccessRecord {
  return accessRecord(AccessAction.ACCESS_ACTION_BRIEFING_DENIED, a, now, id, { reason });
}

/** A leader's submission received and published (`eventId` names the event; `resource` carries its reference). */
export function submissionReceived(a: BriefingAccess & { eventId: string }, now: Date, id: string = randomUUID()): AccessRecord {
  return accessRecord(AccessAction.ACCESS_ACTION_SUBMISSION_RECEIVED, a, now, id, { eventId: a.eventId });
}

/** A leader's submission refused (for a region outside their scope): nothing was published. */
export function submissionDenied(a: BriefingAccess, reason: string, now: Date, id: string = randomUUID()): AccessRecord {
  return accessRecord(AccessAction.ACCESS_ACTION_SUBMISSION_DENIED, a, now, id, { reason });
}

export function accessMessage(record: AccessRecord): { key: string; value: Buffer; headers: Record<string, string> } {
  return {
    key: record.sessionId,
    value: Buffer.from(AccessRecord.encode(record).finish()),
    headers: { [HEADERS.EVENT_TYPE]: ACCESS_EVENT_TYPE, [HEADERS.SCHEMA_VERSION]: AUDIT_SCHEMA_VERSION, [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE },
  };
}
