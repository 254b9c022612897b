import { Agency, type IntelligenceEvent, type LinkRule } from "@takitini/proto";
import type { NormaliseIssue } from "./issues.js";
import { recordDay, tokeniseRecord, type RecordTokens } from "./record.js";
import { RULES, strengthOf } from "./rules.js";
import { linkIdFor, TOKEN_BYTES, type MatchKey } from "./tokens.js";

/** One side of a link: which record, which of its subjects. No identifier. */
export interface LinkedRecordRef {
  readonly eventId: string;
  readonly sourceAgency: Agency;
  readonly eventType: string;
  readonly subjectId: string;
  readonly subjectIndex: number;
}

/** Two subjects of two agencies' records recognised as the same person, company or vehicle. */
export interface Link {
  /** Keyed and deterministic (tokens.ts linkIdFor): the same link found again has the same id. */
  readonly linkId: string;
  /** The strongest rule the two subjects share. */
  readonly rule: LinkRule;
  readonly confidence: number;
  /** In event-id order. */
  readonly records: readonly [LinkedRecordRef, LinkedRecordRef];
}

export interface LinkIndexOptions {
  /**
   * Today (yyyy-mm-dd) for a record that carries neither publishedAt nor
   * occurredAt, to bound its dates of birth; every record the adapters publish
   * carries both, so this is a fallback. Default: the UTC date now.
   */
  today?: () => string;
}

/** The size of the index and what its arrays take: for metrics and the benchmark. */
export interface LinkIndexStats {
  records: number;
  subjects: number;
  /** Distinct tokens. */
  tokens: number;
  /** (token, subject) pairs. */
  postings: number;
  /** Bytes held by the index's typed arrays (allocated, not only used). */
  arrayBytes: number;
}

const AGENCIES: readonly Agency[] = Object.values(Agency);
const AGENCY_CODE = new Map(AGENCIES.map((a, i) => [a, i]));
const WORDS = TOKEN_BYTES / 4;
const EMPTY = -1;

/**
 * The linkage index: every indexed record's subjects' match tokens, and the
 * links a new record makes with those already indexed.
 *
 * A pair of subjects is linked when the second of the two records arrives, with
 * both subjects' tokens complete: by the strongest rule they share, once. So
 * the links of a set of records do not depend on the order they arrive in, and a
 * rebuild (the same records again, in order, into an empty index) finds the same
 * links with the same ids. Only subjects of records of different agencies link:
 * two records of one agency about one person are that agency's business, not an
 * alert. A record already indexed (same event id) adds nothing.
 *
 * Memory, for a million people: no JavaScript object per token or subject. A
 * token is TOKEN_BYTES bytes in a typed array, found through an open-addressing
 * table of int32 slots (the token is already uniformly random, so its first
 * word is its hash); the subjects holding a token are a linked list of int32s;
 * a subject is its record's ordinal, its index and its id; a record its event
 * id, agency and event type (interned). The benchmark measures it.
 */
export class LinkIndex {
  readonly #key: MatchKey;
  readonly #today: () => string;

  // Records.
  #recordEventId: string[] = [];
  #recordAgency = new Uint8Array(1024);
  #recordType = new Uint16Array(1024);
  #byEventId = new Map<string, number>();
  #eventTypes: string[] = [];
  #eventTypeCode = new Map<string, number>();

  // Subjects.
  #subjectRecord = new Int32Array(1024);
  #subjectIndex = new Uint32Array(1024);
  #subjectId: string[] = [];

  // Tokens: entries (distinct tokens) and the slots that find them.
  #entryWords = new Uint32Array(1024 * WORDS);
  #entryRule = new Uint8Array(1024);
  #entryHead = new Int32Array(1024);
  #entries = 0;
  #slots = new Int32Array(2048).fill(EMPTY);

  // Postings: for each entry, the subjects that hold it.
  #postSubject = new Int32Array(1024);
  #postNext = new Int32Array(1024);
  #postings = 0;

  constructor(key: MatchKey, options: LinkIndexOptions = {}) {
    this.#key = key;
    this.#today = options.today ?? (() => new Date().toISOString().slice(0, 10));
  }

  /** Index an event; the new links it makes with records already indexed. */
  add(event: IntelligenceEvent): Link[] {
    return this.indexEvent(event).links;
  }

