import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pkiSecurityEnv, readKafkaSecurity, type KafkaSecurity } from "@takitini/runtime";
import { INFRA_DIR, REPO_ROOT } from "./paths.js";

/** The project's certificate issuer (openssl): infra/pki/issue.sh. */
export const ISSUE_SCRIPT = join(INFRA_DIR, "pki", "issue.sh");

/** The local stack's PKI: `$TAKITINI_PKI_DIR` or `<repo>/.takitini/pki` (gitignored, 0700, keys 0600). */
export function localPkiDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TAKITINI_PKI_DIR || join(REPO_ROOT, ".takitini", "pki");
}

/** The agency systems the local stack and the suites issue publisher certificates for (infra/pki/publishers). */
export function meshPublishers(): string[] {
  return readFileSync(join(INFRA_DIR, "pki", "publishers"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** Where issue.sh puts things. Pure. */
export function pkiFiles(dir: string) {
  return {
    dir,
    ca: join(dir, "ca.crt"),
    principal: (name: string) => ({ cert: join(dir, "kafka", `${name}.crt`), key: join(dir, "kafka", `${name}.key`) }),
    rogue: (name: string) => ({ ca: join(dir, "rogue", "ca.crt"), cert: join(dir, "rogue", "kafka", `${name}.crt`), key: join(dir, "rogue", "kafka", `${name}.key`) }),
    /** An agency system's publisher certificate (`police/nia`); `rogue`: the same identity from the untrusted CA. */
    publisher: (id: string, rogue = false) => ({ cert: join(dir, ...(rogue ? ["rogue"] : []), "publisher", `${id}.crt`), key: join(dir, ...(rogue ? ["rogue"] : []), "publisher", `${id}.key`) }),
    /** A service's server certificate (SAN localhost, 127.0.0.1). */
    service: (name: string) => ({ cert: join(dir, "service", `${name}.crt`), key: join(dir, "service", `${name}.key`) }),
  };
}

/**
 * Issue whatever is missing or expiring in `dir`: the CA, the partners' gRPC
 * certificates, the services' server certificates, one Kafka certificate per
 * principal (the broker's with its server names) and the agency systems'
 * publisher certificates (infra/pki/publishers). Idempotent; keeps what is good.
 */
export function ensurePki(dir: string, principals: readonly string[], opts: { rogue?: boolean; log?: (m: string) => void } = {}): string {
  const args = [ISSUE_SCRIPT, "--out", dir, "--kafka", principals.join(" "), "--publisher", meshPublishers().join(" "), ...(opts.rogue ? ["--rogue-ca"] : [])];
  const r = spawnSync("bash", args, { encoding: "utf8", env: { ...process.env, TAKITINI_PKI_DIR: dir } });
  if (r.error) throw new Error(`cannot run ${ISSUE_SCRIPT}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`issuing certificates in ${dir} failed (exit ${r.status}):\n${r.stderr.trim()}`);
  for (const line of r.stderr.trim().split("\n")) if (line.trim() !== "") opts.log?.(line.trim());
  return r.stdout.trim() || dir;
}

/** A principal's environment for a service: the three KAFKA_TLS_* files. Pure. */
export function principalEnv(dir: string, principal: string): Record<string, string> {
  return pkiSecurityEnv(dir, principal);
}

/** A principal's TLS material, read from `dir`. */
export function principalSecurity(dir: string, principal: string): KafkaSecurity {
  return readKafkaSecurity({ TAKITINI_INSECURE_KAFKA: false, ...principalEnv(dir, principal) });
}
