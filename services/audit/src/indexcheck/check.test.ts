import { IntelligenceEvent } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { encodeEntry } from "../merkle/entry.js";
import { indexRowOf } from "../oversight/derive.js";
import { fromPublish, KINDS, publishRecord } from "../oversight/records.js";
import { correction, firstVersion, IDS, POLICE_TOPIC, withdrawal } from "../oversight/revisions.fixture.js";
import { sampleOf } from "../oversight/samples.fixture.js";
import { canonicalJson, checkIndex, MAX_INDEX_PROBLEMS, type LeafEntryRow, type StoredRecordRow, type StoredSubjectRow } from "./check.js";

const APPENDED = Date.parse("2026-11-20T03:00:00Z");

/** A ledger of one record of each kind, twice over, and the index the writer stores for it. */
function ledger() {
  const leaves: LeafEntryRow[] = [];
  const records: StoredRecordRow[] = [];
  const subjects: StoredSubjectRow[] = [];
  [...KINDS, ...KINDS].forEach((kind, index) => {
    const leaf = { ...sampleOf(kind, index).ledger, appendedAtMs: APPENDED + index };
    leaves.push({ index, entry: encodeEntry({ index, ...leaf }) });
    const r = indexRowOf(leaf);
    records.push({ index, ...r, occurredAtMs: r.occurredAt.getTime(), doc: JSON.parse(JSON.stringify(r.doc)) });
    subjects.push(...r.subjectIds.map((subjectId) => ({ index, subjectId })));
  });
  return { leaves, records, subjects };
}

async function* each<T>(rows: readonly T[]) {
  yield* rows;
}

const check = (l: ReturnType<typeof ledger>) => checkIndex(each(l.leaves), each(l.records), each(l.subjects));
const withSubjects = (l: ReturnType<typeof ledger>) => l.records.find((r) => l.subjects.some((s) => s.index === r.index))!.index;

