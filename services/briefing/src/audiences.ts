import type { SubscriberRecord } from "@takitini/policies";
import { regionsInScope, type Region } from "./regions.js";
import { rulesFor, type Tier, type TierRules } from "./tiers.js";

/**
 * Who briefings are for, from the subscriber registry: each community-leader
 * subscriber (its regions are its scope) and the public tier. Each reads only
 * what was delivered to its own topic. Pure.
 */
export interface Audience {
  subscriberId: string;
  /** The subscriber's name in the registry (a region's leaders: their organisations). */
  name: string;
  tier: Tier;
  topic: string;
  scope: Region[];
  /** Event types the policy lets it receive (aggregate or de-identified). */
  received: Set<string>;
  rules: TierRules;
}

export function audiencesFrom(
  registry: Record<string, SubscriberRecord>,
  opts: { publicSubscriber: string; leaderThreshold?: number; publicThreshold?: number },
): { leaders: Map<string, Audience>; public: Audience } {
  const leaders = new Map<string, Audience>();
  let pub: Audience | undefined;
  for (const [id, s] of Object.entries(registry).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (s.tier !== "community_leader" && s.tier !== "public") continue;
    const received = new Set(s.agreements.filter((a) => a.view === "aggregate_only" || (a.view === "redacted" && a.de_identified === true)).flatMap((a) => a.event_types));
    const audience: Audience = { subscriberId: id, name: s.name, tier: s.tier, topic: s.delivery_topic, scope: regionsInScope(s.regions), received, rules: rulesFor(s.tier, opts) };
    if (s.tier === "community_leader") leaders.set(id, audience);
    else if (id === opts.publicSubscriber) pub = audience;
  }
  if (!pub) throw new Error(`the registry has no public-tier subscriber "${opts.publicSubscriber}"`);
  return { leaders, public: pub };
}
