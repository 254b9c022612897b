import { createHash } from "node:crypto";
import { IntelligenceEvent } from "@takitini/proto";
import { formatPath } from "@takitini/runtime";

/**
 * What makes a resubmission a duplicate or a conflict: the content of the mapped
 * event. Pure, no Kafka.
 *
 * Content is the protobuf encoding of the event without `publishedAt` and
 * `publisher` (when and by which system it was published, not what the record
 * says; the trace travels in headers). Same
 * native id, same content: a duplicate. Same native id, other content: a
 * conflict, refused. The fingerprint is derivable from what is on the topic —
 * the publisher writes it in a header, and recomputes it from the stored event
 * bytes for records written without one — so the index rebuilt at start knows
 * the content of every id already published.
 */

/** Kafka header with the content fingerprint of the event in the record's value. */
export const CONTENT_HASH_HEADER = "takitini-content-sha256";

function withoutVolatile(event: IntelligenceEvent): IntelligenceEvent {
  return { ...event, publishedAt: undefined, publisher: "" };
}

/** The first 128 bits of the SHA-256 of the content, base64url: plenty to tell two versions of one record apart. */
export function contentFingerprint(event: IntelligenceEvent): string {
  return createHash("sha256").update(IntelligenceEvent.encode(withoutVolatile(event)).finish()).digest("base64url").slice(0, 22);
}

/** The fingerprint of an event as stored on the topic (its protobuf bytes); undefined when they do not decode. */
export function storedFingerprint(value: Uint8Array): string | undefined {
  try {
    return contentFingerprint(IntelligenceEvent.decode(value));
  } catch {
    return undefined;
  }
}

/** An event's content as it reads back from the topic: defaults filled in the same way on both sides of a comparison. */
export function canonicalContent(event: IntelligenceEvent): IntelligenceEvent {
  return IntelligenceEvent.decode(IntelligenceEvent.encode(withoutVolatile(event)).finish());
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object";

function diff(a: unknown, b: unknown, path: (string | number)[], out: string[]): void {
  if (a instanceof Date || b instanceof Date) {
    if (!(a instanceof Date && b instanceof Date && a.getTime() === b.getTime())) out.push(formatPath(path));
    return;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) {
      out.push(formatPath(path));
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) diff(a[i], b[i], [...path, i], out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    // A oneof ({ $case, value }): the case names the branch.
    if ("$case" in a || "$case" in b) {
      if (a.$case !== b.$case) out.push(formatPath(path));
      else diff(a.value, b.value, [...path, String(a.$case)], out);
      return;
    }
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[key], b[key], [...path, key], out);
    return;
  }
  if (isObject(a) || isObject(b) || a !== b) out.push(formatPath(path));
}

/**
 * The field paths (of the event, e.g. `classification`,
 * `payload.policeFirearmsSeizure.firearmsCount`, `subjects[1]`) at which two
 * versions of a record differ, never their values; `publishedAt` is not content.
 */
export function differingPaths(previous: IntelligenceEvent, next: IntelligenceEvent): string[] {
  return diffTrees(canonicalContent(previous), canonicalContent(next));
}

/** The paths at which two trees (events, or their digest trees: claims.ts) differ. */
export function diffTrees(previous: unknown, next: unknown): string[] {
  const out: string[] = [];
  diff(previous, next, [], out);
  return out;
}

/**
 * The stored bytes of recently published events, by event id, within a byte
 * budget (least recently stored dropped first): what names the differing fields
 * of a conflict. A conflict with an event no longer held is still refused, with
 * no field paths.
 */
export class ContentMemory {
  private readonly entries = new Map<string, Uint8Array>();
  private used = 0;

  constructor(readonly budgetBytes: number) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Keep a copy of the bytes (a Kafka fetch hands out slices of a larger buffer). */
  remember(id: string, value: Uint8Array): void {
    this.forget(id);
    if (value.length > this.budgetBytes) return;
    this.entries.set(id, new Uint8Array(value));
    this.used += value.length;
    for (const [oldest, bytes] of this.entries) {
      if (this.used <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.used -= bytes.length;
    }
  }

  recall(id: string): Uint8Array | undefined {
    return this.entries.get(id);
  }

  private forget(id: string): void {
    const old = this.entries.get(id);
    if (old) {
      this.entries.delete(id);
      this.used -= old.length;
    }
  }
}

export interface Placed {
  partition: number;
  offset: string;
}

export type Verdict =
  | { kind: "new" }
  | { kind: "duplicate"; placed: Placed }
  /** `paths` null: the previous version is no longer in memory. */
  | { kind: "conflict"; placed: Placed; paths: string[] | null };

/**
 * The idempotency index: every event id on the topic, where it is, and its
 * content fingerprint. Pure; the Kafka publisher fills it from the topic at start
 * and from its own writes.
 */
export class ContentIndex {
  private readonly known = new Map<string, Placed & { fingerprint: string | undefined }>();
  readonly memory: ContentMemory;

  constructor(memoryBytes: number) {
    this.memory = new ContentMemory(memoryBytes);
  }

  get size(): number {
    return this.known.size;
  }

  has(id: string): boolean {
    return this.known.has(id);
  }

  /**
   * A record found on the topic: its key, place, content-hash header (when it was
   * written with one) and value. A value that does not decode has no fingerprint:
   * a resubmission of its id counts as a duplicate, as before fingerprints.
   */
  learn(id: string, placed: Placed, value: Uint8Array | null, header: string | undefined): void {
    const fingerprint = header ?? (value ? storedFingerprint(value) : undefined);
    this.known.set(id, { ...placed, fingerprint });
    if (value) this.memory.remember(id, value);
  }

  /** A record this publisher has just written. */
  placed(id: string, placed: Placed, fingerprint: string, value: Uint8Array): void {
    this.known.set(id, { ...placed, fingerprint });
    this.memory.remember(id, value);
  }

  /** Is this event new, a duplicate of what is on the topic, or a conflicting version of it? */
  judge(event: IntelligenceEvent, fingerprint: string): Verdict {
    const k = this.known.get(event.id);
    if (!k) return { kind: "new" };
    const placed = { partition: k.partition, offset: k.offset };
    if (k.fingerprint === undefined || k.fingerprint === fingerprint) return { kind: "duplicate", placed };
    const previous = this.memory.recall(event.id);
    let paths: string[] | null = null;
    if (previous) {
      try {
        paths = differingPaths(IntelligenceEvent.decode(previous), event);
      } catch {
        paths = null;
      }
    }
    return { kind: "conflict", placed, paths: paths && paths.length > 0 ? paths : null };
  }
}
