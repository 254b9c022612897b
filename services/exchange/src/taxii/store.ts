import type { StixObject } from "./stix.js";
import type { PageQuery, Position } from "./params.js";

/**
 * Each foreign partner's collection: the STIX objects of the views delivered to
 * it, in date_added order. Pure (no I/O): the feed adds what it reads from the
 * partner's delivery topic; the server pages through it.
 */

/** One delivery on a foreign partner's topic, as STIX objects. */
export interface Entry {
  subscriberId: string;
  /** The delivery record's timestamp: the objects' date_added. */
  dateAddedMs: number;
  topic: string;
  partition: number;
  offset: string;
  decisionId: string;
  eventId: string;
  legalBasis: string;
  /** The publisher's trace id, when the delivery carried its trace. */
  traceId: string;
  objects: StixObject[];
}

/** Total order of positions: date_added, then partition, offset and the object's index. */
export function comparePosition(a: Position, b: Position): number {
  if (a.dateAddedMs !== b.dateAddedMs) return a.dateAddedMs - b.dateAddedMs;
  if (a.partition !== b.partition) return a.partition - b.partition;
  const ao = BigInt(a.offset);
  const bo = BigInt(b.offset);
  if (ao !== bo) return ao < bo ? -1 : 1;
  return a.index - b.index;
}

const positionOf = (e: Entry, index: number): Position => ({ dateAddedMs: e.dateAddedMs, partition: e.partition, offset: e.offset, index });

export interface Served {
  entry: Entry;
  object: StixObject;
  position: Position;
}

export interface Page {
  items: Served[];
  /** Whether objects matching the query remain after this page. */
  more: boolean;
  /** Where this page ended: the `next` to ask for the rest (when `more`). */
  next?: Position | undefined;
}

/** The version a manifest names, as TAXII 2.1 does: `modified`, else `created`, else the date added. */
export function versionOf(o: StixObject, dateAddedMs: number): string {
  const v = o["modified"] ?? o["created"];
  return typeof v === "string" ? v : new Date(dateAddedMs).toISOString();
}

/** An object's first and last versions in a collection. */
interface Versions {
  first: string;
  last: string;
}

export class CollectionStore {
  private readonly entries = new Map<string, Entry[]>();
  /** Per partner, each object's first and last versions held (a correction or a revocation adds a version). */
  private readonly versions = new Map<string, Map<string, Versions>>();
  /** "topic/partition/offset" of every entry held: a record read again (a restarted feed) is not added twice. */
  private readonly seen = new Set<string>();

  /** Add one delivery's objects, keeping each collection in position order. Returns false for one already held. */
  add(entry: Entry): boolean {
    const key = `${entry.topic}/${entry.partition}/${entry.offset}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    const list = this.entries.get(entry.subscriberId) ?? [];
    this.entries.set(entry.subscriberId, list);
    const versions = this.versions.get(entry.subscriberId) ?? new Map<string, Versions>();
    this.versions.set(entry.subscriberId, versions);
    for (const o of entry.objects) {
      const v = versionOf(o, entry.dateAddedMs);
      const had = versions.get(o.id);
      versions.set(o.id, had ? { first: v < had.first ? v : had.first, last: v > had.last ? v : had.last } : { first: v, last: v });
    }
    // Nearly always appended at the end; an earlier position (another partition's lagging record) is inserted.
    let i = list.length;
    while (i > 0 && comparePosition(positionOf(list[i - 1]!, 0), positionOf(entry, 0)) > 0) i--;
    list.splice(i, 0, entry);
    return true;
  }

  /** Forget a partner's collection (it left the registry, or its feed restarts from the oldest). */
  clear(subscriberId: string): void {
    for (const e of this.entries.get(subscriberId) ?? []) this.seen.delete(`${e.topic}/${e.partition}/${e.offset}`);
    this.entries.delete(subscriberId);
    this.versions.delete(subscriberId);
  }

  /** The latest delivery of a partner's collection about this event (the version a withdrawal notice names). */
  latestFor(subscriberId: string, eventId: string): Entry | undefined {
    const list = this.entries.get(subscriberId) ?? [];
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.eventId === eventId) return list[i];
    return undefined;
  }

  size(subscriberId: string): number {
    return this.entries.get(subscriberId)?.length ?? 0;
  }

  /**
   * One page of a partner's objects matching the query, oldest first: objects
   * added after `addedAfter`, past `next`, and added no later than `visibleUntilMs`
   * (see the server: the newest deliveries settle first, so a later page never
   * has to go back in time). At most `limit` objects; an object that appears in
   * several deliveries (an agency's identity, a marking) is listed once a page.
   */
  page(subscriberId: string, query: PageQuery, visibleUntilMs: number): Page {
    const list = this.entries.get(subscriberId) ?? [];
    const versions = this.versions.get(subscriberId);
    const wanted = query.versions ?? new Set(["last"]);
    // Which versions of an object match[version] asks for: the last (TAXII's default), the first, or all.
    const asked = (o: StixObject, v: string) => {
      if (wanted.has("all")) return true;
      const held = versions?.get(o.id);
      return (wanted.has("last") && held?.last === v) || (wanted.has("first") && held?.first === v);
    };
    const items: Served[] = [];
    const onPage = new Set<string>();
    const after = query.addedAfter;
    for (const entry of list) {
      if (entry.dateAddedMs > visibleUntilMs) break;
      // added_after is exclusive, and date_added has ms precision: an instant within a ms (microseconds) excludes that ms too.
      if (after && entry.dateAddedMs <= after.ms) continue;
      for (let index = 0; index < entry.objects.length; index++) {
        const position = positionOf(entry, index);
        if (query.next && comparePosition(position, query.next) <= 0) continue;
        const object = entry.objects[index]!;
        if (query.types && !query.types.has(object.type)) continue;
        if (query.ids && !query.ids.has(object.id)) continue;
        const version = versionOf(object, entry.dateAddedMs);
        if (!asked(object, version)) continue;
        const key = `${object.id}@${version}`;
        if (onPage.has(key)) continue;
        if (items.length === query.limit) return { items, more: true, next: items[items.length - 1]!.position };
        onPage.add(key);
        items.push({ entry, object, position });
      }
    }
    return { items, more: false };
  }
}