  /**
   * Index an event: its tokens (null when it was indexed before or has nothing
   * to match on — nothing to persist), the links it makes, and the issues met
   * normalising its identifiers (paths and codes only).
   */
  indexEvent(event: IntelligenceEvent): { record: RecordTokens | null; links: Link[]; issues: NormaliseIssue[] } {
    if (this.#byEventId.has(event.id)) return { record: null, links: [], issues: [] };
    const { record, issues } = tokeniseRecord(event, this.#key, recordDay(event) ?? this.#today());
    if (record.subjects.length === 0) return { record: null, links: [], issues };
    return { record, links: this.addRecord(record), issues };
  }

  /**
   * Index a record's tokens (computed by tokeniseRecord under this index's key,
   * or read back from the index topic); the new links it makes. A record already
   * indexed, or without tokens, adds nothing.
   */
  addRecord(record: RecordTokens): Link[] {
    if (this.#byEventId.has(record.eventId) || record.subjects.every((s) => s.tokens.length === 0)) return [];
    const agency = AGENCY_CODE.get(record.sourceAgency) ?? 0;

    // Find first, insert after: a record's own subjects are never candidates.
    const found: { self: number; other: number; strength: number }[] = [];
    record.subjects.forEach((s, self) => {
      const best = new Map<number, number>();
      for (const t of s.tokens) {
        const strength = strengthOf(t.rule);
        const entry = this.#find(t.token, strength);
        if (entry === EMPTY) continue;
        for (let p = this.#entryHead[entry]!; p !== EMPTY; p = this.#postNext[p]!) {
          const other = this.#postSubject[p]!;
          if (this.#recordAgency[this.#subjectRecord[other]!] === agency) continue;
          const prev = best.get(other);
          if (prev === undefined || strength < prev) best.set(other, strength);
        }
      }
      for (const [other, strength] of best) found.push({ self, other, strength });
    });

    const r = this.#addRecordRow(record, agency);
    const subjectOrdinals = record.subjects.map((s) => {
      const ordinal = this.#addSubjectRow(r, s.subjectIndex, s.subjectId);
      for (const t of s.tokens) this.#post(this.#findOrInsert(t.token, strengthOf(t.rule)), ordinal);
      return ordinal;
    });

    const links = found.map(({ self, other, strength }) => this.#link(subjectOrdinals[self]!, other, strength));
    return links.sort(compareLinks);
  }

  /** Index records read back in order without their links (they were raised when first indexed). Returns how many were new. */
  restore(records: Iterable<RecordTokens>): number {
    let added = 0;
    for (const record of records) {
      const before = this.#recordEventId.length;
      this.addRecord(record);
      if (this.#recordEventId.length > before) added += 1;
    }
    return added;
  }

  /**
   * Empty the index, then index `events` in order: every link they make, in the
   * order adding them one by one would raise them (it is the same thing).
   */
  rebuild(events: Iterable<IntelligenceEvent>): Link[] {
    this.clear();
    const links: Link[] = [];
    for (const e of events) links.push(...this.add(e));
    return links;
  }

  /** Whether a record is indexed. */
  has(eventId: string): boolean {
    return this.#byEventId.has(eventId);
  }

  /** Records indexed. */
  get size(): number {
    return this.#recordEventId.length;
  }

  stats(): LinkIndexStats {
    const arrays = [this.#recordAgency, this.#recordType, this.#subjectRecord, this.#subjectIndex, this.#entryWords, this.#entryRule, this.#entryHead, this.#slots, this.#postSubject, this.#postNext];
    return {
      records: this.#recordEventId.length,
      subjects: this.#subjectId.length,
      tokens: this.#entries,
      postings: this.#postings,
      arrayBytes: arrays.reduce((n, a) => n + a.byteLength, 0),
    };
  }

  /** Forget everything (before a rebuild). */
  clear(): void {
    this.#recordEventId = [];
    this.#recordAgency = new Uint8Array(1024);
    this.#recordType = new Uint16Array(1024);
    this.#byEventId = new Map();
    this.#eventTypes = [];
    this.#eventTypeCode = new Map();
    this.#subjectRecord = new Int32Array(1024);
    this.#subjectIndex = new Uint32Array(1024);
    this.#subjectId = [];
    this.#entryWords = new Uint32Array(1024 * WORDS);
    this.#entryRule = new Uint8Array(1024);
    this.#entryHead = new Int32Array(1024);
    this.#entries = 0;
    this.#slots = new Int32Array(2048).fill(EMPTY);
    this.#postSubject = new Int32Array(1024);
    this.#postNext = new Int32Array(1024);
    this.#postings = 0;
  }

  // --- rows ---------------------------------------------------------------

  #addRecordRow(record: RecordTokens, agency: number): number {
    const r = this.#recordEventId.length;
    if (r === this.#recordAgency.length) {
      this.#recordAgency = grow(this.#recordAgency);
      this.#recordType = grow(this.#recordType);
    }
    let type = this.#eventTypeCode.get(record.eventType);
    if (type === undefined) {
      type = this.#eventTypes.length;
      if (type > 0xffff) throw new RangeError("more than 65,536 event types");
      this.#eventTypes.push(record.eventType);
      this.#eventTypeCode.set(record.eventType, type);
    }
    this.#recordEventId.push(record.eventId);
    this.#recordAgency[r] = agency;
    this.#recordType[r] = type;
    this.#byEventId.set(record.eventId, r);
    return r;
  }

  #addSubjectRow(record: number, subjectIndex: number, subjectId: string): number {
    const s = this.#subjectId.length;
    if (s === this.#subjectRecord.length) {
      this.#subjectRecord = grow(this.#subjectRecord);
      this.#subjectIndex = grow(this.#subjectIndex);
    }
    this.#subjectRecord[s] = record;
    this.#subjectIndex[s] = subjectIndex;
    this.#subjectId.push(subjectId);
    return s;
  }

  #post(entry: number, subject: number): void {
    const p = this.#postings++;
    if (p === this.#postSubject.length) {
      this.#postSubject = grow(this.#postSubject);
      this.#postNext = grow(this.#postNext);
    }
    this.#postSubject[p] = subject;
    // Newest first; order within a token's list does not matter (every holder is visited).
    this.#postNext[p] = this.#entryHead[entry]!;
    this.#entryHead[entry] = p;
  }

  #ref(subject: number): LinkedRecordRef {
    const r = this.#subjectRecord[subject]!;
    return {
      eventId: this.#recordEventId[r]!,
      sourceAgency: AGENCIES[this.#recordAgency[r]!]!,
      eventType: this.#eventTypes[this.#recordType[r]!]!,
      subjectId: this.#subjectId[subject]!,
      subjectIndex: this.#subjectIndex[subject]!,
    };
  }

  #link(self: number, other: number, strength: number): Link {
    const x = this.#ref(self);
    const y = this.#ref(other);
    const [a, b] = x.eventId < y.eventId ? [x, y] : [y, x];
    const { rule, confidence } = RULES[strength]!;
    return { linkId: linkIdFor(this.#key, a, b, rule), rule, confidence, records: [a, b] };
  }

  // --- the token table ----------------------------------------------------

  /** The entry of a token of a rule (by strength), or EMPTY. */
  #find(token: Buffer, strength: number): number {
    checkToken(token);
    const w0 = token.readUInt32LE(0);
    const w1 = token.readUInt32LE(4);
    const w2 = token.readUInt32LE(8);
    const w3 = token.readUInt32LE(12);
    const mask = this.#slots.length - 1;
    for (let i = w0 & mask; ; i = (i + 1) & mask) {
      const e = this.#slots[i]!;
      if (e === EMPTY) return EMPTY;
      const o = e * WORDS;
      const w = this.#entryWords;
      if (w[o] === w0 && w[o + 1] === w1 && w[o + 2] === w2 && w[o + 3] === w3 && this.#entryRule[e] === strength) return e;
    }
  }

  #findOrInsert(token: Buffer, strength: number): number {
    const existing = this.#find(token, strength);
    if (existing !== EMPTY) return existing;
    const e = this.#entries++;
    if (e === this.#entryRule.length) {
      this.#entryWords = grow(this.#entryWords);
      this.#entryRule = grow(this.#entryRule);
      this.#entryHead = grow(this.#entryHead);
    }
    for (let k = 0; k < WORDS; k++) this.#entryWords[e * WORDS + k] = token.readUInt32LE(k * 4);
    this.#entryRule[e] = strength;
    this.#entryHead[e] = EMPTY;
    // Keep the table at most 3/4 full, so probes stay short.
    if (this.#entries * 4 > this.#slots.length * 3) this.#rehash(this.#slots.length * 2);
    else this.#place(e);
    return e;
  }

  #place(e: number): void {
    const mask = this.#slots.length - 1;
    let i = this.#entryWords[e * WORDS]! & mask;
    while (this.#slots[i] !== EMPTY) i = (i + 1) & mask;
    this.#slots[i] = e;
  }

  #rehash(capacity: number): void {
    this.#slots = new Int32Array(capacity).fill(EMPTY);
    for (let e = 0; e < this.#entries; e++) this.#place(e);
  }
}

function checkToken(token: Buffer): void {
  if (token.length < TOKEN_BYTES) throw new RangeError(`a match token has at least ${TOKEN_BYTES} bytes (this one has ${token.length})`);
}

/** A typed array twice as long holding the same values. */
function grow<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

function compareLinks(x: Link, y: Link): number {
  const [xa, xb] = x.records;
  const [ya, yb] = y.records;
  return cmp(xa.eventId, ya.eventId) || xa.subjectIndex - ya.subjectIndex || cmp(xb.eventId, yb.eventId) || xb.subjectIndex - yb.subjectIndex;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
