import { Accounts, createAccountGate, createLogger, parseAccounts, tokenHash, type Logger, type SignInSettings } from "@takitini/runtime";
import { oversightAccounts, type OversightAccount, type OversightGate, type OversightRole } from "./credentials.js";

/** Gate settings for tests: as the service's defaults. */
export const TEST_SIGN_IN: SignInSettings = { sessionTtlMs: 60_000, sessionIdleMs: 60_000, freeFailures: 5, backoffBaseMs: 1000, backoffMaxMs: 900_000, cacheTtlMs: 60_000 };

/** A gate over the given accounts. */
export function gateOver(accounts: Accounts<OversightAccount>, o: { logger?: Logger; settings?: Partial<SignInSettings> } = {}): OversightGate {
  return createAccountGate(accounts, { ...TEST_SIGN_IN, ...o.settings }, o.logger ?? createLogger("t", "silent"));
}

/**
 * A gate over old-format tokens (token → officer; without expiry, verified by SHA-256: no scrypt in tests that
 * are not about it). Each is a reviewer, as the old tokens file's entries are, unless `roles` names the
 * officer's role (an administrator, say).
 */
export function gateWithTokens(
  tokens: Record<string, string>,
  o: { logger?: Logger; now?: () => number; settings?: Partial<SignInSettings>; roles?: Record<string, OversightRole> } = {},
): OversightGate {
  const file = JSON.stringify(Object.fromEntries(Object.entries(tokens).map(([token, officer]) => [tokenHash(token), officer])));
  const accounts = parseAccounts(file, "test tokens", oversightAccounts).accounts.map((a) => ({ ...a, role: o.roles?.[a.name] ?? a.role }));
  return gateOver(new Accounts(accounts, o.now ? { now: o.now } : {}), o);
}
