#!/usr/bin/env node
/**
 * npm run audit:verify -- --database-url postgres://… --trusted-key head-key.pem [--trusted-key …] [--json]
 *
 * The oversight body's own check of the audit ledger: re-reads every row of a
 * copy or replica of the database in one read-only snapshot, recomputes every
 * leaf hash, the tree and its stored nodes, and checks every signed tree head
 * against the public keys it is given (never against keys the store offers).
 * The tree check uses only the independent verifier (../verify, which shares
 * nothing with the writer but the hash definition) and node-postgres; then the
 * oversight index (audit_records, audit_subjects) is recomputed from the leaves
 * with the writer's pure mapping (../indexcheck) and compared, row by row, and
 * the subject keys (subject_keys), through which "who has seen this person" is
 * answered, are checked against the refs the leaves seal and the purge records.
 *
 * Exit codes: 0 no tampering found; 1 tampering found (the first bad index and
 * its kind are named); 2 usage, key or connection error, or not a ledger.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { loadWitnessedHeads } from "./witnessed.js";
import { loadTrustedKeys } from "./trusted-keys.js";
import {
  checkStoredIndex,
  checkStoredKeys,
  describeIndexProblem,
  hasIndex,
  indexSummary,
  keyAccess,
  keySummary,
  withIndex,
  type IndexProblem,
  type IndexReport,
  type KeyCheck,
  type KeyProblem,
} from "../indexcheck/index.js";
import { checkStore, fromHex, readStoredKeys, trustKeys, type KnownHead, type LedgerReport, type Problem, type TrustedKeys } from "../verify/index.js";

const USAGE = `usage: npm run audit:verify -- --database-url <postgres://…> --trusted-key <public-key.pem> [--trusted-key <…>] [options]

  --database-url <url>   the ledger's database (a copy or replica will do); default $DATABASE_URL
  --trusted-key <file>   a PEM public key whose signed tree heads you trust (repeatable; at least one)
  --known-head <size>:<root>
                         a tree head recorded from an earlier check (repeatable): the ledger must still
                         hold it, which catches the newest rows and heads removed together
  --witness <file>       a witness file (npm run audit:witness; repeatable): every head in it must be
                         signed by a trusted key and the ledger must still hold exactly that tree
  --schema <name>        the schema holding the ledger's tables (default: the server's search_path)
  --json                 print the report as JSON on stdout
  --no-nodes             skip comparing ledger_nodes with the recomputed tree
  --no-index             skip recomputing the oversight index (audit_records, audit_subjects) from the leaves
                         (and the key check, which reads the leaves' refs through that index)
  --no-keys              skip checking subject_keys against the refs the leaves seal and the purge records
  --page-size <n>        rows per read (default 5000)
  -h, --help             this text

exit status: 0 no tampering found, 1 tampering found, 2 usage, key or connection error`;

const EXIT = { OK: 0, TAMPERED: 1, ERROR: 2 } as const;

class UsageError extends Error {}

interface Options {
  databaseUrl: string;
  keyFiles: string[];
  knownHeads: KnownHead[];
  witnessFiles: string[];
  schema: string | undefined;
  json: boolean;
  nodes: boolean;
  /** Recompute audit_records and audit_subjects from the leaves and compare. */
  index: boolean;
  /** Check subject_keys against the leaves' refs and the purge records. */
  keys: boolean;
  pageSize: number;
}

function options(argv: string[], env: NodeJS.ProcessEnv): Options | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        "database-url": { type: "string" },
        "trusted-key": { type: "string", multiple: true },
        "known-head": { type: "string", multiple: true },
        witness: { type: "string", multiple: true },
        schema: { type: "string" },
        json: { type: "boolean", default: false },
        "no-nodes": { type: "boolean", default: false },
        "no-index": { type: "boolean", default: false },
        "no-keys": { type: "boolean", default: false },
        "page-size": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return "help";
  const databaseUrl = v["database-url"] ?? env.DATABASE_URL;
  if (!databaseUrl) throw new UsageError("--database-url (or DATABASE_URL) is required");
  const keyFiles = v["trusted-key"] ?? [];
  if (keyFiles.length === 0) throw new UsageError("at least one --trusted-key is required: the verifier never trusts keys the store offers");
  const pageSize = v["page-size"] === undefined ? 5000 : Number(v["page-size"]);
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 100_000) throw new UsageError("--page-size takes a whole number from 1 to 100000");
  if (v.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(v.schema)) throw new UsageError("--schema takes an SQL identifier");
  const knownHeads = (v["known-head"] ?? []).map((text) => {
    const m = /^(\d{1,16}):([0-9a-fA-F]{64})$/.exec(text);
    const treeSize = Number(m?.[1]);
    const rootHash = fromHex(m?.[2]);
    if (!m || !rootHash || !Number.isSafeInteger(treeSize)) throw new UsageError(`--known-head takes <tree size>:<64 hex digits of root>, not ${JSON.stringify(text)}`);
    return { treeSize, rootHash };
  });
  return { databaseUrl, keyFiles, knownHeads, witnessFiles: v.witness ?? [], schema: v.schema, json: v.json, nodes: !v["no-nodes"], index: !v["no-index"], keys: !v["no-keys"], pageSize };
}

