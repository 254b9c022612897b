/**
 * Which subject ids a record names in the clear, and the record with each of
 * them sealed (pure). Decisions, publish records and oversight queries name
 * subjects: a decision's and a publish record's subject_ids are cleared and
 * sealed into sealed_subjects; an oversight query's parameter naming a subject
 * (SUBJECT_PARAMETERS) gets the subject's ref as its value, the id sealed.
 * Every other kind names none. The record is rebuilt by its kind's own
 * constructor (oversight/records.ts), so its leaf bytes, its redelivery test
 * (sameAs) and its index row are the sealed record's.
 */
import { DecisionRecord, OversightQueryRecord, PublishRecord } from "@takitini/proto";
import { appendableOf, decisionOf, fromDecision, fromOversightQuery, fromPublish, publishOf, type Appendable } from "../oversight/records.js";
import { sealSubject, type SealedSubject, type SubjectKey } from "./seal.js";

/** Oversight query parameters whose value is a subject id (the HTTP route's `subjectId`, the search's and gRPC's `subject_id`). */
export const SUBJECT_PARAMETERS: readonly string[] = ["subject_id", "subjectId"];

const distinct = (ids: readonly string[]) => [...new Set(ids.filter((s) => s !== ""))];

type Decoded = { kind: "decision"; record: DecisionRecord } | { kind: "publish"; record: PublishRecord } | { kind: "oversight_query"; record: OversightQueryRecord } | { kind: "other" };

/** Each record's payload decoded once: the sealing asks for its subjects several times (which records name any, which keys, then the sealing). */
const decodedRecords = new WeakMap<Appendable, Decoded>();

function decodedOf(a: Appendable): Decoded {
  let d = decodedRecords.get(a);
  if (!d) {
    const p = a.ledger.payload;
    d =
      a.ledger.kind === "decision"
        ? { kind: "decision", record: decisionOf(p) }
        : a.ledger.kind === "publish"
          ? { kind: "publish", record: publishOf(p) }
          : a.ledger.kind === "oversight_query"
            ? { kind: "oversight_query", record: OversightQueryRecord.decode(p) }
            : { kind: "other" };
    decodedRecords.set(a, d);
  }
  return d;
}

/** The subject ids `a` names in the clear, distinct, in order. */
export function subjectIdsOf(a: Appendable): string[] {
  const d = decodedOf(a);
  switch (d.kind) {
    case "decision":
    case "publish":
      return distinct(d.record.subjectIds);
    case "oversight_query":
      return distinct(d.record.parameters.filter((p) => SUBJECT_PARAMETERS.includes(p.name)).map((p) => p.value));
    default:
      return [];
  }
}

export class MissingSubjectKey extends Error {
  readonly code = "SUBJECT_KEY_MISSING";
}

/**
 * `a` with every subject id it names sealed under that subject's key in `keys`
 * (by subject id); `a` itself when it names none. The sealed record is the same
 * record as the bytes it was sealed from: a record appended before sealing (its
 * ids in the clear) and read again is a redelivery, not a conflict.
 */
export function sealAppendable(a: Appendable, keys: ReadonlyMap<string, SubjectKey>): Appendable {
  const sealed = sealedForm(a, keys);
  if (sealed === a) return a;
  const same = (r: Appendable["ledger"]) => r.sameAs ?? ((held: Uint8Array) => Buffer.from(held).equals(Buffer.from(r.payload)));
  const asSealed = same(sealed.ledger);
  const asClear = same(a.ledger);
  // Its index row made only when read (appendableOf), as the sealed record's own.
  return appendableOf({ ...sealed.ledger, sameAs: (held) => asSealed(held) || asClear(held) }, () => sealed.index);
}

function sealedForm(a: Appendable, keys: ReadonlyMap<string, SubjectKey>): Appendable {
  const ids = subjectIdsOf(a);
  if (ids.length === 0) return a;
  const recordId = a.ledger.recordId;
  const keyOf = (id: string): SubjectKey => {
    const k = keys.get(id);
    if (!k) throw new MissingSubjectKey(`no key for a subject of record ${recordId}`);
    return k;
  };
  const sealed: SealedSubject[] = ids.map((id, position) => sealSubject(id, keyOf(id), recordId, position));
  // The time a record without one of its own is indexed by: the unsealed record's (read only then).
  const d = decodedOf(a);
  switch (d.kind) {
    case "decision": {
      const r = d.record;
      return fromDecision({ ...r, subjectIds: [], sealedSubjects: [...r.sealedSubjects, ...sealed] }, r.decidedAt ?? a.index.occurredAt);
    }
    case "publish": {
      const r = d.record;
      return fromPublish({ ...r, subjectIds: [], sealedSubjects: [...r.sealedSubjects, ...sealed] }, r.publishedAt ?? a.index.occurredAt);
    }
    case "oversight_query": {
      const r = d.record;
      const parameters = r.parameters.map((p) => (SUBJECT_PARAMETERS.includes(p.name) && p.value !== "" ? { name: p.name, value: keyOf(p.value).ref } : p));
      return fromOversightQuery({ ...r, parameters, sealedSubjects: [...r.sealedSubjects, ...sealed] }, r.occurredAt ?? a.index.occurredAt);
    }
    default:
      return a;
  }
}
