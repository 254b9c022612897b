import { createHash } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { accountEntry, AccountsFileError, legacyBase, type AccountBase, type AccountFormat } from "./accounts.js";
import { AccountsFile } from "./accounts-file.js";
import { newCredential } from "./credential-hash.js";
import { createLogger } from "./logger.js";
import { AccountGate } from "./sign-in.js";
import { Sessions } from "./credentials.js";

const format: AccountFormat<AccountBase<"reviewer" | "administrator">> = {
  label: "oversight",
  entry: accountEntry(["reviewer", "administrator"] as const, {}, (b) => b),
  legacy: { value: z.string().min(1), toAccount: (hash, name) => legacyBase(hash, name, "reviewer") },
};
const FUTURE = "2099-01-01T00:00:00Z";
const aroha = await newCredential();
const hemi = await newCredential();
const entry = (name: string, credential: string, more: Record<string, unknown> = {}) => ({ name, role: "reviewer", credential, expires_at: FUTURE, ...more });

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup(initial: unknown) {
  dir = mkdtempSync(join(tmpdir(), "takitini-accounts-"));
  const path = join(dir, "accounts.json");
  let version = 0;
  /** Write as an operator would: a new file renamed over the old (a fresh inode), its time pushed on so every change is seen. */
  const write = (content: unknown) => {
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, typeof content === "string" ? content : JSON.stringify(content));
    const t = new Date(Date.now() + ++version * 1000);
    utimesSync(tmp, t, t);
    renameSync(tmp, path);
  };
  write(initial);
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("t", "info", new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c)) as Record<string, unknown>), cb()) }));
  return { path, write, lines, logger };
}

