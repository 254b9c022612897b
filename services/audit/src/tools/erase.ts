#!/usr/bin/env node
/**
 * npm run audit:erase -- --database-url <owner's postgres://…> --subject <id> --reason erasure --authority "…" --by "…"
 *
 * A lawful erasure of one subject: appends a `purge` record (reason erasure,
 * the subject's ref, the authority, who ran it — never the subject id) and, in
 * the same transaction, destroys the subject's key; then rewrites subject_keys
 * (VACUUM FULL), so the
 * subject id sealed in every leaf can no longer be opened — while every leaf,
 * proof and signed head stays as it was (src/subjects/purge.ts). Run by the
 * privacy officer's operator as the ledger's OWNER role; the service's role may
 * not delete keys.
 *
 * Stable codes on stderr: ARGUMENT_MISSING, ARGUMENT_INVALID, SUBJECT_KEY_NOT_FOUND, ERASE_FAILED; warnings
 * CLEAR_RECORDS_REMAIN, WAL_NOT_SWITCHED.
 */
import { Ledger, openDatabase } from "../ledger/index.js";
import { clearMentions, destroyKeys, refsOfSubject } from "../subjects/purge.js";
import { describeIssues, ERASE_USAGE, eraseOptions, warnWal } from "./purge-args.js";

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = eraseOptions(argv, env);
  if (parsed.ok === "help") {
    process.stdout.write(`${ERASE_USAGE}\n`);
    return 0;
  }
  if (!parsed.ok) {
    process.stderr.write(`${describeIssues(parsed.issues)}\n${ERASE_USAGE}\n`);
    return 2;
  }
  const o = parsed.options;
  let owner;
  try {
    owner = await openDatabase({ databaseUrl: o["database-url"], schema: o.schema, createSchema: false, poolMax: 1 });
  } catch (err) {
    process.stderr.write(`ERASE_FAILED: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    const refs = await refsOfSubject(owner.db, o.subject);
    const clear = await clearMentions(owner.db, o.subject);
    // Leaves appended before sealing name the subject in the clear: append-only, they cannot be erased — say so.
    if (clear > 0) process.stderr.write(`CLEAR_RECORDS_REMAIN: ${clear} record(s) appended before subject ids were sealed name this subject in the clear; the ledger is append-only and keeps them\n`);
    if (refs.length === 0) {
      // Nothing to destroy; the table is still rewritten (a run stopped after deleting the key left its dead row).
      warnWal(await destroyKeys(owner.db, Ledger.appendOnly(owner.db), { reason: "erasure", refs: [], authority: o.authority, requestedBy: o.by, at: new Date() }));
      process.stderr.write("SUBJECT_KEY_NOT_FOUND: no key is held for this subject (never sealed, or already erased); nothing destroyed\n");
      return 2;
    }
    const done = warnWal(await destroyKeys(owner.db, Ledger.appendOnly(owner.db), { reason: "erasure", refs, authority: o.authority, requestedBy: o.by, at: new Date() }));
    const out = done.purge!;
    process.stdout.write(`erased: purge record ${out.recordId} at index ${out.index}${out.appended ? "" : " (appended by an earlier run)"}; ${out.deleted} key(s) destroyed; subject_keys rewritten\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`ERASE_FAILED: ${(err as Error).message} (run it again: it picks up where it stopped)\n`);
    return 1;
  } finally {
    await owner.close();
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