function loadKeys(files: string[]): { trusted: TrustedKeys; ids: string[] } {
  return loadTrustedKeys(files, (m) => new UsageError(m));
}

/** The URL without its password. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

type VerifyReport = ReturnType<typeof withIndex<Problem, LedgerReport>>;

function describe(p: Problem | IndexProblem | KeyProblem): string {
  if ("table" in p) return describeIndexProblem(p);
  const node = p.node ? ` [node level ${p.node.level}, index ${p.node.index}]` : "";
  const head = p.head ? ` [head of size ${p.head.treeSize} signed at ${new Date(p.head.timestampMs).toISOString()}]` : "";
  return `index ${p.index} — ${p.kind}${node}${head}: ${p.detail}`;
}

function humanReport(r: VerifyReport, ctx: { url: string; schema: string; keyIds: string[]; storedKeyIds: string[]; nodes: boolean; index: boolean; known: number; witnessed: number }): string {
  const lines = [
    `ledger       ${ctx.url} (schema ${ctx.schema}), one read-only snapshot`,
    `trusted keys ${ctx.keyIds.map((k) => k.slice(0, 16)).join(", ")}`,
    `tree size    ${r.rows} rows checked (every leaf hash and the tree recomputed)`,
    `heads        ${r.heads} signed tree heads checked; the first ${r.verifiedSize} leaves are attested by a valid head` +
      (r.unsignedTail > 0 ? `; ${r.unsignedTail} newer row${r.unsignedTail === 1 ? " is" : "s are"} not yet covered by a head` : ""),
    ...(r.latestHead
      ? [
          `latest head  size ${r.latestHead.treeSize}, signed ${new Date(r.latestHead.timestampMs).toISOString()}, root ${r.latestHead.rootHash}`,
          ...(r.ok ? [`             keep it: next time pass --known-head ${r.latestHead.treeSize}:${r.latestHead.rootHash}`] : []),
        ]
      : []),
    ...(ctx.known > 0 ? [`known heads  ${ctx.known} recorded earlier, each checked against the recomputed tree`] : []),
    ...(ctx.witnessed > 0 ? [`witnessed    ${ctx.witnessed} heads from the witness file(s), each signature checked and its root compared with the recomputed tree`] : []),
    `nodes        ${ctx.nodes ? `${r.nodes} stored nodes compared with the recomputed tree` : "not checked (--no-nodes)"}`,
    `index        ${r.index ? indexSummary(r.index) : ctx.index ? "not present in this schema (no audit_records, audit_subjects)" : "not checked (--no-index)"}`,
    `keys         ${r.keys ? keySummary(r.keys) : "not checked"}`,
  ];
  if (r.keys && "skipped" in r.keys && r.keys.skipped === "KEYS_NOT_READABLE") {
    lines.push(`warning      subject_keys was not checked: a deleted or relabelled key would not be seen (${r.keys.skipped})`);
  }
  if (r.heads === 0 && r.rows > 0) lines.push("warning      no signed tree head: nothing attests these rows; check again once a head is signed");
  const unknown = r.problems.filter((p) => p.kind === "head-signature" && /unknown-key/.test(p.detail)).length;
  if (unknown > 0 && unknown === r.heads) {
    lines.push(
      `warning      none of the ${r.heads} heads is signed by a trusted key. Is this the right public key? ` +
        `The store lists key ids ${ctx.storedKeyIds.map((k) => k.slice(0, 16)).join(", ") || "(none)"} (unverified).`,
    );
  }
  if (r.ok) {
    const blind = r.keys && "skipped" in r.keys && r.keys.skipped === "KEYS_NOT_READABLE";
    lines.push(`result       OK: no tampering found${blind ? " (subject_keys not checked: see the warning)" : ""}`);
  } else {
    const first = r.firstBad!;
    lines.push(`result       TAMPERING FOUND: first bad index ${first.index} (${first.kind}${"table" in first ? ` in ${first.table}` : ""})`);
    lines.push(`             ${describe(r.firstBad!)}`);
    const others = r.problems.filter((p) => p !== r.firstBad);
    if (others.length > 0) lines.push(`other problems (${others.length}${r.nodeProblems > r.problems.filter((p) => p.kind.startsWith("node-")).length ? `; ${r.nodeProblems} node problems in all` : ""}):`);
    for (const p of others.slice(0, 20)) lines.push(`  ${describe(p)}`);
    if (others.length > 20) lines.push(`  … and ${others.length - 20} more (--json lists them all)`);
  }
  return lines.join("\n");
}

/** The key check, or why it is not run — as far as the role may read subject_keys: refs and keys, or refs alone. */
async function keyCheck(client: pg.Client, opts: Options, index: IndexReport | undefined, leafCount: number): Promise<KeyCheck> {
  if (!opts.keys) return { skipped: "NO_KEYS_OPTION", detail: "--no-keys" };
  if (!index) return { skipped: "INDEX_NOT_CHECKED", detail: "it reads the refs the leaves seal through the oversight index, which was not checked" };
  // Read through rows that differ from the leaves, its findings would be the index's problems over again, or miss some.
  if (!index.ok) return { skipped: "INDEX_TAMPERED", detail: "it reads the refs the leaves seal through the oversight index, which differs from the leaves (above); it runs once the index verifies" };
  const access = await keyAccess(client);
  if (!access.present) return { skipped: "KEYS_NOT_PRESENT", detail: "no subject_keys in this schema (a ledger from before subjects were sealed)" };
  if (!access.ref) {
    return {
      skipped: "KEYS_NOT_READABLE",
      detail: `role ${access.role} may not read subject_keys; grant it select (ref) on subject_keys for the refs, or select on subject_keys for the keys too (README: Verifying the ledger yourself)`,
    };
  }
  return checkStoredKeys(client, { pageSize: opts.pageSize, leafCount, keysRead: access.keys });
}

