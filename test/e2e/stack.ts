import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash, randomUUID, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditRoles, freePort as infraFreePort } from "@takitini/infra";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { fileURLToPath } from "node:url";
import { createAccount } from "@takitini/runtime";
import { inject } from "vitest";
import { principalEnv } from "./kafka.js";
import { adapterDoorEnv } from "./publishers.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface RunningService {
  name: string;
  /** The service's door (HTTPS for the audit, the briefing and the adapters: `fetch` trusts the suite's CA, see trustSuiteCa). */
  url: string;
  /** Its admin listener (plain HTTP): /healthz, /readyz, /metrics, /docs. */
  adminUrl: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A free port for a test's server: infra's freePort (below the kernel's ephemeral range). */
export const freePort = (): Promise<number> => infraFreePort();

/** Services whose door is HTTPS with their server certificate from the suite's PKI: the people's pages. */
export const TLS_SERVICES: ReadonlySet<string> = new Set(["audit", "briefing"]);

let pkiDir: string | undefined;
/**
 * The suite's PKI: the broker's (provideKafka has issue.sh fill it with the
 * services' server certificates too), or a temporary one issued here when the
 * broker is plaintext.
 */
export function servicePki(): string {
  if (!pkiDir) {
    const given = inject("kafkaPkiDir");
    if (given !== "") pkiDir = given;
    else {
      pkiDir = join(mkdtempSync(join(tmpdir(), "takitini-e2e-service-pki-")), "pki");
      execFileSync("bash", [`${ROOT}infra/pki/issue.sh`, "--out", pkiDir], { stdio: "ignore" });
    }
  }
  return pkiDir;
}

/** A service's door certificate and key (SAN localhost, 127.0.0.1), as HTTP_TLS_CERT_FILE/KEY_FILE. */
export function serviceTlsEnv(name: string): Record<string, string> {
  return { HTTP_TLS_CERT_FILE: join(servicePki(), "service", `${name}.crt`), HTTP_TLS_KEY_FILE: join(servicePki(), "service", `${name}.key`) };
}

let trusted = false;
/**
 * This test process trusts the suite's CA besides the usual roots, so `fetch`
 * to an HTTPS door verifies its certificate (and its name) against that CA —
 * verification is never turned off.
 */
export function trustSuiteCa(): void {
  if (trusted) return;
  setDefaultCACertificates([...getCACertificates("default"), readFileSync(join(servicePki(), "ca.crt"), "utf8")]);
  trusted = true;
}

/** The SHA-256 of a service certificate's public key (base64): what Chromium is told to accept (browser.ts). */
export function serviceSpki(name: string): string {
  const cert = new X509Certificate(readFileSync(join(servicePki(), "service", `${name}.crt`)));
  return createHash("sha256").update(cert.publicKey.export({ type: "spki", format: "der" })).digest("base64");
}

/**
 * The exchange's gRPC DeliveryService needs mutual-TLS files or an explicit
 * plaintext mode: unless a test passes its own (test/e2e/subscribe.test.ts), an
 * exchange binds a free port in plaintext mode, where it refuses every Subscribe.
 */
function grpcDefaults(name: string): Record<string, string> {
  // The TAXII door off (TAXII_PORT 0), so that exchanges a test runs with TLS never contend for its port; test/e2e/taxii.test.ts gives it one.
  if (name.startsWith("exchange")) return { GRPC_PORT: "0", GRPC_INSECURE: "true", TAXII_PORT: "0" };
  // The audit's oversight gRPC door on any free port, never a running stack's 9083.
  if (name === "audit") return { GRPC_PORT: "0" };
  // An adapter's gRPC door on any free port, not its fixed default (police 9081, …): two parts of
  // the suite run at once (run-suites.sh), and each may have a police adapter up. A test that
  // calls the door gives it a port (GRPC_PORT in `env`).
  if (name.endsWith("-adapter")) return { GRPC_PORT: "0" };
  return {};
}

/**
 * The adapters' publish deadline in the suite: 30 s, not the 5 s default. On a
 * loaded two-core CI machine a transaction can take longer than 5 s, and a test
 * of what was published is not a test of the deadline; the tests of the deadline
 * (adapters-scale, the frozen broker) set PUBLISH_TIMEOUT_MS themselves.
 */
const SUITE_PUBLISH_DEADLINE = { PUBLISH_TIMEOUT_MS: "30000" };

/**
 * Start a service from its build output as a real process and wait for /readyz
 * on its admin listener (ADMIN_PORT, a free port). The audit and the briefing
 * serve their doors over HTTPS (TLS_SERVICES) with the suite's certificates.
 * It connects to Kafka as its own principal (the service's name: `exchange`,
 * `police-adapter`, …) unless `env` says otherwise.
 */
export async function startService(name: string, env: Record<string, string>, opts: { waitReady?: boolean } = {}): Promise<RunningService> {
  const port = await freePort();
  const adminPort = await freePort();
  const adapter = name.endsWith("-adapter");
  const tls = TLS_SERVICES.has(name);
  if (tls) trustSuiteCa();
  const child = spawn(process.execPath, [`${ROOT}services/${name}/dist/main.js`], {
    // Adapters: their doors' certificates and the run's event-id key (publishers.ts).
    env: { ...process.env, ...principalEnv(name), ...grpcDefaults(name), ...(adapter ? { ...adapterDoorEnv(name), ...SUITE_PUBLISH_DEADLINE } : {}), ...(tls ? serviceTlsEnv(name) : {}), ...env, PORT: String(port), ADMIN_PORT: String(adminPort), HOST: "127.0.0.1", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Never outlive the test run, even when it is killed mid-way.
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  child.once("exit", () => process.removeListener("exit", reap));
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // The adapters' doors are HTTPS (mutual TLS): their probes, metrics and docs are on the admin listener.
  const url = `${adapter || tls ? "https" : "http"}://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  // The admin listener; a service not yet on two listeners answers its probes on its door.
  const probe = (path: string) => fetch(`${adminUrl}${path}`).catch(() => fetch(`${url}${path}`));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (opts.waitReady === false) {
      // Only listening: for services that cannot become ready (a principal without its grants).
      try {
        if ((await probe("/healthz")).ok) break;
      } catch {
        /* not listening yet */
      }
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out}`);
      if (Date.now() > deadline) throw new Error(`${name} not listening in time:\n${out}`);
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await probe("/readyz");
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} not ready in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    name,
    url,
    adminUrl,
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** The oversight credential the e2e audit services accept. */
/** A named oversight account (scrypt-hashed in its accounts file) and its token. */
export const { token: OVERSIGHT_TOKEN, entry: OVERSIGHT_ACCOUNT } = await createAccount({ name: "e2e oversight officer", role: "reviewer", days: 1 });
export const oversightHeaders = { authorization: `Bearer ${OVERSIGHT_TOKEN}` };
let accountsFile: string | undefined;

/**
 * An audit service's database (its own schema per run), credential and a quick head schedule.
 * `databaseUrl` is the suite's superuser: the audit runs under least privilege, as the
 * ledger's service role (insert and select only), its owner role migrating at start.
 */
export function auditEnv(databaseUrl: string, run: string): Record<string, string> {
  const roles = auditRoles(databaseUrl);
  if (!accountsFile) {
    accountsFile = join(mkdtempSync(join(tmpdir(), "takitini-e2e-oversight-")), "accounts.json");
    writeFileSync(accountsFile, JSON.stringify({ accounts: [OVERSIGHT_ACCOUNT] }), { mode: 0o600 });
  }
  return {
    DATABASE_URL: roles.serviceUrl,
    AUDIT_MIGRATION_DATABASE_URL: roles.ownerUrl,
    DATABASE_SCHEMA: `e2e_${run.replace(/[^a-z0-9]/g, "_")}`,
    AUDIT_OVERSIGHT_ACCOUNTS_FILE: accountsFile,
    HEAD_INTERVAL_MS: "1000",
    // A test stack: the audit may sign with a key generated per process (production refuses to start without one).
    TAKITINI_ENV: "development",
  };
}

/** The mesh's three services on their own consumer groups and ledger schema, so runs never share state. */
export async function startMesh(brokers: string[], databaseUrl: string) {
  const run = randomUUID().slice(0, 8);
  const common = { KAFKA_BROKERS: brokers.join(",") };
  const started: RunningService[] = [];
  // Consumer groups under each principal's own prefix (the ACLs allow no other).
  const start = async (name: string, env: Record<string, string>) => {
    const svc = await startService(name, env);
    started.push(svc);
    return svc;
  };
  try {
    const audit = await start("audit", { ...common, ...auditEnv(databaseUrl, run), GROUP_ID: `takitini-audit-e2e-${run}` });
    const exchange = await start("exchange", { ...common, GROUP_ID: `takitini-exchange-e2e-${run}`, INSTANCE_ID: `e2e-${run}` });
    // Refusals without a certificate summarised every second (the window), so tests see them soon.
    const adapter = await start("police-adapter", { ...common, REFUSAL_WINDOW_MS: "1000" });
    return { run, audit, exchange, adapter, all: [adapter, exchange, audit] };
  } catch (err) {
    // Leave nothing running when the mesh cannot come up whole.
    await Promise.all(started.map((s) => s.stop("SIGKILL")));
    throw err;
  }
}
