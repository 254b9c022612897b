import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { credentialId, credentialProblem, splitToken, verifySecret } from "./credential-hash.js";
import { formatPath, type FieldIssue } from "./errors.js";
import { accountKey } from "./throttle.js";
import { text, zodIssues } from "./validation.js";

/**
 * Named accounts: the people a service lets in, each with a role, a credential
 * of their own (a slow hash of their token's secret), an expiry and a switch.
 *
 * The accounts file (JSON):
 *
 *   {"accounts": [
 *     {"name": "Aroha Ngata", "role": "reviewer", "credential": "scrypt$32768$8$1$…$…",
 *      "expires_at": "2026-06-30T00:00:00Z", "disabled": false}
 *   ]}
 *
 * plus whatever fields a service adds (the briefing's `subscriber`). Every
 * field is checked with zod and a bad file is refused with the path of each
 * offending field (`accounts[2].expires_at`). A service may still accept the
 * old tokens file (`{"<sha256 hex of a token>": "<value>"}`): each entry is
 * then an account without expiry, verified by SHA-256, and the file is flagged
 * legacy so the service can warn.
 *
 * `Accounts` holds the current set, verifies tokens (one scrypt per attempt: the
 * token's id names its entry), caches a success for a short while keyed by an
 * HMAC of the token under a key made at start (never the token, never a
 * failure), and tells its listeners which accounts a new file ends.
 */

export interface AccountBase<R extends string = string> {
  /** The person (or, from an old tokens file, what the token was mapped to). */
  name: string;
  role: R;
  /** `scrypt$N$r$p$salt$hash`; from an old tokens file, `sha256$<hex>`. */
  credential: string;
  /** Undefined only for an entry of an old tokens file. */
  expiresAt: Date | undefined;
  disabled: boolean;
  /** From an old tokens file: no expiry, verified by SHA-256 of the token. */
  legacy: boolean;
}

/** How a service's accounts look: its roles, its own extra fields, and what an old tokens file's entry becomes. */
export interface AccountFormat<A extends AccountBase> {
  /** What the accounts are, for messages ("oversight", "community leader"). */
  label: string;
  /** One entry of the file (snake_case, strict), already turned into an account. */
  entry: z.ZodType<A>;
  /** An old tokens file's entry (key: SHA-256 hex of the token, value as the old file held it); absent: refused. */
  legacy?: { value: z.ZodType<string>; toAccount: (hash: string, value: string) => A };
}

const isoInstant = z.iso.datetime({ offset: true, message: "expected an ISO 8601 date-time with an offset, e.g. 2026-06-30T00:00:00Z" });
const credentialField = z
  .string()
  .max(300)
  .superRefine((c, ctx) => {
    const problem = credentialProblem(c);
    if (problem) ctx.addIssue({ code: "custom", message: `${problem} (make one with the service's account tool)` });
  });

/**
 * The entry schema of a service's accounts: name, role (one of `roles`),
 * credential, expires_at, optional disabled, and `extra` fields; `toAccount`
 * maps the parsed entry to the service's account type.
 */
export function accountEntry<const R extends readonly [string, ...string[]], S extends z.ZodRawShape, A extends AccountBase<R[number]>>(
  roles: R,
  extra: S,
  toAccount: (base: AccountBase<R[number]>, extra: z.output<z.ZodObject<S>>) => A,
): z.ZodType<A> {
  const shape = {
    name: text(100, { min: 1 }),
    role: z.enum(roles as unknown as [R[number], ...R[number][]]),
    credential: credentialField,
    expires_at: isoInstant,
    disabled: z.boolean().optional(),
  };
  return z
    .strictObject({ ...shape, ...extra })
    .transform((parsed) => {
      const e = parsed as Record<string, unknown>;
      const base: AccountBase<R[number]> = {
        name: e.name as string,
        role: e.role as R[number],
        credential: e.credential as string,
        expiresAt: new Date(e.expires_at as string),
        disabled: (e.disabled as boolean | undefined) ?? false,
        legacy: false,
      };
      const rest = Object.fromEntries(Object.keys(extra).map((k) => [k, e[k]])) as z.output<z.ZodObject<S>>;
      return toAccount(base, rest);
    }) as unknown as z.ZodType<A>;
}

/** A file that could not be taken: where it is, and every offending field. */
export class AccountsFileError extends Error {
  readonly code = "ACCOUNTS_FILE_INVALID";
  constructor(
    readonly source: string,
    readonly issues: FieldIssue[],
  ) {
    super(`${source}: ${issues.map((i) => `${i.path || "(file)"}: ${i.message}`).join("; ")}`);
    this.name = "AccountsFileError";
  }
}