describe("an accounts file re-read without a restart", () => {
  it("takes a rotation at once: the old token stops working and its sessions end", async () => {
    const { path, write, lines, logger } = setup({ accounts: [entry("Aroha", aroha.credential), entry("Hemi", hemi.credential)] });
    const file = new AccountsFile({ path, format, logger });
    const gate = new AccountGate({ accounts: file.accounts, sessions: new Sessions({ ttlMs: 3_600_000 }), logger });
    const signedIn = await gate.signIn(aroha.token, "10.0.0.1");
    const hemiSession = (await gate.signIn(hemi.token, "10.0.0.1")).session;
    expect(signedIn.ok).toBe(true);
    expect(gate.session(signedIn.session)?.name).toBe("Aroha");
    expect(await file.reload()).toBe("unchanged");

    const rotated = await newCredential();
    write({ accounts: [entry("Aroha", rotated.credential), entry("Hemi", hemi.credential)] });
    expect(await file.reload()).toBe("replaced");
    expect(await gate.authenticate(aroha.token, "10.0.0.1")).toEqual({ ok: false, code: "CREDENTIAL_INVALID" });
    expect(gate.session(signedIn.session)).toBeUndefined();
    expect(gate.sessions.size).toBe(1); // Hemi's, untouched
    expect(gate.session(hemiSession)?.name).toBe("Hemi");
    expect(await gate.authenticate(rotated.token, "10.0.0.1")).toMatchObject({ ok: true, account: { name: "Aroha" } });
    expect(lines).toContainEqual(expect.objectContaining({ code: "ACCOUNTS_FILE_RELOADED", accounts: 2, ended: ["Aroha"], added: ["Aroha"] }));
    expect(lines).toContainEqual(expect.objectContaining({ code: "SESSIONS_ENDED", accounts: ["Aroha"], sessions: 1 }));

    // Removing Hemi ends Hemi's session and token, even one remembered a moment ago.
    expect((await gate.authenticate(hemi.token, "10.0.0.1")).ok).toBe(true);
    write({ accounts: [entry("Aroha", rotated.credential)] });
    expect(await file.reload()).toBe("replaced");
    expect((await gate.authenticate(hemi.token, "10.0.0.1")).ok).toBe(false);
    expect(gate.session(hemiSession)).toBeUndefined();
    // Not a trace of a credential in the log.
    const log = JSON.stringify(lines);
    for (const secret of [aroha, hemi, rotated]) {
      expect(log).not.toContain(secret.token);
      expect(log).not.toContain(secret.credential);
    }
  });

  it("refuses a bad new file, logs every offending field and keeps the accounts it holds", async () => {
    const { path, write, lines, logger } = setup({ accounts: [entry("Aroha", aroha.credential)] });
    const file = new AccountsFile({ path, format, logger });
    write({ accounts: [entry("Aroha", aroha.credential, { expires_at: "soon" }), entry("Hemi", hemi.credential, { role: "root" })] });
    expect(await file.reload()).toBe("refused");
    expect(lines).toContainEqual(
      expect.objectContaining({ code: "ACCOUNTS_FILE_REFUSED", level: "warn", issues: [expect.objectContaining({ path: "accounts[0].expires_at" }), expect.objectContaining({ path: "accounts[1].role" })] }),
    );
    expect((await file.accounts.verify(aroha.token))?.name).toBe("Aroha");
    // Looked at once: not refused (or logged) again until it changes.
    expect(await file.reload()).toBe("unchanged");
    expect(lines.filter((l) => l["code"] === "ACCOUNTS_FILE_REFUSED")).toHaveLength(1);
    write("{ not json");
    expect(await file.reload()).toBe("refused");
    // A file gone missing: logged once, the accounts stay.
    rmSync(path);
    expect(await file.reload()).toBe("missing");
    expect(await file.reload()).toBe("missing");
    expect(lines.filter((l) => l["code"] === "ACCOUNTS_FILE_MISSING")).toHaveLength(1);
    expect((await file.accounts.verify(aroha.token))?.name).toBe("Aroha");
    // Back, good: taken.
    write({ accounts: [entry("Hemi", hemi.credential)] });
    expect(await file.reload()).toBe("replaced");
    expect(file.accounts.list.map((a) => a.name)).toEqual(["Hemi"]);
  });

  it("will not start on a bad file, naming the field", () => {
    const { path, logger } = setup({ accounts: [entry("Aroha", aroha.credential, { disabled: "yes" })] });
    expect(() => new AccountsFile({ path, format, logger })).toThrow(AccountsFileError);
    expect(() => new AccountsFile({ path, format, logger })).toThrow(/accounts\[0\]\.disabled/);
  });

  it("applies the service's own check to every version of the file", async () => {
    const { path, write, lines, logger } = setup({ accounts: [entry("Aroha", aroha.credential)] });
    const check = (accounts: readonly AccountBase[]) => accounts.flatMap((a, i) => (a.role === "administrator" ? [{ path: `accounts[${i}].role`, code: "custom", message: "no administrators here" }] : []));
    const file = new AccountsFile({ path, format, logger, check });
    write({ accounts: [entry("Aroha", aroha.credential, { role: "administrator" })] });
    expect(await file.reload()).toBe("refused");
    expect(lines).toContainEqual(expect.objectContaining({ code: "ACCOUNTS_FILE_REFUSED", issues: [expect.objectContaining({ path: "accounts[0].role", message: "no administrators here" })] }));
  });

  it("notices a change by polling", async () => {
    const { path, write, logger } = setup({ accounts: [entry("Aroha", aroha.credential)] });
    const file = new AccountsFile({ path, format, logger, pollMs: 20 }).start();
    try {
      write({ accounts: [entry("Hemi", hemi.credential)] });
      await expect.poll(() => file.accounts.list.map((a) => a.name), { timeout: 2000, interval: 10 }).toEqual(["Hemi"]);
    } finally {
      file.stop();
    }
  });

  it("warns that an old tokens file is deprecated, and still takes it", async () => {
    const sha = createHash("sha256").update("old-token").digest("hex");
    const { path, lines, logger } = setup({ [sha]: "local developer" });
    const file = new AccountsFile({ path, format, logger });
    expect(lines).toContainEqual(expect.objectContaining({ code: "ACCOUNTS_FILE_DEPRECATED", level: "warn" }));
    expect((await file.accounts.verify("old-token"))?.name).toBe("local developer");
  });
});
