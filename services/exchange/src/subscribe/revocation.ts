// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect
// metadata API: the polyfill is evaluated first (ESM evaluates imports in order).
import "reflect-metadata";
import { createHash, webcrypto } from "node:crypto";
import { PemConverter, X509Certificate, X509Crl, KeyUsageFlags, KeyUsagesExtension } from "@peculiar/x509";

/**
 * Certificate revocation for the Subscribe door. Pure: a PEM CRL and the PEM of
 * the CA (or CAs) partners' certificates chain to go in, and out comes the list in
 * force — verified as signed by that CA — which answers whether a peer certificate
 * (its issuer and serial number) is revoked. Reading the file, polling it and
 * ending streams are the server's (crl-file.ts, server.ts).
 *
 * The CRLs are those infra/pki/revoke.sh writes (`openssl ca -gencrl`), but any
 * complete CRL of the CA will do. Refused, as a whole: anything that is not exactly
 * one PEM `X509 CRL`, a CRL not signed by a CA in the bundle (whatever name it
 * carries), a CA whose key usage excludes CRL signing, and a CRL with a critical
 * extension (delta CRLs, issuing distribution points, indirect entries): this
 * module does not interpret them, so it does not trust a CRL that needs them.
 */

/** Stable reasons a CRL is refused (logged and counted; never the file's contents). */
export const CRL_ERROR = {
  /** Not one PEM X509 CRL block, or its DER does not parse as a CRL. */
  CRL_UNREADABLE: "CRL_UNREADABLE",
  /** The CA file holds no certificate that parses. */
  CA_UNREADABLE: "CA_UNREADABLE",
  /** No CA in the bundle has the CRL's issuer name and a key that verifies its signature. */
  CRL_NOT_SIGNED_BY_CA: "CRL_NOT_SIGNED_BY_CA",
  /** A critical (CRL or entry) extension this module does not interpret. */
  CRL_UNSUPPORTED: "CRL_UNSUPPORTED",
} as const;
export type CrlErrorCode = (typeof CRL_ERROR)[keyof typeof CRL_ERROR];

export class CrlError extends Error {
  constructor(
    readonly code: CrlErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "CrlError";
  }
}

/** What identifies a certificate to a CRL: its issuer's name (DER, hex) and its serial number (hex, no leading zeros). */
export interface CertificateRef {
  issuer: string;
  serialNumber: string;
}

/** A verified CRL. */
export interface RevocationList {
  /** SHA-256 of the CRL's DER, lowercase hex: names the list in force in logs. */
  sha256: string;
  /** The issuer, as a readable distinguished name. */
  issuer: string;
  thisUpdate: Date;
  /** When the issuer promises the next CRL; absent if it gave no date. */
  nextUpdate: Date | undefined;
  /** How many certificates it lists. */
  revokedCount: number;
  /** Whether this list revokes the certificate. */
  revokes(cert: CertificateRef): boolean;
}

const hex = (b: ArrayBuffer) => Buffer.from(new Uint8Array(b)).toString("hex");
const normalSerial = (s: string) => s.toLowerCase().replace(/^0+(?=.)/, "");

/** The CRL's issuer and serial-number key of a certificate (DER or PEM). Throws if it does not parse. */
export function certificateRef(certificate: Buffer | Uint8Array | string): CertificateRef {
  const cert = new X509Certificate(typeof certificate === "string" ? certificate : new Uint8Array(certificate));
  return { issuer: hex(cert.issuerName.toArrayBuffer()), serialNumber: normalSerial(cert.serialNumber) };
}

