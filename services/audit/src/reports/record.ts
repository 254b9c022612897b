/**
 * A rendered report, signed and recorded: the `report` ledger leaf
 * (ReportRecord) names the quarter, the region, the ledger it was computed from
 * and the SHA-256 of the HTML, the PDF and each table's CSV, with the ledger
 * key's Ed25519 signature over them. Anyone holding the page, the PDF or a CSV
 * and the ledger's public key can check it (verifyReport). Pure but for the
 * signature.
 */
import { createHash, sign, verify, type KeyObject } from "node:crypto";
import { ReportRecord } from "@takitini/proto";
import type { Appendable } from "../oversight/records.js";

export const REPORT_SIGNATURE_CONTEXT = "takitini-quarterly-report-v1";

export const sha256 = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export interface ReportSigner {
  keyId: string;
  publicKey: KeyObject;
  sign(message: Buffer): string;
}

/** The ledger's key as a report signer (the key that signs tree heads). */
export function reportSigner(privateKey: KeyObject, publicKey: KeyObject, keyId: Buffer): ReportSigner {
  return { keyId: keyId.toString("hex"), publicKey, sign: (message) => sign(null, message, privateKey).toString("base64") };
}

/** The bytes signed: the context, then each field on its own line, the CSVs by table id in order. */
export function reportMessage(r: Omit<ReportRecord, "signature">): Buffer {
  const lines = [
    REPORT_SIGNATURE_CONTEXT,
    `id=${r.id}`,
    `quarter=${r.quarter}`,
    `region=${r.region}`,
    `generated_at=${r.generatedAt?.toISOString() ?? ""}`,
    `tree_size=${r.treeSize}`,
    `root_hash=${r.rootHash}`,
    `html_sha256=${r.htmlSha256}`,
    `pdf_sha256=${r.pdfSha256}`,
    ...[...r.csv].sort((a, b) => a.table.localeCompare(b.table)).map((c) => `csv.${c.table}=${c.sha256}`),
    `key_id=${r.keyId}`,
  ];
  return Buffer.from(lines.join("\n") + "\n", "utf8");
}

export interface Renderings {
  html: string;
  pdf: Buffer | null;
  csv: ReadonlyMap<string, string>;
}

/**
 * The signed record of a rendering. Its id names the quarter, region and the
 * hash of its renderings, so the same rendering is one leaf and a new one
 * (figures changed, or a new PDF) another.
 */
export function signReport(
  o: { quarter: string; region: string; generatedAt: Date; treeSize: number; rootHash: string },
  renderings: Renderings,
  signer: ReportSigner,
): ReportRecord {
  const htmlSha256 = sha256(renderings.html);
  const pdfSha256 = renderings.pdf ? sha256(renderings.pdf) : "";
  const csv = [...renderings.csv.entries()].map(([table, text]) => ({ table, sha256: sha256(text) })).sort((a, b) => a.table.localeCompare(b.table));
  const digest = sha256([htmlSha256, pdfSha256, ...csv.map((c) => `${c.table}:${c.sha256}`)].join("\n"));
  const unsigned = { id: `${o.quarter}:${o.region}:${digest.slice(0, 32)}`, quarter: o.quarter, region: o.region, generatedAt: o.generatedAt, treeSize: String(o.treeSize), rootHash: o.rootHash, htmlSha256, pdfSha256, csv, keyId: signer.keyId };
  return ReportRecord.fromPartial({ ...unsigned, signature: signer.sign(reportMessage(unsigned)) });
}

/** Whether a report record's signature holds under a public key. */
export function verifyReport(r: ReportRecord, publicKey: KeyObject): boolean {
  const { signature, ...rest } = r;
  try {
    return verify(null, reportMessage(rest), publicKey, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

/** The record's API form. */
export function reportToApi(r: ReportRecord): Record<string, unknown> {
  return {
    report_id: r.id,
    quarter: r.quarter,
    region: r.region,
    generated_at: r.generatedAt?.toISOString() ?? null,
    tree_size: Number(r.treeSize),
    root_hash: r.rootHash,
    html_sha256: r.htmlSha256,
    pdf_sha256: r.pdfSha256,
    csv: Object.fromEntries(r.csv.map((c) => [c.table, c.sha256])),
    key_id: r.keyId,
    signature: r.signature,
  };
}

/** The ledger leaf of a report (kind "report") and its index row. */
export function fromReport(r: ReportRecord, at: Date): Appendable {
  const recordId = `report:${r.id}`;
  const doc = reportToApi(r);
  return {
    ledger: { recordId, kind: "report", payload: ReportRecord.encode(r).finish() },
    index: {
      recordId,
      kind: "report",
      occurredAt: r.generatedAt ?? at,
      agency: "",
      subscriberId: "",
      eventType: "",
      region: r.region === "national" ? "" : r.region,
      outcome: "",
      view: "",
      legalBasis: "",
      policyRevision: "",
      eventId: "",
      action: `quarterly ${r.quarter}`,
      subjectIds: [],
      doc,
    },
  };
}
