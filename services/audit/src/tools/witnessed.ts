/**
 * `audit:verify --witness <file>`: the heads an oversight body's witness kept
 * (tools/witness.ts), as heads the ledger must still hold. Each must be signed
 * by a trusted key — a line that is not is a witness file that cannot be relied
 * on (wrong keys given, or the file altered), and the check is not made.
 */
import { readFileSync } from "node:fs";
import { checkHeadSignature, type TrustedKeys } from "../verify/head.js";
import type { KnownHead } from "../verify/ledger.js";
import { parseWitnessFile } from "../verify/witness.js";

export function loadWitnessedHeads(files: readonly string[], trusted: TrustedKeys, fail: (message: string) => Error): KnownHead[] {
  const out: KnownHead[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw fail(`cannot read witness file ${file}: ${(err as Error).message}`);
    }
    let heads;
    try {
      heads = parseWitnessFile(text);
    } catch (err) {
      throw fail(`witness file ${file}: ${(err as Error).message}`);
    }
    heads.forEach((h, i) => {
      const verdict = checkHeadSignature(h, trusted);
      if (verdict !== "ok") {
        throw fail(`witness file ${file} line ${i + 1}: the head of size ${h.treeSize} is not validly signed by a trusted key (${verdict}); pass the keys the witness trusted`);
      }
      out.push({ treeSize: h.treeSize, rootHash: h.rootHash });
    });
  }
  return out;
}
