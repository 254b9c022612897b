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
 * with the writer's pure mapping (../indexcheck) and compared, row by row.
 *
 * Exit codes: 0 no tampering found; 1 tampering found (the first bad index and
 * its kind are named); 2 usage, key or connection error, or not a ledger.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { loadWitnessedHeads } from "./witnessed.js";
import { loadTrustedKeys } from "./trusted-keys.js";
import { checkStoredIndex, describeIndexProblem, hasIndex, indexSummary, withIndex, type IndexProblem, type IndexReport } from "../indexcheck/index.js";
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
  return { databaseUrl, keyFiles, knownHeads, witnessFiles: v.witness ?? [], schema: v.schema, json: v.json, nodes: !v["no-nodes"], index: !v["no-index"], pageSize };
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

function describe(p: Problem | IndexProblem): string {
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
  ];
  if (r.heads === 0 && r.rows > 0) lines.push("warning      no signed tree head: nothing attests these rows; check again once a head is signed");
  const unknown = r.problems.filter((p) => p.kind === "head-signature" && /unknown-key/.test(p.detail)).length;
  if (unknown > 0 && unknown === r.heads) {
    lines.push(
      `warning      none of the ${r.heads} heads is signed by a trusted key. Is this the right public key? ` +
        `The store lists key ids ${ctx.storedKeyIds.map((k) => k.slice(0, 16)).join(", ") || "(none)"} (unverified).`,
    );
  }
  if (r.ok) {
    lines.push("result       OK: no tampering found");
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
    report = withIndex(tree, index);
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
