import { IntelligenceEvent } from "@takitini/proto";
import type { EventIdKey } from "@takitini/runtime";
import { canonicalContent, ContentMemory, diffTrees, type Placed } from "./content.js";

/**
 * Claims: how any number of adapter instances publish each native id exactly
 * once. Pure, no Kafka (the Kafka side is claim-writer.ts and claims-tail.ts).
 *
 * Every published event has a claim on the agency's compacted claims topic
 * (`takitini.claims.<agency>.v1`, partitioned like the intelligence topic), keyed
 * by event id, written in the same Kafka transaction as the event itself: no
 * event without its claim, no claim without its event. A claim holds what a
 * later submission of the id is judged against — where the event is, its content
 * fingerprint, and a digest tree of its content — and never a value in clear.
 *
 * The digest tree is the event's content (content.ts: without `publishedAt` and
 * `publisher`) with every leaf value replaced by an HMAC under the adapters'
 * shared event-id key, bound to the event id and the value's type. Its shape
 * (field names, list lengths, oneof cases) is the schema's; so the differing
 * field paths of a conflicting resubmission can be named by any instance, from
 * the claim alone, exactly as `differingPaths` names them from two events — and
 * someone reading the claims topic without the key learns nothing of the values.
 */

/** A digest tree: the event's structure, leaves replaced by keyed digests. */
export type DigestTree = string | null | undefined | DigestTree[] | { [key: string]: DigestTree };

/** The value of a claim record (JSON). `v` is its format version. */
export interface Claim extends Placed {
  v: 1;
  /** contentFingerprint of the event. */
  fingerprint: string;
  /** Keyed digests of the event's content. */
  digests: DigestTree;
  /**
   * A correction's or a withdrawal's record: the event id of the record's first
   * version (`IntelligenceEvent.original_event_id`). Absent on a first version —
   * and on claims written before corrections existed, which were all first versions.
   */
  original?: string;
  /** The event's type ("police.organised_crime_noting", "record.withdrawal"); absent on claims written before corrections existed. */
  eventType?: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !(v instanceof Date) && !ArrayBuffer.isView(v);

/** Leaf values as typed text: equal texts exactly when diff() would call the values equal. */
function typed(value: unknown): string {
  if (value instanceof Date) return `d:${value.getTime()}`;
  if (ArrayBuffer.isView(value)) return `b:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64")}`;
  return `${typeof value}:${String(value)}`;
}

function digestOf(value: unknown, leaf: (text: string) => string): DigestTree {
  if (value === undefined || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => digestOf(v, leaf));
  if (isPlainObject(value)) {
    const out: Record<string, DigestTree> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === "$case" && typeof v === "string" ? v : digestOf(v, leaf);
    return out;
  }
  return leaf(typed(value));
}

/** The digest tree of an event's content under `key` (the adapters' event-id key). */
export function contentDigests(event: IntelligenceEvent, key: EventIdKey): DigestTree {
  const prefix = `takitini/claim-digest/v1\u001f${event.id}\u001f`;
  return digestOf(canonicalContent(event), (text) => key.mac(prefix + text).subarray(0, 12).toString("base64url"));
}

/**
 * The field paths at which `event` differs from the content a claim's digests
 * describe (same paths as `differingPaths` gives for the two events), never values.
 */
export function claimDifferingPaths(claimed: DigestTree, event: IntelligenceEvent, key: EventIdKey): string[] {
  return diffTrees(claimed, contentDigests(event, key));
}

export function encodeClaim(claim: Omit<Claim, "v">): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, ...claim }));
}

/** The revision fields of an event's claim: its record's first version (a correction or withdrawal only) and its type. */
export function claimRevision(event: IntelligenceEvent): Pick<Claim, "original" | "eventType"> {
  return event.originalEventId ? { original: event.originalEventId, eventType: event.eventType } : { eventType: event.eventType };
}

