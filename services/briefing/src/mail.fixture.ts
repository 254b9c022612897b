import type { LeaderAccount } from "./auth.js";
import { assembleBriefing, type Briefing } from "./briefing.js";
import { EASTERN_LEADERS, SECRET, seizures } from "./briefing.fixture.js";
import { digestKey, digestMessage } from "./digest.js";
import { regionBySlug } from "./regions.js";
import { AggregateStore } from "./store.js";

/** Helper constructors for the digest email's tests. */

export const MAIL_SECRET = Buffer.from("mail secret for the tests, at least 32 bytes long");
export const EASTERN = regionBySlug("eastern")!;

/** Eastern leaders' briefing of a week: seizures of methamphetamine (12), MDMA (9), cocaine (7) and precursors (2, suppressed). */
export function easternBriefing(week: string): Briefing {
  const store = new AggregateStore();
  for (const i of [...seizures(week, "methamphetamine", 12), ...seizures(week, "mdma", 9), ...seizures(week, "cocaine", 7), ...seizures(week, "precursors", 2)]) store.apply(i);
  return assembleBriefing({ store, region: EASTERN, periodId: week, rules: EASTERN_LEADERS.rules, secret: SECRET, received: EASTERN_LEADERS.received });
}

/** The Eastern leaders' digest of a week, as the digest topic holds it. */
export function easternDigest(week: string): { key: string; value: Buffer } {
  const due = { key: digestKey(EASTERN, EASTERN_LEADERS, week), audience: EASTERN_LEADERS, region: EASTERN, period: week };
  const m = digestMessage(due, easternBriefing(week));
  return { key: m.key, value: m.value };
}

export function leader(name: string, fields: Partial<LeaderAccount> = {}): LeaderAccount {
  return { name, role: "leader", credential: `scrypt$test$${name}`, expiresAt: new Date("2030-01-01T00:00:00Z"), disabled: false, legacy: false, subscriber: "community-eastern", ...fields };
}
