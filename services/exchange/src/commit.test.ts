import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { admissible, offsetsToCommit } from "./commit.js";

const chunk = <W>(writer: W, generation: number, topic: string, partition: number, nextOffset: bigint) => ({ writer, generation, topic, partition, nextOffset, events: 1 });

describe("which waiting chunks may join a transaction", () => {
  it("only those read under the current writer in the current generation, in order", () => {
    const a = { name: "a" };
    const b = { name: "b" };
    const chunks = [chunk(a, 3, "t", 0, 1n), chunk(b, 3, "t", 1, 1n), chunk(a, 2, "t", 2, 1n), chunk(a, 3, "u", 0, 1n)];
    const { now, never } = admissible(chunks, { writer: a, generation: 3 });
    expect(now.map((c) => `${c.topic}${c.partition}`)).toEqual(["t0", "u0"]);
    expect(never.map((c) => `${c.topic}${c.partition}`)).toEqual(["t1", "t2"]);
    // No writer: nothing commits.
    expect(admissible(chunks, { writer: undefined, generation: 3 }).now).toEqual([]);
  });

  it("splits any queue into two parts that together are the queue (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ w: fc.integer({ min: 0, max: 2 }), g: fc.integer({ min: 0, max: 2 }) })), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), (xs, w, g) => {
        const chunks = xs.map((x, i) => chunk(x.w, x.g, "t", i, 1n));
        const { now, never } = admissible(chunks, { writer: w, generation: g });
        expect(now.length + never.length).toBe(chunks.length);
        expect(now.every((c) => c.writer === w && c.generation === g)).toBe(true);
        expect(never.every((c) => c.writer !== w || c.generation !== g)).toBe(true);
        // Order kept within each part.
        expect(now.map((c) => c.partition)).toEqual([...now.map((c) => c.partition)].sort((p, q) => p - q));
      }),
    );
  });
});

describe("the offsets a transaction commits", () => {
  it("names each partition once with its chunk's next offset, grouped by topic in first-seen order", () => {
    expect(offsetsToCommit([chunk(0, 1, "t", 2, 10n), chunk(0, 1, "u", 0, 3n), chunk(0, 1, "t", 0, 12345678901234n)])).toEqual([
      { topic: "t", partitions: [{ partition: 2, offset: "10" }, { partition: 0, offset: "12345678901234" }] },
      { topic: "u", partitions: [{ partition: 0, offset: "3" }] },
    ]);
    expect(offsetsToCommit([])).toEqual([]);
  });

  it("refuses two chunks of one partition (an offset could go back)", () => {
    expect(() => offsetsToCommit([chunk(0, 1, "t", 0, 10n), chunk(0, 1, "t", 0, 5n)])).toThrow("two chunks of t[0] in one transaction");
  });
});
