import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeNext, encodeNext, parsePageQuery, type PageQuery } from "./params.js";
import { CollectionStore, comparePosition, type Entry } from "./store.js";

const obj = (type: string, n: number, modified = "2026-12-01T00:00:00.000Z") => ({
  type,
  id: `${type}--00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  spec_version: "2.1" as const,
  modified,
});

function entry(over: Partial<Entry> & { dateAddedMs: number; offset: string }): Entry {
  return {
    subscriberId: "aus-abf",
    topic: "takitini.deliver.aus-abf.v1",
    partition: 0,
    decisionId: `d-${over.offset}`,
    eventId: `e-${over.offset}`,
    legalBasis: "Customs and Excise Act 2018, s 318",
    traceId: "",
    objects: [obj("report", Number(over.offset) * 10), obj("identity", 1)],
    ...over,
  };
}

const q = (over: Partial<PageQuery> = {}): PageQuery => ({ limit: 100, ...over });

describe("CollectionStore", () => {
  it("keeps a collection in date_added order whatever order deliveries are read in, and each delivery once", () => {
    const s = new CollectionStore();
    expect(s.add(entry({ dateAddedMs: 2000, offset: "1", partition: 1 }))).toBe(true);
    expect(s.add(entry({ dateAddedMs: 1000, offset: "5", partition: 0 }))).toBe(true);
    expect(s.add(entry({ dateAddedMs: 1000, offset: "5", partition: 0 }))).toBe(false);
    const page = s.page("aus-abf", q(), Number.MAX_SAFE_INTEGER);
    expect(page.items.map((i) => i.entry.offset)).toEqual(["5", "5", "1"]);
    expect(s.size("aus-abf")).toBe(2);
  });

  it("lists an object shared by deliveries (an agency's identity) once a page", () => {
    const s = new CollectionStore();
    s.add(entry({ dateAddedMs: 1000, offset: "1" }));
    s.add(entry({ dateAddedMs: 2000, offset: "2" }));
    const ids = s.page("aus-abf", q(), Number.MAX_SAFE_INTEGER).items.map((i) => i.object.id);
    expect(ids.filter((id) => id.startsWith("identity--"))).toHaveLength(1);
    expect(ids.filter((id) => id.startsWith("report--"))).toHaveLength(2);
  });

  it("serves only another partner's nothing: collections are per partner", () => {
    const s = new CollectionStore();
    s.add(entry({ dateAddedMs: 1000, offset: "1" }));
    expect(s.page("gbr-nca", q(), Number.MAX_SAFE_INTEGER).items).toEqual([]);
  });

  it("added_after is exclusive, to the microsecond", () => {
    const s = new CollectionStore();
    s.add(entry({ dateAddedMs: 1000, offset: "1" }));
    s.add(entry({ dateAddedMs: 2000, offset: "2" }));
    const after = (ms: number, micros = 0) => s.page("aus-abf", q({ addedAfter: { ms, micros } }), Number.MAX_SAFE_INTEGER).items.map((i) => i.entry.offset);
    expect(after(999)).toEqual(["1", "1", "2"]); // the agency's identity once a page
    expect(after(1000)).toEqual(["2", "2"]);
    expect(after(1000, 1)).toEqual(["2", "2"]);
    expect(after(2000)).toEqual([]);
  });

  it("holds back deliveries newer than the visibility bound", () => {
    const s = new CollectionStore();
    s.add(entry({ dateAddedMs: 1000, offset: "1" }));
    s.add(entry({ dateAddedMs: 5000, offset: "2" }));
    expect(s.page("aus-abf", q(), 4999).items.map((i) => i.entry.offset)).toEqual(["1", "1"]);
  });

  it("serves the last version of an object by default, the first or all when asked (a correction, a revocation)", () => {
    const s = new CollectionStore();
    const v1 = obj("report", 1, "2026-12-01T00:00:00.000Z");
    const v2 = { ...v1, modified: "2026-12-02T00:00:00.000Z", revoked: true };
    s.add(entry({ dateAddedMs: 1000, offset: "1", objects: [v1], eventId: "e-1" }));
    s.add(entry({ dateAddedMs: 2000, offset: "2", objects: [v2], eventId: "e-1" }));
    const versions = (v?: ("first" | "last" | "all")[]) => s.page("aus-abf", q(v ? { versions: new Set(v) } : {}), Number.MAX_SAFE_INTEGER).items.map((i) => i.object["modified"]);
    expect(versions()).toEqual(["2026-12-02T00:00:00.000Z"]);
    expect(versions(["first"])).toEqual(["2026-12-01T00:00:00.000Z"]);
    expect(versions(["first", "last"])).toEqual(["2026-12-01T00:00:00.000Z", "2026-12-02T00:00:00.000Z"]);
    expect(versions(["all"])).toEqual(["2026-12-01T00:00:00.000Z", "2026-12-02T00:00:00.000Z"]);
    // The withdrawal notice names the version held last: its entry is found by event id.
    expect(s.latestFor("aus-abf", "e-1")?.offset).toBe("2");
    expect(s.latestFor("aus-abf", "e-9")).toBeUndefined();
  });

  it("filters by match[type] and match[id]", () => {
    const s = new CollectionStore();
    s.add(entry({ dateAddedMs: 1000, offset: "1" }));
    s.add(entry({ dateAddedMs: 2000, offset: "2" }));
    expect(s.page("aus-abf", q({ types: new Set(["report"]) }), Number.MAX_SAFE_INTEGER).items).toHaveLength(2);
    const id = obj("report", 20).id;
    expect(s.page("aus-abf", q({ ids: new Set([id]) }), Number.MAX_SAFE_INTEGER).items.map((i) => i.object.id)).toEqual([id]);
  });

  it("pages through a collection with next: every object once, in order, whatever the limit (property)", () => {
    const arb = fc.array(fc.record({ t: fc.integer({ min: 1, max: 50 }), partition: fc.integer({ min: 0, max: 3 }), n: fc.integer({ min: 1, max: 4 }) }), { maxLength: 40 });
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 7 }), fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }), (deliveries, limit, after) => {
        const s = new CollectionStore();
        deliveries.forEach((d, i) =>
          s.add(entry({ dateAddedMs: d.t, partition: d.partition, offset: String(i), objects: Array.from({ length: d.n }, (_, k) => obj("report", i * 10 + k)) })),
        );
        const all = s.page("aus-abf", q({ limit: 10_000, ...(after !== undefined && { addedAfter: { ms: after, micros: 0 } }) }), Number.MAX_SAFE_INTEGER).items;
        const seen: string[] = [];
        let next: PageQuery["next"];
        for (let pages = 0; pages < 1000; pages++) {
          const page = s.page("aus-abf", q({ limit, ...(next && { next }), ...(after !== undefined && { addedAfter: { ms: after, micros: 0 } }) }), Number.MAX_SAFE_INTEGER);
          expect(page.items.length).toBeLessThanOrEqual(limit);
          seen.push(...page.items.map((i) => i.object.id));
          if (!page.more) break;
          // The token survives its round trip through the client.
          next = decodeNext(encodeNext(page.next!));
        }
        expect(seen).toEqual(all.map((i) => i.object.id));
        for (let i = 1; i < all.length; i++) expect(comparePosition(all[i - 1]!.position, all[i]!.position)).toBeLessThan(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe("parsePageQuery", () => {
  it("takes the TAXII parameters", () => {
    const r = parsePageQuery({ added_after: "2026-12-07T01:02:03.456789Z", limit: "5", "match[type]": "report,identity", "match[version]": "last", "match[spec_version]": "2.1" }, 100);
    expect(r).toEqual({ ok: true, query: { addedAfter: { ms: Date.UTC(2026, 11, 7, 1, 2, 3, 456), micros: 789 }, limit: 5, types: new Set(["report", "identity"]), versions: new Set(["last"]) } });
    expect(parsePageQuery({ limit: "5000" }, 100)).toMatchObject({ ok: true, query: { limit: 100 } });
  });

  it.each([
    [{ added_after: "yesterday" }, "added_after"],
    [{ added_after: "2026-13-01T00:00:00Z" }, "added_after"],
    [{ added_after: "2026-06-31T00:00:00Z" }, "added_after"],
    [{ added_after: "2026-12-07T01:02:03+13:00" }, "added_after"],
    [{ added_after: ["2026-12-07T01:02:03Z", "2026-12-07T01:02:03Z"] }, "added_after"],
    [{ limit: "0" }, "limit"],
    [{ limit: "-3" }, "limit"],
    [{ limit: "1.5" }, "limit"],
    [{ limit: "ten" }, "limit"],
    [{ next: "not a token!" }, "next"],
    [{ next: Buffer.from('{"v":2}').toString("base64url") }, "next"],
    [{ "match[type]": "Report" }, "match[type]"],
    [{ "match[id]": "report--xyz" }, "match[id]"],
    [{ "match[version]": "newest" }, "match[version]"],
    [{ "match[version]": "2026-12-07T01:02:03Z" }, "match[version]"],
    [{ "match[spec_version]": "two" }, "match[spec_version]"],
    [{ colour: "red" }, "colour"],
  ])("refuses %j, naming %s", (query, parameter) => {
    expect(parsePageQuery(query, 100)).toMatchObject({ ok: false, parameter });
  });

  it("matches nothing of another spec version", () => {
    expect(parsePageQuery({ "match[spec_version]": "2.0" }, 100)).toMatchObject({ ok: true, query: { types: new Set() } });
  });
});
