import { Agency, SubmissionKind, SubmissionNote, SubmissionReceipt, SubmissionTopic } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { SubmissionIndex } from "./status.js";

const note = (reference: string, account: string, at: string, extra: Partial<SubmissionNote> = {}) =>
  SubmissionNote.fromPartial({ reference, account, subscriberId: "community-eastern", kind: SubmissionKind.SUBMISSION_KIND_OBSERVATION, topic: SubmissionTopic.SUBMISSION_TOPIC_EXPLOITATION, submittedAt: new Date(at), region: "POLICE_DISTRICT_EASTERN", ...extra });

describe("a leader's submissions and their status", () => {
  it("are received until the exchange's receipt says whom each was shared with", () => {
    const index = new SubmissionIndex();
    index.note(note("TK-0000-0001", "aroha", "2026-11-20T01:00:00Z"));
    index.note(note("TK-0000-0002", "aroha", "2026-11-21T01:00:00Z", { kind: SubmissionKind.SUBMISSION_KIND_SUPPORT_NEED, topic: SubmissionTopic.SUBMISSION_TOPIC_UNSPECIFIED }));
    expect(index.forAccount("aroha").map((s) => [s.reference, s.status])).toEqual([
      ["TK-0000-0002", "received"],
      ["TK-0000-0001", "received"],
    ]);
    index.receipt(SubmissionReceipt.fromPartial({ reference: "TK-0000-0001", subscriberId: "community-eastern", sharedWith: [Agency.AGENCY_POLICE, Agency.AGENCY_MBIE, Agency.AGENCY_POLICE], decidedAt: new Date("2026-11-20T01:00:01Z") }));
    index.receipt(SubmissionReceipt.fromPartial({ reference: "TK-0000-0002", subscriberId: "community-eastern", sharedWith: [] }));
    expect(index.get("aroha", "TK-0000-0001")).toEqual({
      reference: "TK-0000-0001",
      kind: "observation",
      topic: "exploitation",
      region: "eastern",
      submitted_at: "2026-11-20T01:00:00.000Z",
      status: "shared",
      shared_with: ["MBIE", "POLICE"],
      decided_at: "2026-11-20T01:00:01.000Z",
    });
    expect(index.get("aroha", "TK-0000-0002")).toMatchObject({ kind: "support_need", status: "not_shared", shared_with: [] });
    expect(index.get("aroha", "TK-0000-0002")).not.toHaveProperty("topic");
  });

  it("shows each account only its own, and another's reference as none", () => {
    const index = new SubmissionIndex();
    index.note(note("TK-0000-0001", "aroha", "2026-11-20T01:00:00Z"));
    index.note(note("TK-0000-0009", "hemi", "2026-11-20T02:00:00Z"));
    expect(index.forAccount("hemi").map((s) => s.reference)).toEqual(["TK-0000-0009"]);
    expect(index.get("hemi", "TK-0000-0001")).toBeUndefined();
    expect(index.forAccount("nobody")).toEqual([]);
  });

  it("ignores a receipt for another subscriber's submission of the same reference", () => {
    const index = new SubmissionIndex();
    index.note(note("TK-0000-0001", "aroha", "2026-11-20T01:00:00Z"));
    index.receipt(SubmissionReceipt.fromPartial({ reference: "TK-0000-0001", subscriberId: "community-northland", sharedWith: [Agency.AGENCY_POLICE] }));
    expect(index.get("aroha", "TK-0000-0001")?.status).toBe("received");
  });

  it("keeps one entry per reference when a note is read twice (a compacted topic re-read)", () => {
    const index = new SubmissionIndex();
    index.note(note("TK-0000-0001", "aroha", "2026-11-20T01:00:00Z"));
    index.note(note("TK-0000-0001", "aroha", "2026-11-20T01:00:00Z"));
    expect(index.forAccount("aroha")).toHaveLength(1);
    expect(index.size).toBe(1);
  });
});
