/**
 * Witnessed heads on the real secured broker (mutual TLS, the ACLs derived from
 * topics.json): the audit publishes every signed tree head to
 * takitini.audit.heads.v1 as its own principal; the oversight body's witness
 * (dist/tools/witness.js) follows it as the `oversight` principal and appends
 * each head to its file; audit:verify --witness then checks the real ledger
 * in PostgreSQL against every witnessed head.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { client, principalEnv } from "./kafka.js";
import { auditEnv, oversightHeaders, ROOT, startService, type RunningService } from "./stack.js";

const brokers = inject("brokers");
const databaseUrl = inject("databaseUrl");
const run = randomUUID().slice(0, 8);
const dir = mkdtempSync(join(tmpdir(), "takitini-e2e-witness-"));
const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const keyFile = join(dir, "ledger-signing-key.pem");
const pubFile = join(dir, "head-key.pem");
const witnessFile = join(dir, "oversight", "witness.jsonl");
writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
writeFileSync(pubFile, publicKey.export({ type: "spki", format: "pem" }));
const env = auditEnv(databaseUrl, `witness-${run}`);

let audit: RunningService;
let witness: ChildProcess | undefined;
let witnessOut = "";

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nwitness output:\n${witnessOut}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const lines = (): { tree_size: number; root_hash: string; key_id: string; signature: string }[] => {
  try {
    return readFileSync(witnessFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
};

beforeAll(async () => {
  audit = await startService("audit", { KAFKA_BROKERS: brokers.join(","), ...env, GROUP_ID: `takitini-audit-e2e-witness-${run}`, LEDGER_SIGNING_KEY_FILE: keyFile, HEAD_INTERVAL_MS: "500", HEAD_PUBLISH_POLL_MS: "250" });
  witness = spawn(
    process.execPath,
    [join(ROOT, "services/audit/dist/tools/witness.js"), "--out", witnessFile, "--key", pubFile, "--ledger", env.DATABASE_SCHEMA!, "--group", `takitini-oversight-e2e-${run}`, "--brokers", brokers.join(",")],
    { env: { ...process.env, ...principalEnv("oversight") }, stdio: ["ignore", "pipe", "pipe"] },
  );
  witness.stdout?.on("data", (d: Buffer) => (witnessOut += d.toString("utf8")));
  witness.stderr?.on("data", (d: Buffer) => (witnessOut += d.toString("utf8")));
  process.once("exit", () => witness?.kill("SIGKILL"));
}, 120_000);

afterAll(async () => {
  if (witness && witness.exitCode === null) {
    const exited = new Promise((r) => witness!.once("exit", r));
    witness.kill("SIGTERM");
    await exited;
  }
  await audit?.stop();
});

/** Every answered oversight query is itself a ledger record: the tree grows by one per request. */
const grow = async (n: number) => {
  for (let i = 0; i < n; i++) expect((await fetch(`${audit.url}/v1/records?limit=1`, { headers: oversightHeaders })).status).toBe(200);
};

/** A signed tree head as the audit encodes it (services/audit/src/merkle/head.ts), as one witness line. */
function headLine(key: KeyObject, treeSize: number, timestampMs: number, root: Buffer): string {
  const keyId = createHash("sha256").update(createPublicKey(key).export({ type: "spki", format: "der" })).digest();
  const fixed = Buffer.alloc(16);
  fixed.writeBigUInt64BE(BigInt(treeSize), 0);
  fixed.writeBigUInt64BE(BigInt(timestampMs), 8);
  const signature = sign(null, Buffer.concat([Buffer.from("takitini-ledger-tree-head-v1\0", "ascii"), fixed, root, keyId]), key);
  return JSON.stringify({ tree_size: treeSize, timestamp_ms: timestampMs, root_hash: root.toString("hex"), key_id: keyId.toString("hex"), signature: signature.toString("base64") });
}

describe("witnessed heads on the secured broker", () => {
  it("publishes each signed head to the heads topic, and the oversight principal's witness appends it to its file", async () => {
    await grow(3);
    const first = await until("a witnessed head of at least 3 leaves", () => lines().find((l) => l.tree_size >= 3));
    expect(first.key_id).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(first.signature, "base64")).toHaveLength(64);
    await grow(4);
    await until("a larger witnessed head", () => (lines().at(-1)!.tree_size >= first.tree_size + 4 ? true : undefined));
    const sizes = lines().map((l) => l.tree_size);
    // One line per new head, in growing size: repeats (a takeover's republish, a replay) are not appended.
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(new Set(sizes).size).toBe(sizes.length);
    expect(witnessOut).not.toMatch(/HEAD_(FORK|ROLLBACK|SIGNATURE|MALFORMED)/);
  });

  it("audit:verify --witness checks the ledger against every witnessed head", () => {
    // The witness keeps following the topic (a later head may be appended while this runs): verify a copy of the file as it stands.
    const snapshot = join(dir, "oversight", "witness.snapshot.jsonl");
    copyFileSync(witnessFile, snapshot);
    const heads = readFileSync(snapshot, "utf8").split("\n").filter(Boolean).length;
    expect(heads).toBeGreaterThanOrEqual(2);
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "services/audit/dist/tools/verify.js"), "--database-url", databaseUrl, "--schema", env.DATABASE_SCHEMA!, "--trusted-key", pubFile, "--witness", snapshot],
      { encoding: "utf8" },
    );
    expect(r.stdout, r.stderr).toMatch(/result {7}OK: no tampering found/);
    expect(r.stdout).toMatch(new RegExp(`witnessed {4}${heads} heads from the witness file`));
    expect(r.status).toBe(0);
  });
});

describe("what the witness refuses", () => {
  it("a head signed later for a smaller tree (a rollback), a second root for a size (a fork) and a head of an unknown key: logged, never appended", async () => {
    const before = lines();
    const latest = before.at(-1)!;
    const producer = client(brokers, "audit").producer();
    await producer.connect();
    const other = generateKeyPairSync("ed25519").privateKey;
    try {
      await producer.send({
        topic: "takitini.audit.heads.v1",
        messages: [
          { key: env.DATABASE_SCHEMA!, value: headLine(privateKey, latest.tree_size - 1, Date.now(), Buffer.alloc(32, 1)) },
          { key: env.DATABASE_SCHEMA!, value: headLine(privateKey, latest.tree_size, Date.now(), Buffer.alloc(32, 2)) },
          { key: env.DATABASE_SCHEMA!, value: headLine(other, latest.tree_size + 100, Date.now(), Buffer.alloc(32, 3)) },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    await until("the three refusals logged", () => (/HEAD_ROLLBACK[\s\S]*HEAD_FORK[\s\S]*HEAD_SIGNATURE/.test(witnessOut) ? true : undefined));
    // None of the three forged roots was appended (genuine heads the audit signs meanwhile may be: it keeps ingesting).
    const forged = [1, 2, 3].map((b) => Buffer.alloc(32, b));
    expect(lines().filter((l) => forged.some((f) => Buffer.from(l.root_hash, "hex").equals(f)))).toEqual([]);
  });
});