/** A claim record's value; undefined when it is not one this version understands. */
export function decodeClaim(value: Uint8Array | null): Claim | undefined {
  if (!value) return undefined;
  try {
    const c = JSON.parse(Buffer.from(value).toString("utf8")) as Partial<Claim>;
    if (c.v !== 1 || typeof c.fingerprint !== "string" || typeof c.partition !== "number" || typeof c.offset !== "string") return undefined;
    if (c.original !== undefined && typeof c.original !== "string") return undefined;
    if (c.eventType !== undefined && typeof c.eventType !== "string") return undefined;
    return c as Claim;
  } catch {
    return undefined;
  }
}

/** The claims topic of an intelligence topic: `takitini.intel.police.v1` → `takitini.claims.police.v1`. */
export function claimsTopicFor(intelTopic: string): string {
  const m = /^(.*)\bintel\.([a-z0-9-]+)\.(v\d+)$/.exec(intelTopic);
  return m ? `${m[1]}claims.${m[2]}.${m[3]}` : `${intelTopic}.claims`;
}

/**
 * The transactional id that writes claims partition `partition`: one per
 * (claims topic, partition) for every instance of an agency's adapter, so an
 * instance initialising it fences any other's open transaction on that partition.
 * Starts with the adapter principal's prefix (`takitini-<agency>-adapter.`), the
 * only transactional ids its ACLs allow.
 */
export function claimTransactionalId(prefix: string, claimsTopic: string, partition: number): string {
  return `${prefix}.claims.${claimsTopic}.${partition}`;
}

export type ClaimVerdict =
  | { kind: "new" }
  | { kind: "duplicate"; placed: Placed }
  /** `paths` null: the claim is no longer in memory (or names no path). */
  | { kind: "conflict"; placed: Placed; paths: string[] | null };

/**
 * The idempotency index: every claimed event id, where its event is, and its
 * content fingerprint; the claims themselves (their digests) for the most recent
 * within a byte budget, to name a conflict's differing fields. Pure; filled from
 * the claims topic (claims-tail.ts) and from this instance's own commits.
 */
/** What the index knows of a claimed event's place in its record's history. */
export interface ClaimedRevision {
  /** The record's first version: the event's own id for a first version. */
  original: string;
  /** The event's type; undefined for a claim written before corrections existed (a first version). */
  eventType: string | undefined;
}

export class ClaimIndex {
  private readonly known = new Map<string, Placed & { fingerprint: string; original?: string; eventType?: string }>();
  /** Event types are few: one string each, however many claims name them. */
  private readonly types = new Map<string, string>();
  readonly memory: ContentMemory;

  constructor(
    memoryBytes: number,
    private readonly key: EventIdKey,
  ) {
    this.memory = new ContentMemory(memoryBytes);
  }

  get size(): number {
    return this.known.size;
  }

  has(id: string): boolean {
    return this.known.has(id);
  }

  /** A claim read from the claims topic or just committed: its record value as written. */
  learn(id: string, value: Uint8Array | null): void {
    const claim = decodeClaim(value);
    if (!claim) return;
    const entry: Placed & { fingerprint: string; original?: string; eventType?: string } = { partition: claim.partition, offset: claim.offset, fingerprint: claim.fingerprint };
    if (claim.original !== undefined && claim.original !== id) entry.original = claim.original;
    if (claim.eventType !== undefined) {
      if (!this.types.has(claim.eventType)) this.types.set(claim.eventType, claim.eventType);
      entry.eventType = this.types.get(claim.eventType)!;
    }
    this.known.set(id, entry);
    this.memory.remember(id, value!);
  }

  /** A claimed event's record (its first version) and type; undefined when the id is not claimed. */
  revision(id: string): ClaimedRevision | undefined {
    const k = this.known.get(id);
    return k ? { original: k.original ?? id, eventType: k.eventType } : undefined;
  }

  /** Is this event new, a duplicate of a claimed one, or a conflicting version of it? */
  judge(event: IntelligenceEvent, fingerprint: string): ClaimVerdict {
    const k = this.known.get(event.id);
    if (!k) return { kind: "new" };
    const placed = { partition: k.partition, offset: k.offset };
    if (k.fingerprint === fingerprint) return { kind: "duplicate", placed };
    const claim = decodeClaim(this.memory.recall(event.id) ?? null);
    const paths = claim ? claimDifferingPaths(claim.digests, event, this.key) : [];
    return { kind: "conflict", placed, paths: paths.length > 0 ? paths : null };
  }
}
