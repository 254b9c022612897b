#!/usr/bin/env node
/**
 * node services/audit/dist/tools/account.js --name "Aroha Ngata" --role reviewer [--days 90 | --expires <ISO>] [--file <accounts.json>]
 *
 * An oversight account: a new token (printed once) and the accounts-file entry
 * that holds only the scrypt hash of its secret. Without --file it prints the
 * entry (one JSON line, for the file's "accounts" list) and then the token; with
 * --file it adds the account to that file — or replaces the entry of the same
 * name, a rotation — writing the file atomically (mode 0600) after checking the
 * whole of it, and prints the token. The service re-reads the file within
 * ACCOUNTS_POLL_MS: a rotated or removed account's token and sessions stop
 * working then.
 *
 * Exit codes: 0 done; 1 the file (or the entry) was refused; 2 usage.
 */
import { runAccountTool } from "@takitini/runtime";
import { OVERSIGHT_ROLES, oversightAccounts } from "../oversight/credentials.js";

process.exitCode = await runAccountTool(process.argv.slice(2), {
  command: "node services/audit/dist/tools/account.js",
  format: oversightAccounts,
  roles: OVERSIGHT_ROLES,
});
