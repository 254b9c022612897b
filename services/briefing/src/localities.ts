import { loadRegions } from "@takitini/policies";

/**
 * The towns and suburbs a briefing may name: each district's `localities` in
 * the one locality table, policies/data/regions.json. The exchange names a
 * record's locality in an aggregate view only when it is one of these, for the
 * record's district, by the table's own spelling; the briefing takes a view's
 * locality only when it is, again, so no other text can reach a page whatever a
 * topic holds. Pure, but for reading the table once at load.
 */

/** District code → its localities, by the table's spelling (NFC). */
const LOCALITIES: ReadonlyMap<string, ReadonlySet<string>> = new Map(loadRegions().regions.map((r) => [r.code, new Set(r.localities.map((l) => l.normalize("NFC")))]));

/** The locality as the table spells it, when `name` is exactly a registered locality of district `region` (a code), else undefined. */
export function registeredLocality(region: string, name: string): string | undefined {
  const n = name.normalize("NFC");
  return LOCALITIES.get(region)?.has(n) ? n : undefined;
}