function decodeCrl(pem: string): X509Crl {
  let blocks: ReturnType<typeof PemConverter.decodeWithHeaders>;
  try {
    blocks = PemConverter.decodeWithHeaders(pem);
  } catch {
    throw new CrlError(CRL_ERROR.CRL_UNREADABLE, "not PEM");
  }
  const crls = blocks.filter((b) => b.type === "X509 CRL");
  if (crls.length !== 1 || blocks.length !== 1) {
    throw new CrlError(CRL_ERROR.CRL_UNREADABLE, `expected exactly one PEM "X509 CRL" block, found ${crls.length} (and ${blocks.length - crls.length} of other types)`);
  }
  try {
    const crl = new X509Crl(crls[0]!.rawData);
    // Touch what is parsed lazily, so a malformed CRL fails here rather than later.
    void crl.issuerName.toArrayBuffer();
    void crl.thisUpdate;
    void crl.nextUpdate;
    void crl.entries;
    void crl.extensions;
    return crl;
  } catch {
    throw new CrlError(CRL_ERROR.CRL_UNREADABLE, "its DER is not a certificate revocation list");
  }
}

function decodeCas(pem: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  let blocks: ReturnType<typeof PemConverter.decodeWithHeaders> = [];
  try {
    blocks = PemConverter.decodeWithHeaders(pem);
  } catch {
    /* refused below */
  }
  for (const b of blocks) {
    if (b.type !== "CERTIFICATE") continue;
    try {
      out.push(new X509Certificate(b.rawData));
    } catch {
      /* a block that does not parse cannot have signed anything */
    }
  }
  if (out.length === 0) throw new CrlError(CRL_ERROR.CA_UNREADABLE, "the CA file holds no PEM certificate");
  return out;
}

function maySignCrls(ca: X509Certificate): boolean {
  const ku = ca.getExtension(KeyUsagesExtension);
  return !ku || (ku.usages & KeyUsageFlags.cRLSign) !== 0;
}

/**
 * Parse a PEM CRL and verify that a CA of `caPem` (the PEM bundle partners'
 * certificates chain to, GRPC_TLS_CA) signed it. Throws a CrlError otherwise.
 * Whether it is past its nextUpdate is the caller's question (`isStale`): a stale
 * list still revokes what it lists.
 */
export async function parseRevocationList(crlPem: string | Buffer, caPem: string | Buffer): Promise<RevocationList> {
  const crl = decodeCrl(typeof crlPem === "string" ? crlPem : crlPem.toString("latin1"));
  const cas = decodeCas(typeof caPem === "string" ? caPem : caPem.toString("latin1"));

  const critical = crl.extensions.filter((e) => e.critical).map((e) => e.type);
  if (critical.length > 0) throw new CrlError(CRL_ERROR.CRL_UNSUPPORTED, `critical CRL extension(s) ${critical.join(", ")} are not supported`);
  const entries = crl.entries;
  if (entries.some((e) => e.extensions.some((x) => x.critical))) {
    throw new CrlError(CRL_ERROR.CRL_UNSUPPORTED, "critical CRL entry extensions (indirect CRLs) are not supported");
  }

  const issuer = hex(crl.issuerName.toArrayBuffer());
  let verified = false;
  for (const ca of cas) {
    if (hex(ca.subjectName.toArrayBuffer()) !== issuer || !maySignCrls(ca)) continue;
    try {
      // The CA's key with the CRL's own signature algorithm.
      if (await crl.verify({ publicKey: ca.publicKey }, webcrypto as unknown as Parameters<X509Crl["verify"]>[1])) {
        verified = true;
        break;
      }
    } catch {
      /* a mismatched key or algorithm: try the next CA */
    }
  }
  if (!verified) throw new CrlError(CRL_ERROR.CRL_NOT_SIGNED_BY_CA, `the CRL of "${crl.issuer}" is not signed by a CA of the trusted CA file`);

  const revoked = new Set(entries.map((e) => normalSerial(e.serialNumber)));
  const der = new Uint8Array(crl.rawData);
  return {
    sha256: createHash("sha256").update(der).digest("hex"),
    issuer: crl.issuer,
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    revokedCount: revoked.size,
    revokes: (cert) => cert.issuer === issuer && revoked.has(normalSerial(cert.serialNumber)),
  };
}

/** Past its nextUpdate: the issuer promised a newer list by now. */
export function isStale(list: Pick<RevocationList, "nextUpdate">, now: Date): boolean {
  return list.nextUpdate !== undefined && now.getTime() > list.nextUpdate.getTime();
}