async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let opts: Options | "help";
  let keys: { trusted: TrustedKeys; ids: string[] };
  let witnessed: KnownHead[] = [];
  try {
    opts = options(argv, env);
    if (opts === "help") {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.OK;
    }
    keys = loadKeys(opts.keyFiles);
    // Heads the oversight body's witness kept: checked like --known-head, once their signatures pass.
    witnessed = loadWitnessedHeads(opts.witnessFiles, keys.trusted, (m) => new UsageError(m));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`audit:verify: ${err.message}\n\n${USAGE}\n`);
    return EXIT.ERROR;
  }

  const client = new pg.Client({
    connectionString: opts.databaseUrl,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    application_name: "takitini-audit-verify",
  });
  // A lost connection fails the statement in flight (reported below); without a listener
  // an error between statements would end the process with a stack trace instead.
  client.on("error", () => undefined);
  const progress = process.stderr.isTTY && !opts.json;
  let report: VerifyReport;
  let schema: string;
  let storedKeyIds: string[] = [];
  try {
    await client.connect();
    // One snapshot for every read: a ledger being appended to is checked as it was at this instant.
    await client.query("begin transaction isolation level repeatable read read only");
    schema = (await client.query<{ s: string | null }>("select current_schema() as s")).rows[0]?.s ?? "(none)";
    const tables = await client.query<{ t: string }>(
      "select table_name as t from information_schema.tables where table_schema = current_schema() and table_name = any($1::text[])",
      [["ledger_leaves", "ledger_nodes", "ledger_heads"]],
    );
    if (tables.rows.length !== 3) {
      throw new Error(`schema ${schema} holds no audit ledger (ledger_leaves, ledger_nodes, ledger_heads); pass --schema if it is elsewhere`);
    }
    try {
      storedKeyIds = [...trustKeys(await readStoredKeys(client)).keys()];
    } catch {
      storedKeyIds = []; // only a hint for a key mismatch; the check never uses them
    }
    const tree = await checkStore(client, keys.trusted, {
      pageSize: opts.pageSize,
      nodes: opts.nodes,
      knownHeads: [...opts.knownHeads, ...witnessed],
      ...(progress ? { onProgress: (rows: number) => process.stderr.write(`\r${rows} rows checked`) } : {}),
    });
    if (progress) process.stderr.write("\n");
    // In the same snapshot: the derived tables as the leaves imply them.
    let index: IndexReport | undefined;
    if (opts.index && (await hasIndex(client))) index = await checkStoredIndex(client, opts.pageSize);
    // And the keys "who has seen" goes through, against the refs the leaves seal (read through the index just verified).
    report = withIndex(tree, index, await keyCheck(client, opts, index, tree.rows));
    await client.query("rollback");
  } catch (err) {
    process.stderr.write(`audit:verify: ${redact(opts.databaseUrl)}: ${(err as Error).message}\n`);
    await client.end().catch(() => undefined);
    return EXIT.ERROR;
  }
  await client.end().catch(() => undefined);

  if (opts.json) {
    const out = { ...report, treeSize: report.rows, trustedKeyIds: keys.ids, witnessedHeads: witnessed.length, schema };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stdout.write(`${humanReport(report, { url: redact(opts.databaseUrl), schema, keyIds: keys.ids, storedKeyIds, nodes: opts.nodes, index: opts.index, known: opts.knownHeads.length, witnessed: witnessed.length })}\n`);
  }
  return report.ok ? EXIT.OK : EXIT.TAMPERED;
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`audit:verify: ${(err as Error).stack ?? String(err)}\n`);
  return EXIT.ERROR;
});
