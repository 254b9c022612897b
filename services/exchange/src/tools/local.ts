import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { toolKafkaSecurity, type KafkaSecurity } from "@takitini/runtime";

/** The repository root (tools run from services/exchange/dist/tools). */
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * Where `npm start` issues the local stack's certificates (infra/pki/issue.sh):
 * `$TAKITINI_PKI_DIR`, else `<repo>/.takitini/pki`.
 */
export const LOCAL_PKI_DIR = process.env.TAKITINI_PKI_DIR || join(REPO_ROOT, ".takitini", "pki");

/**
 * The operator principal's TLS material for a tool that reads what only an
 * operator may (raw agency events, any delivery topic); exits 2 saying what is
 * missing when there is none.
 */
export function operatorSecurity(tool: string): KafkaSecurity {
  try {
    return toolKafkaSecurity(process.env, LOCAL_PKI_DIR, "operator", tool);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
}
