#!/usr/bin/env node
/**
 * node services/briefing/dist/tools/account.js --name "Rangi Parata" --subscriber community-eastern [--email rangi@example.org] [--days 90 | --expires <ISO>] [--file <accounts.json>]
 *
 * A community leader's account: a new token (printed once) and the accounts-file
 * entry that holds only the scrypt hash of its secret. Without --file it prints
 * the entry (one JSON line, for the file's "accounts" list) and then the token;
 * with --file it adds the account to that file — or replaces the entry of the
 * same name, a rotation — writing it atomically (mode 0600) after checking the
 * whole file, and prints the token. The subscriber must be a community-leader
 * subscriber of the registry in POLICY_DATA_DIR (default policies/data), as the
 * service itself checks; the service re-reads the file within
 * BRIEFING_ACCOUNTS_POLL_MS.
 *
 * Exit codes: 0 done; 1 the file (or the entry) was refused; 2 usage.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_DATA_DIR, parseRegistry, SUBSCRIBERS_FILE } from "@takitini/policies";
import { runAccountTool } from "@takitini/runtime";
import { leaderAccounts, leaderCheck, LEADER_ROLES } from "../auth.js";

const registry = parseRegistry(readFileSync(join(process.env["POLICY_DATA_DIR"] ?? DEFAULT_DATA_DIR, SUBSCRIBERS_FILE), "utf8"));
const leaders = new Set(Object.entries(registry).filter(([, s]) => s.tier === "community_leader").map(([id]) => id));

process.exitCode = await runAccountTool(process.argv.slice(2), {
  command: "node services/briefing/dist/tools/account.js",
  format: leaderAccounts,
  roles: LEADER_ROLES,
  defaultRole: "leader",
  extra: [
    { name: "subscriber", help: `the community-leader subscriber whose region(s) the leader reads: ${[...leaders].join(", ")}` },
    { name: "email", help: "subscribes the leader to the weekly digest by email at this address (personal information: kept in the accounts file only)", optional: true },
  ],
  check: leaderCheck(leaders),
});
