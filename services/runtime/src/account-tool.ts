import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { AccountsFileError, parseAccounts, type AccountBase, type AccountFormat } from "./accounts.js";
import { newCredential, SCRYPT_DEFAULTS, type ScryptParams } from "./credential-hash.js";
import type { FieldIssue } from "./errors.js";
import { accountKey } from "./throttle.js";

/**
 * Making an account: a fresh token (shown once) and the file entry holding only
 * its scrypt hash; optionally written straight into an accounts file, adding
 * the account or — same name — rotating it. Each service's `tools/account.ts`
 * is a thin wrapper naming its roles and extra fields.
 */

export interface NewAccount {
  name: string;
  role: string;
  /** Valid until: `days` from now, or an explicit instant. */
  days?: number;
  expiresAt?: Date;
  /** Service fields, e.g. {subscriber: "community-eastern"}. */
  extra?: Record<string, string>;
  now?: Date;
  params?: ScryptParams;
}

/** The entry for the accounts file (snake_case, as the file holds it) and the token it verifies. */
export async function createAccount(a: NewAccount): Promise<{ entry: Record<string, unknown>; token: string }> {
  const now = a.now ?? new Date();
  const expires = a.expiresAt ?? new Date(now.getTime() + (a.days ?? 90) * 86_400_000);
  const { token, credential } = await newCredential(a.params ?? SCRYPT_DEFAULTS);
  return { entry: { name: a.name, role: a.role, ...a.extra, credential, expires_at: expires.toISOString() }, token };
}

/**
 * Put an entry into an accounts file: replacing the account of the same name
 * (a rotation: the old token stops working once the service re-reads the file)
 * or adding it. The whole new file is checked with the service's format before
 * it is written; it is written beside the old one and renamed over it, so the
 * service never reads half a file. A file in the old tokens format is refused.
 */
export function addAccountToFile<A extends AccountBase>(path: string, entry: Record<string, unknown>, format: AccountFormat<A>, check?: (accounts: readonly A[]) => FieldIssue[]): { replaced: boolean } {
  let accounts: Record<string, unknown>[] = [];
  if (existsSync(path)) {
    const raw = JSON.parse(readFileSync(path, "utf8")) as unknown;
    if (raw === null || typeof raw !== "object" || !Array.isArray((raw as { accounts?: unknown }).accounts)) {
      throw new Error(`${path} is not an accounts file ({"accounts": [...]}); an old tokens file cannot hold accounts — start a new file and point the service at it`);
    }
    accounts = (raw as { accounts: Record<string, unknown>[] }).accounts;
  }
  const key = accountKey(String(entry["name"]));
  const at = accounts.findIndex((a) => typeof a["name"] === "string" && accountKey(a["name"]) === key);
  const next = at >= 0 ? accounts.map((a, i) => (i === at ? entry : a)) : [...accounts, entry];
  const text = `${JSON.stringify({ accounts: next }, null, 2)}\n`;
  parseAccounts(text, path, format, check);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
  return { replaced: at >= 0 };
}

export interface AccountToolSpec<A extends AccountBase> {
  /** The command, for usage: "node services/audit/dist/tools/account.js". */
  command: string;
  format: AccountFormat<A>;
  roles: readonly string[];
  defaultRole?: string;
  /** Extra string options the service's accounts carry, e.g. subscriber. */
  extra?: { name: string; help: string; optional?: boolean }[];
  check?: (accounts: readonly A[]) => FieldIssue[];
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  now?: Date;
  params?: ScryptParams;
}

/** The account tool: parse arguments, make the account, print (or write) it. Returns the exit code. */
export async function runAccountTool<A extends AccountBase>(argv: string[], spec: AccountToolSpec<A>, io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  const extraNames = (spec.extra ?? []).map((e) => e.name);
  const usage = [
    `usage: ${spec.command} --name "<person>" --role ${spec.roles.join("|")}${(spec.extra ?? []).map((e) => (e.optional ? ` [--${e.name} <${e.name}>]` : ` --${e.name} <${e.name}>`)).join("")} [--days 90 | --expires <ISO date-time>] [--file <accounts.json>]`,
    "",
    "Makes an account: a new token, shown once, and the accounts-file entry holding only its scrypt hash.",
    "Without --file: prints the entry (one JSON line, for the file's \"accounts\" list), then the token.",
    "With --file: adds the account to that file — or, for a name already there, replaces its entry (a rotation:",
    "the old token stops working, and its sessions end, once the service re-reads the file) — and prints the token.",
    ...(spec.extra ?? []).map((e) => `  --${e.name}: ${e.help}`),
    "",
  ].join("\n");
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        name: { type: "string" },
        role: { type: "string" },
        days: { type: "string" },
        expires: { type: "string" },
        file: { type: "string" },
        help: { type: "boolean", short: "h" },
        ...Object.fromEntries(extraNames.map((n) => [n, { type: "string" as const }])),
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    io.err(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (values["help"]) {
    io.out(usage);
    return 0;
  }
  const name = values["name"];
  const role = (values["role"] as string | undefined) ?? spec.defaultRole;
  const problems: string[] = [];
  if (typeof name !== "string" || name.trim() === "") problems.push("--name is required");
  if (!role || !spec.roles.includes(role)) problems.push(`--role must be one of ${spec.roles.join(", ")}`);
  for (const e of spec.extra ?? []) if (!e.optional && typeof values[e.name] !== "string") problems.push(`--${e.name} is required`);
  if (values["days"] !== undefined && values["expires"] !== undefined) problems.push("give --days or --expires, not both");
  const days = values["days"] === undefined ? undefined : Number(values["days"]);
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 3650)) problems.push("--days must be a whole number from 1 to 3650");
  const expiresAt = typeof values["expires"] === "string" ? new Date(values["expires"]) : undefined;
  if (expiresAt && Number.isNaN(expiresAt.getTime())) problems.push("--expires must be an ISO 8601 date-time");
  if (problems.length > 0) {
    io.err(`${problems.join("\n")}\n\n${usage}`);
    return 2;
  }
  const extra = Object.fromEntries(extraNames.filter((n) => typeof values[n] === "string").map((n) => [n, values[n] as string]));
  const { entry, token } = await createAccount({ name: name as string, role: role!, ...(days !== undefined ? { days } : {}), ...(expiresAt ? { expiresAt } : {}), extra, ...(io.now ? { now: io.now } : {}), ...(io.params ? { params: io.params } : {}) });
  const file = values["file"];
  try {
    if (typeof file === "string") {
      const { replaced } = addAccountToFile(file, entry, spec.format, spec.check);
      io.err(`${replaced ? "rotated" : "added"} ${entry["name"]} (${entry["role"]}, until ${entry["expires_at"]}) in ${file}; the service picks it up within seconds.\nThe token (shown once; give it to ${entry["name"]} only):\n`);
      io.out(`${token}\n`);
    } else {
      // The entry alone must already be valid.
      parseAccounts(JSON.stringify({ accounts: [entry] }), "the new account", spec.format, spec.check);
      io.err(`Add the first line to the "accounts" list of the accounts file; the second line is the token (shown once; give it to ${entry["name"]} only).\n`);
      io.out(`${JSON.stringify(entry)}\n${token}\n`);
    }
  } catch (err) {
    io.err(`${err instanceof AccountsFileError ? err.message : (err as Error).message}\n`);
    return 1;
  }
  return 0;
}
