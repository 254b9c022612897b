/**
 * Witnessed tree heads: the line format of the oversight body's witness file
 * (and of the heads topic's messages), and the witness's rule for a new head.
 * Pure; independent of the writer like the rest of the verifier.
 *
 * One head per line, JSON:
 *
 *   {"tree_size":41,"timestamp_ms":1796473214090,"timestamp":"2026-12-05T12:20:14.090Z",
 *    "root_hash":"<64 hex>","key_id":"<64 hex>","signature":"<base64 of 64 bytes>"}
 *
 * (`witnessed_at`, ISO time the witness appended it, is added by the witness;
 * `timestamp` is the ISO form of `timestamp_ms`, for people reading the file.)
 */
import { checkHeadSignature, type HeadRecord, type HeadSignatureVerdict, type TrustedKeys } from "./head.js";

export interface WitnessedHead extends HeadRecord {
  /** When the witness appended it (ms since the epoch); absent on the topic. */
  witnessedAtMs?: number;
}

/** The JSON line of a head (no trailing newline). */
export function formatHeadLine(h: HeadRecord, witnessedAtMs?: number): string {
  return JSON.stringify({
    tree_size: h.treeSize,
    timestamp_ms: h.timestampMs,
    timestamp: new Date(h.timestampMs).toISOString(),
    root_hash: Buffer.from(h.rootHash).toString("hex"),
    key_id: Buffer.from(h.keyId).toString("hex"),
    signature: Buffer.from(h.signature).toString("base64"),
    ...(witnessedAtMs === undefined ? {} : { witnessed_at: new Date(witnessedAtMs).toISOString() }),
  });
}

export class HeadLineError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "HeadLineError";
  }
}

const HEX32 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parse one line; throws HeadLineError naming the field. The signature is not checked here. */
export function parseHeadLine(line: string): WitnessedHead {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    throw new HeadLineError("(line)", "not JSON");
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw new HeadLineError("(line)", "not a JSON object");
  const v = o as Record<string, unknown>;
  const int = (k: string) => {
    const n = v[k];
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw new HeadLineError(k, "expected a whole number ≥ 0");
    return n;
  };
  const hex = (k: string) => {
    const s = v[k];
    if (typeof s !== "string" || !HEX32.test(s)) throw new HeadLineError(k, "expected 64 lower-case hex digits");
    return Buffer.from(s, "hex");
  };
  const treeSize = int("tree_size");
  const timestampMs = int("timestamp_ms");
  const rootHash = hex("root_hash");
  const keyId = hex("key_id");
  const sig = v.signature;
  if (typeof sig !== "string" || !BASE64.test(sig) || Buffer.from(sig, "base64").length !== 64) throw new HeadLineError("signature", "expected the base64 of a 64-byte Ed25519 signature");
  const head: WitnessedHead = { treeSize, timestampMs, rootHash, keyId, signature: Buffer.from(sig, "base64") };
  if (v.witnessed_at !== undefined) {
    const t = typeof v.witnessed_at === "string" ? Date.parse(v.witnessed_at) : Number.NaN;
    if (Number.isNaN(t)) throw new HeadLineError("witnessed_at", "expected an ISO time");
    head.witnessedAtMs = t;
  }
  return head;
}

/** Parse a whole witness file; throws naming the line number (1-based) and field. An empty file holds no heads. */
export function parseWitnessFile(text: string): WitnessedHead[] {
  if (text.length > 0 && !text.endsWith("\n")) throw new HeadLineError(`line ${text.split("\n").length}`, "the last line is not terminated (a torn write?)");
  const out: WitnessedHead[] = [];
  text.split("\n").forEach((line, i) => {
    if (line === "") return;
    try {
      out.push(parseHeadLine(line));
    } catch (err) {
      throw new HeadLineError(`line ${i + 1} ${(err as HeadLineError).field ?? ""}`.trim(), (err as Error).message);
    }
  });
  return out;
}

/** What the witness does with a head it is offered. */
export type WitnessVerdict =
  /** A signed head of a larger tree than any witnessed (or the first): append it. */
  | { action: "append" }
  /** The same tree (size and root) as the latest witnessed: nothing new. */
  | { action: "duplicate" }
  /** An older head of a smaller tree, signed no later than the latest witnessed (a replay, a slow publisher): skip. */
  | { action: "stale" }
  /** Evidence of tampering or a forged head: not appended; raised. */
  | { action: "reject"; code: "HEAD_SIGNATURE" | "HEAD_FORK" | "HEAD_ROLLBACK"; detail: string };

/**
 * The witness's rule. A head must be signed by a trusted key; then, against
 * the latest witnessed head: a larger tree is appended; the same size must
 * have the same root (else a fork); a smaller tree signed *later* than the
 * latest witnessed head means the ledger went backwards (a rollback), while
 * one signed earlier is only an old head seen again.
 */
export function judgeHead(latest: HeadRecord | undefined, head: HeadRecord, trusted: TrustedKeys): WitnessVerdict {
  const verdict: HeadSignatureVerdict = checkHeadSignature(head, trusted);
  if (verdict !== "ok") return { action: "reject", code: "HEAD_SIGNATURE", detail: `head of size ${head.treeSize} signed at ${head.timestampMs}: ${verdict}` };
  if (latest === undefined || head.treeSize > latest.treeSize) return { action: "append" };
  if (head.treeSize === latest.treeSize) {
    if (Buffer.compare(Buffer.from(head.rootHash), Buffer.from(latest.rootHash)) === 0) return { action: "duplicate" };
    return { action: "reject", code: "HEAD_FORK", detail: `two validly signed heads of size ${head.treeSize} with different roots: the ledger was rewritten` };
  }
  if (head.timestampMs > latest.timestampMs) {
    return {
      action: "reject",
      code: "HEAD_ROLLBACK",
      detail: `a head signed at ${head.timestampMs} covers ${head.treeSize} leaves, fewer than the ${latest.treeSize} of the head witnessed at ${latest.timestampMs}: the ledger went backwards`,
    };
  }
  return { action: "stale" };
}

/** The latest head of a witness file (the largest tree; heads are appended in growing size). */
export function latestWitnessed(heads: readonly HeadRecord[]): HeadRecord | undefined {
  return heads.reduce<HeadRecord | undefined>((a, h) => (a === undefined || h.treeSize > a.treeSize ? h : a), undefined);
}