export interface ParsedAccounts<A> {
  accounts: A[];
  /** The old tokens format (deprecated). */
  legacy: boolean;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Parse an accounts file (or, if the format allows, an old tokens file).
 * `check` adds the service's own issues (e.g. a subscriber that does not exist).
 * Throws `AccountsFileError` naming each offending field.
 */
export function parseAccounts<A extends AccountBase>(json: string, source: string, format: AccountFormat<A>, check?: (accounts: readonly A[]) => FieldIssue[]): ParsedAccounts<A> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new AccountsFileError(source, [{ path: "", code: "invalid_json", message: `not JSON: ${(err as Error).message}` }]);
  }
  const tokensShaped = raw !== null && typeof raw === "object" && !Array.isArray(raw) && !("accounts" in raw);
  const keys = tokensShaped ? Object.keys(raw as object) : [];
  if (tokensShaped && !format.legacy && keys.length > 0 && keys.every((k) => SHA256_HEX.test(k))) {
    throw new AccountsFileError(source, [{ path: "", code: "legacy_format", message: 'this is the old tokens format (SHA-256 of a token → value), which is no longer read: make an accounts file ({"accounts": [...]})' }]);
  }
  const parsed = tokensShaped && format.legacy ? parseLegacy(raw as Record<string, unknown>, source, format) : parseCurrent(raw, source, format);
  const issues = check?.(parsed.accounts) ?? [];
  if (issues.length > 0) throw new AccountsFileError(source, issues);
  return parsed;
}

function parseCurrent<A extends AccountBase>(raw: unknown, source: string, format: AccountFormat<A>): ParsedAccounts<A> {
  const schema = z.strictObject({ accounts: z.array(format.entry).max(10_000) });
  const result = schema.safeParse(raw);
  if (!result.success) throw new AccountsFileError(source, zodIssues(result.error));
  const accounts = result.data.accounts;
  const issues: FieldIssue[] = [];
  const names = new Map<string, number>();
  const credentials = new Map<string, number>();
  accounts.forEach((a, i) => {
    const key = accountKey(a.name);
    const sameName = names.get(key);
    if (sameName !== undefined) issues.push({ path: formatPath(["accounts", i, "name"]), code: "duplicate", message: `the same name as accounts[${sameName}] (names are compared without regard to case)` });
    else names.set(key, i);
    const sameCredential = credentials.get(a.credential);
    if (sameCredential !== undefined) issues.push({ path: formatPath(["accounts", i, "credential"]), code: "duplicate", message: `the same credential as accounts[${sameCredential}]: each account needs its own` });
    else credentials.set(a.credential, i);
  });
  if (issues.length > 0) throw new AccountsFileError(source, issues);
  return { accounts, legacy: false };
}

function parseLegacy<A extends AccountBase>(raw: Record<string, unknown>, source: string, format: AccountFormat<A>): ParsedAccounts<A> {
  const legacy = format.legacy!;
  const issues: FieldIssue[] = [];
  const accounts: A[] = [];
  for (const [hash, value] of Object.entries(raw)) {
    if (!SHA256_HEX.test(hash)) {
      issues.push({ path: formatPath([hash.slice(0, 80)]), code: "invalid_key", message: 'expected {"accounts": [...]}, or (the old tokens format) keys that are the SHA-256 hex of a token' });
      continue;
    }
    const v = legacy.value.safeParse(value);
    if (!v.success) {
      issues.push(...zodIssues(v.error).map((i) => ({ ...i, path: formatPath([hash, ...(i.path ? [i.path] : [])]) })));
      continue;
    }
    accounts.push(legacy.toAccount(hash, v.data));
  }
  if (issues.length > 0) throw new AccountsFileError(source, issues);
  return { accounts, legacy: true };
}

/** The old tokens file's base account: verified by SHA-256, no expiry. */
export function legacyBase<R extends string>(hash: string, name: string, role: R): AccountBase<R> {
  return { name, role, credential: `sha256$${hash}`, expiresAt: undefined, disabled: false, legacy: true };
}

/** Whether an account may be used now: ok, or the stable code of why not. */
export type AccountStatus = "ok" | "CREDENTIAL_EXPIRED" | "CREDENTIAL_DISABLED";

export function accountStatus(a: AccountBase, now: number): AccountStatus {
  if (a.disabled) return "CREDENTIAL_DISABLED";
  if (a.expiresAt !== undefined && a.expiresAt.getTime() <= now) return "CREDENTIAL_EXPIRED";
  return "ok";
}

/** What a new set of accounts ended: accounts removed, rotated, disabled or changed, each as it was. */
export interface AccountsChange<A> {
  ended: A[];
  added: A[];
  count: number;
}

export interface AccountsOptions {
  /** How long a successful verification is remembered (0: never). Default 60 s. */
  cacheTtlMs?: number;
  /** Most verifications remembered. Default 10 000. */
  cacheMax?: number;
  now?: () => number;
}

/** What an account looks like to compare: every field, dates as instants. */
function fingerprint(a: AccountBase): string {
  return JSON.stringify(a, (_k, v: unknown) => (v instanceof Date ? v.toISOString() : v));
}

/** The accounts a service holds, and the verification of tokens against them. */
export class Accounts<A extends AccountBase> {
  private byCredential = new Map<string, A>();
  private byId = new Map<string, A>();
  private legacy: { hash: Buffer; account: A }[] = [];
  private all: readonly A[] = [];
  private readonly cache = new Map<string, { credential: string; until: number }>();
  private readonly inflight = new Map<string, Promise<A | undefined>>();
  private readonly cacheKey = randomBytes(32);
  private readonly listeners: ((change: AccountsChange<A>) => void)[] = [];
  private readonly cacheTtlMs: number;
  private readonly cacheMax: number;
  readonly now: () => number;

