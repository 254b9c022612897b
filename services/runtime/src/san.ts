/**
 * Reading the identities in a peer certificate, as Node's TLS layer reports it.
 * Pure; shared by every mutual-TLS door (the exchange's Subscribe, the adapters'
 * publisher doors).
 */
import { createHash } from "node:crypto";

/** The parts of a peer certificate a door needs (a subset of Node's tls.PeerCertificate). */
export interface PeerCertificateLike {
  /** DER bytes. */
  raw?: Buffer;
  /** Node's rendering, e.g. `URI:spiffe://takitini.local/subscriber/customs, DNS:localhost`. */
  subjectaltname?: string;
}

/** SHA-256 of a certificate's DER, lowercase hex. */
export function certificateSha256(der: Buffer): string {
  return createHash("sha256").update(der).digest("hex");
}

const ANY_TAKITINI_URI = /^spiffe:\/\/takitini\.local\//;

/**
 * The one takitini SPIFFE id a certificate names, or undefined when it names
 * none, more than one, or one Node had to quote (a crafted value).
 */
export function takitiniIdentity(cert: PeerCertificateLike): string | undefined {
  let entries: ReturnType<typeof parseSubjectAltName>;
  try {
    entries = parseSubjectAltName(cert.subjectaltname ?? "");
  } catch {
    return undefined;
  }
  const ours = entries.filter((e) => e.type === "URI" && ANY_TAKITINI_URI.test(e.value));
  if (ours.length !== 1 || ours[0]!.quoted) return undefined;
  return ours[0]!.value;
}

/**
 * Split Node's subjectaltname string into [type, value] pairs. Node separates
 * entries with ", " and renders a value holding special characters as a JSON
 * string (`URI:"…"`); such quoted values are kept apart so a crafted value can
 * never be read as two entries.
 */
export function parseSubjectAltName(san: string): { type: string; value: string; quoted: boolean }[] {
  const out: { type: string; value: string; quoted: boolean }[] = [];
  let i = 0;
  while (i < san.length) {
    const colon = san.indexOf(":", i);
    if (colon < 0) throw new Error("malformed subjectAltName");
    const type = san.slice(i, colon).trim();
    let j = colon + 1;
    let value: string;
    let quoted = false;
    if (san[j] === '"') {
      // A JSON string: find its closing quote, honouring escapes.
      let k = j + 1;
      while (k < san.length && san[k] !== '"') k += san[k] === "\\" ? 2 : 1;
      if (k >= san.length) throw new Error("malformed subjectAltName");
      value = JSON.parse(san.slice(j, k + 1)) as string;
      quoted = true;
      j = k + 1;
    } else {
      const end = san.indexOf(", ", j);
      value = san.slice(j, end < 0 ? san.length : end);
      j = end < 0 ? san.length : end;
    }
    out.push({ type, value, quoted });
    if (j < san.length) {
      if (san.slice(j, j + 2) !== ", ") throw new Error("malformed subjectAltName");
      j += 2;
    }
    i = j;
  }
  return out;
}

