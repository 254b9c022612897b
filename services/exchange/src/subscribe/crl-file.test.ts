import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createLogger, Registry } from "@takitini/runtime";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CrlFile } from "./crl-file.js";
import { certificateRef, CRL_ERROR } from "./revocation.js";

/**
 * The CRL file the Subscribe door polls, on real CRLs from infra/pki/revoke.sh:
 * a bad start refuses, a good change is taken, a bad change keeps the last good
 * CRL (logged without the file's contents, counted), a stale one is flagged.
 */
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
let tmp: string;
let pki: string;
let emptyCrl: Buffer;
let customsCrl: Buffer;
let rogueCrl: Buffer;
let file: string;
let lines: string[];
let metrics: Registry;
const revoke = (dir: string, ...args: string[]) => execFileSync("bash", [join(ROOT, "infra/pki/revoke.sh"), "--out", dir, ...args], { stdio: ["ignore", "pipe", "pipe"] });
const customs = () => certificateRef(readFileSync(join(pki, "subscriber/customs.crt")));
const police = () => certificateRef(readFileSync(join(pki, "subscriber/police.crt")));
const logs = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
/** Replace the file the way an operator's tool should (and revoke.sh does): whole, by rename. */
const put = (content: Buffer | string) => {
  writeFileSync(`${file}.tmp`, content);
  renameSync(`${file}.tmp`, file);
};
const metric = async (name: string, labels = "") => {
  const text = await metrics.metrics();
  const line = text.split("\n").find((l) => l.startsWith(labels ? `${name}{` : `${name} `) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
};
const open = (now?: () => Date) =>
  CrlFile.load({
    path: file,
    caPem: readFileSync(join(pki, "ca.crt")),
    logger: createLogger("t", "info", new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) })),
    metrics,
    pollMs: 50,
    ...(now ? { now } : {}),
  });

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "takitini-crl-file-"));
  pki = join(tmp, "pki");
  execFileSync("bash", [join(ROOT, "infra/pki/issue.sh"), "--out", pki, "--rogue-ca"], { stdio: ["ignore", "pipe", "pipe"] });
  revoke(pki);
  emptyCrl = readFileSync(join(pki, "crl.pem"));
  revoke(pki, "customs");
  customsCrl = readFileSync(join(pki, "crl.pem"));
  revoke(join(pki, "rogue"), "police");
  rogueCrl = readFileSync(join(pki, "rogue/crl.pem"));
}, 60_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  file = join(mkdtempSync(join(tmp, "run-")), "crl.pem");
  lines = [];
  metrics = new Registry();
});

describe("loading at start", () => {
  it("takes a CRL signed by the CA", async () => {
    put(customsCrl);
    const crl = await open();
    expect(crl.revokes(customs())).toBe(true);
    expect(crl.revokes(police())).toBe(false);
    expect(logs().find((l) => l.code === "CRL_LOADED")).toMatchObject({ file, revoked: 1 });
    expect(await metric("exchange_subscribe_crl_revoked_certificates")).toBe(1);
    expect(await metric("exchange_subscribe_crl_stale")).toBe(0);
    expect(await metric("exchange_subscribe_crl_next_update_seconds")).toBe(Math.floor(crl.current().nextUpdate!.getTime() / 1000));
  });

  it("refuses a missing file, garbage and another CA's CRL", async () => {
    await expect(open()).rejects.toMatchObject({ code: "ENOENT" });
    put("garbage");
    await expect(open()).rejects.toMatchObject({ code: CRL_ERROR.CRL_UNREADABLE });
    put(rogueCrl);
    await expect(open()).rejects.toMatchObject({ code: CRL_ERROR.CRL_NOT_SIGNED_BY_CA });
  });
});