  constructor(initial: readonly A[] = [], o: AccountsOptions = {}) {
    this.cacheTtlMs = o.cacheTtlMs ?? 60_000;
    this.cacheMax = o.cacheMax ?? 10_000;
    this.now = o.now ?? Date.now;
    this.index(initial);
  }

  get list(): readonly A[] {
    return this.all;
  }

  get size(): number {
    return this.all.length;
  }

  /** Verifications remembered (for tests and metrics). */
  get cached(): number {
    return this.cache.size;
  }

  onChange(listener: (change: AccountsChange<A>) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Take a new set (a re-read file). Every remembered verification is dropped,
   * and the listeners are told which accounts ended — removed, or with a new
   * credential, role, expiry, switch or any other field — so their sessions end
   * at once.
   */
  replace(next: readonly A[]): AccountsChange<A> {
    const before = this.byCredential;
    const after = new Map(next.map((a) => [a.credential, a]));
    const ended = [...before.values()].filter((a) => {
      const now = after.get(a.credential);
      return now === undefined || fingerprint(now) !== fingerprint(a);
    });
    const added = next.filter((a) => {
      const was = before.get(a.credential);
      return was === undefined || fingerprint(was) !== fingerprint(a);
    });
    this.index(next);
    this.cache.clear();
    const change = { ended, added, count: next.length };
    for (const l of this.listeners) l(change);
    return change;
  }

  /** The account a token names by its id (an account token whose id is in the file), without verifying it. */
  named(token: string): A | undefined {
    const parts = splitToken(token);
    return parts ? this.byId.get(parts.id) : undefined;
  }

  /** The account of a token verified within the cache's lifetime, if its credential is still in the file. */
  fromCache(token: string): A | undefined {
    if (this.cacheTtlMs <= 0) return undefined;
    const key = this.keyOf(token);
    const hit = this.cache.get(key);
    if (!hit) return undefined;
    if (hit.until <= this.now()) {
      this.cache.delete(key);
      return undefined;
    }
    return this.byCredential.get(hit.credential);
  }

  /**
   * The account a token belongs to, or undefined: scrypt against the entry its
   * id names (or SHA-256 against an old tokens file's entries, compared in
   * constant time). A success is remembered; a failure is not. Concurrent
   * verifications of one token share one scrypt. Expiry and the disabled switch
   * are not looked at here (`accountStatus`): a holder of the right token is
   * told why it is refused.
   */
  async verify(token: string): Promise<A | undefined> {
    if (token.length === 0 || token.length > 512) return undefined;
    const cached = this.fromCache(token);
    if (cached) return cached;
    const key = this.keyOf(token);
    const running = this.inflight.get(key);
    if (running) return running;
    const work = this.check(token).finally(() => this.inflight.delete(key));
    this.inflight.set(key, work);
    const account = await work;
    if (account && this.cacheTtlMs > 0) this.remember(key, account);
    return account;
  }

  /** The account as it now is in the file, if it still has that credential. */
  current(credential: string): A | undefined {
    return this.byCredential.get(credential);
  }

  /** Forget expired verifications; returns how many. */
  sweep(): number {
    const now = this.now();
    let n = 0;
    for (const [k, v] of this.cache) {
      if (v.until <= now) {
        this.cache.delete(k);
        n++;
      }
    }
    return n;
  }

  private async check(token: string): Promise<A | undefined> {
    const parts = splitToken(token);
    if (parts) {
      const account = this.byId.get(parts.id);
      if (!account) return undefined;
      if (!(await verifySecret(parts.secret, account.credential))) return undefined;
      // The file may have changed while scrypt ran: only what is in it now counts.
      return this.byCredential.get(account.credential);
    }
    if (this.legacy.length === 0) return undefined;
    const presented = createHash("sha256").update(token, "utf8").digest();
    let found: A | undefined;
    for (const l of this.legacy) if (timingSafeEqual(presented, l.hash)) found ??= l.account;
    return found;
  }

  private remember(key: string, account: A): void {
    if (this.cache.size >= this.cacheMax) this.sweep();
    while (this.cache.size >= this.cacheMax) {
      const oldest = this.cache.keys().next();
      if (oldest.done) break;
      this.cache.delete(oldest.value);
    }
    this.cache.set(key, { credential: account.credential, until: this.now() + this.cacheTtlMs });
  }

  private keyOf(token: string): string {
    return createHmac("sha256", this.cacheKey).update(token, "utf8").digest("base64url");
  }

  private index(accounts: readonly A[]): void {
    this.all = Object.freeze([...accounts]);
    this.byCredential = new Map(accounts.map((a) => [a.credential, a]));
    this.byId = new Map(accounts.filter((a) => !a.legacy).map((a) => [credentialId(a.credential), a]));
    this.legacy = accounts.filter((a) => a.legacy).map((a) => ({ hash: Buffer.from(a.credential.slice("sha256$".length), "hex"), account: a }));
  }
}
