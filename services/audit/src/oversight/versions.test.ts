import { describe, expect, it } from "vitest";
import type { RecordSummary } from "./store.js";
import { MAX_VERSION_DECISIONS, originalOf, pickVersions, versionOf, type PublishRow } from "./versions.js";

const [FIRST, SECOND, THIRD, GONE, OTHER] = ["a", "b", "c", "d", "e"].map((c) => `${c.repeat(8)}-0000-4000-8000-000000000000`) as [string, string, string, string, string];

const row = (eventId: string, agency: string, revision?: Record<string, string>): PublishRow => ({
  summary: { id: `publish:${eventId}`, event_id: eventId, agency, kind: "publish" } as RecordSummary,
  doc: { event_id: eventId, ...(revision ? { revision } : {}) },
});
const first = row(FIRST, "police");
const second = row(SECOND, "police", { kind: "correction", original_event_id: FIRST, supersedes_event_id: FIRST });
const third = row(THIRD, "police", { kind: "correction", original_event_id: FIRST, supersedes_event_id: SECOND });
const gone = row(GONE, "police", { kind: "withdrawal", original_event_id: FIRST, withdrawn_event_id: THIRD, reason: "duplicate" });
const foreign = row(OTHER, "customs", { kind: "correction", original_event_id: FIRST, supersedes_event_id: SECOND });

const ids = (found: ReturnType<typeof pickVersions>) => found?.rows.map((r) => r.summary.event_id);

describe("a record's versions (pure)", () => {
  it("finds the record by the first version a revision names, or the id itself", () => {
    expect(originalOf(THIRD, third)).toBe(FIRST);
    expect(originalOf(FIRST, first)).toBe(FIRST);
    expect(originalOf(FIRST, undefined)).toBe(FIRST);
  });

  it("orders the first version, the corrections in ledger order, then the withdrawal, from any version", () => {
    const rows = [first, second, gone, third];
    for (const asked of [first, second, third, gone]) expect(ids(pickVersions(asked.summary.event_id, FIRST, asked, rows))).toEqual([FIRST, SECOND, THIRD, GONE]);
    expect(pickVersions(THIRD, FIRST, third, rows)?.original).toBe(FIRST);
  });

  it("leaves out another agency's version naming the record; asked for by its own id, lists it alone", () => {
    const rows = [first, second, foreign, third];
    expect(ids(pickVersions(FIRST, FIRST, first, rows))).toEqual([FIRST, SECOND, THIRD]);
    expect(pickVersions(OTHER, FIRST, foreign, rows)).toEqual({ original: OTHER, rows: [foreign] });
  });

  it("lists the revisions of a first version the ledger does not hold, by the asked version's agency; nothing found is undefined", () => {
    expect(ids(pickVersions(THIRD, FIRST, third, [second, foreign, third]))).toEqual([SECOND, THIRD]);
    expect(ids(pickVersions(FIRST, FIRST, undefined, [second, third]))).toEqual([SECOND, THIRD]);
    expect(pickVersions(FIRST, FIRST, undefined, [])).toBeUndefined();
  });

  it("gives each version its kind and links, and its decisions, bounded", () => {
    const decision = { id: "d1", subscriber_id: "customs", outcome: "allow", view: "redacted", legal_basis: "x", policy_revision: "r", decided_at: "2026-12-06T00:00:00.000Z", delivery_topic: "t", trace_id: "never listed" };
    expect(versionOf(gone, [decision])).toEqual({
      event_id: GONE,
      version: "withdrawal",
      withdrawn_event_id: THIRD,
      reason: "duplicate",
      record: gone.summary,
      decisions: [{ decision_id: "d1", subscriber_id: "customs", outcome: "allow", view: "redacted", legal_basis: "x", policy_revision: "r", decided_at: "2026-12-06T00:00:00.000Z", delivery_topic: "t" }],
      more_decisions: false,
    });
    expect(versionOf(third, [])).toMatchObject({ version: "correction", supersedes_event_id: SECOND, decisions: [] });
    expect(versionOf(first, [])).not.toHaveProperty("supersedes_event_id");
    const many = versionOf(first, Array.from({ length: MAX_VERSION_DECISIONS + 1 }, (_, i) => ({ ...decision, id: `d${i}`, delivery_id: "x" })));
    expect(many.decisions).toHaveLength(MAX_VERSION_DECISIONS);
    expect(many.more_decisions).toBe(true);
    expect(many.decisions[0]!.delivery_id).toBe("x");
  });
});
