import { IntelligenceEvent, LinkageIndexEntry, LinkedRecordFacts } from "@takitini/proto";
import { LinkIndex, MatchKey, type RecordTokens, type SubjectKind } from "../core/index.js";
import { factsOf, type FoundLink } from "./alert.js";
import type { LinkerCore } from "./linker.js";

/** A record's tokens as the index topic keeps them, with its policy facts. Pure. */
export function entryOf(record: RecordTokens, facts: LinkedRecordFacts): LinkageIndexEntry {
  return LinkageIndexEntry.fromPartial({
    eventId: record.eventId,
    sourceAgency: record.sourceAgency,
    eventType: record.eventType,
    facts,
    subjects: record.subjects.map((s) => ({ subjectId: s.subjectId, subjectIndex: s.subjectIndex, kind: s.kind, tokens: s.tokens.map((t) => ({ rule: t.rule, token: t.token })) })),
  });
}

/** An entry read back from the index topic, as the core adds it. Pure. */
export function recordOf(entry: LinkageIndexEntry): RecordTokens {
  return {
    eventId: entry.eventId,
    sourceAgency: entry.sourceAgency,
    eventType: entry.eventType,
    subjects: entry.subjects.map((s) => ({ subjectId: s.subjectId, subjectIndex: s.subjectIndex, kind: s.kind as SubjectKind, tokens: s.tokens.map((t) => ({ rule: t.rule, token: Buffer.from(t.token) })) })),
  };
}

/**
 * The linkage core behind the Kafka shell: the in-memory LinkIndex under the
 * service's match key, and each indexed record's policy facts (kept encoded —
 * tens of bytes a record — for the alerts of links found later). Normalisation
 * issues are counted by code, never kept.
 */
export class CoreLinker implements LinkerCore {
  readonly #key: MatchKey;
  #index: LinkIndex;
  readonly #facts = new Map<string, Uint8Array>();
  readonly #issues: (code: string) => void;

  constructor(keyBytes: Uint8Array, opts: { onIssue?: (code: string) => void } = {}) {
    this.#key = new MatchKey(keyBytes);
    this.#index = new LinkIndex(this.#key);
    this.#issues = opts.onIssue ?? (() => undefined);
  }

  clear(): void {
    this.#index = new LinkIndex(this.#key);
    this.#facts.clear();
  }

  restore(entry: LinkageIndexEntry): void {
    if (entry.facts) this.#facts.set(entry.eventId, LinkedRecordFacts.encode(entry.facts).finish());
    this.#index.addRecord(recordOf(entry));
  }

  index(event: IntelligenceEvent): { entry: LinkageIndexEntry | null; links: FoundLink[] } {
    const { record, links, issues } = this.#index.indexEvent(event);
    for (const i of issues) this.#issues(i.code);
    if (!record) return { entry: null, links: [] };
    const facts = factsOf(event);
    this.#facts.set(event.id, LinkedRecordFacts.encode(facts).finish());
    return { entry: entryOf(record, facts), links: links.map((l) => ({ linkId: l.linkId, rule: l.rule, confidence: l.confidence, records: [l.records[0], l.records[1]] })) };
  }

  facts(eventId: string): LinkedRecordFacts | undefined {
    const bytes = this.#facts.get(eventId);
    return bytes ? LinkedRecordFacts.decode(bytes) : undefined;
  }

  size(): number {
    return this.#index.size;
  }
}
