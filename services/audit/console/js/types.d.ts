/** Shapes of the oversight API (services/audit) as the console reads them. */

export interface RecordSummary {
  index: number;
  id: string;
  kind: string;
  occurred_at: string;
  agency: string;
  subscriber_id: string;
  event_type: string;
  region: string;
  outcome: string;
  view: string;
  legal_basis: string;
  policy_revision: string;
  event_id: string;
  action: string;
  /** Opened by the server for a record with sealed subjects (not part of the signed bytes). */
  subject_ids: string[];
  /** Refs of sealed subjects whose key has been destroyed. */
  erased_subject_refs?: string[];
}

export interface RecordPage {
  records: RecordSummary[];
  next_cursor: string | null;
}

export interface SignedHead {
  tree_size: number;
  root_hash: string;
  issued_at: string;
  key_id: string;
  public_key: string;
  signature: string;
}

export interface RecordProof {
  tree_size: number;
  root_hash: string;
  inclusion: string[];
  head: SignedHead;
}

export interface LedgerPosition {
  index: number;
  leaf_hash: string;
  appended_at: string;
  /** The leaf entry's bytes, base64: what the console hashes and decodes itself. */
  entry: string;
}

export interface RecordDetail {
  record: RecordSummary & {
    reasons: string[];
    redacted_paths: string[];
    delivery_topic: string;
    trace_id: string;
    detail: Record<string, unknown>;
  };
  ledger: LedgerPosition;
  proof: RecordProof | null;
}

/** GET /v1/records/:id/versions: a record's history, given any version's event id. */
export interface VersionDecision {
  decision_id: string;
  subscriber_id: string;
  outcome: string;
  view: string;
  legal_basis: string;
  policy_revision: string;
  decided_at: string;
  delivery_topic: string;
  delivery_id?: string;
}

export interface RecordVersion {
  event_id: string;
  version: "first" | "correction" | "withdrawal";
  supersedes_event_id?: string;
  withdrawn_event_id?: string;
  reason?: string;
  record: RecordSummary;
  decisions: VersionDecision[];
  more_decisions: boolean;
}

export interface RecordVersions {
  event_id: string;
  original_event_id: string;
  withdrawn: boolean;
  versions: RecordVersion[];
  more_versions: boolean;
}

export interface Disclosure {
  event_id: string;
  event_type: string;
  agency: string;
  subscriber_id: string;
  view: string;
  legal_basis: string;
  policy_revision: string;
  decided_at: string;
  decision_id: string;
  delivery_topic: string;
}

export interface LinkedRecordRef {
  event_id: string;
  agency: string;
  event_type: string;
}

/** A link to another agency's subject, with that subject's own disclosures (one hop). */
export interface SubjectLink {
  link_id: string;
  rule: string;
  confidence: number;
  linked_at: string;
  record: LinkedRecordRef;
  linked_record: LinkedRecordRef;
  linked_subject_id: string;
  disclosures: Disclosure[];
  denied: number;
  more: boolean;
}

export interface SubjectDisclosures {
  subject_id: string;
  disclosures: Disclosure[];
  denied: number;
  next_cursor: string | null;
  /** On the first page only. */
  links: SubjectLink[];
}

export interface StatsBucket {
  start: string;
  subscriber_id: string;
  allow: number;
  deny: number;
}

export interface DisclosureStats {
  buckets: StatsBucket[];
  totals: { subscriber_id: string; allow: number; deny: number }[];
}

export interface Anomaly {
  subscriber_id: string;
  metric: "allow" | "deny" | "access";
  window_start: string;
  count: number;
  baseline_mean: number;
  baseline_sd: number;
  ratio: number;
}

export interface ApiIssue {
  path: string;
  code: string;
  message: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; issues: ApiIssue[] };
}

/** GET /v1/reports/quarterly?format=json (services/audit src/reports/model.ts). */
export interface ReportRow {
  labels: string[];
  current: number;
  previous: number;
  change: number;
  changeRatio: number | null;
  total?: boolean;
  unit?: "count" | "nzd" | "grams";
}

export interface ReportTable {
  id: string;
  caption: string;
  description: string;
  labelHeaders: string[];
  unit: "count" | "nzd" | "grams";
  rows: ReportRow[];
}

export interface QuarterlyReportAnswer {
  report: { quarter: string; previousQuarter: string; from: string; to: string; region: string; regionName: string; tables: ReportTable[] };
  record: { report_id: string; tree_size: number; key_id: string; html_sha256: string; pdf_sha256: string };
  ledger: { index: number };
  pdf_available: boolean;
  pdf_error?: string;
}
