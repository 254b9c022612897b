#!/usr/bin/env node
/**
 * npm run audit:key -- --public [<private-key.pem>]
 * npm run audit:key -- --generate <private-key.pem>
 *
 * The ledger's head-signing key (Ed25519). `--public` prints the public key
 * (SPKI PEM) of the private key in the file — or, without a file, of the one
 * the audit service is given (LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE) —
 * and its key id on stderr: the public key is what the oversight body passes
 * to `npm run audit:verify -- --trusted-key`. `--generate` writes a new private
 * key (mode 0600; never overwrites) and prints its public key.
 *
 * The same with openssl:  openssl genpkey -algorithm ed25519 -out key.pem
 *                         openssl pkey -in key.pem -pubout
 *
 * Exit codes: 0 done; 2 usage or key error.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createSigner } from "../merkle/head.js";

const USAGE = `usage: npm run audit:key -- --public [<private-key.pem>]    print the public key (default: LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE)
       npm run audit:key -- --generate <private-key.pem>  write a new Ed25519 signing key (0600) and print its public key`;

class UsageError extends Error {}

function privateKeyFrom(file: string | undefined, env: NodeJS.ProcessEnv): { key: KeyObject; from: string } {
  const read = (pem: string | Buffer, from: string) => {
    try {
      return { key: createPrivateKey(pem), from };
    } catch (err) {
      throw new UsageError(`${from} does not hold a private key in PEM: ${(err as Error).message}`);
    }
  };
  const load = (path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
    }
  };
  if (file) return read(load(file), file);
  if (env.LEDGER_SIGNING_KEY) return read(env.LEDGER_SIGNING_KEY, "LEDGER_SIGNING_KEY");
  if (env.LEDGER_SIGNING_KEY_FILE) return read(load(env.LEDGER_SIGNING_KEY_FILE), env.LEDGER_SIGNING_KEY_FILE);
  throw new UsageError("give a private key file, or set LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE as for the audit service");
}

function printPublic(key: KeyObject, from: string): void {
  let signer;
  try {
    signer = createSigner(key);
  } catch (err) {
    throw new UsageError(`${from}: ${(err as Error).message}`);
  }
  process.stdout.write(signer.publicKeyPem);
  process.stderr.write(`key id ${signer.keyId.toString("hex")} (SHA-256 of the public key's SPKI DER)\n`);
}

function main(argv: string[], env: NodeJS.ProcessEnv): number {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: { public: { type: "boolean", default: false }, generate: { type: "string" }, help: { type: "boolean", short: "h", default: false } },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values: v, positionals } = parsed;
    if (v.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (v.generate !== undefined) {
      if (v.public || positionals.length > 0) throw new UsageError("--generate takes one file and nothing else");
      const { privateKey } = generateKeyPairSync("ed25519");
      try {
        writeFileSync(v.generate, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
      } catch (err) {
        throw new UsageError(`cannot create ${v.generate}: ${(err as Error).message}`);
      }
      process.stderr.write(`wrote a new Ed25519 signing key to ${v.generate}; give it to the audit service as LEDGER_SIGNING_KEY_FILE\n`);
      printPublic(privateKey, v.generate);
      return 0;
    }
    if (!v.public || positionals.length > 1) throw new UsageError("expected --public [<private-key.pem>] or --generate <file>");
    const { key, from } = privateKeyFrom(positionals[0], env);
    printPublic(key, from);
    return 0;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`audit:key: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2), process.env);
