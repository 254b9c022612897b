import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { Accounts, AccountsFileError, parseAccounts, type AccountBase, type AccountFormat, type AccountsOptions } from "./accounts.js";
import type { FieldIssue } from "./errors.js";
import type { Logger } from "./logger.js";

/**
 * An accounts file that is re-read when it changes, without a restart: its
 * inode, size and times are polled (every `pollMs`, default 2 s; `reload()`
 * forces a look, e.g. on SIGHUP), and a changed file is parsed in full. A good
 * file replaces the accounts — accounts it removes, rotates, disables or changes
 * end at once (their remembered verifications and sessions); a bad one
 * (unparseable, a field wrong, the service's own check failing) is refused and
 * logged with every offending field, and the accounts already held stay. A file
 * that has gone missing is logged and the accounts held stay too (an editor's
 * save in progress should not lock everyone out).
 *
 * Log codes: ACCOUNTS_FILE_RELOADED (info), ACCOUNTS_FILE_REFUSED,
 * ACCOUNTS_FILE_MISSING and ACCOUNTS_FILE_DEPRECATED (warn). No credential is
 * ever logged: names and counts only.
 */

export interface AccountsFileOptions<A extends AccountBase> extends AccountsOptions {
  path: string;
  format: AccountFormat<A>;
  logger: Logger;
  /** The service's own checks across the file (e.g. each subscriber exists). */
  check?: (accounts: readonly A[]) => FieldIssue[];
  /** How often the file is looked at. Default 2000 ms. */
  pollMs?: number;
}

type Reload = "unchanged" | "replaced" | "refused" | "missing";

const signatureOf = (s: { ino: number; size: number; mtimeMs: number; ctimeMs: number }) => `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
const digest = (text: string) => createHash("sha256").update(text).digest("hex");

export class AccountsFile<A extends AccountBase> {
  readonly accounts: Accounts<A>;
  readonly path: string;
  private readonly o: AccountsFileOptions<A>;
  private signature: string;
  private content: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Reload> | undefined;

  /** Read the file now; a bad file throws (`AccountsFileError`, naming each field), so the service does not start. */
  constructor(o: AccountsFileOptions<A>) {
    this.o = o;
    this.path = o.path;
    // Looked at before it is read: a change in between is seen at the next look.
    this.signature = signatureOf(statSync(o.path));
    const text = readFileSync(o.path, "utf8");
    this.content = digest(text);
    const parsed = parseAccounts(text, o.path, o.format, o.check);
    this.warnIfLegacy(parsed.legacy);
    this.accounts = new Accounts(parsed.accounts, o);
    o.logger.info({ file: o.path, accounts: parsed.accounts.length, legacy: parsed.legacy }, `${o.format.label} accounts loaded`);
  }

  /** Start polling (a timer that does not keep the process alive). */
  start(): this {
    if (!this.timer) {
      this.timer = setInterval(() => void this.reload(), this.o.pollMs ?? 2000);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Look at the file now: re-read it if it changed. Never throws. */
  reload(): Promise<Reload> {
    this.running ??= this.look().finally(() => (this.running = undefined));
    return this.running;
  }

  private async look(): Promise<Reload> {
    const { logger, path } = this.o;
    let signature: string;
    try {
      signature = signatureOf(await stat(path));
    } catch (err) {
      if (this.signature !== "missing") logger.warn({ code: "ACCOUNTS_FILE_MISSING", file: path, err: { message: (err as Error).message } }, `${this.o.format.label} accounts file unreadable; keeping the ${this.accounts.size} accounts held`);
      this.signature = "missing";
      return "missing";
    }
    if (signature === this.signature) return "unchanged";
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      logger.warn({ code: "ACCOUNTS_FILE_MISSING", file: path, err: { message: (err as Error).message } }, `${this.o.format.label} accounts file unreadable; keeping the ${this.accounts.size} accounts held`);
      return "missing";
    }
    // Looked at once per change: a refused file is not re-parsed (nor re-logged) until it changes again.
    this.signature = signature;
    const content = digest(text);
    if (content === this.content) return "unchanged";
    this.content = content;
    let parsed;
    try {
      parsed = parseAccounts(text, path, this.o.format, this.o.check);
    } catch (err) {
      const issues = err instanceof AccountsFileError ? err.issues : [{ path: "", code: "error", message: (err as Error).message }];
      logger.warn({ code: "ACCOUNTS_FILE_REFUSED", file: path, issues }, `${this.o.format.label} accounts file refused; keeping the ${this.accounts.size} accounts held`);
      return "refused";
    }
    this.warnIfLegacy(parsed.legacy);
    const change = this.accounts.replace(parsed.accounts);
    logger.info(
      { code: "ACCOUNTS_FILE_RELOADED", file: path, accounts: change.count, ended: change.ended.map((a) => a.name), added: change.added.map((a) => a.name) },
      `${this.o.format.label} accounts reloaded`,
    );
    return "replaced";
  }

  private warnIfLegacy(legacy: boolean): void {
    if (legacy) {
      this.o.logger.warn(
        { code: "ACCOUNTS_FILE_DEPRECATED", file: this.o.path },
        `${this.o.path} is an old tokens file (SHA-256 → name): its tokens have no expiry and no slow hash. Replace it with an accounts file ({"accounts": [...]}, see the service's README)`,
      );
    }
  }
}
