/**
 * The public keys an oversight tool trusts (audit:verify --trusted-key, audit:witness
 * --key): PEM files given on the command line, never keys the store offers.
 * Several are the normal case after a key rotation: the old key's heads stay verifiable.
 */
import { readFileSync } from "node:fs";
import { trustKeys, type TrustedKeys } from "../verify/head.js";

/** Read and trust `files`; `fail` makes the tool's usage error from a message. */
export function loadTrustedKeys(files: readonly string[], fail: (message: string) => Error): { trusted: TrustedKeys; ids: string[] } {
  const pems = files.map((f) => {
    try {
      return readFileSync(f);
    } catch (err) {
      throw fail(`cannot read trusted key ${f}: ${(err as Error).message}`);
    }
  });
  let trusted: TrustedKeys;
  try {
    trusted = trustKeys(pems);
  } catch (err) {
    throw fail(`a trusted key is not an Ed25519 public key in PEM: ${(err as Error).message}`);
  }
  return { trusted, ids: [...trusted.keys()] };
}
