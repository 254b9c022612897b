import { accountEntry, AccountGate, formatPath, legacyBase, tokenHash, type AccountBase, type AccountFormat, type FieldIssue } from "@takitini/runtime";
import { z } from "zod";

/**
 * Community leaders are people: each is a named account — a person, the role
 * `leader`, the community-leader subscriber whose region(s) they read, a
 * credential of their own (the scrypt hash of their token's secret; the token
 * itself is never stored, logged or put in a cookie), an expiry and a
 * `disabled` switch — in the leader accounts file
 * (BRIEFING_LEADER_ACCOUNTS_FILE), re-read when it changes. The runtime's
 * AccountGate checks a bearer per request, exchanges a token for a session id
 * at /login, throttles failures and ends sessions when their account changes.
 *
 * The old tokens file (`{"<sha256 hex of a token>": "<subscriber id>"}`) is
 * still read, deprecated: each entry is a leader account without expiry, named
 * after its subscriber and the first 8 hex digits of its hash (no person is
 * known). Pure.
 */

export const COOKIE_NAME = "takitini_briefing";

export const LEADER_ROLES = ["leader"] as const;
export type LeaderRole = (typeof LEADER_ROLES)[number];

export interface LeaderAccount extends AccountBase<LeaderRole> {
  /** The community-leader subscriber (registry id) whose scope the account reads. */
  subscriber: string;
  /** Where the weekly digest is emailed, if the leader subscribed (personal information: never logged, never on a community topic). */
  email?: string;
}

export type LeaderGate = AccountGate<LeaderAccount>;

const subscriberId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a subscriber id, e.g. community-eastern");

export const leaderAccounts: AccountFormat<LeaderAccount> = {
  label: "community leader",
  entry: accountEntry(LEADER_ROLES, { subscriber: subscriberId, email: z.email().max(254).optional() }, (base, extra) => ({ ...base, subscriber: extra.subscriber, ...(extra.email !== undefined ? { email: extra.email } : {}) })),
  legacy: {
    value: subscriberId,
    toAccount: (hash, subscriber) => ({ ...legacyBase(hash, `${subscriber} (token ${hash.slice(0, 8)})`, "leader"), subscriber }),
  },
};

/** The service's own check of a leader accounts file: every account's subscriber is a community-leader subscriber of the registry. */
export function leaderCheck(leaders: { has(id: string): boolean }): (accounts: readonly LeaderAccount[]) => FieldIssue[] {
  return (accounts) =>
    accounts.flatMap((a, i) =>
      leaders.has(a.subscriber)
        ? []
        : [{ path: a.legacy ? formatPath([a.credential.slice("sha256$".length)]) : formatPath(["accounts", i, "subscriber"]), code: "unknown_subscriber", message: `"${a.subscriber}" is not a community-leader subscriber` }],
    );
}

export { tokenHash };
