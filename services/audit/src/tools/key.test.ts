/** The built key command (dist/tools/key.js): the public key the oversight body is given, and new keys. */
import { spawnSync } from "node:child_process";
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { keyIdOf } from "../merkle/head.js";

const PKG = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(PKG, "dist/tools/key.js");
const dir = mkdtempSync(join(tmpdir(), "audit-key-"));

const newest = (rel: string, ext: string) => {
  const root = join(PKG, rel);
  return Math.max(0, ...readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(ext) && !f.endsWith(".test.ts")).map((f) => statSync(join(root, f)).mtimeMs));
};

beforeAll(() => {
  const stale = () => Math.max(newest("src/tools", ".ts"), newest("src/merkle", ".ts")) > Math.min(newest("dist/tools", "key.js"), newest("dist/merkle", ".js"));
  if (stale()) spawnSync(process.execPath, [join(PKG, "../../node_modules/typescript/bin/tsc"), "-p", join(PKG, "tsconfig.json")], { stdio: "ignore" });
  expect(stale(), "dist/tools/key.js is older than its sources: npm run build -w @takitini/audit").toBe(false);
});

function key(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", ...env } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run audit:key", () => {
  const privateKey = generateKeyPairSync("ed25519").privateKey;
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const file = join(dir, "signing.pem");
  writeFileSync(file, pem, { mode: 0o600 });
  const publicPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
  const keyId = keyIdOf(createPublicKey(privateKey)).toString("hex");

  it("prints the public key of a key file, of LEDGER_SIGNING_KEY and of LEDGER_SIGNING_KEY_FILE, and its key id", () => {
    for (const out of [key(["--public", file]), key(["--public"], { LEDGER_SIGNING_KEY: pem }), key(["--public"], { LEDGER_SIGNING_KEY_FILE: file })]) {
      expect(out).toMatchObject({ status: 0, stdout: publicPem });
      expect(out.stderr).toContain(`key id ${keyId}`);
    }
  });

  it("writes a new key readable by its owner only, and never overwrites one", () => {
    const fresh = join(dir, "fresh.pem");
    const out = key(["--generate", fresh]);
    expect(out.status).toBe(0);
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
    expect(out.stdout).toBe(createPublicKey(createPrivateKey(readFileSync(fresh))).export({ type: "spki", format: "pem" }).toString());
    expect(key(["--generate", fresh])).toMatchObject({ status: 2, stderr: expect.stringMatching(/cannot create/) });
  });

  it("exits 2 without a key, with a key that is not Ed25519, and on bad usage", () => {
    expect(key(["--public"])).toMatchObject({ status: 2, stderr: expect.stringMatching(/LEDGER_SIGNING_KEY/) });
    const rsa = join(dir, "rsa.pem");
    writeFileSync(rsa, generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }));
    expect(key(["--public", rsa])).toMatchObject({ status: 2, stderr: expect.stringMatching(/Ed25519/) });
    expect(key(["--public", join(dir, "missing.pem")])).toMatchObject({ status: 2, stderr: expect.stringMatching(/cannot read/) });
    expect(key([])).toMatchObject({ status: 2 });
    expect(key(["--public", "a", "b"])).toMatchObject({ status: 2 });
  });
});
