#!/usr/bin/env node
/**
 * npm run audit:purge -- --database-url <owner's postgres://…> [--now <ISO time>] [--policy <file>] [--by <text>] [--dry-run]
 *
 * Retention: every subject whose records are all past their kind's period
 * (retention.json, src/subjects/retention.ts) is purged — one `purge` record
 * (reason retention, the refs, the policy's SHA-256) and, in the same
 * transaction, their keys destroyed; then subject_keys is rewritten
 * (src/subjects/purge.ts). Run on a
 * schedule as the ledger's OWNER role.
 *
 * Stable codes on stderr: ARGUMENT_MISSING, ARGUMENT_INVALID, RETENTION_POLICY_INVALID, PURGE_FAILED; warning
 * WAL_NOT_SWITCHED.
 */
import { Ledger, openDatabase } from "../ledger/index.js";
import { destroyKeys, subjectRecords } from "../subjects/purge.js";
import { DEFAULT_RETENTION_FILE, dueRefs, loadRetentionPolicy, RetentionPolicyError } from "../subjects/retention.js";
import { describeIssues, PURGE_USAGE, purgeOptions, warnWal } from "./purge-args.js";

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = purgeOptions(argv, env);
  if (parsed.ok === "help") {
    process.stdout.write(`${PURGE_USAGE}\n`);
    return 0;
  }
  if (!parsed.ok) {
    process.stderr.write(`${describeIssues(parsed.issues)}\n${PURGE_USAGE}\n`);
    return 2;
  }
  const o = parsed.options;
  let policy;
  try {
    policy = loadRetentionPolicy(o.policy ?? DEFAULT_RETENTION_FILE);
  } catch (err) {
    const code = err instanceof RetentionPolicyError ? err.code : "RETENTION_POLICY_INVALID";
    process.stderr.write(`${code}: ${(err as Error).message}\n`);
    return 2;
  }
  let owner;
  try {
    owner = await openDatabase({ databaseUrl: o["database-url"], schema: o.schema, createSchema: false, poolMax: 1 });
  } catch (err) {
    process.stderr.write(`PURGE_FAILED: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const due = dueRefs(await subjectRecords(owner.db), policy.policy, o.now);
    if (o["dry-run"]) {
      process.stdout.write(`dry run: ${due.length} subject(s) due as of ${o.now.toISOString()}; nothing destroyed\n`);
      return 0;
    }
    const { purge: out } = warnWal(await destroyKeys(owner.db, Ledger.appendOnly(owner.db), {
      reason: "retention",
      refs: due,
      // Judged as of --now; the record is dated when it is made.
      authority: `retention periods per record kind, as of ${o.now.toISOString()} (${o.policy ?? "retention.json"}; default: ${policy.policy.default.reference})`.slice(0, 1000),
      requestedBy: o.by,
      at: new Date(),
      retentionPolicySha256: policy.sha256,
    }));
    process.stdout.write(
      out
        ? `purged: ${due.length} subject(s) due as of ${o.now.toISOString()}; purge record ${out.recordId} at index ${out.index}${out.appended ? "" : " (appended by an earlier run)"}; ${out.deleted} key(s) destroyed; subject_keys rewritten\n`
        : `nothing due as of ${o.now.toISOString()}; subject_keys rewritten\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`PURGE_FAILED: ${(err as Error).message} (run it again: it picks up where it stopped)\n`);
    return 1;
  } finally {
    await owner.close();
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
