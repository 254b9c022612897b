import { createPrivateKey, X509Certificate } from "node:crypto";
import { certificateSha256, takitiniIdentity, type PeerCertificateLike } from "@takitini/runtime";
import type { AgencyCode } from "./kind.js";

/**
 * Who is publishing. Pure: a door hands in the verified client certificate (as
 * Node's TLS layer reports it) and the adapter's agency; nothing here touches
 * the network. A publisher is an agency system, named by exactly one URI SAN
 * `spiffe://takitini.local/publisher/<agency>/<system>` in a certificate from the
 * mesh's CA (infra/pki/issue.sh --publisher).
 */

const PUBLISHER_URI = /^spiffe:\/\/takitini\.local\/publisher\/(police|customs|mbie|msd)\/([a-z0-9][a-z0-9-]{0,62})$/;

/** Stable codes of a publisher the doors refuse, and their HTTP statuses. */
export const PUBLISHER_REFUSALS = {
  /** No client certificate, or one the mesh's CA did not sign (or expired): who is asking is unknown. */
  PUBLISHER_CERTIFICATE_REQUIRED: 401,
  /** A verified certificate that names no publisher (a partner's, a service's, two identities). */
  NOT_A_PUBLISHER: 403,
  /** A publisher certificate of another agency's system. */
  PUBLISHER_NOT_FOR_AGENCY: 403,
} as const;
export type PublisherRefusal = keyof typeof PUBLISHER_REFUSALS;

export interface Publisher {
  agency: string;
  /** The agency's system, e.g. `nia`. */
  system: string;
  /** spiffe://takitini.local/publisher/<agency>/<system>: what the event envelope and the ledger carry. */
  uri: string;
  certificateSha256: string;
}

export type PublisherResult = { ok: true; publisher: Publisher } | { ok: false; code: PublisherRefusal; message: string; identity: string; certificateSha256: string };

/** The publisher's id the adapter stamps on its own synthetic demo stream (never a certificate's). */
export function demoPublisher(agency: AgencyCode): Publisher {
  const a = agency.toLowerCase();
  return { agency: a, system: "synthetic-demo", uri: `spiffe://takitini.local/publisher/${a}/synthetic-demo`, certificateSha256: "" };
}

/**
 * May this peer publish to `agency`'s adapter? `verified` is whether the TLS
 * layer verified the certificate against the mesh's CA (an unverified one is
 * treated as none: its claims are worthless).
 */
export function identifyPublisher(cert: PeerCertificateLike | undefined, verified: boolean, agency: AgencyCode): PublisherResult {
  if (!verified || !cert?.raw || cert.raw.length === 0) {
    return { ok: false, code: "PUBLISHER_CERTIFICATE_REQUIRED", message: "present a client certificate for your agency system, issued by the mesh's CA", identity: "", certificateSha256: "" };
  }
  const sha = certificateSha256(cert.raw);
  const identity = takitiniIdentity(cert);
  const m = identity === undefined ? null : PUBLISHER_URI.exec(identity);
  if (!m) return { ok: false, code: "NOT_A_PUBLISHER", message: "the client certificate names no publishing system (spiffe://takitini.local/publisher/<agency>/<system>)", identity: identity ?? "", certificateSha256: sha };
  if (m[1] !== agency.toLowerCase()) {
    return { ok: false, code: "PUBLISHER_NOT_FOR_AGENCY", message: `a ${m[1]} system may not publish as ${agency.toLowerCase()}`, identity: identity!, certificateSha256: sha };
  }
  return { ok: true, publisher: { agency: m[1]!, system: m[2]!, uri: identity!, certificateSha256: sha } };
}

/**
 * The publisher a certificate and key held by a local tool (the bulk import)
 * name — the same checks the TLS layer makes at the doors: signed by the mesh's
 * CA, within its validity, the key its own (proof of possession), and then the
 * same identity rules. Pure but for the clock.
 */
export function publisherFromFiles(certPem: string | Buffer, keyPem: string | Buffer, caPem: string | Buffer, agency: AgencyCode, now = new Date()): PublisherResult {
  const refuse = (message: string): PublisherResult => ({ ok: false, code: "PUBLISHER_CERTIFICATE_REQUIRED", message, identity: "", certificateSha256: "" });
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    ca = new X509Certificate(caPem);
  } catch {
    return refuse("the certificate or the CA certificate is not a PEM X.509 certificate");
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return refuse("the certificate was not issued by the mesh's CA");
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return refuse("the certificate is not valid now (expired or not yet valid)");
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return refuse("the key does not belong to the certificate");
  } catch {
    return refuse("the key is not a PEM private key");
  }
  return identifyPublisher({ raw: cert.raw, subjectaltname: cert.subjectAltName ?? "" }, true, agency);
}
