import { Accounts, createAccountGate, createLogger, parseAccounts, tokenHash, type Logger, type SignInSettings } from "@takitini/runtime";
import { leaderAccounts, type LeaderAccount, type LeaderGate } from "./auth.js";

/** Gate settings for tests. */
export const TEST_SIGN_IN: SignInSettings = { sessionTtlMs: 12 * 3_600_000, sessionIdleMs: 3_600_000, freeFailures: 5, backoffBaseMs: 1000, backoffMaxMs: 900_000, cacheTtlMs: 60_000 };

export function leaderGateOver(accounts: Accounts<LeaderAccount>, o: { logger?: Logger; settings?: Partial<SignInSettings> } = {}): LeaderGate {
  return createAccountGate(accounts, { ...TEST_SIGN_IN, ...o.settings }, o.logger ?? createLogger("t", "silent"));
}

/** A gate over old-format tokens (token → subscriber; verified by SHA-256, no scrypt in tests that are not about it). */
export function leaderGateWithTokens(tokens: Record<string, string>, o: { logger?: Logger; settings?: Partial<SignInSettings> } = {}): LeaderGate {
  const file = JSON.stringify(Object.fromEntries(Object.entries(tokens).map(([token, subscriber]) => [tokenHash(token), subscriber])));
  return leaderGateOver(new Accounts(parseAccounts(file, "test tokens", leaderAccounts).accounts), o);
}
