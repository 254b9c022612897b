import { accountEntry, AccountGate, legacyBase, type AccountBase, type AccountFormat } from "@takitini/runtime";
import { z } from "zod";

/**
 * Oversight accounts: each member of the oversight body's staff is a named
 * account — a person, a role (`reviewer`, `administrator`), a credential of
 * their own (the scrypt hash of their token's secret; the service never holds a
 * token), an expiry and a `disabled` switch — in the accounts file
 * (AUDIT_OVERSIGHT_ACCOUNTS_FILE), re-read when it changes. The runtime's
 * AccountGate checks a bearer per request, exchanges a token for a console
 * session, throttles failures and ends sessions when their account changes.
 *
 * The old tokens file (`{"<sha256 hex of a token>": "<officer>"}`) is still
 * read, deprecated: each entry is a reviewer named by its value, without expiry.
 */

export const OVERSIGHT_ROLES = ["reviewer", "administrator"] as const;
export type OversightRole = (typeof OVERSIGHT_ROLES)[number];
export type OversightAccount = AccountBase<OversightRole>;
export type OversightGate = AccountGate<OversightAccount>;

export const oversightAccounts: AccountFormat<OversightAccount> = {
  label: "oversight",
  entry: accountEntry(OVERSIGHT_ROLES, {}, (base) => base),
  legacy: {
    value: z.string().min(1, "expected the officer's name").max(200),
    toAccount: (hash, officer) => legacyBase(hash, officer, "reviewer"),
  },
};

/** Who asked, as the ledger records it. */
export interface Asker {
  name: string;
  role: OversightRole;
}

export const SESSION_COOKIE = "takitini_oversight";
