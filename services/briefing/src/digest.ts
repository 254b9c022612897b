import type { Audience } from "./audiences.js";
import type { Briefing } from "./briefing.js";
import { addQuarters, addWeeks, isCompleted, lastCompleted } from "./periods.js";
import type { Region } from "./regions.js";

/**
 * The weekly digest: one message per region and completed period for each
 * audience (community leaders: ISO weeks; the public: quarters), keyed
 * "<region>/<audience>/<period>" so it is published once. Pure.
 */

export const DIGEST_SCHEMA = "takitini.briefing.digest.v1";
export const DIGEST_EVENT_TYPE = "briefing.digest";

export const audienceKey = (a: Pick<Audience, "tier" | "subscriberId">) => (a.tier === "public" ? "public" : `leader.${a.subscriberId}`);
export const digestKey = (region: Region, a: Pick<Audience, "tier" | "subscriberId">, period: string) => `${region.slug}/${audienceKey(a)}/${period}`;

export interface DueDigest {
  key: string;
  audience: Audience;
  region: Region;
  period: string;
}


/**
 * The digests that are due and not yet published: for each audience and each
 * region in its scope, the last `lookback` completed periods that ended at
 * least `graceMs` ago (late records have time to arrive).
 */
export function dueDigests(audiences: readonly Audience[], published: ReadonlySet<string>, now: Date, opts: { lookback: number; graceMs: number }): DueDigest[] {
  const out: DueDigest[] = [];
  for (const a of audiences) {
    const last = lastCompleted(a.rules.period, now);
    for (let i = 0; i < opts.lookback; i++) {
      const period = a.rules.period === "week" ? addWeeks(last, -i) : addQuarters(last, -i);
      if (!isCompleted(a.rules.period, period, new Date(now.getTime() - opts.graceMs))) continue;
      for (const region of a.scope) {
        const key = digestKey(region, a, period);
        if (!published.has(key)) out.push({ key, audience: a, region, period });
      }
    }
  }
  return out;
}

export function digestMessage(due: DueDigest, briefing: Briefing): { key: string; value: Buffer; headers: Record<string, string> } {
  const value = { schema: DIGEST_SCHEMA, key: due.key, audience: audienceKey(due.audience), briefing };
  return { key: due.key, value: Buffer.from(JSON.stringify(value), "utf8"), headers: { "event-type": DIGEST_EVENT_TYPE, "content-type": "application/json" } };
}
