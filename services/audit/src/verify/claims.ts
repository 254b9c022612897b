/**
 * Proof claims as they arrive from outside (JSON with hex strings): validated
 * field by field, then checked. Anything malformed is rejected, never thrown.
 */
import { fromHex } from "./hex.js";
import { verifyConsistency, verifyInclusion, type VerifyFailure } from "./proofs.js";

export type ClaimResult = { ok: true } | { ok: false; reason: VerifyFailure | "malformed" };

export interface InclusionClaim {
  leaf_hash: string;
  index: number;
  size: number;
  proof: string[];
  root: string;
}

export interface ConsistencyClaim {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[];
}

const MALFORMED: ClaimResult = { ok: false, reason: "malformed" };

function size(v: unknown): number | undefined {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

function hashes(v: unknown): Buffer[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: Buffer[] = [];
  for (const h of v) {
    const b = fromHex(h);
    if (!b) return undefined;
    out.push(b);
  }
  return out;
}

export function verifyInclusionClaim(claim: unknown): ClaimResult {
  if (typeof claim !== "object" || claim === null) return MALFORMED;
  const c = claim as Record<string, unknown>;
  const leaf = fromHex(c.leaf_hash);
  const root = fromHex(c.root);
  const index = size(c.index);
  const treeSize = size(c.size);
  const proof = hashes(c.proof);
  if (!leaf || !root || index === undefined || treeSize === undefined || !proof) return MALFORMED;
  return verifyInclusion(leaf, index, treeSize, proof, root);
}

export function verifyConsistencyClaim(claim: unknown): ClaimResult {
  if (typeof claim !== "object" || claim === null) return MALFORMED;
  const c = claim as Record<string, unknown>;
  const root1 = fromHex(c.root1);
  const root2 = fromHex(c.root2);
  const size1 = size(c.size1);
  const size2 = size(c.size2);
  const proof = hashes(c.proof);
  if (!root1 || !root2 || size1 === undefined || size2 === undefined || !proof) return MALFORMED;
  return verifyConsistency(size1, size2, root1, root2, proof);
}
