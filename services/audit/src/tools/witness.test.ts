/** The built witness command (dist/tools/witness.js): what it refuses before it ever connects to Kafka (exit 2). */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const PKG = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(PKG, "dist/tools/witness.js");
const dir = mkdtempSync(join(tmpdir(), "audit-witness-cli-"));
const pub = join(dir, "head-key.pem");
writeFileSync(pub, generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }));

beforeAll(() => {
  expect(statSync(CLI).mtimeMs, "dist/tools/witness.js is older than its source: npm run build -w @takitini/audit").toBeGreaterThanOrEqual(statSync(join(PKG, "src/tools/witness.ts")).mtimeMs);
});

function witness(args: readonly string[], env: Record<string, string> = { TAKITINI_INSECURE_KAFKA: "true" }) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", ...env }, timeout: 30_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run audit:witness", () => {
  it("prints its usage", () => {
    expect(witness(["--help"])).toMatchObject({ status: 0, stdout: expect.stringContaining("--out <file>") });
  });

  it.each([
    ["no --out", [], /--out <file> is required/],
    ["no --key", ["--out", join(dir, "w.jsonl")], /at least one --key is required/],
    ["a key file that is not there", ["--out", join(dir, "w.jsonl"), "--key", join(dir, "absent.pem")], /cannot read trusted key/],
    ["a bad broker list", ["--out", join(dir, "w.jsonl"), "--key", pub, "--brokers", "not a broker"], /--brokers/],
    ["an unknown option", ["--out", join(dir, "w.jsonl"), "--key", pub, "--bogus"], /Unknown option/],
  ] as const)("exits 2 on %s", (_, args, message) => {
    expect(witness(args)).toMatchObject({ status: 2, stderr: expect.stringMatching(message) });
  });

  it("will not append to a damaged file (a torn last line, a line that is not a head)", () => {
    const torn = join(dir, "torn.jsonl");
    writeFileSync(torn, '{"tree_size":1');
    expect(witness(["--out", torn, "--key", pub])).toMatchObject({ status: 2, stderr: expect.stringMatching(/line 1: the last line is not terminated/) });
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"tree_size":1}\n');
    expect(witness(["--out", bad, "--key", pub])).toMatchObject({ status: 2, stderr: expect.stringMatching(/line 1 timestamp_ms/) });
  });

  it("will not append to a file another live witness holds, and takes over a dead one's lock", () => {
    const file = join(dir, "held.jsonl");
    writeFileSync(`${file}.lock`, `${process.pid}\n`);
    expect(witness(["--out", file, "--key", pub])).toMatchObject({ status: 2, stderr: expect.stringMatching(/being appended to by another witness \(pid \d+/) });
    // A pid no process has (beyond the kernel's limit): the lock is stale, taken over; the run then stops at the missing certificate, releasing it.
    writeFileSync(`${file}.lock`, "4194305\n");
    expect(witness(["--out", file, "--key", pub], {})).toMatchObject({ status: 2, stderr: expect.stringMatching(/KAFKA_TLS_CA_FILE/) });
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it("needs the oversight principal's certificate unless the broker is plaintext", () => {
    expect(witness(["--out", join(dir, "w.jsonl"), "--key", pub], {})).toMatchObject({ status: 2, stderr: expect.stringMatching(/KAFKA_TLS_CA_FILE/) });
  });
});
