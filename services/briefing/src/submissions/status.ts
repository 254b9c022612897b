import { Agency, type SubmissionNote, type SubmissionReceipt } from "@takitini/proto";
import { regionByDistrict } from "../regions.js";
import { kindName, topicName, type ObservationTopic, type SubmissionKindName } from "./submission.js";

/**
 * What a leader sees of their own submissions: each note the briefing wrote in
 * the submission's transaction, and the exchange's receipt once the sharing
 * policy has decided it (whom it was shared with). Built from the two compacted
 * topics every instance reads; a leader sees only the notes of their own
 * account. Pure (no I/O): the tail feeds it.
 */

export type SubmissionState = "received" | "shared" | "not_shared";

export interface SubmissionStatus {
  reference: string;
  kind: SubmissionKindName;
  topic?: ObservationTopic;
  /** The region's slug. */
  region: string;
  week?: string;
  submitted_at: string;
  /** received: published, not yet decided; shared: released to `shared_with`; not_shared: decided, no agency's agreement covered it. */
  status: SubmissionState;
  shared_with: string[];
  decided_at?: string;
}

const agencyName = (a: Agency) => a.replace(/^AGENCY_/, "");

export class SubmissionIndex {
  private readonly notes = new Map<string, SubmissionNote>();
  private readonly receipts = new Map<string, SubmissionReceipt>();
  private readonly byAccount = new Map<string, Set<string>>();

  /** A note (its reference is its key: a second one for the same reference replaces it). */
  note(n: SubmissionNote): void {
    if (n.reference === "" || n.account === "") return;
    const before = this.notes.get(n.reference);
    if (before && before.account !== n.account) this.byAccount.get(before.account)?.delete(n.reference);
    this.notes.set(n.reference, n);
    const mine = this.byAccount.get(n.account) ?? new Set<string>();
    mine.add(n.reference);
    this.byAccount.set(n.account, mine);
  }

  receipt(r: SubmissionReceipt): void {
    if (r.reference !== "") this.receipts.set(r.reference, r);
  }

  get size(): number {
    return this.notes.size;
  }

  /** One of the account's submissions, or undefined — also for another account's reference, which is never told apart from none. */
  get(account: string, reference: string): SubmissionStatus | undefined {
    const n = this.notes.get(reference);
    return n && n.account === account ? this.status(n) : undefined;
  }

  /** The account's submissions, newest first. */
  forAccount(account: string, limit = 200): SubmissionStatus[] {
    const refs = [...(this.byAccount.get(account) ?? [])];
    return refs
      .map((r) => this.notes.get(r)!)
      .sort((a, b) => (b.submittedAt?.getTime() ?? 0) - (a.submittedAt?.getTime() ?? 0) || (a.reference < b.reference ? -1 : 1))
      .slice(0, limit)
      .map((n) => this.status(n));
  }

  private status(n: SubmissionNote): SubmissionStatus {
    // A receipt counts only when it is for the same subscriber's submission.
    const r = this.receipts.get(n.reference);
    const receipt = r && r.subscriberId === n.subscriberId ? r : undefined;
    const shared = receipt ? [...new Set(receipt.sharedWith.map(agencyName))].sort() : [];
    const kind = kindName(n.kind) ?? "observation";
    const topic = topicName(n.topic);
    return {
      reference: n.reference,
      kind,
      ...(topic ? { topic } : {}),
      region: regionByDistrict(n.region)?.slug ?? "",
      ...(n.briefingWeek ? { week: n.briefingWeek } : {}),
      submitted_at: (n.submittedAt ?? new Date(0)).toISOString(),
      status: receipt === undefined ? "received" : shared.length > 0 ? "shared" : "not_shared",
      shared_with: shared,
      ...(receipt?.decidedAt ? { decided_at: receipt.decidedAt.toISOString() } : {}),
    };
  }
}