describe("checkIndex: the oversight index recomputed from the leaves", () => {
  it("passes the index the writer stores", async () => {
    const l = ledger();
    expect(l.subjects.length).toBeGreaterThan(4);
    const r = await check(l);
    expect(r).toMatchObject({ ok: true, leaves: 2 * KINDS.length, records: 2 * KINDS.length, subjects: l.subjects.length, problemCount: 0, problems: [] });
    expect(r.firstBad).toBeUndefined();
  });

  it("finds a deleted subject row", async () => {
    const l = ledger();
    const at = l.subjects[3]!.index;
    l.subjects.splice(3, 1);
    expect((await check(l)).firstBad).toMatchObject({ kind: "index-missing", table: "audit_subjects", index: at });
  });

  it("finds a subject row added to a record that does not name them, and one at an index no leaf holds", async () => {
    const l = ledger();
    const i = l.records.find((r) => !l.subjects.some((s) => s.index === r.index))!.index;
    l.subjects.push({ index: i, subjectId: "police/person/NOBODY" });
    l.subjects.sort((a, b) => a.index - b.index);
    expect((await check(l)).firstBad).toMatchObject({ kind: "index-extra", table: "audit_subjects", index: i });
    const m = ledger();
    m.subjects.push({ index: 999, subjectId: "police/person/P1" });
    const r = await check(m);
    expect(r.problems).toEqual([expect.objectContaining({ kind: "index-extra", table: "audit_subjects", index: 999 })]);
    expect(JSON.stringify(r)).not.toContain("police/person/P1"); // subject ids are counted, not named
  });

  it.each([
    ["outcome", { outcome: "deny" }],
    ["occurred_at", { occurredAtMs: 0 }],
    ["record_id", { recordId: "someone-else" }],
    ["subscriber_id", { subscriberId: "msd" }],
  ] as const)("finds an audit_records row whose %s was changed", async (column, change) => {
    const l = ledger();
    l.records[5] = { ...l.records[5]!, ...change };
    expect((await check(l)).firstBad).toMatchObject({ kind: "index-altered", table: "audit_records", index: 5, columns: [column] });
  });

  it("finds a changed doc, but not keys in another order", async () => {
    const l = ledger();
    const doc = l.records[2]!.doc as Record<string, unknown>;
    l.records[2] = { ...l.records[2]!, doc: Object.fromEntries(Object.entries(doc).reverse()) };
    expect((await check(l)).ok).toBe(true);
    l.records[2] = { ...l.records[2]!, doc: { ...doc, extra: true } };
    expect((await check(l)).firstBad).toMatchObject({ kind: "index-altered", table: "audit_records", index: 2, columns: ["doc"] });
  });

  it("finds a deleted audit_records row and an extra one", async () => {
    const l = ledger();
    l.records.splice(7, 1);
    expect((await check(l)).firstBad).toMatchObject({ kind: "index-missing", table: "audit_records", index: 7 });
    const m = ledger();
    m.records.push({ ...m.records[0]!, index: m.leaves.length + 3 });
    expect((await check(m)).firstBad).toMatchObject({ kind: "index-extra", table: "audit_records", index: m.leaves.length + 3 });
  });

  it("finds a whole person's rows deleted from audit_subjects", async () => {
    const l = ledger();
    const i = withSubjects(l);
    const person = l.subjects.find((s) => s.index === i)!.subjectId;
    l.subjects = l.subjects.filter((s) => s.subjectId !== person);
    expect((await check(l)).firstBad).toMatchObject({ kind: "index-missing", table: "audit_subjects", index: i });
  });

  it("names the lowest index first, lists a bounded number of problems and counts them all", async () => {
    const l = ledger();
    l.records = l.records.filter((r) => r.index !== 9 && r.index !== 4);
    expect((await check(l)).firstBad).toMatchObject({ index: 4 });
    const many = ledger();
    for (let i = 0; i < MAX_INDEX_PROBLEMS + 20; i++) many.records.push({ ...many.records[0]!, index: 1000 + i });
    const r = await check(many);
    expect(r.problemCount).toBe(MAX_INDEX_PROBLEMS + 20);
    expect(r.problems).toHaveLength(MAX_INDEX_PROBLEMS);
  });

  it("recomputes a correction's and a withdrawal's revision from the leaf: the writer's index passes, a revision changed or added in the index is found", async () => {
    const l = ledger();
    const versions = [firstVersion(), correction(IDS.second, IDS.first), correction(IDS.third, IDS.second), withdrawal(IDS.third)];
    for (const event of versions) {
      const index = l.leaves.length;
      const leaf = { ...fromPublish(publishRecord(event, IntelligenceEvent.encode(event).finish(), { topic: POLICE_TOPIC, partition: 1, offset: String(index) }), new Date(APPENDED)).ledger, appendedAtMs: APPENDED + index };
      l.leaves.push({ index, entry: encodeEntry({ index, ...leaf }) });
      const r = indexRowOf(leaf);
      l.records.push({ index, ...r, occurredAtMs: r.occurredAt.getTime(), doc: JSON.parse(JSON.stringify(r.doc)) });
      l.subjects.push(...r.subjectIds.map((subjectId) => ({ index, subjectId })));
    }
    expect(await check(l)).toMatchObject({ ok: true, problemCount: 0 });
    const [first, , third, gone] = l.records.slice(-4);
    expect(third!.doc).toMatchObject({ revision: { kind: "correction", original_event_id: IDS.first, supersedes_event_id: IDS.second } });
    expect(gone!.doc).toMatchObject({ revision: { kind: "withdrawal", original_event_id: IDS.first, withdrawn_event_id: IDS.third, reason: "not_substantiated" } });
    // A correction's row relinked to another record, and a first version's row given a revision its leaf does not hold.
    const relinked = { ...l, records: l.records.map((r) => (r === third ? { ...r, doc: { ...r.doc, revision: { ...(r.doc["revision"] as object), original_event_id: IDS.second } } } : r)) };
    expect((await check(relinked)).firstBad).toMatchObject({ kind: "index-altered", table: "audit_records", index: third!.index, columns: ["doc"] });
    const added = { ...l, records: l.records.map((r) => (r === first ? { ...r, doc: { ...r.doc, revision: { kind: "correction", original_event_id: IDS.second, supersedes_event_id: IDS.second } } } : r)) };
    expect((await check(added)).firstBad).toMatchObject({ kind: "index-altered", table: "audit_records", index: first!.index, columns: ["doc"] });
  });

  it("reports a leaf whose bytes do not decode as its kind", async () => {
    const l = ledger();
    l.leaves[1] = { index: 1, entry: encodeEntry({ index: 1, kind: "decision", recordId: "x", payload: Buffer.from([0xff, 0xff]), appendedAtMs: 0 }) };
    expect((await check(l)).firstBad).toMatchObject({ kind: "index-underivable", table: "audit_records", index: 1 });
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every depth and keeps arrays in order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
});