describe("reloading", () => {
  it("takes a new CRL and tells the listeners", async () => {
    put(emptyCrl);
    const crl = await open();
    let told = 0;
    crl.onChange(() => told++);
    expect(await crl.reload()).toBe("unchanged");
    expect(crl.revokes(customs())).toBe(false);
    put(customsCrl);
    expect(await crl.reload()).toBe("replaced");
    expect(crl.revokes(customs())).toBe(true);
    expect(told).toBe(1);
    expect(await metric("exchange_subscribe_crl_reloads_total", 'outcome="loaded"')).toBe(1);
    expect(logs().find((l) => l.code === "CRL_RELOADED")).toMatchObject({ revoked: 1 });
  });

  it("keeps the last good CRL when a new one is garbage or another CA's, logs it without contents, and counts it once per change", async () => {
    put(customsCrl);
    const crl = await open();
    let told = 0;
    crl.onChange(() => told++);
    const secret = "NOT-A-CRL personal detail 0211234567";
    put(secret);
    expect(await crl.reload()).toBe("refused");
    expect(await crl.reload()).toBe("unchanged");
    expect(crl.revokes(customs())).toBe(true);
    expect(await metric("exchange_subscribe_crl_reloads_total", 'outcome="rejected"')).toBe(1);
    const refused = logs().filter((l) => l.code === "CRL_REFUSED");
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ level: "error", reason: CRL_ERROR.CRL_UNREADABLE, file });
    expect(lines.join("")).not.toContain("0211234567");
    put(rogueCrl);
    expect(await crl.reload()).toBe("refused");
    expect(crl.revokes(customs())).toBe(true);
    expect(crl.revokes(police())).toBe(false);
    expect(logs().filter((l) => l.code === "CRL_REFUSED")[1]).toMatchObject({ reason: CRL_ERROR.CRL_NOT_SIGNED_BY_CA });
    expect(await metric("exchange_subscribe_crl_reloads_total", 'outcome="rejected"')).toBe(2);
    expect(told).toBe(0);
  });

  it("keeps the CRL in force while the file is missing, and takes it back", async () => {
    put(customsCrl);
    const crl = await open();
    unlinkSync(file);
    expect(await crl.reload()).toBe("missing");
    expect(await crl.reload()).toBe("missing");
    expect(crl.revokes(customs())).toBe(true);
    expect(logs().filter((l) => l.code === "CRL_FILE_MISSING")).toHaveLength(1);
    expect(await metric("exchange_subscribe_crl_reloads_total", 'outcome="rejected"')).toBe(1);
    put(emptyCrl);
    expect(await crl.reload()).toBe("replaced");
    expect(crl.revokes(customs())).toBe(false);
  });

  it("notices a change by itself once started", async () => {
    put(emptyCrl);
    const crl = (await open()).start();
    const changed = new Promise<void>((resolve) => crl.onChange(resolve));
    try {
      // A copy in place (not a rename) is seen too.
      copyFileSync(join(pki, "crl.pem"), file);
      await changed;
      expect(crl.revokes(customs())).toBe(true);
    } finally {
      crl.stop();
    }
  });

  it("flags a CRL past its nextUpdate, and clears the flag when a fresh one comes", async () => {
    put(emptyCrl);
    let now = new Date();
    const crl = await open(() => now);
    now = new Date(crl.current().nextUpdate!.getTime() + 60_000);
    await crl.reload();
    expect(await metric("exchange_subscribe_crl_stale")).toBe(1);
    expect(logs().filter((l) => l.code === "CRL_STALE")).toEqual([expect.objectContaining({ level: "warn", file })]);
    // Still in force, and warned about once, not on every look.
    await crl.reload();
    expect(logs().filter((l) => l.code === "CRL_STALE")).toHaveLength(1);
    now = new Date();
    await crl.reload();
    expect(await metric("exchange_subscribe_crl_stale")).toBe(0);
    expect(logs().some((l) => l.code === "CRL_FRESH")).toBe(true);
  });

  it("warns at start about a CRL already stale", async () => {
    put(emptyCrl);
    await open(() => new Date(Date.now() + 30 * 86_400_000));
    expect(logs().some((l) => l.code === "CRL_STALE")).toBe(true);
    expect(await metric("exchange_subscribe_crl_stale")).toBe(1);
  });
});
