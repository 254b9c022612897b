import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { PeerCertificate, TLSSocket } from "node:tls";
import type { FastifyRequest } from "fastify";
import { z } from "zod";

/**
 * HTTPS of a service's door. `clientCertificates: "request"` asks each client
 * for a certificate, verified against `ca`, without refusing at the handshake
 * (requestCert, no rejectUnauthorized): a route answers a JSON 401/403 itself
 * and the refusal can be counted. Read the outcome with `clientCertificate` /
 * `verifiedClientCertificate`.
 */
export interface HttpTls {
  cert: Buffer | string;
  key: Buffer | string;
  ca?: Buffer | string;
  clientCertificates?: "none" | "request";
}

/** Node's `https` server options for that TLS. Pure. */
export function httpsServerOptions(tls: HttpTls) {
  const request = tls.clientCertificates === "request";
  if (request && tls.ca === undefined) throw new Error('clientCertificates "request" needs the CA the client certificates chain to (ca)');
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    minVersion: "TLSv1.2" as const,
    requestCert: request,
    // Never refused at the handshake: the route decides, with a JSON answer.
    rejectUnauthorized: false,
  };
}

/**
 * The door's certificate files (infra/pki/issue.sh: service/<name>.{crt,key},
 * ca.crt). Both HTTP_TLS_CERT_FILE and HTTP_TLS_KEY_FILE, or neither (plain
 * HTTP). HTTP_TLS_CA_FILE is the CA clients' certificates must chain to, for a
 * door that asks for them.
 */
export const httpTlsShape = {
  /** PEM certificate (chain) the door serves HTTPS with; with HTTP_TLS_KEY_FILE. */
  HTTP_TLS_CERT_FILE: z.string().min(1).optional(),
  /** PEM private key of HTTP_TLS_CERT_FILE. */
  HTTP_TLS_KEY_FILE: z.string().min(1).optional(),
  /** PEM of the CA clients' certificates must chain to (doors that ask for one). */
  HTTP_TLS_CA_FILE: z.string().min(1).optional(),
};

export interface HttpTlsSettings {
  HTTP_TLS_CERT_FILE?: string | undefined;
  HTTP_TLS_KEY_FILE?: string | undefined;
  HTTP_TLS_CA_FILE?: string | undefined;
}

const TLS_KEYS = ["HTTP_TLS_CERT_FILE", "HTTP_TLS_KEY_FILE", "HTTP_TLS_CA_FILE"] as const;

/** Both certificate and key, or neither; a CA only with them. Pure: the issues, by variable. */
export function httpTlsIssues(s: HttpTlsSettings): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (s.HTTP_TLS_CERT_FILE !== undefined && s.HTTP_TLS_KEY_FILE === undefined) issues.push({ path: "HTTP_TLS_KEY_FILE", message: "required with HTTP_TLS_CERT_FILE (both, or neither for plain HTTP)" });
  if (s.HTTP_TLS_KEY_FILE !== undefined && s.HTTP_TLS_CERT_FILE === undefined) issues.push({ path: "HTTP_TLS_CERT_FILE", message: "required with HTTP_TLS_KEY_FILE (both, or neither for plain HTTP)" });
  if (s.HTTP_TLS_CA_FILE !== undefined && s.HTTP_TLS_CERT_FILE === undefined && s.HTTP_TLS_KEY_FILE === undefined) {
    issues.push({ path: "HTTP_TLS_CA_FILE", message: "only with HTTP_TLS_CERT_FILE and HTTP_TLS_KEY_FILE (a CA is for a door that serves HTTPS)" });
  }
  return issues;
}

/** Thrown when a door's TLS files cannot be read or do not fit together; `path` names the variable. */
export class HttpTlsError extends Error {
  readonly code = "HTTP_TLS_INVALID";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "HttpTlsError";
  }
}

/**
 * Read the door's TLS files at start: undefined when none is set (plain HTTP).
 * Each file must exist, be readable and hold what its variable says (a PEM
 * certificate, the private key of that certificate, a CA certificate); every
 * error names the variable. `clientCertificates: "request"` needs HTTP_TLS_CA_FILE.
 */
export function readHttpTls(
  s: HttpTlsSettings,
  opts: { clientCertificates?: "none" | "request"; read?: (path: string) => Buffer } = {},
): HttpTls | undefined {
  const [issue] = httpTlsIssues(s);
  if (issue) throw new HttpTlsError(issue.path, issue.message);
  if (s.HTTP_TLS_CERT_FILE === undefined || s.HTTP_TLS_KEY_FILE === undefined) return undefined;
  const read = opts.read ?? ((p: string) => readFileSync(p));
  const load = (key: (typeof TLS_KEYS)[number]): Buffer => {
    const path = s[key]!;
    try {
      return read(path);
    } catch (err) {
      throw new HttpTlsError(key, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const cert = load("HTTP_TLS_CERT_FILE");
  const key = load("HTTP_TLS_KEY_FILE");
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new HttpTlsError("HTTP_TLS_CERT_FILE", `${s.HTTP_TLS_CERT_FILE} is not a PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new HttpTlsError("HTTP_TLS_KEY_FILE", `${s.HTTP_TLS_KEY_FILE} is not a PEM private key (an unencrypted one)`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new HttpTlsError("HTTP_TLS_KEY_FILE", `${s.HTTP_TLS_KEY_FILE} is not the key of the certificate in HTTP_TLS_CERT_FILE`);
  let ca: Buffer | undefined;
  if (s.HTTP_TLS_CA_FILE !== undefined) {
    ca = load("HTTP_TLS_CA_FILE");
    try {
      new X509Certificate(ca);
    } catch {
      throw new HttpTlsError("HTTP_TLS_CA_FILE", `${s.HTTP_TLS_CA_FILE} is not a PEM certificate`);
    }
  }
  const clientCertificates = opts.clientCertificates ?? "none";
  if (clientCertificates === "request" && ca === undefined) throw new HttpTlsError("HTTP_TLS_CA_FILE", "required: this door asks clients for certificates, checked against this CA");
  return { cert, key, ...(ca ? { ca } : {}), clientCertificates };
}

/**
 * The certificate a client presented on this request's connection, and whether
 * the TLS layer verified it against the door's CA (`authorizationError` says
 * why not). No certificate (or no TLS): `cert` undefined.
 */
export function clientCertificate(req: FastifyRequest): { cert: PeerCertificate | undefined; verified: boolean; authorizationError: string | undefined } {
  const socket = req.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== "function") return { cert: undefined, verified: false, authorizationError: undefined };
  const cert = socket.getPeerCertificate(true);
  const present = cert !== null && typeof cert === "object" && Object.keys(cert).length > 0;
  const error = socket.authorizationError;
  return {
    cert: present ? cert : undefined,
    verified: present && socket.authorized === true,
    authorizationError: error === undefined || error === null ? undefined : String((error as Error).message ?? error),
  };
}

/** The client certificate of this request's connection when the TLS layer verified it against the door's CA; else undefined. */
export function verifiedClientCertificate(req: FastifyRequest): PeerCertificate | undefined {
  const { cert, verified } = clientCertificate(req);
  return verified ? cert : undefined;
}
